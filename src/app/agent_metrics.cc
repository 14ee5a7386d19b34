// AgentMetrics: one scrape gathers the workers' and the checks' counters on their own threads,
// and reads the catalog, Raft or the replica, and /proc here.
#include "app/agent_metrics.hh"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "catalog/definition.hh"

namespace muster::app {
namespace {

using metrics::Type;

double as_double(uint64_t n) {
    return static_cast<double>(n);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void add_catalog(metrics::Families& out, const catalog::Store& store) {
    auto snap = store.snapshot();
    auto services = snap->services();
    std::array<uint64_t, 3> by_status{};
    for (const auto& [name, tags] : services)
        for (const auto& entry : snap->service(name, std::nullopt, catalog::HealthFilter::any))
            by_status[static_cast<size_t>(catalog::aggregate_status(entry.checks))]++;
    out.family("muster_catalog_nodes", "Nodes in the catalog", Type::gauge)
        .add(as_double(snap->nodes().size()));
    out.family("muster_catalog_services", "Service names in the catalog", Type::gauge)
        .add(as_double(services.size()));
    auto& instances = out.family("muster_catalog_service_instances",
                                 "Service instances, by the worst status of their checks and "
                                 "their node's",
                                 Type::gauge);
    for (auto s : {catalog::Status::passing, catalog::Status::warning, catalog::Status::critical})
        instances.add(as_double(by_status[static_cast<size_t>(s)]),
                      {{"status", std::string(catalog::status_name(s))}});
    out.family("muster_catalog_index", "The catalog's newest index (X-Consul-Index)", Type::gauge)
        .add(as_double(snap->index()));
}

void add_raft(metrics::Families& out, const cluster::Status& s) {
    auto& state = out.family("muster_raft_state", "1 for this server's Raft role", Type::gauge);
    for (auto role : {cluster::Role::leader, cluster::Role::follower, cluster::Role::candidate,
                      cluster::Role::unavailable})
        state.add(s.role == role ? 1 : 0, {{"state", cluster::role_name(role)}});
    out.family("muster_raft_term", "The current Raft term", Type::gauge).add(as_double(s.term));
    out.family("muster_raft_commit_index", "The highest Raft index known committed", Type::gauge)
        .add(as_double(s.commit_index));
    out.family("muster_raft_applied_index", "The highest Raft index applied to the catalog",
               Type::gauge)
        .add(as_double(s.last_applied));
    out.family("muster_raft_peers", "Voters in the Raft configuration", Type::gauge)
        .add(as_double(s.voters.size()));
    out.family("muster_raft_leader_changes_total", "Times a new leader became known", Type::counter)
        .add(as_double(s.leader_changes));
    out.family("muster_raft_snapshots_total", "Snapshots taken of the catalog", Type::counter)
        .add(as_double(s.snapshots));
    out.family("muster_raft_snapshot_duration_seconds_total", "Time spent taking those snapshots",
               Type::counter)
        .add(s.snapshot_seconds);
    out.family("muster_raft_apply_duration_seconds",
               "On the leader: from appending an entry to applying it", Type::histogram)
        .add(s.apply_latency);
    bool heard = s.last_contact != std::chrono::steady_clock::time_point{};
    out.family("muster_raft_last_contact_seconds",
               "Since this server last heard from the leader (0 on the leader; -1: never)",
               Type::gauge)
        .add(heard ? seconds_since(s.last_contact) : -1);
}

void add_replica(metrics::Families& out, const cluster::ReplicaStatus& s) {
    bool heard = s.last_contact != std::chrono::steady_clock::time_point{};
    out.family("muster_replica_connected", "1 while this client agent has a server's feed",
               Type::gauge)
        .add(s.connected ? 1 : 0);
    out.family("muster_replica_sessions_total", "Feed subscriptions made (a reconnect adds 1)",
               Type::counter)
        .add(as_double(s.sessions));
    out.family("muster_replica_applied_index", "The replica's applied Raft index", Type::gauge)
        .add(as_double(s.applied));
    out.family("muster_replica_lag_index",
               "Raft entries the replica is behind its server, as the server last said",
               Type::gauge)
        .add(s.server_applied > s.applied ? as_double(s.server_applied - s.applied) : 0);
    out.family("muster_replica_lag_seconds",
               "Since a server last spoke on the feed (-1: never since the start)", Type::gauge)
        .add(heard ? seconds_since(s.last_contact) : -1);
}

void add_checks(metrics::Families& out, const checks::CheckMetrics& m) {
    auto& running = out.family("muster_checks", "Health checks this agent runs, by type and status",
                               Type::gauge);
    auto& runs =
        out.family("muster_check_runs_total", "Check runs finished, by type", Type::counter);
    auto& timeouts = out.family("muster_check_timeouts_total",
                                "Check runs ended by the check's timeout", Type::counter);
    auto& changes =
        out.family("muster_check_status_changes_total",
                   "Status changes of checks written to the catalog (flaps)", Type::counter);
    using catalog::CheckKind;
    for (auto kind :
         {CheckKind::script, CheckKind::http, CheckKind::tcp, CheckKind::ttl, CheckKind::alias}) {
        auto k = static_cast<size_t>(kind);
        std::string type(catalog::check_kind_name(kind));
        for (auto s :
             {catalog::Status::passing, catalog::Status::warning, catalog::Status::critical})
            running.add(as_double(m.running[k][static_cast<size_t>(s)]),
                        {{"type", type}, {"status", std::string(catalog::status_name(s))}});
        if (kind == CheckKind::script || kind == CheckKind::http || kind == CheckKind::tcp) {
            runs.add(as_double(m.runs[k]), {{"type", type}});
            timeouts.add(as_double(m.timeouts[k]), {{"type", type}});
        }
        changes.add(as_double(m.changes[k]), {{"type", type}});
    }
}

}  // namespace

uint64_t resident_bytes() {
    std::ifstream in("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    if (!(in >> size >> resident))
        return 0;
    return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

uint64_t open_fds() {
    std::error_code ec;
    uint64_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n > 0 ? n - 1 : 0;  // less the directory iterator's own
}

double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return tv(u.ru_utime) + tv(u.ru_stime);
}

AgentMetrics::AgentMetrics(EventLoop& main_loop, MetricsParts parts)
    : loop_(main_loop), parts_(parts) {}

void AgentMetrics::add_own(metrics::Families& out) const {
    add_catalog(out, parts_.store);
    if (parts_.raft)
        add_raft(out, parts_.raft->status());
    if (parts_.client)
        add_replica(out, parts_.client->status());
    out.family("process_resident_memory_bytes", "Resident memory size in bytes", Type::gauge)
        .add(as_double(resident_bytes()));
    out.family("process_open_fds", "Open file descriptors", Type::gauge).add(as_double(open_fds()));
    out.family("process_cpu_seconds_total", "User and system CPU time spent in seconds",
               Type::counter)
        .add(cpu_seconds());
    out.family("process_start_time_seconds", "Start time of the process since the Unix epoch",
               Type::gauge)
        .add(std::chrono::duration<double>(started_wall_.time_since_epoch()).count());
    out.family("muster_uptime_seconds", "Since the agent started", Type::gauge)
        .add(seconds_since(started_));
    out.family("muster_build_info", "Always 1; the labels name the build", Type::gauge)
        .add(1, {{"version", MUSTER_VERSION}});
}

void AgentMetrics::collect_dns(std::function<void(metrics::Families)> done) {
    loop_.post([this, done = std::move(done)] {
        const resolver::Cache* cache = &parts_.dns.cache();
        parts_.dns.collect([cache, done](resolver::DnsMetrics dns) {
            metrics::Families families;
            resolver::add_families(families, dns, *cache);
            done(std::move(families));
        });
    });
}

void AgentMetrics::collect(std::function<void(metrics::Families)> done) {
    loop_.post([this, done = std::move(done)] {
        struct Gather {
            std::mutex mu;
            metrics::Families families;
            resolver::DnsMetrics dns;
            checks::CheckMetrics checks;
            int left = 2;
            std::function<void(metrics::Families)> done;
            const resolver::Cache* cache = nullptr;
        };
        auto g = std::make_shared<Gather>();
        g->done = done;
        g->cache = &parts_.dns.cache();
        add_own(g->families);
        // The last of the two answers writes the families, in a fixed order, and hands them on.
        auto finish = [](const std::shared_ptr<Gather>& g) {
            resolver::add_families(g->families, g->dns, *g->cache);
            add_checks(g->families, g->checks);
            g->done(std::move(g->families));
        };
        parts_.dns.collect([g, finish](resolver::DnsMetrics dns) {
            std::unique_lock lock(g->mu);
            g->dns = std::move(dns);
            if (--g->left == 0) {
                lock.unlock();
                finish(g);
            }
        });
        auto checks_done = [g, finish](checks::CheckMetrics m) {
            std::unique_lock lock(g->mu);
            g->checks = m;
            if (--g->left == 0) {
                lock.unlock();
                finish(g);
            }
        };
        if (parts_.monitor)
            parts_.monitor->collect(checks_done);
        else
            checks_done({});
    });
}

}  // namespace muster::app
