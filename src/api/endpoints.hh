// The Consul endpoints over a catalog snapshot, free of sockets: reads produce a Response,
// writes a batch of commands for the Writer and the Response to send once it is applied.
#pragma once

#include <optional>
#include <vector>

#include "api/options.hh"
#include "api/query.hh"
#include "api/router.hh"
#include "catalog/command.hh"
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
};

WritePlan plan_write(const Options& options, const Route& route, const http::Request& request,
                     const catalog::Snapshot& snapshot);

// The reply once the Writer has applied (or failed to apply) a planned batch.
http::Response write_done(const Route& route, const Result<uint64_t>& applied);

// Text and JSON replies with the content types Consul uses.
http::Response text_response(int status, std::string body);

}  // namespace muster::api
