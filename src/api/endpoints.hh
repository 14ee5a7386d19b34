// The Consul endpoints over a catalog snapshot, free of sockets: reads produce a Response,
// writes a batch of commands for the Writer and the Response to send once it is applied.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

#include "api/cache_control.hh"
#include "api/options.hh"
#include "api/query.hh"
#include "api/router.hh"
#include "catalog/command.hh"
#include "catalog/definition.hh"
#include "catalog/store.hh"
#include "common/http_server.hh"

namespace muster::api {

// A read endpoint's reply (200 with JSON, or the 400/404/500 error text). Catalog and health
// reads carry X-Consul-Index (the snapshot's index, at least 1), X-Consul-KnownLeader and
// X-Consul-LastContact.
http::Response read(const Options& options, const Route& route, const http::Request& request,
                    const QueryOptions& query, const catalog::Snapshot& snapshot);

struct WritePlan {
    std::vector<catalog::Command> batch;  // empty when refused
    http::Response refusal;               // sent instead when batch is empty
    // What the agent's check runner does once the batch is applied: run these checks (each
    // with the status it was registered with), stop those checks and every check of those
    // services.
    std::vector<catalog::CheckDefinition> run;
    std::vector<catalog::Status> run_status;  // parallel to run
    std::vector<std::string> stop_checks;
    std::vector<std::string> stop_services;
    // /v1/agent/service/register: the service the agent keeps as its own, and its definition
    // as JSON text.
    std::string own_service;
    std::string own_definition;
};

// A TTL update (/v1/agent/check/pass|warn|fail/:id?note=, PUT /v1/agent/check/update/:id with
// {"Status", "Output"}), or the 400 that refuses it.
struct TtlPlan {
    std::string check_id;
    catalog::Status status = catalog::Status::critical;
    std::string output;  // at most 4 KiB, as Consul keeps it
    std::optional<http::Response> refusal;
};
TtlPlan plan_ttl_update(const Route& route, const http::Request& request);

WritePlan plan_write(const Options& options, const Route& route, const http::Request& request,
                     const catalog::Snapshot& snapshot);

// GET /v1/agent/self with the resolver cache's counters as Stats.cache (read() gives it
// without them, for an agent with no cache).
// `dns`: the DNS side's Stats sections (dns_stats_sections), or null.
http::Response self_reply(const Options& options, const http::Request& request,
                          const QueryOptions& query, const catalog::Snapshot& snapshot,
                          const CacheStats& cache, const nlohmann::json* dns = nullptr);

// The reply once the Writer has applied (or failed to apply) a planned batch.
http::Response write_done(const Route& route, const Result<uint64_t>& applied);

// Text and JSON replies with the content types Consul uses (JSON indented with ?pretty).
http::Response text_response(int status, std::string body);
http::Response json_response(const nlohmann::json& body, const http::Request& request);

}  // namespace muster::api
