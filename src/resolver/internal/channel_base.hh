// ChannelBase: what the UDP and stream channels share: listener delivery that never happens
// inside send(), survives the listener destroying the channel, deadlines and deferred frees.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "common/clock.hh"
#include "common/event_loop.hh"
#include "common/log.hh"
#include "resolver/internal/id_source.hh"
#include "resolver/upstream_channel.hh"

namespace muster::resolver::internal {

inline const log::Logger channel_log("resolver");

// Lets one message through per interval and counts the rest, so a dead upstream does not
// flood the log.
class LogLimiter {
  public:
    explicit LogLimiter(Duration interval) : interval_(interval) {}
    // True when a line may be written now; `suppressed` gets how many were held back.
    bool allow(uint64_t& suppressed);

  private:
    Duration interval_;
    TimePoint last_{};
    bool ever_ = false;
    uint64_t suppressed_ = 0;
};

class ChannelBase : public UpstreamChannel {
  public:
    ChannelBase(EventLoop& loop, const UpstreamSpec& spec, UpstreamListener& listener,
                const ChannelOptions& options);
    ~ChannelBase() override;
    const UpstreamSpec& spec() const override { return spec_; }
    ChannelStats stats() const override { return stats_; }

  protected:
    // Called when a deadline registered with track_deadline() passes; the channel checks
    // whether `token` still names the query that registered it.
    virtual void on_deadline(uint64_t token, TimePoint deadline) = 0;

    // Reports a failure from the loop, later (for use inside send()).
    void fail_later(uint64_t token, UpstreamFailure why);
    // Drops a failure queued by fail_later (for cancel()).
    void forget_failure(uint64_t token);
    // Report now (for use in loop callbacks). False when the listener destroyed the channel:
    // the caller must return at once without touching members.
    [[nodiscard]] bool deliver_reply(uint64_t token, std::span<const uint8_t> msg);
    [[nodiscard]] bool deliver_failure(uint64_t token, UpstreamFailure why);
    // Registers token's query_timeout deadline; returns it.
    TimePoint track_deadline(uint64_t token);
    // Frees an object on the next loop turn, never inside the callback it is running.
    void retire(std::shared_ptr<void> object);
    // Calls recycle() on the next loop turn: for records that are reused rather than freed,
    // but not while one of their callbacks may still be running.
    void recycle_later();
    virtual void recycle() {}
    // A reply that is not a response to an outstanding query of ours (RFC 5452 §9.1).
    void count_dropped_reply();
    // Query buffers, reused between queries.
    std::vector<uint8_t> take_buffer();
    void give_back(std::vector<uint8_t>&& buf);

    EventLoop& loop_;
    const UpstreamSpec spec_;
    UpstreamListener& listener_;
    const ChannelOptions options_;
    ChannelStats stats_;
    IdSource ids_;

  private:
    void on_zero_timer();
    void on_deadline_timer();
    void arm_deadline_timer();
    void pop_deadline();

    std::shared_ptr<char> alive_ = std::make_shared<char>();
    std::deque<std::pair<uint64_t, UpstreamFailure>> failures_;
    std::vector<std::shared_ptr<void>> graveyard_;
    std::vector<std::vector<uint8_t>> spare_buffers_;
    // query_timeout is the same for every query, so deadlines arrive in send order: one
    // FIFO and one timer serve them all. The FIFO is deadlines_[deadlines_head_..]: a vector
    // compacted as its head advances keeps its capacity, where a deque would allocate and
    // free a block every few dozen queries.
    std::vector<std::pair<TimePoint, uint64_t>> deadlines_;
    size_t deadlines_head_ = 0;
    Timer zero_timer_;
    Timer deadline_timer_;
};

}  // namespace muster::resolver::internal
