// PUT /v1/agent/cache/flush and GET /v1/agent/cache/stats, free of sockets: the request's
// parameters in, the reply out; the server asks the CacheControl in between.
#pragma once

#include <cstddef>

#include "api/cache_control.hh"
#include "common/http_server.hh"
#include "common/result.hh"

namespace muster::api {

// ?name=NAME flushes one owner name, ?zone=NAME a name and everything below it, neither the
// whole cache. The error (a 400) names the parameter and what was expected.
Result<CacheFlush> parse_cache_flush(const http::Request& request);

// {"Removed": N} with "Name" or "Zone" as the flush named it (lowercase, trailing dot).
http::Response cache_flush_reply(const CacheFlush& flush, size_t removed,
                                 const http::Request& request);

// {"Entries", "Capacity", "Hits", "Misses", "StaleHits", "Inserts", "Evictions", "Prefetches"}.
http::Response cache_stats_reply(const CacheStats& stats, const http::Request& request);

}  // namespace muster::api
