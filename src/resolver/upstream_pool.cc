// UpstreamPool: health counters, strategies and failover across one set of upstreams.
#include "resolver/upstream_pool.hh"

#include <algorithm>
#include <numeric>

#include "common/log.hh"
#include "dns/wire.hh"

namespace muster::resolver {
namespace {
constexpr log::Logger logger("upstream");

uint64_t seed() {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}
}  // namespace

UpstreamPool::UpstreamPool(const UpstreamOptions& options, const ChannelFactory& factory,
                           const Clock& clock, WakeupScheduler& scheduler, PoolListener& listener)
    : options_(options), clock_(clock), scheduler_(scheduler), listener_(listener), rng_(seed()) {
    upstreams_.reserve(options_.upstreams.size());
    for (const auto& spec : options_.upstreams)
        upstreams_.push_back(Upstream{factory(spec, *this), {}});
}

// Channels go with the pool; by their contract they call nobody back once destroyed.
UpstreamPool::~UpstreamPool() = default;

std::vector<size_t> UpstreamPool::choose_order() {
    std::vector<size_t> probes, up, down;
    TimePoint now = clock_.now();
    for (size_t i = 0; i < upstreams_.size(); ++i) {
        auto& h = upstreams_[i].health;
        if (!h.down) {
            up.push_back(i);
        } else if (now >= h.next_probe) {
            // A down upstream gets one probe per interval, ahead of the others so it can rise.
            h.next_probe = now + probe_interval;
            probes.push_back(i);
        } else {
            down.push_back(i);
        }
    }
    switch (options_.strategy) {
        case Strategy::sequential:
            break;
        case Strategy::random:
            std::shuffle(up.begin(), up.end(), rng_);
            break;
        case Strategy::fastest:
            std::stable_sort(up.begin(), up.end(), [&](size_t a, size_t b) {
                return upstreams_[a].health.srtt_ms < upstreams_[b].health.srtt_ms;
            });
            break;
    }
    // Probes go first whatever the strategy: shuffled among the others, or sorted by the RTT
    // it had before it failed, a down upstream would rarely be asked and could never rise.
    up.insert(up.begin(), probes.begin(), probes.end());
    // Down upstreams stay as a last resort: better a slow answer than none.
    up.insert(up.end(), down.begin(), down.end());
    return up;
}

void UpstreamPool::resolve(uint64_t id, std::span<const uint8_t> query) {
    TimePoint now = clock_.now();
    Request& r = requests_[id];
    r.id = id;
    r.query.assign(query.begin(), query.end());
    r.order = choose_order();
    r.deadline = now + options_.timeout;
    if (r.order.empty()) {
        // Nothing to ask: fail from the loop, never from inside this call.
        r.attempt_deadline = now;
        scheduler_.wake_at(now);
        return;
    }
    start_attempt(r);
}

void UpstreamPool::start_attempt(Request& r) {
    TimePoint now = clock_.now();
    size_t n = std::min<size_t>(r.order.size(), 3);
    Duration share =
        std::max<Duration>(options_.timeout / static_cast<int>(n), min_attempt_timeout);
    r.upstream = r.order[r.next++];
    r.token = next_token_++;
    r.started = now;
    r.attempt_deadline = std::min(now + share, r.deadline);
    attempts_[r.token] = r.id;
    upstreams_[r.upstream].health.queries++;
    scheduler_.wake_at(r.attempt_deadline);
    upstreams_[r.upstream].channel->send(r.token, r.query);
}

void UpstreamPool::cancel(uint64_t id) {
    auto it = requests_.find(id);
    if (it == requests_.end())
        return;
    if (it->second.token) {
        upstreams_[it->second.upstream].channel->cancel(it->second.token);
        attempts_.erase(it->second.token);
    }
    requests_.erase(it);
}

void UpstreamPool::record_success(Upstream& u, Duration rtt) {
    auto& h = u.health;
    double ms = std::chrono::duration<double, std::milli>(rtt).count();
    h.rtt.observe(std::chrono::duration_cast<std::chrono::nanoseconds>(rtt));
    h.srtt_ms = h.srtt_ms == 0 ? ms : 0.7 * h.srtt_ms + 0.3 * ms;
    h.consecutive_failures = 0;
    if (h.down && ++h.consecutive_successes >= rise_threshold) {
        h.down = false;
        logger.info("upstream is up again", {{"upstream", u.channel->spec().label}});
    }
    if (h.down)
        h.next_probe = clock_.now();  // keep probing at once until it has risen
}

void UpstreamPool::record_failure(Upstream& u) {
    auto& h = u.health;
    h.failures++;
    h.consecutive_successes = 0;
    // RTT backoff (as Unbound's): a failure makes the upstream look slower, so "fastest"
    // stops preferring it before it is marked down.
    h.srtt_ms = std::max(h.srtt_ms * 2, 100.0);
    if (!h.down && ++h.consecutive_failures >= fail_threshold) {
        h.down = true;
        h.next_probe = clock_.now() + probe_interval;
        logger.warn("upstream marked down", {{"upstream", u.channel->spec().label},
                                             {"failures", std::to_string(h.consecutive_failures)}});
    }
}

UpstreamPool::Request* UpstreamPool::take_attempt(uint64_t token) {
    auto at = attempts_.find(token);
    if (at == attempts_.end())
        return nullptr;
    auto it = requests_.find(at->second);
    attempts_.erase(at);
    if (it == requests_.end())
        return nullptr;
    it->second.token = 0;
    return &it->second;
}

void UpstreamPool::on_upstream_reply(uint64_t token, std::span<const uint8_t> msg) {
    Request* found = take_attempt(token);
    if (!found)
        return;
    Request& r = *found;
    uint64_t id = r.id;
    record_success(upstreams_[r.upstream], clock_.now() - r.started);
    uint8_t rc = msg.size() >= dns::header_size ? (msg[3] & 0x0f) : dns::rcode::servfail;
    // A SERVFAIL or REFUSED says this upstream cannot help; another may (as dnsmasq does).
    if ((rc == dns::rcode::servfail || rc == dns::rcode::refused) && r.next < r.order.size() &&
        clock_.now() < r.deadline) {
        r.fallback.assign(msg.begin(), msg.end());
        start_attempt(r);
        return;
    }
    requests_.erase(id);
    listener_.on_pool_reply(id, msg);
}

void UpstreamPool::on_upstream_failure(uint64_t token, UpstreamFailure why) {
    Request* found = take_attempt(token);
    if (!found)
        return;
    Request& r = *found;
    logger.debug(
        "upstream attempt failed",
        {{"upstream", upstreams_[r.upstream].channel->spec().label}, {"why", to_string(why)}});
    attempt_failed(r);
}

void UpstreamPool::attempt_failed(Request& r) {
    record_failure(upstreams_[r.upstream]);
    if (r.next < r.order.size() && clock_.now() < r.deadline) {
        start_attempt(r);
        return;
    }
    finish_failure(r.id);
}

void UpstreamPool::finish_failure(uint64_t id) {
    auto it = requests_.find(id);
    if (it == requests_.end())
        return;
    std::vector<uint8_t> fallback = std::move(it->second.fallback);
    requests_.erase(it);
    if (!fallback.empty())
        listener_.on_pool_reply(id, fallback);
    else
        listener_.on_pool_failure(id);
}

void UpstreamPool::expire(TimePoint now) {
    std::vector<uint64_t> due;
    for (auto& [id, r] : requests_)
        if (now >= r.attempt_deadline)
            due.push_back(id);
    for (uint64_t id : due) {
        auto it = requests_.find(id);
        if (it == requests_.end())
            continue;
        Request& r = it->second;
        if (r.token) {
            upstreams_[r.upstream].channel->cancel(r.token);
            attempts_.erase(r.token);
            r.token = 0;
            upstreams_[r.upstream].health.timeouts++;
            logger.debug("upstream attempt timed out",
                         {{"upstream", upstreams_[r.upstream].channel->spec().label}});
            attempt_failed(r);
        } else {
            finish_failure(id);
        }
    }
}

}  // namespace muster::resolver
