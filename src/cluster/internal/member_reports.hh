// MemberReports: liveness on the Raft loop. Every report interval each server sends the leader
// a MemberReport: itself, the client agents attached to its feed whose heartbeats are fresh,
// and those whose feed connection went away since (kept in the reports for a while, so a lost
// report loses no detach). The leader puts them, and its own, into a MemberTable and publishes
// the decided view (RaftServer::members). Raft loop only.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "cluster/internal/callbacks.hh"
#include "cluster/internal/feed_server.hh"
#include "cluster/internal/leader_forwarding.hh"
#include "cluster/internal/member_report.hh"
#include "cluster/internal/member_table.hh"
#include "cluster/internal/rpc_client.hh"

namespace muster::cluster::internal {

class MemberReports {
  public:
    class Host : public LoopState {
      public:
        virtual std::vector<AttachedClient> feed_attached() const = 0;
        // The decided view changed (nullopt: this server does not decide now).
        virtual void publish_members(std::optional<std::vector<MemberState>> decided) = 0;

      protected:
        ~Host() = default;
    };
    struct Options {
        std::string node;     // this server's catalog node; "" sends no reports
        std::string address;  // its advertised IP
        std::chrono::milliseconds interval{500};
        // An attached client whose last heartbeat is older than this is not reported.
        std::chrono::milliseconds heartbeat_fresh{2500};
        // How long a detach stays in the reports.
        std::chrono::milliseconds detach_kept{3000};
        MemberTimeouts timeouts;
    };

    MemberReports(Host& host, RpcCalls& rpc, Options options);

    // Called often (the Core's status timer); acts once per interval.
    void tick(Clock::time_point now);
    // MessageType::report from another server: Ack, or not_leader.
    void handle_report(std::span<const uint8_t> payload, Reply reply);

  private:
    MemberReport own_report(Clock::time_point now);
    void take(const MemberReport& r, Clock::time_point now);

    Host& host_;
    RpcCalls& rpc_;
    const Options options_;
    MemberTable table_;
    bool leading_ = false;
    bool in_flight_ = false;  // a report to the leader not answered yet
    Clock::time_point next_;
    std::set<std::string> attached_before_;              // node names at the last report
    std::map<std::string, Clock::time_point> detached_;  // node -> when it went away
};

}  // namespace muster::cluster::internal
