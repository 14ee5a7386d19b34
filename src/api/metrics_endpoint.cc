// The metrics endpoints: prometheus-cpp's text serializer over our own families, and Consul's
// JSON shape.
#include "api/metrics_endpoint.hh"

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "api/endpoints.hh"

namespace muster::api {
namespace {

using nlohmann::json;

prometheus::MetricType prometheus_type(metrics::Type t) {
    switch (t) {
        case metrics::Type::counter:
            return prometheus::MetricType::Counter;
        case metrics::Type::gauge:
            return prometheus::MetricType::Gauge;
        case metrics::Type::histogram:
            return prometheus::MetricType::Histogram;
    }
    return prometheus::MetricType::Untyped;
}

prometheus::ClientMetric::Histogram prometheus_histogram(const metrics::HistogramSnapshot& h) {
    prometheus::ClientMetric::Histogram out;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        double bound = i < metrics::latency_bounds.size() ? metrics::latency_bounds[i]
                                                          : std::numeric_limits<double>::infinity();
        out.bucket.push_back({.cumulative_count = cumulative, .upper_bound = bound});
    }
    out.sample_count = cumulative;
    out.sample_sum = h.sum_seconds;
    return out;
}

prometheus::MetricFamily prometheus_family(const metrics::Family& f) {
    prometheus::MetricFamily out{
        .name = f.name, .help = f.help, .type = prometheus_type(f.type), .metric = {}};
    for (const metrics::Sample& s : f.samples) {
        prometheus::ClientMetric m;
        for (const auto& l : s.labels)
            m.label.push_back({.name = l.name, .value = l.value});
        switch (f.type) {
            case metrics::Type::counter:
                m.counter.value = s.value;
                break;
            case metrics::Type::gauge:
                m.gauge.value = s.value;
                break;
            case metrics::Type::histogram:
                m.histogram = prometheus_histogram(s.histogram);
                break;
        }
        out.metric.push_back(std::move(m));
    }
    return out;
}

// muster_dns_queries_total -> muster.dns.queries (Consul's names are dotted).
std::string consul_name(const std::string& name) {
    std::string n = name;
    for (const char* suffix : {"_total", "_seconds"}) {
        std::string_view sv(suffix);
        if (n.size() > sv.size() && n.compare(n.size() - sv.size(), sv.size(), sv) == 0) {
            n.resize(n.size() - sv.size());
            break;
        }
    }
    for (char& c : n)
        if (c == '_')
            c = '.';
    return n;
}

json consul_labels(const metrics::Sample& s) {
    json labels = json::object();
    for (const auto& l : s.labels)
        labels[l.name] = l.value;
    return labels;
}

const metrics::Family* find(const metrics::Families& families, std::string_view name) {
    for (const auto& f : families.all())
        if (f.name == name)
            return &f;
    return nullptr;
}

std::string label(const metrics::Sample& s, std::string_view name) {
    for (const auto& l : s.labels)
        if (l.name == name)
            return l.value;
    return "";
}

std::string count_text(double v) {
    return std::to_string(static_cast<uint64_t>(v));
}

}  // namespace

json dns_stats_sections(const metrics::Families& families) {
    json out = json::object();
    if (const auto* q = find(families, "muster_dns_queries_total")) {
        std::map<std::string, double> by_answer;
        double total = 0;
        for (const auto& s : q->samples) {
            by_answer[label(s, "answer")] += s.value;
            total += s.value;
        }
        json dns = {{"queries", count_text(total)}};
        for (const auto& [answer, n] : by_answer)
            dns["queries_" + answer] = count_text(n);
        out["dns"] = std::move(dns);
    }
    const auto* up = find(families, "muster_upstream_up");
    if (up == nullptr)
        return out;
    for (const auto& s : up->samples) {
        std::string name = label(s, "upstream");
        std::string zone = label(s, "zone");
        json section = {{"zone", zone}, {"health", s.value > 0 ? "up" : "down"}};
        auto value_of = [&](std::string_view family) -> const metrics::Sample* {
            if (const auto* f = find(families, family))
                for (const auto& x : f->samples)
                    if (label(x, "upstream") == name && label(x, "zone") == zone)
                        return &x;
            return nullptr;
        };
        for (auto [family, key] : {std::pair{"muster_upstream_queries_total", "queries"},
                                   std::pair{"muster_upstream_failures_total", "failures"},
                                   std::pair{"muster_upstream_timeouts_total", "timeouts"},
                                   std::pair{"muster_upstream_connections_total", "connections"}})
            if (const auto* x = value_of(family))
                section[key] = count_text(x->value);
        if (const auto* rtt = value_of("muster_upstream_rtt_seconds")) {
            auto n = rtt->histogram.count();
            char ms[32];
            std::snprintf(ms, sizeof ms, "%.2fms",
                          n > 0 ? rtt->histogram.sum_seconds * 1000 / static_cast<double>(n) : 0.0);
            section["rtt_mean"] = n > 0 ? std::string(ms) : std::string("none yet");
        }
        out["upstream " + name + (zone == "." ? "" : " (" + zone + ")")] = std::move(section);
    }
    return out;
}

std::string prometheus_text(const metrics::Families& families) {
    std::vector<prometheus::MetricFamily> out;
    out.reserve(families.all().size());
    for (const metrics::Family& f : families.all())
        out.push_back(prometheus_family(f));
    return prometheus::TextSerializer().Serialize(out);
}

json consul_metrics_json(const metrics::Families& families, const std::string& timestamp,
                         double uptime_seconds) {
    json gauges = json::array(), counters = json::array(), samples = json::array();
    double per = uptime_seconds > 0 ? uptime_seconds : 1;
    for (const metrics::Family& f : families.all()) {
        std::string name = consul_name(f.name);
        for (const metrics::Sample& s : f.samples) {
            switch (f.type) {
                case metrics::Type::gauge:
                    gauges.push_back(
                        {{"Name", name}, {"Value", s.value}, {"Labels", consul_labels(s)}});
                    break;
                case metrics::Type::counter:
                    counters.push_back({{"Name", name},
                                        {"Count", s.value},
                                        {"Rate", s.value / per},
                                        {"Sum", s.value},
                                        {"Labels", consul_labels(s)}});
                    break;
                case metrics::Type::histogram: {
                    // Samples in milliseconds, as Consul's timers.
                    auto count = static_cast<double>(s.histogram.count());
                    samples.push_back(
                        {{"Name", name},
                         {"Count", count},
                         {"Rate", count / per},
                         {"Sum", s.histogram.sum_seconds * 1000},
                         {"Mean", count > 0 ? s.histogram.sum_seconds * 1000 / count : 0.0},
                         {"Labels", consul_labels(s)}});
                    break;
                }
            }
        }
    }
    return json{{"Timestamp", timestamp},
                {"Gauges", std::move(gauges)},
                {"Points", json::array()},
                {"Counters", std::move(counters)},
                {"Samples", std::move(samples)}};
}

http::Response metrics_reply(const metrics::Families& families, MetricsFormat format,
                             const http::Request& request, double uptime_seconds) {
    if (auto f = request.param("format")) {
        if (*f != "prometheus")
            return text_response(400, "format: expected prometheus (got " + *f + ")");
        format = MetricsFormat::prometheus;
    }
    if (format == MetricsFormat::prometheus) {
        http::Response r;
        r.body = prometheus_text(families);
        r.content_type = prometheus_content_type;
        return r;
    }
    char stamp[64];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
    return json_response(consul_metrics_json(families, stamp, uptime_seconds), request);
}

}  // namespace muster::api
