// AgentCache: the cache endpoints' requests, run on the agent's main loop.
#include "app/agent_cache.hh"

#include <string>

#include "common/log.hh"

namespace muster::app {
namespace {

constexpr log::Logger logger("agent");

}  // namespace

void AgentCache::flush(const api::CacheFlush& flush, std::function<void(size_t removed)> done) {
    loop_.post([this, flush, done = std::move(done)] { done(flush_now(flush)); });
}

void AgentCache::stats(std::function<void(const api::CacheStats&)> done) {
    loop_.post([this, done = std::move(done)] { done(stats_now()); });
}

size_t AgentCache::flush_now(const api::CacheFlush& flush) {
    resolver::Cache& cache = dns_.cache();
    size_t removed = 0;
    switch (flush.scope) {
        case api::CacheFlush::Scope::all:
            removed = cache.clear();
            logger.info("cache flushed", {{"removed", std::to_string(removed)}});
            return removed;
        case api::CacheFlush::Scope::name:
            removed = cache.flush(flush.name, resolver::FlushScope::name);
            break;
        case api::CacheFlush::Scope::zone:
            removed = cache.flush(flush.name, resolver::FlushScope::zone);
            break;
    }
    logger.info("cache flushed", {{flush.scope == api::CacheFlush::Scope::zone ? "zone" : "name",
                                   flush.name.to_text()},
                                  {"removed", std::to_string(removed)}});
    return removed;
}

api::CacheStats AgentCache::stats_now() const {
    const resolver::Cache& cache = dns_.cache();
    const resolver::Cache::Stats& s = cache.stats();
    auto load = [](const std::atomic<uint64_t>& n) { return n.load(std::memory_order_relaxed); };
    return api::CacheStats{.entries = cache.size(),
                           .capacity = cache.capacity(),
                           .hits = load(s.hits),
                           .misses = load(s.misses),
                           .stale_hits = load(s.stale_hits),
                           .inserts = load(s.inserts),
                           .evictions = load(s.evictions),
                           .prefetches = load(s.prefetches)};
}

}  // namespace muster::app
