// The DNS side's metrics: merging the workers' counts and naming them for Prometheus.
#include "resolver/metrics.hh"

#include "resolver/cache.hh"

namespace muster::resolver {
namespace {

using metrics::Type;

constexpr std::array<const char*, 16> rcode_names = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "RCODE11",  "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};
// Always written, so that rate() starts at zero; the others once they occur.
constexpr bool common_rcode(size_t rcode) {
    return rcode <= 5;
}

double as_double(uint64_t n) {
    return static_cast<double>(n);
}

void add_listener_families(metrics::Families& out, const DnsMetrics& dns) {
    auto& queries = out.family("muster_dns_queries_total",
                               "DNS queries answered, by listener and by how the answer was made",
                               Type::counter);
    auto& responses = out.family("muster_dns_responses_total",
                                 "DNS answers sent, by listener and rcode", Type::counter);
    auto& truncated = out.family("muster_dns_truncated_total",
                                 "DNS answers sent with the TC bit, by listener", Type::counter);
    auto& latency =
        out.family("muster_dns_answer_duration_seconds",
                   "Time from taking a DNS query to its answer, by listener", Type::histogram);
    for (const auto& l : dns.listeners) {
        for (size_t s = 0; s < answer_source_count; ++s)
            queries.add(as_double(l.answers[s]),
                        {{"listener", l.label},
                         {"answer", answer_source_name(static_cast<AnswerSource>(s))}});
        for (size_t rc = 0; rc < l.rcodes.size(); ++rc)
            if (common_rcode(rc) || l.rcodes[rc] > 0)
                responses.add(as_double(l.rcodes[rc]),
                              {{"listener", l.label}, {"rcode", rcode_names[rc]}});
        truncated.add(as_double(l.truncated), {{"listener", l.label}});
        latency.add(l.latency, {{"listener", l.label}});
    }
    out.family("muster_dns_malformed_total", "DNS queries answered FORMERR", Type::counter)
        .add(as_double(dns.formerr));
    out.family("muster_dns_dropped_total",
               "DNS queries dropped unanswered: unparseable, or no free query slot", Type::counter)
        .add(as_double(dns.dropped));
    out.family("muster_dns_tcp_rejected_total", "TCP connections refused at the connection limit",
               Type::counter)
        .add(as_double(dns.tcp_rejected));
}

void add_upstream_families(metrics::Families& out, const DnsMetrics& dns) {
    auto& queries = out.family("muster_upstream_queries_total",
                               "Queries sent to an upstream (each attempt)", Type::counter);
    auto& failures =
        out.family("muster_upstream_failures_total",
                   "Attempts at an upstream that failed, timeouts included", Type::counter);
    auto& timeouts = out.family("muster_upstream_timeouts_total",
                                "Attempts at an upstream that timed out", Type::counter);
    auto& connects = out.family("muster_upstream_connections_total",
                                "TCP and TLS connections opened to an upstream (for TLS: full or "
                                "resumed handshakes)",
                                Type::counter);
    auto& resumed =
        out.family("muster_upstream_tls_resumed_total",
                   "TLS handshakes with an upstream that resumed a session", Type::counter);
    auto& connect_failures =
        out.family("muster_upstream_connect_failures_total",
                   "Connection attempts to an upstream that failed (TLS included)", Type::counter);
    auto& reused =
        out.family("muster_upstream_connection_reuse_ratio",
                   "Queries per connection opened to a TCP or TLS upstream (0 for UDP upstreams)",
                   Type::gauge);
    auto& dropped =
        out.family("muster_upstream_replies_dropped_total",
                   "Replies from an upstream that matched no outstanding query (spoofing signal)",
                   Type::counter);
    auto& rtt = out.family("muster_upstream_rtt_seconds", "Round trip of answered attempts",
                           Type::histogram);
    auto& up = out.family("muster_upstream_up",
                          "1 while the health counters hold the upstream up, 0 when marked down",
                          Type::gauge);
    for (const auto& u : dns.upstreams) {
        std::vector<metrics::Label> labels = {{"upstream", u.upstream}, {"zone", u.zone}};
        queries.add(as_double(u.queries), labels);
        failures.add(as_double(u.failures), labels);
        timeouts.add(as_double(u.timeouts), labels);
        connects.add(as_double(u.connects), labels);
        resumed.add(as_double(u.tls_resumed), labels);
        connect_failures.add(as_double(u.connect_failures), labels);
        reused.add(u.connects == 0 ? 0 : as_double(u.queries) / as_double(u.connects), labels);
        dropped.add(as_double(u.dropped_replies), labels);
        rtt.add(u.rtt, labels);
        up.add(u.up ? 1 : 0, labels);
    }
}

void add_cache_families(metrics::Families& out, const Cache& cache) {
    const Cache::Stats& s = cache.stats();
    auto load = [](const std::atomic<uint64_t>& n) {
        return as_double(n.load(std::memory_order_relaxed));
    };
    out.family("muster_cache_entries", "Answers in the cache", Type::gauge)
        .add(as_double(cache.size()));
    out.family("muster_cache_capacity", "The most answers the cache keeps", Type::gauge)
        .add(as_double(cache.capacity()));
    out.family("muster_cache_hits_total", "Queries answered fresh from the cache", Type::counter)
        .add(load(s.hits));
    out.family("muster_cache_misses_total", "Cache lookups that found no fresh answer",
               Type::counter)
        .add(load(s.misses));
    out.family("muster_cache_stale_served_total",
               "Stale answers served because no upstream answered (RFC 8767)", Type::counter)
        .add(load(s.stale_hits));
    out.family("muster_cache_inserts_total", "Answers stored in the cache", Type::counter)
        .add(load(s.inserts));
    out.family("muster_cache_evictions_total", "Answers pushed out by the size bound",
               Type::counter)
        .add(load(s.evictions));
    out.family("muster_cache_prefetches_total", "Refreshes started ahead of expiry", Type::counter)
        .add(load(s.prefetches));
}

}  // namespace

const char* answer_source_name(AnswerSource s) {
    switch (s) {
        case AnswerSource::catalog:
            return "catalog";
        case AnswerSource::local:
            return "local";
        case AnswerSource::cache:
            return "cache";
        case AnswerSource::forwarded:
            return "forwarded";
        case AnswerSource::stale:
            return "stale";
        case AnswerSource::refused:
            return "refused";
        case AnswerSource::error:
            return "error";
    }
    return "error";
}

void UpstreamMetrics::merge(const UpstreamMetrics& other) {
    up = up && other.up;
    queries += other.queries;
    failures += other.failures;
    timeouts += other.timeouts;
    connects += other.connects;
    tls_resumed += other.tls_resumed;
    connect_failures += other.connect_failures;
    dropped_replies += other.dropped_replies;
    rtt += other.rtt;
}

void DnsMetrics::add_upstream(const UpstreamMetrics& u) {
    for (auto& row : upstreams) {
        if (row.zone == u.zone && row.upstream == u.upstream) {
            row.merge(u);
            return;
        }
    }
    upstreams.push_back(u);
}

void add_families(metrics::Families& out, const DnsMetrics& dns, const Cache& cache) {
    add_listener_families(out, dns);
    add_cache_families(out, cache);
    add_upstream_families(out, dns);
}

}  // namespace muster::resolver
