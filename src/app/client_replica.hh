// A client agent's catalog: the local Store kept by a cluster::ReplicaClient (the change feed
// from one server), the api::Writer that sends its writes to the cluster through that feed, and
// what the HTTP API sees of the cluster from a client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>

#include "api/writer.hh"
#include "app/agent_cluster_view.hh"
#include "catalog/store.hh"
#include "cluster/replica_client.hh"

namespace muster::app {

// Sends each batch to the cluster (the server the client is attached to forwards it to the
// leader). `done` runs once the batch is committed and this client's replica has applied it, so
// a read on this agent right after a write sees it (read your writes); when the replica lags
// more than `max_wait` behind, `done` runs anyway with the committed index.
class ReplicaWriter final : public api::Writer {
  public:
    ReplicaWriter(cluster::ReplicaClient& client, catalog::Store& store,
                  std::chrono::milliseconds max_wait = std::chrono::seconds(5));
    ~ReplicaWriter() override;  // runs every waiting `done` with its committed index
    ReplicaWriter(const ReplicaWriter&) = delete;
    ReplicaWriter& operator=(const ReplicaWriter&) = delete;

    void submit(std::vector<catalog::Command> batch,
                std::function<void(Result<uint64_t>)> done) override;
    // Releases waits older than max_wait (call it now and then; the agent's loop does).
    void expire();
    // Releases every wait now (stopping: while those waiting can still take the answer).
    void release_all();

  private:
    struct Waiting {
        uint64_t index;
        std::chrono::steady_clock::time_point since;
        std::function<void(Result<uint64_t>)> done;
    };
    void committed(uint64_t index, std::function<void(Result<uint64_t>)> done);
    enum class Release {
        reached,  // the waits the replica has applied (`applied`)
        expired,  // the waits older than max_wait
        every,
    };
    void release(Release which, uint64_t applied);

    cluster::ReplicaClient& client_;
    catalog::Store& store_;
    std::chrono::milliseconds max_wait_;
    uint64_t subscription_ = 0;
    std::mutex mu_;
    std::list<Waiting> waiting_;
};

// The cluster as a client agent sees it through its feed: the servers it learned, the leader
// its server names, and when a server last spoke.
class ReplicaClusterView final : public AgentClusterView {
  public:
    // `node_name`: this agent's catalog node, deregistered (through `writer`) when it leaves.
    // `server_port`: the port of a join address without one.
    ReplicaClusterView(cluster::ReplicaClient& client, api::Writer& writer, std::string node_name,
                       uint16_t server_port)
        : AgentClusterView(writer, std::move(node_name), server_port, AgentRole::client),
          client_(client) {}
    api::ClusterInfo info() const override;
    // ?consistent: a read barrier through the client's server and the leader.
    void barrier(std::function<void(Result<void>)> done) override;
    // A client is no Raft member: leaving deregisters its node from the catalog and records it
    // as left (catalog::Leave).
    void leave(std::function<void(Result<void>)> done) override {
        deregister_self(std::move(done));
    }
    // Adds the server to those the client knows and waits (bounded) until the client's feed
    // comes from some server.
    void join(const std::string& address, std::function<void(Result<void>)> done) override;

  private:
    cluster::ReplicaClient& client_;
};

}  // namespace muster::app
