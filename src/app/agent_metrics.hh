// AgentMetrics: api::MetricsSource over every part of the agent: the DNS answers, cache and
// upstreams (resolver), the catalog, Raft (servers) or the replica (client agents), the
// health checks and the process.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/metrics_source.hh"
#include "catalog/store.hh"
#include "checks/monitor.hh"
#include "cluster/raft_server.hh"
#include "cluster/replica_client.hh"
#include "common/event_loop.hh"
#include "resolver/resolver.hh"

namespace muster::app {

struct MetricsParts {
    resolver::Resolver& dns;  // may still be under construction; used on the main loop only
    const catalog::Store& store;
    const cluster::RaftServer* raft = nullptr;       // servers
    const cluster::ReplicaClient* client = nullptr;  // client agents
    checks::Monitor* monitor = nullptr;
};

// Each scrape runs on the agent's main loop (as AgentCache's requests): the resolver is only
// asked from the thread that started it. The counting itself happens where the work is done
// (per worker, on the checks loop, on the Raft thread) and is only read here.
class AgentMetrics final : public api::MetricsSource {
  public:
    AgentMetrics(EventLoop& main_loop, MetricsParts parts);

    void collect(std::function<void(metrics::Families)> done) override;
    void collect_dns(std::function<void(metrics::Families)> done) override;

  private:
    // What needs no other thread: catalog, cluster, process.
    void add_own(metrics::Families& out) const;

    EventLoop& loop_;
    MetricsParts parts_;
    std::chrono::system_clock::time_point started_wall_ = std::chrono::system_clock::now();
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// The process's resident set size in bytes and its open file descriptors (from /proc/self);
// 0 when unreadable.
uint64_t resident_bytes();
uint64_t open_fds();
// User + system CPU time of the process in seconds.
double cpu_seconds();

}  // namespace muster::app
