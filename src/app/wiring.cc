// Option → module wiring: one function per module's Options, from config::Settings.
#include "app/wiring.hh"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/agent_catalog.hh"
#include "app/join_addresses.hh"
#include "common/address.hh"
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

std::vector<resolver::Listener> dns_listeners(const config::Settings& s) {
    std::vector<resolver::Listener> listen;
    for (const auto& l : s.dns.listeners)
        listen.push_back({.addr = l.addr, .recursion = l.recursion});
    return listen;
}

// With no recursors configured, use the host's own nameservers (as dnsmasq does), except
// those that are muster itself.
std::vector<resolver::UpstreamSpec> system_upstreams(
    const std::vector<resolver::Listener>& listen) {
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
        z.upstream.upstreams = system_upstreams(dns_listeners(s));
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
    c.additional_node_meta_txt = s.dns.additional_node_meta_txt;
    c.a_record_limit = s.dns.a_record_limit;
    c.forward_unknown_in_domain = s.dns.forward_unknown_in_domain;
    c.max_stale = s.dns.max_stale;
    return c;
}

api::Options api_options(const config::Settings& s) {
    api::Options o;
    o.listen = s.http_addr;
    if (s.https_port != 0) {
        o.https_listen = s.https_addr;
        o.https_tls = TlsServerOptions{
            .cert_file = s.agent_tls.cert_file,
            .key_file = s.agent_tls.key_file,
            .ca_file = s.agent_tls.ca_file,
            .client_certs =
                s.agent_tls.verify_incoming ? TlsClientCerts::required : TlsClientCerts::not_asked,
        };
    }
    o.node_name = s.node_name;
    o.node_address = self_node(s).address;
    o.datacenter = s.datacenter;
    o.server = s.server;
    o.server_service_name = s.server_service_name;
    o.node_meta = s.node_meta;
    o.server_address = o.node_address + ":" + std::to_string(s.server_port);
    o.script_checks =
        s.enable_script_checks ? api::ScriptChecks::enabled : api::ScriptChecks::disabled;
    o.ui = s.ui_enabled ? api::Ui::enabled : api::Ui::disabled;
    o.passing_filter =
        s.dns.only_passing ? catalog::HealthFilter::passing_only : catalog::HealthFilter::healthy;
    return o;
}

resolver::Options resolver_options(const config::Settings& s) {
    resolver::Options o;
    o.listen = dns_listeners(s);
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

checks::MonitorOptions monitor_options(const config::Settings& s) {
    checks::MonitorOptions o;
    o.node = s.node_name;
    o.check_update_interval = s.check_update_interval;
    o.ttl_state_file = std::filesystem::path(s.data_dir) / "ttl-checks.json";
    o.ca_file = s.tls_ca_file;
    return o;
}

Result<cluster::RaftServerOptions> raft_options(const config::Settings& s, bool has_state) {
    const auto raft_dir = std::filesystem::path(s.data_dir) / "raft";
    const bool bootstrap = s.bootstrap || s.bootstrap_expect == 1;
    if (!has_state && !bootstrap && s.retry_join.empty())
        return make_error("server: " + raft_dir.string() +
                          " holds no Raft state: set bootstrap (a cluster of one), or "
                          "bootstrap_expect with retry_join (form a cluster), or retry_join "
                          "(join one)");
    // Other servers dial the advertised address; the transport listens at the first bind_addr
    // (all interfaces for 0.0.0.0, as Consul does). Without advertise_addr and with a specific
    // bind_addr the two are the same; --dev stays on loopback.
    std::string ip = s.dev && !s.advertise_addr ? "127.0.0.1" : self_node(s).address;
    std::string bind_ip = s.dev ? "127.0.0.1" : "0.0.0.0";
    if (!s.bind_addr.empty() && !s.bind_addr.front().is_unspecified())
        bind_ip = s.bind_addr.front().ip_string();
    for (const auto& [key, value] : {std::pair{"advertise_addr", ip}, {"bind_addr", bind_ip}})
        if (!SockAddr::parse_ip(value, 0) || value.find(':') != std::string::npos)
            return make_error(std::string("server: the Raft transport needs an IPv4 address; "
                                          "set ") +
                              key + " to one (got \"" + value + "\")");
    cluster::RaftServerOptions o;
    o.dir = raft_dir.string();
    o.address = ip + ":" + std::to_string(s.server_port);
    o.bind = bind_ip + ":" + std::to_string(s.server_port);
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
    o.node = s.node_name;
    o.node_address = ip;
    o.election_timeout = s.raft_election_timeout;
    o.heartbeat_timeout = std::max(std::chrono::milliseconds(10), s.raft_election_timeout / 10);
    o.snapshot_threshold = s.raft_snapshot_threshold;
    o.snapshot_trailing = s.raft_trailing_logs;
    o.security = link_security(s);
    return o;
}

cluster::LinkSecurity link_security(const config::Settings& s) {
    const auto& t = s.agent_tls;
    std::string domain = s.domain.to_text();
    if (!domain.empty() && domain.back() == '.')
        domain.pop_back();
    return {.key = s.encrypt_key,
            .verify_incoming = s.encrypt_verify_incoming,
            .verify_outgoing = s.encrypt_verify_outgoing,
            .ca_file = t.ca_file,
            .cert_file = t.cert_file,
            .key_file = t.key_file,
            .tls_verify_incoming = t.verify_incoming,
            .tls_verify_outgoing = t.verify_outgoing || t.verify_server_hostname,
            .server_name = t.verify_server_hostname ? "server." + s.datacenter + "." + domain : ""};
}

bool client_agent(const config::Settings& s) {
    return !s.server && !s.retry_join.empty();
}

cluster::ReplicaOptions replica_options(const config::Settings& s) {
    cluster::ReplicaOptions o;
    o.node = s.node_name;
    o.address = self_node(s).address;
    o.discover = [entries = s.retry_join, port = s.server_port] {
        return resolve_join_addresses(entries, {.default_port = port});
    };
    o.retry_interval = s.retry_interval;
    o.retry_max = s.retry_max;
    // The leader's member timeout (5 s) must outlast a move to another server: silence for
    // server_timeout, a dial, and the new server's next report (every 500 ms).
    o.heartbeat_interval = std::chrono::milliseconds(500);
    o.server_timeout = std::chrono::milliseconds(2500);
    o.security = link_security(s);
    return o;
}

}  // namespace muster::app
