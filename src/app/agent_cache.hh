// AgentCache: api::CacheControl over the agent's resolver cache, for `muster cache flush` and
// `muster cache stats`.
#pragma once

#include <cstddef>
#include <functional>

#include "api/cache_control.hh"
#include "common/event_loop.hh"
#include "resolver/resolver.hh"

namespace muster::app {

// Every request runs on the agent's main loop, which runs only while the resolver exists: the
// HTTP API starts before the resolver and stops after it, so it may ask at any time. The cache
// itself is safe from any thread (one lock per shard, as the workers take it).
class AgentCache final : public api::CacheControl {
  public:
    // `dns` may still be under construction; it is only used on `main_loop`.
    AgentCache(EventLoop& main_loop, resolver::Resolver& dns) : loop_(main_loop), dns_(dns) {}

    void flush(const api::CacheFlush& flush, std::function<void(size_t removed)> done) override;
    void stats(std::function<void(const api::CacheStats&)> done) override;

  private:
    size_t flush_now(const api::CacheFlush& flush);
    api::CacheStats stats_now() const;

    EventLoop& loop_;
    resolver::Resolver& dns_;
};

}  // namespace muster::app
