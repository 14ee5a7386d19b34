// MemberTable: the leader's record of which agents it hears from, through the reports every
// server sends it (itself, and the client agents attached to its feed), and the decided view
// RaftServer::members() returns. Pure: time comes in as arguments, so tests drive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/internal/callbacks.hh"
#include "cluster/types.hh"

namespace muster::cluster::internal {

struct MemberTimeouts {
    // Not heard from for this long: not alive. Also the grace period of a new leader.
    std::chrono::milliseconds member{5000};
    // A client whose feed connection closed (its host died, or it moved to another server) and
    // that no server reports attached since: not alive after this long.
    std::chrono::milliseconds detached{1500};
    // Entries not heard from for this long are dropped (absent means not alive as well).
    std::chrono::milliseconds forget{std::chrono::hours(1)};
};

class MemberTable {
  public:
    explicit MemberTable(MemberTimeouts t) : t_(t) {}

    // This server took the lead: forget everything and give every member a fresh grace period.
    void lead(Clock::time_point now);
    // It lost the lead: decided() is nullopt until the next lead().
    void follow();

    // A report says `m` is attached and heartbeating (a client) or is the reporting server.
    void heard(const std::string& node, const std::string& address, bool server,
               Clock::time_point now);
    // A report says the feed connection of client `node` closed.
    void detached(const std::string& node, Clock::time_point now);

    // nullopt while not leading or within the grace period after lead(); otherwise every
    // member heard of, with alive as the timeouts say. Drops the forgotten ones.
    std::optional<std::vector<MemberState>> decided(Clock::time_point now);

  private:
    struct Entry {
        MemberState state;
        Clock::time_point heard;
        std::optional<Clock::time_point> detached;
    };
    MemberTimeouts t_;
    bool leading_ = false;
    Clock::time_point since_;
    std::map<std::string, Entry> entries_;  // by lowercase node name
};

}  // namespace muster::cluster::internal
