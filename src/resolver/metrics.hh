// The DNS side's metrics: what each worker counts per listener (without a lock or an
// allocation), what a scrape gathers from every worker, and its Prometheus families.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/metrics.hh"
#include "resolver/query_context.hh"

namespace muster::resolver {

class Cache;

// One listener's counters in one worker; only that worker writes them.
struct ListenerMetrics {
    std::array<metrics::LocalCounter, answer_source_count> answers;  // by AnswerSource
    std::array<metrics::LocalCounter, 16> rcodes;                    // by the header's RCODE
    metrics::LocalCounter truncated;                                 // answers sent with TC
    metrics::LatencyHistogram latency;  // from taking the query to its answer
};

// One upstream of one set (the recursors or a forward zone), summed over the workers.
struct UpstreamMetrics {
    std::string upstream;  // UpstreamSpec::label
    std::string zone;      // "." for the recursors, else the forward zone
    bool up = true;        // not marked down by the health counters (in every worker)
    uint64_t queries = 0, failures = 0, timeouts = 0;
    uint64_t connects = 0, tls_resumed = 0, connect_failures = 0, dropped_replies = 0;
    metrics::HistogramSnapshot rtt;

    // Adds a worker's counts of the same upstream.
    void merge(const UpstreamMetrics& other);
};

// What a scrape gathered from every worker.
struct DnsMetrics {
    struct Listener {
        std::string label;  // "address:port"
        bool recursion = true;
        std::array<uint64_t, answer_source_count> answers{};
        std::array<uint64_t, 16> rcodes{};
        uint64_t truncated = 0;
        metrics::HistogramSnapshot latency;
    };
    std::vector<Listener> listeners;
    std::vector<UpstreamMetrics> upstreams;
    uint64_t formerr = 0, dropped = 0, tcp_rejected = 0;

    // Adds one upstream's counts (merged with a row of the same zone and upstream).
    void add_upstream(const UpstreamMetrics& u);
};

// The Prometheus families of the DNS answers, upstreams and cache.
void add_families(metrics::Families& out, const DnsMetrics& dns, const Cache& cache);

}  // namespace muster::resolver
