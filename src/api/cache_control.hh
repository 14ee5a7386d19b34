// api::CacheControl: the resolver's answer cache as the HTTP API sees it (app implements it
// over resolver::Cache), for PUT /v1/agent/cache/flush and GET /v1/agent/cache/stats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "dns/name.hh"

namespace muster::api {

struct CacheFlush {
    enum class Scope {
        all,   // every entry
        name,  // every entry of exactly `name` (any type, class, DO bit)
        zone,  // `name` and every name below it
    };
    Scope scope = Scope::all;
    dns::Name name;  // unused for Scope::all
};

// The cache's counters since the agent started (entries and capacity: now).
struct CacheStats {
    uint64_t entries = 0;
    uint64_t capacity = 0;
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t stale_hits = 0;  // stale answers served (RFC 8767)
    uint64_t inserts = 0;
    uint64_t evictions = 0;   // entries pushed out by the size bound
    uint64_t prefetches = 0;  // refreshes started ahead of expiry
};

class CacheControl {
  public:
    virtual ~CacheControl() = default;
    // Removes what `flush` names; `done` gets how many entries went, on any thread.
    virtual void flush(const CacheFlush& flush, std::function<void(size_t removed)> done) = 0;
    // `done` gets the counters, on any thread.
    virtual void stats(std::function<void(const CacheStats&)> done) = 0;
};

}  // namespace muster::api
