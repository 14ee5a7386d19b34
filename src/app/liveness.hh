// Liveness in the catalog: every node an agent runs on carries Consul's node check `serfHealth`
// ("Serf Health Status"), passing while the leader hears from the agent and critical when it
// does not. A critical node check hides every instance of the node from DNS and ?passing. The
// leader decides (cluster::RaftServer::members) and writes each change as one Raft write; nodes
// no agent runs on (external services from /v1/catalog/register) get no serfHealth.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/command.hh"
#include "catalog/definition.hh"
#include "catalog/store.hh"
#include "cluster/types.hh"

namespace muster::app {

using catalog::serf_alive_output;
using catalog::serf_check_id;
using catalog::serf_check_name;
using catalog::serf_failed_output;
using catalog::serf_health_registration;
using catalog::serf_registered_output;

// Nodes whose serfHealth is passing but that the leader's view does not list at all (an agent
// that registered a moment before its server's first report, or that died before this leader
// heard of it), by name: when each was first seen absent. Kept by the caller between rounds.
using AbsentSince = std::map<std::string, std::chrono::steady_clock::time_point>;

// The commands that bring the catalog's serfHealth checks in line with `members` (the leader's
// decided view): a live member's node gets a passing check (added if missing; a node the agent
// has not registered yet is left for the next round); a node whose serfHealth is not critical
// turns critical when its member is not alive, or when no member has its name for longer than
// `absent_grace`. Nodes without serfHealth and without a member are external and untouched.
// Empty when nothing changes.
std::vector<catalog::Command> liveness_changes(const catalog::Snapshot& snapshot,
                                               const std::vector<cluster::MemberState>& members,
                                               AbsentSince& absent,
                                               std::chrono::steady_clock::time_point now,
                                               std::chrono::milliseconds absent_grace);

// Why `self` may not register: another live node (serfHealth passing) has its name at another
// address. nullopt when it may (a free name, its own entry, or a failed node's name).
std::optional<std::string> node_name_in_use(const catalog::Snapshot& snapshot,
                                            const catalog::Node& self);

// reconnect_timeout: nodes whose serfHealth has been critical for longer than `timeout` (as this
// leader has watched them: `critical_since`, kept between calls) are deregistered. Nodes that
// are no longer critical leave `critical_since`.
class FailedNodeReaper {
  public:
    explicit FailedNodeReaper(std::chrono::milliseconds timeout) : timeout_(timeout) {}
    std::vector<catalog::Command> reap(const catalog::Snapshot& snapshot,
                                       std::chrono::steady_clock::time_point now);
    void forget() { critical_since_.clear(); }  // no longer the leader

  private:
    std::chrono::milliseconds timeout_;
    std::map<std::string, std::chrono::steady_clock::time_point> critical_since_;
};

}  // namespace muster::app
