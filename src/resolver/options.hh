// resolver::Options: everything the resolver needs, filled by app/ from config::Settings.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/address.hh"
#include "dns/name.hh"
#include "resolver/upstream_channel.hh"

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

struct Options {
    std::vector<SockAddr> listen;  // each with its port; UDP and TCP
    unsigned workers = 1;
    std::vector<Cidr> allow_recursion;
    CacheOptions cache;
    std::chrono::milliseconds tcp_idle_timeout{10000};
    unsigned tcp_max_connections = 1024;  // across all workers
    uint16_t edns_udp_size = 1232;
    std::string tls_ca_file;  // "" = the system CA bundle
    Zones zones;
};

}  // namespace muster::resolver
