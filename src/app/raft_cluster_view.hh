// api::ClusterView over cluster::RaftServer: what the HTTP API shows of a server's Raft cluster.
#pragma once

#include <string>

#include "app/agent_cluster_view.hh"
#include "cluster/raft_server.hh"

namespace muster::app {

class RaftClusterView final : public AgentClusterView {
  public:
    // `node_name`: this agent's catalog node, deregistered (through `writer`) before it leaves.
    // `server_port`: the port of a join address without one.
    RaftClusterView(cluster::RaftServer& node, api::Writer& writer, std::string node_name,
                    uint16_t server_port)
        : AgentClusterView(writer, std::move(node_name), server_port, AgentRole::server),
          node_(node) {}
    api::ClusterInfo info() const override;
    void barrier(std::function<void(Result<void>)> done) override;
    // Deregisters this agent's node (while still a member, so the write commits), then leaves.
    void leave(std::function<void(Result<void>)> done) override;
    // A server is in one cluster: joining one of its own servers is done; anything else is an
    // error (servers form and join clusters through retry_join).
    void join(const std::string& address, std::function<void(Result<void>)> done) override;

  private:
    cluster::RaftServer& node_;
};

}  // namespace muster::app
