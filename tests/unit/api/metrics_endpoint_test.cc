// Tests for src/api/metrics_endpoint.cc: the Prometheus text, Consul's JSON shape, ?format.
#include "api/metrics_endpoint.hh"

#include <boost/test/unit_test.hpp>

using namespace muster;
using namespace muster::api;
using namespace std::chrono_literals;

namespace {

metrics::Families sample_families() {
    metrics::Families f;
    f.family("muster_dns_queries_total", "DNS queries", metrics::Type::counter)
        .add(7, {{"listener", "127.0.0.1:53"}, {"answer", "cache"}});
    f.family("muster_cache_entries", "Answers in the cache", metrics::Type::gauge).add(3);
    metrics::HistogramSnapshot h;
    h.observe(30us);
    h.observe(2ms);
    f.family("muster_dns_answer_duration_seconds", "Latency", metrics::Type::histogram)
        .add(h, {{"listener", "127.0.0.1:53"}});
    return f;
}

http::Request get(std::string path, std::vector<std::pair<std::string, std::string>> query = {}) {
    http::Request r;
    r.method = http::Method::get;
    r.path = std::move(path);
    r.query = std::move(query);
    return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_endpoint)

BOOST_AUTO_TEST_CASE(prometheus_text_has_help_type_samples_and_cumulative_buckets) {
    std::string text = prometheus_text(sample_families());
    BOOST_TEST(text.find("# HELP muster_dns_queries_total DNS queries\n") != std::string::npos);
    BOOST_TEST(text.find("# TYPE muster_dns_queries_total counter\n") != std::string::npos);
    BOOST_TEST(
        text.find("muster_dns_queries_total{listener=\"127.0.0.1:53\",answer=\"cache\"} 7") !=
        std::string::npos);
    BOOST_TEST(text.find("# TYPE muster_cache_entries gauge\nmuster_cache_entries 3") !=
               std::string::npos);
    BOOST_TEST(text.find("muster_dns_answer_duration_seconds_bucket{listener=\"127.0.0.1:53\","
                         "le=\"5e-05\"} 1") != std::string::npos);
    BOOST_TEST(text.find("le=\"0.001\"} 1") != std::string::npos);  // cumulative
    BOOST_TEST(text.find("le=\"0.0025\"} 2") != std::string::npos);
    BOOST_TEST(text.find("le=\"+Inf\"} 2") != std::string::npos);
    BOOST_TEST(text.find("muster_dns_answer_duration_seconds_count{listener=\"127.0.0.1:53\"} 2") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(consul_json_has_dotted_names_and_the_five_sections) {
    auto j = consul_metrics_json(sample_families(), "2026-12-06 10:00:00 +0000 UTC", 10);
    BOOST_TEST(j["Timestamp"] == "2026-12-06 10:00:00 +0000 UTC");
    BOOST_TEST(j["Points"].empty());
    BOOST_REQUIRE(j["Counters"].size() == 1u);
    BOOST_TEST(j["Counters"][0]["Name"] == "muster.dns.queries");
    BOOST_TEST(j["Counters"][0]["Count"] == 7.0);
    BOOST_TEST(j["Counters"][0]["Rate"] == 0.7);
    BOOST_TEST(j["Counters"][0]["Labels"]["answer"] == "cache");
    BOOST_REQUIRE(j["Gauges"].size() == 1u);
    BOOST_TEST(j["Gauges"][0]["Name"] == "muster.cache.entries");
    BOOST_TEST(j["Gauges"][0]["Value"] == 3.0);
    BOOST_REQUIRE(j["Samples"].size() == 1u);
    BOOST_TEST(j["Samples"][0]["Name"] == "muster.dns.answer.duration");
    BOOST_TEST(j["Samples"][0]["Count"] == 2.0);
    BOOST_TEST(j["Samples"][0]["Sum"].get<double>() == 2.03,
               boost::test_tools::tolerance(1e-9));  // milliseconds
}

BOOST_AUTO_TEST_CASE(format_picks_the_text_and_anything_else_is_400) {
    auto f = sample_families();
    auto json = metrics_reply(f, MetricsFormat::json, get("/v1/agent/metrics"), 1);
    BOOST_TEST(json.status == 200);
    BOOST_TEST(json.content_type.starts_with("application/json"));
    auto text = metrics_reply(f, MetricsFormat::json,
                              get("/v1/agent/metrics", {{"format", "prometheus"}}), 1);
    BOOST_TEST(text.content_type == prometheus_content_type);
    BOOST_TEST(text.body.starts_with("# HELP"));
    auto plain = metrics_reply(f, MetricsFormat::prometheus, get("/metrics"), 1);
    BOOST_TEST(plain.content_type == prometheus_content_type);
    auto bad =
        metrics_reply(f, MetricsFormat::json, get("/v1/agent/metrics", {{"format", "xml"}}), 1);
    BOOST_TEST(bad.status == 400);
    BOOST_TEST(bad.body.find("prometheus") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(dns_stats_sum_the_listeners_and_name_each_upstream) {
    metrics::Families f;
    auto& q = f.family("muster_dns_queries_total", "q", metrics::Type::counter);
    q.add(2, {{"listener", "a"}, {"answer", "cache"}});
    q.add(3, {{"listener", "b"}, {"answer", "cache"}});
    q.add(1, {{"listener", "a"}, {"answer", "refused"}});
    f.family("muster_upstream_up", "u", metrics::Type::gauge)
        .add(0, {{"upstream", "tls://10.0.0.1:853"}, {"zone", "corp."}});
    f.family("muster_upstream_queries_total", "u", metrics::Type::counter)
        .add(9, {{"upstream", "tls://10.0.0.1:853"}, {"zone", "corp."}});
    metrics::HistogramSnapshot rtt;
    rtt.observe(2ms);
    rtt.observe(4ms);
    f.family("muster_upstream_rtt_seconds", "r", metrics::Type::histogram)
        .add(rtt, {{"upstream", "tls://10.0.0.1:853"}, {"zone", "corp."}});
    auto j = dns_stats_sections(f);
    BOOST_TEST(j["dns"]["queries"] == "6");
    BOOST_TEST(j["dns"]["queries_cache"] == "5");
    BOOST_TEST(j["dns"]["queries_refused"] == "1");
    const auto& up = j["upstream tls://10.0.0.1:853 (corp.)"];
    BOOST_TEST(up["health"] == "down");
    BOOST_TEST(up["zone"] == "corp.");
    BOOST_TEST(up["queries"] == "9");
    BOOST_TEST(up["rtt_mean"] == "3.00ms");
}

BOOST_AUTO_TEST_SUITE_END()
