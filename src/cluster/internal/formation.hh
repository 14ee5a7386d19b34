// Formation: deciding, from the hellos of other servers, whether this server (no Raft state yet)
// bootstraps a new cluster, joins an existing one or keeps waiting. Pure logic, no I/O.
//
// bootstrap_expect N: a server bootstraps only when it knows at least N fresh servers (itself
// included) with the same N, and every one of them reported exactly the same set of fresh
// servers (its "view"). The voters are the N lowest IDs of that set. Views only grow, and a
// server stops being fresh when it bootstraps, so two servers that bootstrap either used the
// same set or sets with no server in common (which needs discovery to be split and 2N fresh
// servers): one start never makes two clusters out of servers that see each other.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/internal/rpc_messages.hh"
#include "cluster/types.hh"

namespace muster::cluster::internal {

class Formation {
  public:
    Formation(uint64_t self_id, std::string self_address, unsigned bootstrap_expect);

    // Records what another server said of itself. True when this server's view grew.
    bool observe(const Hello& h);
    // The fresh servers this one knows (itself included), sorted by ID.
    std::vector<uint64_t> view() const;

    struct Decision {
        enum class Kind { wait, bootstrap, join };
        Kind kind = Kind::wait;
        std::vector<Peer> voters;  // bootstrap: sorted by ID
        std::string join_via;      // join: where to send the join request
        std::string waiting_for;   // wait: for Status::waiting_for
    };
    // For a server without Raft state that has not started yet.
    Decision decide() const;
    // A server of an existing cluster to send a join request to (its leader when one is
    // known); "" when no hello came from a server in a cluster.
    std::string join_target() const;

  private:
    std::optional<std::vector<Peer>> bootstrapped_with_me() const;
    Decision decide_fresh(const std::vector<uint64_t>& v) const;

    uint64_t self_id_;
    std::string self_address_;
    unsigned expect_;
    std::map<uint64_t, Hello> latest_;         // every other server's latest hello, by ID
    std::map<uint64_t, std::string> fresh_;    // fresh servers ever heard of (never shrinks)
    std::map<uint64_t, unsigned> mismatched_;  // fresh servers with another bootstrap_expect
};

}  // namespace muster::cluster::internal
