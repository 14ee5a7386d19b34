// UpstreamPool: health counters, strategies and failover across one set of upstreams.
#include "resolver/upstream_pool.hh"

#include <algorithm>
#include <numeric>

#include "common/log.hh"
#include "dns/wire.hh"

namespace muster::resolver {
namespace {
constexpr log::Logger logger("upstream");
// Room for any query the forwarder writes (header, name, question, OPT: at most 282 octets),
// so a reused request never grows its buffer again.
constexpr size_t query_capacity = 512;

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

void UpstreamPool::choose_order(std::vector<size_t>& up) {
    up.clear();
    probes_.clear();
    down_.clear();
    TimePoint now = clock_.now();
    for (size_t i = 0; i < upstreams_.size(); ++i) {
        auto& h = upstreams_[i].health;
        if (!h.down) {
            up.push_back(i);
        } else if (now >= h.next_probe) {
            // A down upstream gets one probe per interval, ahead of the others so it can rise.
            h.next_probe = now + probe_interval;
            probes_.push_back(i);
        } else {
            down_.push_back(i);
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
    up.insert(up.begin(), probes_.begin(), probes_.end());
    // Down upstreams stay as a last resort: better a slow answer than none.
    up.insert(up.end(), down_.begin(), down_.end());
}

void UpstreamPool::resolve(uint64_t id, std::span<const uint8_t> query) {
    TimePoint now = clock_.now();
    auto [handle, r] = requests_.acquire();
    r.id = id;
    r.query.reserve(query_capacity);
    r.query.assign(query.begin(), query.end());
    r.fallback.clear();
    choose_order(r.order);
    r.next = 0;
    r.token = 0;
    r.deadline = now + options_.timeout;
    if (r.order.empty()) {
        // Nothing to ask: fail from the loop, never from inside this call.
        r.attempt_deadline = now;
        scheduler_.wake_at(now);
        return;
    }
    start_attempt(handle, r);
}

void UpstreamPool::start_attempt(uint64_t handle, Request& r) {
    TimePoint now = clock_.now();
    size_t n = std::min<size_t>(r.order.size(), 3);
    Duration share =
        std::max<Duration>(options_.timeout / static_cast<int>(n), min_attempt_timeout);
    r.upstream = r.order[r.next++];
    r.token = next_token(handle);
    r.started = now;
    r.attempt_deadline = std::min(now + share, r.deadline);
    upstreams_[r.upstream].health.queries++;
    scheduler_.wake_at(r.attempt_deadline);
    upstreams_[r.upstream].channel->send(r.token, r.query);
}

// A pool-wide attempt serial in the high 32 bits (so tokens grow, and a late reply to an
// earlier attempt of the same request matches nothing), the request's slot in the low 32 (so
// a reply finds its request without a map). Never 0.
uint64_t UpstreamPool::next_token(uint64_t handle) {
    if (++attempt_serial_ == 0)
        attempt_serial_ = 1;
    return uint64_t{attempt_serial_} << 32 | internal::SlotTable<Request>::index_of(handle);
}

uint64_t UpstreamPool::find_id(uint64_t id) const {
    // A scan: only an owner giving up on a query cancels, never the answer path.
    for (size_t i = 0; i < requests_.capacity(); ++i) {
        uint64_t handle = requests_.handle_at(i);
        if (handle != requests_.no_handle && requests_.get(handle).id == id)
            return handle;
    }
    return requests_.no_handle;
}

void UpstreamPool::cancel(uint64_t id) {
    uint64_t handle = find_id(id);
    if (handle == requests_.no_handle)
        return;
    Request& r = requests_.get(handle);
    if (r.token)
        upstreams_[r.upstream].channel->cancel(r.token);
    requests_.release(handle);
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

uint64_t UpstreamPool::take_attempt(uint64_t token) {
    uint32_t slot = internal::SlotTable<Request>::index_of(token);
    if (token == 0 || slot >= requests_.capacity())
        return requests_.no_handle;
    uint64_t handle = requests_.handle_at(slot);
    Request* r = requests_.find(handle);
    if (!r || r->token != token)
        return requests_.no_handle;
    r->token = 0;
    return handle;
}

void UpstreamPool::on_upstream_reply(uint64_t token, std::span<const uint8_t> msg) {
    uint64_t handle = take_attempt(token);
    if (handle == requests_.no_handle)
        return;
    Request& r = requests_.get(handle);
    uint64_t id = r.id;
    record_success(upstreams_[r.upstream], clock_.now() - r.started);
    uint8_t rc = msg.size() >= dns::header_size ? (msg[3] & 0x0f) : dns::rcode::servfail;
    // A SERVFAIL or REFUSED says this upstream cannot help; another may (as dnsmasq does).
    if ((rc == dns::rcode::servfail || rc == dns::rcode::refused) && r.next < r.order.size() &&
        clock_.now() < r.deadline) {
        r.fallback.assign(msg.begin(), msg.end());
        start_attempt(handle, r);
        return;
    }
    requests_.release(handle);
    listener_.on_pool_reply(id, msg);
}

void UpstreamPool::on_upstream_failure(uint64_t token, UpstreamFailure why) {
    uint64_t handle = take_attempt(token);
    if (handle == requests_.no_handle)
        return;
    Request& r = requests_.get(handle);
    logger.debug(
        "upstream attempt failed",
        {{"upstream", upstreams_[r.upstream].channel->spec().label}, {"why", to_string(why)}});
    attempt_failed(handle, r);
}

void UpstreamPool::attempt_failed(uint64_t handle, Request& r) {
    record_failure(upstreams_[r.upstream]);
    if (r.next < r.order.size() && clock_.now() < r.deadline) {
        start_attempt(handle, r);
        return;
    }
    finish_failure(handle);
}

void UpstreamPool::finish_failure(uint64_t handle) {
    Request* r = requests_.find(handle);
    if (!r)
        return;
    uint64_t id = r->id;
    // The record goes back before the listener hears (it may resolve again and reuse it), so
    // the fallback answer moves out first; the swap keeps both buffers' capacity.
    failed_fallback_.clear();
    failed_fallback_.swap(r->fallback);
    requests_.release(handle);
    if (!failed_fallback_.empty())
        listener_.on_pool_reply(id, failed_fallback_);
    else
        listener_.on_pool_failure(id);
}

void UpstreamPool::expire(TimePoint now) {
    // By position: a listener called from here may start requests (a free slot, or a new one
    // at the end, not yet due) but never nests another expire().
    for (size_t i = 0; i < requests_.capacity(); ++i) {
        uint64_t handle = requests_.handle_at(i);
        if (handle == requests_.no_handle)
            continue;
        Request& r = requests_.get(handle);
        if (now < r.attempt_deadline)
            continue;
        if (r.token) {
            upstreams_[r.upstream].channel->cancel(r.token);
            r.token = 0;
            upstreams_[r.upstream].health.timeouts++;
            logger.debug("upstream attempt timed out",
                         {{"upstream", upstreams_[r.upstream].channel->spec().label}});
            attempt_failed(handle, r);
        } else {
            finish_failure(handle);
        }
    }
}

}  // namespace muster::resolver
