// Daemon: composition root of the agent.
#include "app/daemon.hh"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "api/server.hh"
#include "app/agent_catalog.hh"
#include "app/agent_checks.hh"
#include "app/join_addresses.hh"
#include "app/node_cluster_view.hh"
#include "app/replicated_catalog.hh"
#include "catalog/store.hh"
#include "cluster/node.hh"
#include "common/address.hh"
#include "common/dir_lock.hh"
#include "common/event_loop.hh"
#include "common/log.hh"
#include "resolver/resolver.hh"

namespace muster::app {
namespace {
constexpr log::Logger logger("agent");

resolver::UpstreamSpec to_spec(const config::Recursor& r) {
    resolver::UpstreamSpec s;
    switch (r.transport) {
        case config::Transport::udp:
            s.transport = resolver::UpstreamTransport::udp;
            break;
        case config::Transport::tcp:
            s.transport = resolver::UpstreamTransport::tcp;
            break;
        case config::Transport::tls:
            s.transport = resolver::UpstreamTransport::tls;
            break;
    }
    s.addr = r.addr;
    s.tls_name = r.tls_name;
    s.label = r.text;
    return s;
}

// With no recursors configured, use the host's own nameservers (as dnsmasq does), except
// those that are muster itself.
std::vector<resolver::UpstreamSpec> system_upstreams(const std::vector<SockAddr>& listen) {
    const char* env = std::getenv("MUSTER_RESOLV_CONF");
    std::string path = env && *env ? env : "/etc/resolv.conf";
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto ups = resolver::upstreams_from_resolv_conf(ss.str());
    std::erase_if(ups, [&](const auto& u) { return resolver::is_own_listener(u, listen); });
    std::string list;
    for (const auto& u : ups)
        list += (list.empty() ? "" : " ") + u.label;
    if (ups.empty())
        logger.warn(
            "no recursors configured and none usable in resolv.conf: forwarded names get SERVFAIL",
            {{"file", path}});
    else
        logger.info("no recursors configured; using the nameservers of resolv.conf",
                    {{"file", path}, {"recursors", list}});
    return ups;
}

// systemd's sd_notify protocol (sd_notify(3)) without libsystemd: one datagram.
void notify(const char* state) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    size_t len = std::strlen(path);
    if (len >= sizeof addr.sun_path)
        return;
    std::memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@')
        addr.sun_path[0] = '\0';  // abstract namespace
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    ::sendto(fd, state, std::strlen(state), 0, reinterpret_cast<sockaddr*>(&addr),
             static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
    ::close(fd);
}
// A server (and --dev) lists itself as an instance of service "muster" at its server port, as
// Consul servers register "consul": muster.service.<domain> lists the servers.
Result<void> register_server_service(api::Writer& writer, const config::Settings& s) {
    catalog::Node self = self_node(s);
    catalog::Service svc;
    svc.node = self.name;
    svc.id = "muster";
    svc.name = "muster";
    svc.port = s.server_port;
    std::promise<Result<uint64_t>> done;
    auto future = done.get_future();
    catalog::Register reg;
    reg.node = self;
    reg.service = std::move(svc);
    writer.submit({std::move(reg)}, [&done](Result<uint64_t> r) { done.set_value(std::move(r)); });
    if (auto r = future.get(); !r)
        return r.error();
    return {};
}
}  // namespace

resolver::Zones resolver_zones(const config::Settings& s) {
    resolver::Zones z;
    for (const auto& r : s.records)
        z.records.push_back({r.name, r.type, r.ttl, r.rdata});
    z.hosts_file = s.hosts_file;
    z.local_ttl = s.dns.local_ttl;
    for (const auto& r : s.recursors)
        z.upstream.upstreams.push_back(to_spec(r));
    if (s.recursors.empty())
        z.upstream.upstreams = system_upstreams(s.dns_addr);
    switch (s.dns.recursor_strategy) {
        case config::RecursorStrategy::sequential:
            z.upstream.strategy = resolver::Strategy::sequential;
            break;
        case config::RecursorStrategy::random:
            z.upstream.strategy = resolver::Strategy::random;
            break;
        case config::RecursorStrategy::fastest:
            z.upstream.strategy = resolver::Strategy::fastest;
            break;
    }
    z.upstream.timeout = s.dns.recursor_timeout;
    for (const auto& fz : s.dns.forward_zones) {
        resolver::ForwardZone f;
        f.zone = fz.zone;
        for (const auto& r : fz.recursors)
            f.upstreams.push_back(to_spec(r));
        z.forward_zones.push_back(std::move(f));
    }
    return z;
}

resolver::CatalogOptions catalog_options(const config::Settings& s,
                                         std::shared_ptr<const catalog::DnsSource> source) {
    resolver::CatalogOptions c;
    c.source = std::move(source);
    c.domain = s.domain;
    c.alt_domain = s.alt_domain;
    c.datacenter = s.datacenter;
    c.node_name = s.node_name;
    c.node_ttl = s.dns.node_ttl;
    for (const auto& rule : s.dns.service_ttl)
        c.service_ttl.push_back({rule.pattern, rule.ttl});
    c.only_passing = s.dns.only_passing;
    c.a_record_limit = s.dns.a_record_limit;
    c.forward_unknown_in_domain = s.dns.forward_unknown_in_domain;
    return c;
}

api::Options api_options(const config::Settings& s) {
    api::Options o;
    o.listen = s.http_addr;
    o.node_name = s.node_name;
    o.node_address = self_node(s).address;
    o.datacenter = s.datacenter;
    o.server = true;  // a single server until the Raft issue
    o.server_address = o.node_address + ":" + std::to_string(s.server_port);
    o.script_checks =
        s.enable_script_checks ? api::ScriptChecks::enabled : api::ScriptChecks::disabled;
    o.passing_filter =
        s.dns.only_passing ? catalog::HealthFilter::passing_only : catalog::HealthFilter::healthy;
    return o;
}

resolver::Options resolver_options(const config::Settings& s) {
    resolver::Options o;
    o.listen = s.dns_addr;
    o.workers = s.dns.workers ? s.dns.workers : std::max(1u, std::thread::hardware_concurrency());
    o.allow_recursion = s.dns.allow_recursion;
    const auto& c = s.dns.cache;
    o.cache = resolver::CacheOptions{.size = c.size,
                                     .min_ttl = c.min_ttl,
                                     .max_ttl = c.max_ttl,
                                     .negative_max_ttl = c.negative_max_ttl,
                                     .serve_stale = c.serve_stale,
                                     .stale_max_age = c.stale_max_age,
                                     .prefetch = c.prefetch};
    o.tcp_idle_timeout = s.dns.tcp_idle_timeout;
    o.tcp_max_connections = s.dns.tcp_max_connections;
    o.edns_udp_size = s.dns.edns_udp_size;
    o.tls_ca_file = s.tls_ca_file;
    o.zones = resolver_zones(s);
    return o;
}

namespace {

// The Raft server of `server: true`: its log in data_dir/raft, listening at the node's IPv4
// address (127.0.0.1 with --dev) on ports.server. A single server (bootstrap, or
// bootstrap_expect 1) is the leader once it has started; waits for that, bounded.
Result<std::unique_ptr<cluster::Node>> start_raft(const config::Settings& s,
                                                  cluster::StateMachine& state_machine) {
    const auto raft_dir = std::filesystem::path(s.data_dir) / "raft";
    std::error_code ec;
    bool has_state = std::filesystem::exists(raft_dir / "metadata1", ec) ||
                     std::filesystem::exists(raft_dir / "metadata2", ec);
    bool bootstrap = s.bootstrap || s.bootstrap_expect == 1;
    if (!has_state && !bootstrap && s.retry_join.empty())
        return make_error("server: " + raft_dir.string() +
                          " holds no Raft state: set bootstrap (a cluster of one), or "
                          "bootstrap_expect with retry_join (form a cluster), or retry_join "
                          "(join one)");
    std::string ip = s.dev ? "127.0.0.1" : self_node(s).address;
    if (!SockAddr::parse_ip(ip, 0) || ip.find(':') != std::string::npos)
        return make_error(
            "server: the Raft transport needs an IPv4 address; set bind_addr to "
            "one (got \"" +
            ip + "\")");
    cluster::NodeOptions o;
    o.dir = raft_dir.string();
    o.address = ip + ":" + std::to_string(s.server_port);
    if (bootstrap)
        o.bootstrap = {cluster::Peer{.id = 0, .address = o.address}};
    else
        o.bootstrap_expect = s.bootstrap_expect;
    if (!s.retry_join.empty()) {
        o.discover = [entries = s.retry_join, port = s.server_port] {
            return resolve_join_addresses(entries, {.default_port = port});
        };
    }
    o.retry_interval = s.retry_interval;
    o.election_timeout = s.raft_election_timeout;
    o.heartbeat_timeout = std::max(std::chrono::milliseconds(10), s.raft_election_timeout / 10);
    o.snapshot_threshold = s.raft_snapshot_threshold;
    o.snapshot_trailing = s.raft_trailing_logs;
    auto node = cluster::Node::start(o, state_machine);
    if (!node)
        return node.error();
    const auto deadline =
        std::chrono::steady_clock::now() + 4 * s.raft_election_timeout + std::chrono::seconds(2);
    // A cluster of one leads at once; a cluster of several elects (and forms) on its own time,
    // while DNS already answers from the local catalog.
    bool alone = has_state ? (*node)->status().voters.size() <= 1 : bootstrap;
    while (alone && (*node)->status().role != cluster::Role::leader) {
        if (std::chrono::steady_clock::now() >= deadline)
            return make_error("raft at " + o.address + " did not become the leader");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        alone = (*node)->status().voters.size() <= 1;
    }
    auto st = (*node)->status();
    logger.info("raft started",
                {{"id", std::to_string(st.id)},
                 {"address", o.address},
                 {"term", std::to_string(st.term)},
                 {"commit_index", std::to_string(st.commit_index)},
                 {"catalog_applied", std::to_string(state_machine.applied_index())}});
    return node;
}

}  // namespace

int run_agent(const config::LoadRequest& request) {
    auto settings = config::load(request);
    if (!settings) {
        std::fprintf(stderr, "%s\n", settings.error().message.c_str());
        return 2;
    }
    log::set_level(settings->log_level);
    ::signal(SIGPIPE, SIG_IGN);

    if (settings->data_dir.empty()) {
        std::fprintf(stderr,
                     "muster: data_dir: expected a directory for the catalog (set data_dir or "
                     "--data-dir, or use --dev)\n");
        return 2;
    }
    auto dir_lock = DirLock::acquire(settings->data_dir);
    if (!dir_lock) {
        logger.error("cannot start", {{"error", dir_lock.error().message}});
        return 1;
    }
    // A server's catalog is rebuilt from the Raft log, so it need not fsync (MDB_NOSYNC).
    auto opened =
        catalog::Store::open({.dir = settings->data_dir,
                              .durability = settings->server ? catalog::Durability::no_sync
                                                             : catalog::Durability::sync});
    if (!opened) {
        logger.error("cannot open the catalog", {{"error", opened.error().message}});
        return 1;
    }
    std::shared_ptr<catalog::Store> store = std::move(opened).value();
    CatalogStateMachine state_machine(*store);
    std::unique_ptr<cluster::Node> raft;
    std::unique_ptr<api::Writer> writer_ptr;
    if (settings->server) {
        auto started = start_raft(*settings, state_machine);
        if (!started) {
            logger.error("cannot start raft", {{"error", started.error().message}});
            return 1;
        }
        raft = std::move(started).value();
        writer_ptr = std::make_unique<RaftWriter>(*raft);
    } else {
        writer_ptr = std::make_unique<api::LocalWriter>(*store);
    }
    api::Writer& writer = *writer_ptr;
    std::unique_ptr<NodeClusterView> cluster_view;
    if (raft)
        cluster_view = std::make_unique<NodeClusterView>(*raft, writer, settings->node_name);
    const std::filesystem::path data_dir(settings->data_dir);
    EventLoop loop;  // the main loop: signals, reloads, stopping

    // Health checks run on a thread of their own: a slow check never delays DNS or HTTP.
    EventLoop checks_loop;
    checks::MonitorOptions monitor_options;
    monitor_options.node = settings->node_name;
    monitor_options.check_update_interval = settings->check_update_interval;
    monitor_options.ttl_state_file = data_dir / "ttl-checks.json";
    monitor_options.ca_file = settings->tls_ca_file;
    WriterSink sink(writer);
    auto monitor = std::make_unique<checks::Monitor>(checks_loop, monitor_options, sink, *store);
    AgentChecks agent_checks(*monitor, data_dir / "api-checks.json");
    monitor->on_service_reaped([&agent_checks](const std::string& service_id) {
        agent_checks.service_reaped(service_id);
    });

    // The agent's node and config services (and a server's "muster" instance), then the checks.
    // A TTL check starts from the state its last run saved (critical when that TTL ran out
    // while the agent was stopped), not from a status the catalog kept.
    RestoredStatus restored;
    {
        auto saved = checks::TtlStateFile(monitor_options.ttl_state_file).load();
        auto wall = std::chrono::system_clock::now();
        for (const auto& [id, state] : saved)
            if (auto r = checks::restored_ttl_status(saved, id, wall))
                restored.emplace(id, *r);
    }
    auto register_self = [&]() -> Result<ConfigRegistrations> {
        auto synced =
            sync_config_registrations(writer, *settings, {}, *store->snapshot(), restored);
        if (!synced)
            return make_error("cannot register the config services: " + synced.error().message);
        if (settings->server)
            if (auto r = register_server_service(writer, *settings); !r)
                return make_error("cannot register the muster service: " + r.error().message);
        return synced;
    };
    auto run_checks = [&](const ConfigRegistrations& regs) {
        // The checks an earlier run took through the API first: sync_config saves that list.
        if (auto r = agent_checks.restore(*store->snapshot(), settings->node_name); !r)
            logger.error("checks registered through the API not restored",
                         {{"error", r.error().message}});
        agent_checks.sync_config(regs.checks, regs.statuses);
    };
    ConfigRegistrations config_regs;
    // Standalone, or a cluster of one: at once, so the first DNS answer already has them. A
    // server of a cluster that has no leader yet registers in the background (below).
    bool registered = !raft || raft->status().role == cluster::Role::leader;
    if (registered) {
        auto r = register_self();
        if (!r) {
            logger.error("cannot start", {{"error", r.error().message}});
            return 1;
        }
        config_regs = std::move(r).value();
        run_checks(config_regs);
    }
    std::thread checks_thread([&] { checks_loop.run(); });
    auto stop_checks = [&] {
        checks_loop.stop();
        checks_thread.join();
        monitor.reset();  // the loop is not running: kills running scripts
    };

    EventLoop api_loop;
    api::Options api_opts = api_options(*settings);
    api_opts.cluster = cluster_view.get();
    api::ApiServer api(api_loop, api_opts, *store, writer, &agent_checks);
    api.on_leave([&loop] {
        logger.info("left the cluster (PUT /v1/agent/leave): stopping");
        loop.post([&loop] { loop.stop(); });
    });
    if (auto r = api.start(); !r) {
        logger.error("cannot start the HTTP API", {{"error", r.error().message}});
        stop_checks();
        return 1;
    }
    std::thread api_thread([&] { api_loop.run(); });
    auto stop_api = [&] {
        api_loop.post([&] {
            api.stop();
            api_loop.stop();
        });
        api_thread.join();
    };
    resolver::Options options = resolver_options(*settings);
    options.catalog = catalog_options(*settings, store);
    resolver::Resolver dns(options);
    if (auto r = dns.start(); !r) {
        logger.error("cannot start", {{"error", r.error().message}});
        stop_api();
        stop_checks();
        return 1;
    }
    logger.info("agent running", {{"node", settings->node_name},
                                  {"datacenter", settings->datacenter},
                                  {"data_dir", settings->data_dir}});

    auto stop = [&] {
        notify("STOPPING=1");
        if (cluster_view && settings->leave_on_terminate) {
            // Leave for good first (bounded): the others stop counting this server as a voter.
            auto left = std::make_shared<std::promise<Result<void>>>();
            auto future = left->get_future();
            cluster_view->leave([left](Result<void> r) { left->set_value(std::move(r)); });
            if (future.wait_for(std::chrono::seconds(15)) != std::future_status::ready)
                logger.error("leave_on_terminate: leaving the cluster timed out");
            else if (auto r = future.get(); !r)
                logger.error("leave_on_terminate: leaving the cluster failed",
                             {{"error", r.error().message}});
            else
                logger.info("left the cluster (leave_on_terminate)");
        }
        logger.info("stopping: finishing in-flight queries");
        loop.stop();
    };
    SignalWatcher term(loop, SIGTERM, stop);
    SignalWatcher intr(loop, SIGINT, stop);
    // Reloads keep the data dir the agent started with (--dev must not make a new one).
    config::LoadRequest reload_request = request;
    if (!settings->data_dir.empty())
        reload_request.overrides.emplace_back("data_dir", settings->data_dir);
    SignalWatcher hup(loop, SIGHUP, [&] {
        // A reload reads every source again; a bad one changes nothing (the old config stays).
        notify("RELOADING=1");
        auto next = config::load(reload_request);
        if (!next) {
            notify("READY=1");
            logger.error("reload failed; keeping the running configuration",
                         {{"error", next.error().message}});
            return;
        }
        if (auto r = dns.reload(resolver_zones(*next)); !r) {
            logger.error("reload failed; keeping the running configuration",
                         {{"error", r.error().message}});
            notify("READY=1");
            return;
        }
        if (auto r = sync_config_registrations(writer, *next, config_regs, *store->snapshot());
            !r) {
            logger.error("reload: config services not updated", {{"error", r.error().message}});
        } else {
            config_regs = std::move(r).value();
            agent_checks.sync_config(config_regs.checks, config_regs.statuses);
        }
        logger.info("reloaded records, hosts file, recursors and config services");
        notify("READY=1");
    });
    // A server whose cluster has no leader yet registers its node once there is one.
    std::atomic<bool> shutting_down{false};
    std::thread registrar;
    if (!registered) {
        registrar = std::thread([&] {
            while (!shutting_down) {
                auto r = register_self();
                if (r) {
                    logger.info("registered this node with the cluster");
                    loop.post([&, regs = std::move(r).value()] {
                        config_regs = regs;
                        run_checks(config_regs);
                    });
                    return;
                }
                logger.info("waiting for a cluster leader to register this node",
                            {{"error", r.error().message}});
                auto until = std::chrono::steady_clock::now() + settings->retry_interval;
                while (!shutting_down && std::chrono::steady_clock::now() < until)
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        });
    }
    notify("READY=1");
    loop.run();
    shutting_down = true;
    if (registrar.joinable())
        registrar.join();
    dns.stop(options.zones.upstream.timeout + std::chrono::seconds(1));
    stop_api();
    stop_checks();
    raft.reset();  // after every writer: nothing submits any more
    if (settings->data_dir_temporary) {
        std::error_code ec;
        std::filesystem::remove_all(settings->data_dir, ec);
    }
    logger.info("stopped");
    return 0;
}

}  // namespace muster::app
