// resolver::Options: everything the resolver needs, filled by app/ from config::Settings.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/address.hh"
#include "dns/name.hh"
#include "resolver/upstream_channel.hh"

namespace muster::catalog {
class DnsSource;
}

namespace muster::resolver {

struct CacheOptions {
    uint64_t size = 10000;  // entries
    std::chrono::seconds min_ttl{0};
    std::chrono::seconds max_ttl{86400};
    std::chrono::seconds negative_max_ttl{3600};
    bool serve_stale = true;                    // RFC 8767
    std::chrono::seconds stale_max_age{86400};  // how long past expiry an answer may be served
    bool prefetch = true;                       // refresh popular entries before they expire
};

enum class Strategy { sequential, random, fastest };

struct UpstreamOptions {
    std::vector<UpstreamSpec> upstreams;
    Strategy strategy = Strategy::sequential;
    std::chrono::milliseconds timeout{2000};  // the whole budget of one query, failover included
};

struct ForwardZone {
    dns::Name zone;
    std::vector<UpstreamSpec> upstreams;
};

struct LocalRecord {
    dns::Name name;
    uint16_t type = 0;
    uint32_t ttl = 0;
    std::vector<uint8_t> rdata;
};

// The parts SIGHUP may replace while running.
struct Zones {
    std::vector<LocalRecord> records;
    std::string hosts_file;  // read on start and on every reload
    uint32_t local_ttl = 0;
    UpstreamOptions upstream;
    std::vector<ForwardZone> forward_zones;
};

// The TTL of a service's answers: pattern is an exact service name, "prefix*" or "*".
struct TtlRule {
    std::string pattern;
    std::chrono::seconds ttl{0};
};

// The catalog zone (docs/design.md "DNS names"): nodes, services, addresses and their PTRs under
// `domain` (and `alt_domain`), answered authoritatively from the catalog store.
struct CatalogOptions {
    std::shared_ptr<const catalog::DnsSource> source;  // null: no catalog zone
    dns::Name domain = default_catalog_domain();
    std::optional<dns::Name> alt_domain;
    std::string datacenter = "dc1";
    std::string node_name;  // this agent's node
    std::chrono::seconds node_ttl{0};
    std::vector<TtlRule> service_ttl;  // exact name, then longest "prefix*", then "*", else 0
    bool only_passing = false;         // hide warning instances too (critical ones always are)
    bool additional_node_meta_txt = true;  // a node's A/AAAA answer carries its meta as TXT
    unsigned a_record_limit = 0;       // most A/AAAA records per answer; 0 = no limit
    // A name under the domain that is not of the grammar: forwarded (true) or NXDOMAIN.
    bool forward_unknown_in_domain = true;
    // A client agent's replica: when a server last spoke (steady_clock ms since its epoch),
    // kept by the agent. Once that is more than max_stale ago, catalog answers carry EDE 3
    // (Stale Answer). Null or max_stale 0: never stale.
    std::shared_ptr<const std::atomic<int64_t>> replica_contact_ms;
    std::chrono::milliseconds max_stale{0};

    static dns::Name default_catalog_domain() {
        dns::Name n;
        constexpr uint8_t wire[] = {8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0};
        n.assign_wire(wire);
        return n;
    }
};

// One address and port served over UDP and TCP, with its policy.
struct Listener {
    SockAddr addr;
    // false: only names muster owns (local data, the catalog) are answered; everything else
    // is REFUSED whatever the client (the port other servers forward the domain to).
    bool recursion = true;
};

struct Options {
    std::vector<Listener> listen;
    unsigned workers = 1;
    std::vector<Cidr> allow_recursion;
    CacheOptions cache;
    std::chrono::milliseconds tcp_idle_timeout{10000};
    unsigned tcp_max_connections = 1024;  // across all workers
    uint16_t edns_udp_size = 1232;
    std::string tls_ca_file;  // "" = the system CA bundle
    Zones zones;
    CatalogOptions catalog;
};

}  // namespace muster::resolver
