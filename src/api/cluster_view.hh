// api::ClusterView: what the HTTP API sees of the Raft cluster of a server agent (app
// implements it over cluster::RaftServer). Absent (nullptr in Options) for a standalone agent,
// which is its own leader.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.hh"

namespace muster::api {

struct RaftServer {
    std::string id;       // the Raft ID, decimal
    std::string address;  // "ip:port", the server port
    bool leader = false;
    bool voter = false;
};

struct ClusterInfo {
    bool known_leader = false;
    std::string leader_address;                 // "" when none is known
    std::chrono::milliseconds last_contact{0};  // since this server last heard from the leader
    std::vector<RaftServer> servers;            // the configuration, sorted by address
    uint64_t index = 0;                         // this server's last applied Raft index
    // A server's Raft state, as Consul's `consul info` shows it: "Leader", "Follower",
    // "Candidate" ("" on a client agent), the current term and the commit index.
    std::string raft_state;
    uint64_t term = 0;
    uint64_t commit_index = 0;
    // A client agent: the server its change feed comes from ("" while it has none; a server:
    // always "").
    std::string feed_server;
};

class ClusterView {
  public:
    virtual ~ClusterView() = default;
    // Any thread.
    virtual ClusterInfo info() const = 0;
    // ?consistent reads: `done` (any thread) once everything committed before the call is
    // applied here, or the Error (no leader).
    virtual void barrier(std::function<void(Result<void>)> done) = 0;
    // PUT /v1/agent/leave: leave the cluster for good, then stop the agent. `done` (any thread)
    // once this server is out of the Raft configuration, or the Error.
    virtual void leave(std::function<void(Result<void>)> done) = 0;
    // PUT /v1/agent/join/:address ("ip" or "ip:port", the server port): join the cluster
    // through that server. `done` (any thread) once this agent is in the cluster through it or
    // already was, or the Error.
    virtual void join(const std::string& address, std::function<void(Result<void>)> done) = 0;
};

}  // namespace muster::api
