// api::ClusterView over cluster::RaftServer: what the HTTP API shows of a server's Raft cluster.
#pragma once

#include <string>

#include "api/cluster_view.hh"
#include "api/writer.hh"
#include "cluster/raft_server.hh"

namespace muster::app {

class RaftClusterView final : public api::ClusterView {
  public:
    // `node_name`: this agent's catalog node, deregistered (through `writer`) before it leaves.
    RaftClusterView(cluster::RaftServer& node, api::Writer& writer, std::string node_name)
        : node_(node), writer_(writer), node_name_(std::move(node_name)) {}
    api::ClusterInfo info() const override;
    void barrier(std::function<void(Result<void>)> done) override;
    // Deregisters this agent's node (while still a member, so the write commits), then leaves.
    void leave(std::function<void(Result<void>)> done) override;

  private:
    cluster::RaftServer& node_;
    api::Writer& writer_;
    std::string node_name_;
};

}  // namespace muster::app
