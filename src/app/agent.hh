// app::Agent: the composition root. Its members are declared in start order (settings, data
// dir, store, Raft, writer, checks, HTTP API, DNS), so constructing an Agent starts the agent
// and destroying it is the teardown, in reverse. A part that fails to start throws
// StartFailure from the constructor; the parts started before it stop again on the way out.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "api/server.hh"
#include "app/agent_cache.hh"
#include "app/agent_catalog.hh"
#include "app/agent_checks.hh"
#include "app/agent_cluster_view.hh"
#include "app/agent_metrics.hh"
#include "app/client_replica.hh"
#include "app/raft_cluster_view.hh"
#include "app/replicated_catalog.hh"
#include "catalog/store.hh"
#include "checks/monitor.hh"
#include "cluster/raft_server.hh"
#include "cluster/replica_client.hh"
#include "common/dir_lock.hh"
#include "common/event_loop.hh"
#include "config/config.hh"
#include "resolver/resolver.hh"

namespace muster::app {

// Why the agent could not start, and the exit status that says so (2: configuration, 1: the
// rest).
class StartFailure : public std::runtime_error {
  public:
    StartFailure(int status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    int status() const { return status_; }

  private:
    int status_;
};

class Agent {
  public:
    // Loads the configuration and starts every part; throws StartFailure.
    explicit Agent(const config::LoadRequest& request);
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // Serves until SIGTERM or SIGINT (or PUT /v1/agent/leave); SIGHUP reloads. Then lets
    // in-flight DNS queries finish. Returns the exit status.
    int run();

    // SIGHUP: reads every source again; records, hosts file, recursors and the config's
    // services and checks follow it. A bad configuration changes nothing.
    Result<void> reload();  // SIGHUP and PUT /v1/agent/reload; errors are logged too

    const config::Settings& settings() const { return settings_; }

  private:
    // A --dev agent's temporary data dir, removed when everything else has stopped.
    struct TemporaryDir {
        std::string path;  // "" when the data dir is the operator's
        ~TemporaryDir();
    };
    // The health checks, on a thread of their own: a slow check never delays DNS or HTTP.
    struct Checks {
        Checks(const config::Settings& s, api::Writer& writer, catalog::Store& store);
        ~Checks();  // stops the thread, then kills running scripts
        void start();
        EventLoop loop;
        WriterSink sink;
        std::unique_ptr<checks::Monitor> monitor;
        AgentChecks agent_checks;
        std::thread thread;
    };
    // The HTTP API on its own loop and thread.
    struct Api {
        Api(const config::Settings& s, catalog::Store& store, api::Writer& writer,
            AgentChecks& checks, api::ClusterView* cluster, std::function<void()> on_leave,
            api::ApiServer::Reloader on_reload, api::CacheControl* cache,
            api::MetricsSource* metrics, std::shared_ptr<const std::atomic<bool>> dns_serving);
        ~Api();  // closes the listeners on the loop, then joins
        EventLoop loop;
        api::ApiServer server;
        std::thread thread;
    };

    void stop();
    Result<ConfigRegistrations> register_self();
    void run_checks();
    bool register_at_start();
    void register_when_led(std::stop_token stop);
    void keep_in_sync(std::stop_token stop);
    void keep_members(std::stop_token stop);
    bool in_sync_with_replica(const catalog::Node& self) const;
    Result<void> restore_own_services();
    void give_up(const std::string& why);
    void replica_tick();

    config::LoadRequest reload_request_;
    config::Settings settings_;
    TemporaryDir temporary_dir_;
    DirLock dir_lock_;
    EventLoop loop_;  // the main loop: signals, reloads, stopping
    int exit_status_ = 0;
    std::shared_ptr<catalog::Store> store_;
    CatalogStateMachine state_machine_;
    std::unique_ptr<cluster::RaftServer> raft_;       // servers only
    std::unique_ptr<cluster::ReplicaClient> client_;  // client agents only (see client_agent)
    // Through Raft on servers, through the feed on client agents, else into the store.
    std::unique_ptr<api::Writer> writer_;
    ReplicaWriter* replica_writer_ = nullptr;         // writer_, on a client agent
    std::unique_ptr<AgentClusterView> cluster_view_;  // servers and client agents
    // Client agents: when a server last spoke (steady ms), for dns_config.max_stale; from the
    // start of this run until one does.
    std::shared_ptr<std::atomic<int64_t>> replica_contact_;
    Timer replica_timer_;      // client agents: refreshes replica_contact_, replica_writer_->expire
    RestoredStatus restored_;  // TTL checks' states the last run saved
    ConfigRegistrations config_regs_;  // main loop only
    Checks checks_;
    // Standalone, or a cluster of one: the node, config services and checks are registered
    // before the API and DNS start, so the first answer has them. Otherwise false: the
    // registrar does it once the cluster has a leader.
    bool registered_;
    AgentCache cache_;      // before api_, which uses it: outlives the API's thread
    AgentMetrics metrics_;  // the same
    // Set once dns_ serves: GET /readyz.
    std::shared_ptr<std::atomic<bool>> dns_serving_ = std::make_shared<std::atomic<bool>>(false);
    Api api_;
    resolver::Options dns_options_;
    resolver::Resolver dns_;
    // A server whose cluster has no leader yet registers its node once there is one; a client
    // agent registers once it reaches a server, then keeps the catalog in step with its own
    // view (anti-entropy).
    std::jthread registrar_;
    // A server: while it leads, writes the members' liveness as serfHealth checks.
    std::jthread liveness_;
};

// Runs the agent until it is stopped; returns the process exit status.
int run_agent(const config::LoadRequest& request);

}  // namespace muster::app
