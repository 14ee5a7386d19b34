// Settings: the validated result of loading every config source. Plain data owned by config/;
// app/ maps it onto each module's Options so modules never depend on the config parser.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/definition.hh"
#include "common/address.hh"
#include "common/log.hh"
#include "dns/name.hh"

namespace muster::config {

enum class Transport { udp, tcp, tls };

// One upstream: "tls://IP[:853]#auth-name", "tcp://IP[:53]", "udp://IP[:53]", "IP[:53]".
struct Recursor {
    Transport transport = Transport::udp;
    SockAddr addr;
    std::string tls_name;  // tls only: the name the certificate must carry (RFC 7858 §4.2)
    std::string text;      // as written, for logs
    bool operator==(const Recursor&) const = default;
};
// Parses one recursor URI; the error says what was expected.
Result<Recursor> parse_recursor(std::string_view text);

enum class RecursorStrategy { sequential, random, fastest };

struct Record {
    dns::Name name;
    uint16_t type = 0;
    std::vector<uint8_t> rdata;  // wire form
    uint32_t ttl = 0;
    std::string text;  // "name TYPE value" for logs
    bool operator==(const Record&) const = default;
};

struct ForwardZone {
    dns::Name zone;
    std::vector<Recursor> recursors;
    bool operator==(const ForwardZone&) const = default;
};

struct CacheSettings {
    uint64_t size = 10000;  // entries
    std::chrono::seconds min_ttl{0};
    std::chrono::seconds max_ttl{86400};
    std::chrono::seconds negative_max_ttl{3600};
    bool serve_stale = true;
    std::chrono::seconds stale_max_age{86400};  // how long past expiry an entry may be served
    bool prefetch = true;
    bool operator==(const CacheSettings&) const = default;
};

// One dns_config.service_ttl entry. Consul's lookup: an exact service name wins, then the
// longest matching "prefix*", then "*".
struct ServiceTtl {
    std::string pattern;          // a service name, "prefix*", or "*"
    std::chrono::seconds ttl{0};  // at most 2^31 - 1 (RFC 2181 §8)
    bool operator==(const ServiceTtl&) const = default;
};

// One DNS listener (UDP and TCP): dns_config.listeners, or each of addresses.dns at ports.dns.
struct DnsListener {
    SockAddr addr;          // with its port
    bool recursion = true;  // false: only names muster owns; REFUSED for the rest
    bool operator==(const DnsListener&) const = default;
};

struct DnsSettings {
    unsigned workers = 0;  // 0: one per core
    // Where DNS is served: dns_config.listeners, else addresses.dns at ports.dns (recursion).
    std::vector<DnsListener> listeners;
    std::vector<Cidr> allow_recursion;  // default 127.0.0.0/8 and ::1
    std::chrono::milliseconds recursor_timeout{2000};
    RecursorStrategy recursor_strategy = RecursorStrategy::sequential;
    std::vector<ForwardZone> forward_zones;
    CacheSettings cache;
    std::chrono::milliseconds tcp_idle_timeout{10000};
    unsigned tcp_max_connections = 1024;
    uint16_t edns_udp_size = 1232;
    uint32_t local_ttl = 0;  // default TTL of records without "ttl" and of hosts-file names

    // Catalog answers (<node>.node.<domain>, <service>.service.<domain>, ...).
    std::chrono::seconds node_ttl{0};        // TTL of node answers, at most 2^31 - 1
    std::vector<ServiceTtl> service_ttl;     // in the order first given; none: TTL 0
    std::chrono::milliseconds max_stale{0};  // client agents: EDE 3 after this without a server
    bool only_passing = false;               // leave out instances with a warning check too
    bool additional_node_meta_txt = true;    // node_meta TXT in A/AAAA answers' additional
    unsigned a_record_limit = 0;             // most A/AAAA records per answer; 0: no limit
    bool forward_unknown_in_domain = true;   // names in the domain that are not catalog names
    bool operator==(const DnsSettings&) const = default;
};

// The agent's own mutual TLS (tls.defaults, tls.internal_rpc, and Consul's top-level aliases).
struct AgentTls {
    std::string ca_file;
    std::string cert_file;
    std::string key_file;  // a secret's path (or the systemd credential key_file)
    bool verify_incoming = false;
    bool verify_outgoing = false;
    bool verify_server_hostname = false;  // implies verify_outgoing
    bool configured() const { return !ca_file.empty() || !cert_file.empty() || !key_file.empty(); }
    bool operator==(const AgentTls&) const = default;
};

struct Settings {
    std::string node_name;  // default: short hostname
    std::string datacenter = "dc1";
    dns::Name domain;                     // default "internal."
    std::optional<dns::Name> alt_domain;  // a second domain answered like domain
    std::string data_dir;
    std::string pid_file;                          // "" for none
    std::map<std::string, std::string> node_meta;  // this node's NodeMeta (node_meta)
    bool data_dir_temporary = false;  // made by --dev: the agent removes it when it stops
    log::Level log_level = log::Level::info;
    bool dev = false;
    bool ui_enabled = false;  // ui_config.enabled: the web UI at /ui/ (true with --dev)

    std::vector<SockAddr> client_addr;  // resolved templates; port 0
    std::vector<SockAddr> bind_addr;
    std::optional<SockAddr> advertise_addr;  // port 0; unset: derived (see app::self_node)
    std::vector<SockAddr> dns_addr;          // addresses.dns, default client_addr; port = ports.dns
    std::vector<SockAddr> http_addr;   // addresses.http, default client_addr; port = ports.http
    std::vector<SockAddr> https_addr;  // addresses.https, default client_addr; port = ports.https
    uint16_t https_port = 0;           // 0: no HTTPS listener
    uint16_t dns_port = 8600;
    uint16_t http_port = 8500;
    uint16_t server_port = 8300;

    bool server = false;  // catalog writes go through the Raft log (true with --dev)
    std::string server_service_name = "consul";  // the service a server registers for itself
    bool bootstrap = false;         // a cluster of one on first start (true with --dev)
    unsigned bootstrap_expect = 0;  // 0: do not bootstrap; only 1 is built so far
    std::chrono::milliseconds raft_election_timeout{500};  // a new leader within ~1 s
    unsigned raft_snapshot_threshold = 16384;  // Raft entries between snapshots (Consul's)
    unsigned raft_trailing_logs = 10240;       // entries kept behind a snapshot (Consul's)
    std::vector<std::string> retry_join;       // as written: IPv4[:port], name[:port], exec:COMMAND
    std::chrono::milliseconds retry_interval{5000};
    std::chrono::milliseconds reconnect_timeout{std::chrono::hours(72)};  // failed -> removed
    unsigned retry_max = 0;                  // client rounds that reached no server; 0: forever
    std::optional<bool> leave_on_terminate;  // unset: true on a client agent, false on a server
    // The cluster key (encrypt, encrypt_file or the systemd credential "encrypt"), decoded;
    // empty: none. A secret: never logged or shown.
    std::vector<uint8_t> encrypt_key;
    bool encrypt_verify_incoming = true;
    AgentTls agent_tls;
    bool encrypt_verify_outgoing = true;
    // Things worth saying that are not errors (e.g. a secret file others can read); the agent
    // logs them at start, muster validate prints them.
    std::vector<std::string> warnings;

    std::vector<Recursor> recursors;
    std::string tls_ca_file;  // extra CA bundle for DoT upstreams (system bundle otherwise)
    DnsSettings dns;
    std::vector<Record> records;
    std::string hosts_file;

    // service, services, check, checks: validated definitions in the order given over all
    // sources (service/services and check/checks append).
    std::vector<catalog::ServiceDefinition> services;
    std::vector<catalog::CheckDefinition> checks;
    bool enable_local_script_checks = false;  // script checks from config files
    bool enable_script_checks = false;        // script checks from config files and the API
    std::chrono::milliseconds check_update_interval{std::chrono::minutes(5)};

    std::vector<std::string> sources;  // the files read, in order
    // Field by field; the option table test compares a loaded config with the defaults.
    bool operator==(const Settings&) const = default;
};

}  // namespace muster::config
