// Forwarder: upstream selection by zone, in-flight sharing, cache fill, prefetch, serve-stale.
#include "resolver/forwarder.hh"

#include <cstring>

#include "common/log.hh"
#include "dns/response.hh"
#include "dns/response_writer.hh"

namespace muster::resolver {
namespace {
constexpr log::Logger logger("forward");

std::unique_ptr<UpstreamPool> make_pool(const UpstreamOptions& o, const ChannelFactory& f,
                                        const Clock& c, WakeupScheduler& s, PoolListener& l) {
    return std::make_unique<UpstreamPool>(o, f, c, s, l);
}
}  // namespace

Forwarder::Forwarder(EventLoop& loop, Cache& cache, const Clock& clock, ChannelFactory factory,
                     Completion complete)
    : loop_(loop),
      cache_(cache),
      clock_(clock),
      factory_(std::move(factory)),
      complete_(std::move(complete)),
      timer_(loop, [this] { on_timer(); }) {}

Forwarder::~Forwarder() = default;

void Forwarder::configure(const Zones& zones) {
    if (current_.recursors)
        retiring_.push_back(std::move(current_));
    current_ = PoolSet{};
    current_.recursors = make_pool(zones.upstream, factory_, clock_, *this, *this);
    for (const auto& fz : zones.forward_zones) {
        UpstreamOptions o = zones.upstream;
        o.upstreams = fz.upstreams;
        dns::Name zone = fz.zone;
        zone.lowercase();
        current_.zones.emplace_back(zone, make_pool(o, factory_, clock_, *this, *this));
    }
    warned_no_upstream_ = false;
    retire_idle_pools();
}

UpstreamPool* Forwarder::pool_for(const dns::Name& qname_lower) {
    // dnsmasq's server=/zone/ip: the most specific zone wins.
    UpstreamPool* best = current_.recursors.get();
    int best_labels = -1;
    for (auto& [zone, pool] : current_.zones) {
        if (zone.label_count() > best_labels && qname_lower.is_subdomain_of(zone)) {
            best = pool.get();
            best_labels = zone.label_count();
        }
    }
    return best;
}

Forwarder::InFlight& Forwarder::start(const dns::Query& q, UpstreamPool* pool) {
    CacheKey cache_key(q.qname_lower, q.qtype, q.qclass, q.do_bit);
    std::array<char, sizeof(UpstreamPool*) + CacheKey::max_size> key_bytes;
    std::memcpy(key_bytes.data(), &pool, sizeof pool);
    std::string_view cache_view = cache_key.view();
    std::memcpy(key_bytes.data() + sizeof pool, cache_view.data(), cache_view.size());
    std::string_view key(key_bytes.data(), sizeof pool + cache_view.size());
    if (const uint64_t* running = by_key_.find(key))
        return inflight_.get(*running);

    auto [id, f] = inflight_.acquire();
    f.key_bytes = key_bytes;
    f.key_len = key.size();
    f.qname = q.qname_lower;
    f.qtype = q.qtype;
    f.qclass = q.qclass;
    f.do_bit = q.do_bit;
    f.pool = pool;
    f.waiters.clear();
    by_key_.insert(f.key(), id);
    uint8_t wire[dns::header_size + dns::max_name_wire + 4 + 11];
    size_t len = dns::write_query(wire, 0, q.qname_lower, q.qtype, q.qclass,
                                  {.rd = true, .do_bit = q.do_bit});
    pool->resolve(id, {wire, len});
    return f;
}

Verdict Forwarder::forward(QueryContext& ctx) {
    UpstreamPool* pool = pool_for(ctx.query.qname_lower);
    if (!pool || pool->empty()) {
        if (!warned_no_upstream_) {
            logger.warn("no upstream for a forwarded name; answering SERVFAIL",
                        {{"qname", ctx.query.qname.to_text()}});
            warned_no_upstream_ = true;
        }
        answer_servfail(ctx);
        return Verdict::answered;
    }
    start(ctx.query, pool).waiters.push_back(&ctx);
    return Verdict::pending;
}

void Forwarder::collect(std::vector<UpstreamMetrics>& out) const {
    auto add_pool = [&out](const UpstreamPool& pool, const std::string& zone) {
        for (size_t i = 0; i < pool.specs().size(); ++i) {
            const UpstreamHealth& h = pool.health(i);
            ChannelStats c = pool.channel(i).stats();
            out.push_back(UpstreamMetrics{.upstream = pool.specs()[i].label,
                                          .zone = zone,
                                          .up = !h.down,
                                          .queries = h.queries,
                                          .failures = h.failures,
                                          .timeouts = h.timeouts,
                                          .connects = c.connects,
                                          .tls_resumed = c.tls_resumed,
                                          .connect_failures = c.connect_failures,
                                          .dropped_replies = c.dropped_replies,
                                          .rtt = h.rtt});
        }
    };
    if (current_.recursors)
        add_pool(*current_.recursors, ".");
    for (const auto& [zone, pool] : current_.zones)
        if (pool)
            add_pool(*pool, zone.to_text());
}

void Forwarder::prefetch(const dns::Query& q) {
    UpstreamPool* pool = pool_for(q.qname_lower);
    if (pool && !pool->empty())
        start(q, pool);
}

void Forwarder::answer_servfail(QueryContext& ctx) {
    ctx.answer = AnswerSource::error;
    dns::EdnsOut edns = ctx.edns;
    if (edns.present) {
        edns.has_ede = true;
        edns.ede_code = dns::ede::network_error;  // RFC 8914 §4.24
    }
    dns::ResponseWriter w(ctx.response, ctx.limit);
    w.begin(ctx.query, ctx.recursion_allowed ? dns::flag::ra : 0, dns::rcode::servfail, edns);
    ctx.length = w.finish();
}

Forwarder::InFlight* Forwarder::take(uint64_t id) {
    InFlight* f = inflight_.find(id);
    if (f)
        by_key_.erase(f->key());
    return f;
}

void Forwarder::on_pool_reply(uint64_t id, std::span<const uint8_t> msg) {
    InFlight* taken = take(id);
    if (!taken)
        return;
    InFlight& f = *taken;
    // The response is parsed once, up front; a mismatch counts as a failure.
    dns::ResponseInfo& info = reply_info_;
    auto status = dns::parse_response(msg, f.qname, f.qtype, f.qclass, info);
    if (status != dns::ResponseStatus::ok) {
        logger.debug("upstream answer rejected", {{"qname", f.qname.to_text()}});
        fail_waiters(f);
        inflight_.release(id);
        return;
    }
    CacheKey key(f.qname, f.qtype, f.qclass, f.do_bit);
    cache_.store(key, msg, info);

    // Render for each waiter from this answer (its own ID, case, EDNS and size limit).
    reply_body_.assign(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(
                                                      std::min(info.body_end, msg.size())));
    dns::strip_opt_header(reply_body_, info);
    std::span<const uint16_t> offsets(info.ttl_offsets, info.ttl_count);
    for (QueryContext* ctx : f.waiters) {
        dns::RenderParams p;
        p.edns = ctx->edns;
        p.ra = ctx->recursion_allowed;
        ctx->length =
            dns::render_stored(reply_body_, offsets, ctx->query, p, ctx->response, ctx->limit);
        if (ctx->length == 0)
            answer_servfail(*ctx);
        complete_(*ctx);
    }
    inflight_.release(id);
    retire_idle_pools();
}

void Forwarder::on_pool_failure(uint64_t id) {
    if (InFlight* taken = take(id)) {
        fail_waiters(*taken);
        inflight_.release(id);
    }
}

void Forwarder::fail_waiters(InFlight& f) {
    CacheKey key(f.qname, f.qtype, f.qclass, f.do_bit);
    for (QueryContext* ctx : f.waiters) {
        // RFC 8767 §5: when the upstreams cannot answer, a stale answer beats SERVFAIL.
        auto hit =
            cache_.lookup(key, ctx->query, ctx->edns, ctx->response, ctx->limit, StaleUse::serve);
        if (hit.length > 0) {
            ctx->length = hit.length;
            ctx->answer = AnswerSource::stale;
        } else {
            answer_servfail(*ctx);
        }
        complete_(*ctx);
    }
    retire_idle_pools();
}

void Forwarder::wake_at(TimePoint when) {
    bool earliest = wakeups_.empty() || when < wakeups_.top();
    wakeups_.push(when);
    if (earliest) {
        auto now = clock_.now();
        timer_.arm(when > now ? when - now : Duration::zero());
    }
}

void Forwarder::on_timer() {
    TimePoint now = clock_.now();
    while (!wakeups_.empty() && wakeups_.top() <= now)
        wakeups_.pop();
    if (current_.recursors)
        current_.recursors->expire(now);
    for (auto& [zone, pool] : current_.zones)
        pool->expire(now);
    for (auto& set : retiring_) {
        if (set.recursors)
            set.recursors->expire(now);
        for (auto& [zone, pool] : set.zones)
            pool->expire(now);
    }
    if (!wakeups_.empty())
        timer_.arm(wakeups_.top() > now ? wakeups_.top() - now : Duration::zero());
    retire_idle_pools();
}

void Forwarder::retire_idle_pools() {
    // Destroying a pool from inside its own callback would pull the floor from under it: do
    // it from the loop instead.
    if (retiring_.empty())
        return;
    loop_.post([this] {
        std::erase_if(retiring_, [](const PoolSet& set) {
            if (set.recursors && set.recursors->in_flight())
                return false;
            for (auto& [zone, pool] : set.zones)
                if (pool->in_flight())
                    return false;
            return true;
        });
    });
}

}  // namespace muster::resolver
