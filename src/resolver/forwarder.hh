// Forwarder: sends what no local stage answered to the upstreams that own the name (the most
// specific forward zone, else the recursors), shares one upstream query among identical
// in-flight client queries, fills the cache, refreshes entries ahead of expiry (prefetch) and
// serves stale answers when every upstream fails (RFC 8767). One per worker, on its loop.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <queue>
#include <string_view>
#include <vector>

#include "common/event_loop.hh"
#include "resolver/cache.hh"
#include "resolver/internal/recycling_map.hh"
#include "resolver/internal/slot_table.hh"
#include "resolver/metrics.hh"
#include "resolver/options.hh"
#include "resolver/query_context.hh"
#include "resolver/stage.hh"
#include "resolver/upstream_pool.hh"

namespace muster::resolver {

class Forwarder final : public PoolListener, public WakeupScheduler {
  public:
    using Completion = std::function<void(QueryContext&)>;

    Forwarder(EventLoop& loop, Cache& cache, const Clock& clock, ChannelFactory factory,
              Completion complete);
    ~Forwarder() override;

    // Replaces the upstream sets; queries in flight finish on the old ones.
    void configure(const Zones& zones);

    // Answers SERVFAIL at once when no upstream serves the name; otherwise pending.
    Verdict forward(QueryContext& ctx);
    // Refreshes a cached answer in the background (no client waits for it).
    void prefetch(const dns::Query& q);

    size_t in_flight() const { return inflight_.size(); }
    // Appends the counters of the current upstreams (the recursors', then each zone's); on
    // the worker's loop. Counters start again when a reload replaces the upstream sets.
    void collect(std::vector<UpstreamMetrics>& out) const;

    void on_pool_reply(uint64_t id, std::span<const uint8_t> msg) override;
    void on_pool_failure(uint64_t id) override;
    void wake_at(TimePoint when) override;

  private:
    // One upstream query and the client queries waiting for it. Records are reused (see
    // internal::SlotTable): a miss allocates none once as many were in flight before.
    struct InFlight {
        // The sharing key: the pool's address, then the cache key (the same question asked
        // of two pools is two upstream queries). by_key_ points into it.
        std::array<char, sizeof(UpstreamPool*) + CacheKey::max_size> key_bytes{};
        size_t key_len = 0;
        dns::Name qname;  // lowercased
        uint16_t qtype = 0, qclass = 0;
        bool do_bit = false;
        UpstreamPool* pool = nullptr;
        std::vector<QueryContext*> waiters;  // keeps its capacity from one query to the next
        std::string_view key() const { return {key_bytes.data(), key_len}; }
    };
    struct PoolSet {
        std::unique_ptr<UpstreamPool> recursors;
        std::vector<std::pair<dns::Name, std::unique_ptr<UpstreamPool>>> zones;
    };

    // A finished upstream query: out of the sharing index (no new waiters join it), still
    // in inflight_ until release(id). Null for an id that is gone.
    InFlight* take(uint64_t id);
    // Every upstream failed: stale answers where the cache has them, SERVFAIL otherwise.
    void fail_waiters(InFlight& f);
    UpstreamPool* pool_for(const dns::Name& qname_lower);
    // The in-flight upstream query for q on pool: a running one with the same key, or a new one.
    InFlight& start(const dns::Query& q, UpstreamPool* pool);
    void answer_servfail(QueryContext& ctx);
    void on_timer();
    void retire_idle_pools();

    EventLoop& loop_;
    Cache& cache_;
    const Clock& clock_;
    ChannelFactory factory_;
    Completion complete_;
    PoolSet current_;
    std::vector<PoolSet> retiring_;
    internal::SlotTable<InFlight> inflight_;  // the handles are the pools' request ids
    internal::RecyclingMap<std::string_view, uint64_t> by_key_;  // InFlight::key() -> id
    // The upstream answer being handled: parsed, and its body without OPT for the waiters.
    // Members, reused: on_pool_reply never runs inside itself (the pool calls back only from
    // the loop, never from inside resolve()).
    dns::ResponseInfo reply_info_;
    std::vector<uint8_t> reply_body_;
    Timer timer_;
    std::priority_queue<TimePoint, std::vector<TimePoint>, std::greater<>> wakeups_;
    bool warned_no_upstream_ = false;
};

}  // namespace muster::resolver
