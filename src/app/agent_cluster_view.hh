// AgentClusterView: what the cluster views of a server (RaftClusterView) and of a client agent
// (ReplicaClusterView) share: this agent's catalog node, deregistered and recorded as left when
// it leaves, and the server port of a join address given without one.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "api/cluster_view.hh"
#include "api/writer.hh"

namespace muster::app {

// Whether the agent is a server: its left record says so (members show role "consul").
enum class AgentRole { server, client };

class AgentClusterView : public api::ClusterView {
  public:
    // Anti-entropy holds the returned lock while it registers this agent's node again, so a
    // leave waits for that write and nothing registers the node after its Leave. The lock owns
    // nothing once the agent has started to leave.
    std::unique_lock<std::mutex> hold_unless_leaving();

  protected:
    AgentClusterView(api::Writer& writer, std::string node_name, uint16_t server_port,
                     AgentRole role)
        : writer_(writer),
          node_name_(std::move(node_name)),
          server_port_(server_port),
          role_(role) {}

    // Deregisters this agent's node (its services and checks go with it) and records it as a
    // left member (catalog::Leave); `then` gets the outcome, on whatever thread the writer
    // answers.
    void deregister_self(std::function<void(Result<void>)> then);
    // A join address as "a.b.c.d:port" (IPv4; ports.server when it has no port), or the Error.
    Result<std::string> join_address(const std::string& address) const;

  private:
    api::Writer& writer_;
    std::string node_name_;
    uint16_t server_port_;
    AgentRole role_;
    std::mutex sync_mu_;
    bool leaving_ = false;  // under sync_mu_
};

}  // namespace muster::app
