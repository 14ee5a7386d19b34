// ChannelBase: deferred and re-entrancy-safe delivery, deadlines, deferred frees.
#include "resolver/internal/channel_base.hh"

#include <algorithm>
#include <chrono>

namespace muster::resolver::internal {
namespace {
// A DoT channel holds up to max_in_flight (512) queries written and more waiting: with 64
// spares, a busy channel freed and reallocated a buffer for most queries. Spares never exceed
// the most buffers in use at once, so this only bounds what a burst leaves behind.
constexpr size_t max_spare_buffers = 1024;
constexpr size_t spare_buffer_capacity = 512;
}  // namespace

bool LogLimiter::allow(uint64_t& suppressed) {
    TimePoint now = std::chrono::steady_clock::now();
    if (ever_ && now - last_ < interval_) {
        ++suppressed_;
        return false;
    }
    ever_ = true;
    last_ = now;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
}

ChannelBase::ChannelBase(EventLoop& loop, const UpstreamSpec& spec, UpstreamListener& listener,
                         const ChannelOptions& options)
    : loop_(loop),
      spec_(spec),
      listener_(listener),
      options_(options),
      zero_timer_(loop, [this] { on_zero_timer(); }),
      deadline_timer_(loop, [this] { on_deadline_timer(); }) {}

ChannelBase::~ChannelBase() = default;

void ChannelBase::fail_later(uint64_t token, UpstreamFailure why) {
    failures_.emplace_back(token, why);
    if (!zero_timer_.armed())
        zero_timer_.arm(Duration::zero());
}

void ChannelBase::forget_failure(uint64_t token) {
    std::erase_if(failures_, [token](const auto& f) { return f.first == token; });
}

bool ChannelBase::deliver_reply(uint64_t token, std::span<const uint8_t> msg) {
    std::weak_ptr<char> alive = alive_;
    ++stats_.replies;
    listener_.on_upstream_reply(token, msg);
    return !alive.expired();
}

bool ChannelBase::deliver_failure(uint64_t token, UpstreamFailure why) {
    std::weak_ptr<char> alive = alive_;
    listener_.on_upstream_failure(token, why);
    return !alive.expired();
}

void ChannelBase::on_zero_timer() {
    graveyard_.clear();
    recycle();
    while (!failures_.empty()) {
        auto [token, why] = failures_.front();
        failures_.pop_front();
        if (!deliver_failure(token, why))
            return;
    }
}

TimePoint ChannelBase::track_deadline(uint64_t token) {
    TimePoint deadline = std::chrono::steady_clock::now() + options_.query_timeout;
    deadlines_.emplace_back(deadline, token);
    if (!deadline_timer_.armed())
        arm_deadline_timer();
    return deadline;
}

void ChannelBase::arm_deadline_timer() {
    if (deadlines_head_ == deadlines_.size())
        return;
    deadline_timer_.arm(deadlines_[deadlines_head_].first - std::chrono::steady_clock::now());
}

void ChannelBase::pop_deadline() {
    // Once the consumed head is at least half the vector, drop it: each entry moves at most
    // once per halving, so popping stays O(1) amortised.
    if (++deadlines_head_ * 2 >= deadlines_.size()) {
        deadlines_.erase(deadlines_.begin(),
                         deadlines_.begin() + static_cast<std::ptrdiff_t>(deadlines_head_));
        deadlines_head_ = 0;
    }
}

void ChannelBase::on_deadline_timer() {
    TimePoint now = std::chrono::steady_clock::now();
    std::weak_ptr<char> alive = alive_;
    while (deadlines_head_ < deadlines_.size() && deadlines_[deadlines_head_].first <= now) {
        auto [deadline, token] = deadlines_[deadlines_head_];
        pop_deadline();
        on_deadline(token, deadline);
        if (alive.expired())
            return;
    }
    arm_deadline_timer();
}

void ChannelBase::retire(std::shared_ptr<void> object) {
    graveyard_.push_back(std::move(object));
    if (!zero_timer_.armed())
        zero_timer_.arm(Duration::zero());
}

void ChannelBase::recycle_later() {
    if (!zero_timer_.armed())
        zero_timer_.arm(Duration::zero());
}

void ChannelBase::count_dropped_reply() {
    ++stats_.dropped_replies;
    if (options_.dropped_replies_total)
        options_.dropped_replies_total->fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint8_t> ChannelBase::take_buffer() {
    if (spare_buffers_.empty()) {
        std::vector<uint8_t> buf;
        buf.reserve(spare_buffer_capacity);
        return buf;
    }
    std::vector<uint8_t> buf = std::move(spare_buffers_.back());
    spare_buffers_.pop_back();
    buf.clear();
    return buf;
}

void ChannelBase::give_back(std::vector<uint8_t>&& buf) {
    if (spare_buffers_.size() < max_spare_buffers)
        spare_buffers_.push_back(std::move(buf));
}

}  // namespace muster::resolver::internal
