// GET /v1/agent/metrics (Consul's JSON shape, or ?format=prometheus) and GET /metrics: one
// scrape's families as Prometheus text format 0.0.4 or as Consul's JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/http_server.hh"
#include "common/metrics.hh"

namespace muster::api {

inline constexpr const char* prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

// The Prometheus text exposition (written by prometheus-cpp's serializer).
std::string prometheus_text(const metrics::Families& families);

// Consul's /v1/agent/metrics shape: Timestamp, Gauges, Points, Counters, Samples, with
// Consul's dotted names (muster_dns_queries_total -> muster.dns.queries). Counter and sample
// values are totals since the agent started (Consul's are per 10 s interval; the Prometheus
// format is the one to scrape); Rate is the total over `uptime_seconds`.
nlohmann::json consul_metrics_json(const metrics::Families& families, const std::string& timestamp,
                                   double uptime_seconds);

// /v1/agent/self's Stats sections of the DNS side, as `muster info` prints them: "dns" (answers
// by how they were made, over every listener) and one "upstream <label>" per upstream (health,
// queries, failures, timeouts, mean RTT). Values are strings, as Consul's Stats.
nlohmann::json dns_stats_sections(const metrics::Families& families);

// The reply: Prometheus text when `prometheus` (GET /metrics, or ?format=prometheus), else
// the JSON; a ?format other than prometheus is 400.
enum class MetricsFormat { json, prometheus };
http::Response metrics_reply(const metrics::Families& families, MetricsFormat format,
                             const http::Request& request, double uptime_seconds);

}  // namespace muster::api
