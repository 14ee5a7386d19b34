// UpstreamPool: one set of upstreams (the default recursors, or a forward zone's), with
// per-upstream health (consecutive fail/rise counters), a selection strategy (sequential,
// random, fastest by smoothed RTT) and failover inside one overall timeout.
// Owned by one worker; transports come from a factory so tests can inject fakes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "common/clock.hh"
#include "common/metrics.hh"
#include "resolver/internal/slot_table.hh"
#include "resolver/options.hh"
#include "resolver/upstream_channel.hh"

namespace muster::resolver {

class PoolListener {
  public:
    virtual ~PoolListener() = default;
    // An answer for request `id` (ID in msg is the channel's). Valid during the call only.
    virtual void on_pool_reply(uint64_t id, std::span<const uint8_t> msg) = 0;
    // Every upstream failed or the budget ran out.
    virtual void on_pool_failure(uint64_t id) = 0;
};

// The pool asks to be woken: the owner calls expire(now) at or after `when`.
class WakeupScheduler {
  public:
    virtual ~WakeupScheduler() = default;
    virtual void wake_at(TimePoint when) = 0;
};

using ChannelFactory =
    std::function<std::unique_ptr<UpstreamChannel>(const UpstreamSpec&, UpstreamListener&)>;

struct UpstreamHealth {
    unsigned consecutive_failures = 0;
    unsigned consecutive_successes = 0;
    bool down = false;
    TimePoint next_probe{};
    double srtt_ms = 0;  // 0 = not measured yet
    // Attempts sent, attempts that failed (timeouts included), attempts the pool gave up
    // waiting for; the round trip of every answered attempt.
    uint64_t queries = 0, failures = 0, timeouts = 0;
    metrics::HistogramSnapshot rtt;
};

class UpstreamPool final : public UpstreamListener {
  public:
    static constexpr unsigned fail_threshold = 3;  // consecutive failures mark an upstream down
    static constexpr unsigned rise_threshold = 2;  // consecutive successes bring it back
    static constexpr Duration probe_interval = std::chrono::seconds(1);
    static constexpr Duration min_attempt_timeout = std::chrono::milliseconds(200);

    UpstreamPool(const UpstreamOptions& options, const ChannelFactory& factory, const Clock& clock,
                 WakeupScheduler& scheduler, PoolListener& listener);
    ~UpstreamPool() override;

    // Resolves one query (full wire message). Outcome arrives through the PoolListener, never
    // from inside this call.
    void resolve(uint64_t id, std::span<const uint8_t> query);
    void cancel(uint64_t id);
    // Fails attempts whose time is up and moves them on to the next upstream.
    void expire(TimePoint now);

    size_t in_flight() const { return requests_.size(); }
    bool empty() const { return upstreams_.empty(); }
    const std::vector<UpstreamSpec>& specs() const { return options_.upstreams; }
    const UpstreamHealth& health(size_t i) const { return upstreams_[i].health; }
    const UpstreamChannel& channel(size_t i) const { return *upstreams_[i].channel; }

    void on_upstream_reply(uint64_t token, std::span<const uint8_t> msg) override;
    void on_upstream_failure(uint64_t token, UpstreamFailure why) override;

  private:
    struct Upstream {
        std::unique_ptr<UpstreamChannel> channel;
        UpstreamHealth health;
    };
    // One resolve() until its outcome. Records are reused (internal::SlotTable), buffers
    // included, so a query allocates none once as many were in flight before.
    struct Request {
        uint64_t id = 0;  // the caller's
        std::vector<uint8_t> query;
        std::vector<uint8_t> fallback;  // a SERVFAIL/REFUSED answer, used if nothing better comes
        std::vector<size_t> order;      // upstream indexes to try, in order
        size_t next = 0;
        // The current attempt's token, 0 when none is running (see next_token()).
        uint64_t token = 0;
        size_t upstream = 0;
        TimePoint started, attempt_deadline, deadline;
    };

    // A new attempt's token for the request at `handle`.
    uint64_t next_token(uint64_t handle);
    // The request whose current attempt is `token`, with the attempt forgotten: its handle, or
    // no_handle.
    uint64_t take_attempt(uint64_t token);
    // The handle of the request `id` names; no_handle when none.
    uint64_t find_id(uint64_t id) const;
    // Fills `order` with the upstreams to try: probes of down ones, the strategy's order of the
    // rest that are up, then the down ones.
    void choose_order(std::vector<size_t>& order);
    void start_attempt(uint64_t handle, Request& r);
    void attempt_failed(uint64_t handle, Request& r);  // counts the failure, then next or fail
    void finish_failure(uint64_t handle);
    void record_success(Upstream& u, Duration rtt);
    void record_failure(Upstream& u);

    UpstreamOptions options_;
    const Clock& clock_;
    WakeupScheduler& scheduler_;
    PoolListener& listener_;
    std::vector<Upstream> upstreams_;
    internal::SlotTable<Request> requests_;
    uint32_t attempt_serial_ = 0;
    std::vector<size_t> probes_, down_;     // choose_order's scratch
    std::vector<uint8_t> failed_fallback_;  // finish_failure's: the answer handed on
    std::mt19937_64 rng_;
};

}  // namespace muster::resolver
