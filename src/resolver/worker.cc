// Worker: the fixed stage table, query processing and draining; the sockets are served by
// internal::UdpListener and internal::TcpListener, the contexts come from internal::ContextPool.
#include "resolver/worker.hh"

#include <random>

#include "common/log.hh"
#include "resolver/internal/listen_socket.hh"
#include "resolver/stages.hh"

namespace muster::resolver {
namespace {
constexpr uint8_t rcode_badvers = 16;  // RFC 6891 §6.1.3 (extended rcode)
const std::vector<Cidr> no_cidrs;

// Each worker shuffles catalog answers with its own sequence.
uint64_t catalog_seed(unsigned index) {
    std::random_device rd;
    return (uint64_t{rd()} << 32 | rd()) ^ (uint64_t{index} * 0x9E3779B97F4A7C15ULL);
}

internal::TcpListener::Limits tcp_limits(const Options& options) {
    unsigned workers = std::max(1u, options.workers);
    return {.max_connections = std::max(1u, options.tcp_max_connections / workers),
            .idle_timeout = options.tcp_idle_timeout};
}
}  // namespace

Worker::Worker(const Options& options, Cache& cache, TlsClientContext* tls, unsigned index)
    : options_(options),
      cache_(cache),
      index_(index),
      forwarder_(
          loop_, cache, SteadyClock::instance(),
          [this, tls](const UpstreamSpec& spec, UpstreamListener& listener) {
              ChannelOptions co;
              co.query_timeout = options_.zones.upstream.timeout + std::chrono::seconds(1);
              co.dropped_replies_total = &stats_.upstream_replies_dropped;
              return UpstreamChannel::create(loop_, spec, tls, listener, co);
          },
          [this](QueryContext& ctx) { complete(ctx); }),
      tcp_(loop_, *this, tcp_limits(options)) {
    late_.reserve(internal::UdpListener::late_batch);
    // The pipeline, in order (one table, as CoreDNS's plugin.cfg). Names we own (local data,
    // the catalog) are answered before the recursion ACL.
    stages_.push_back(std::make_unique<LocalDataStage>(zone_));
    if (options_.catalog.source) {
        catalog_ = std::make_unique<CatalogZone>(options_.catalog, catalog_seed(index));
        stages_.push_back(std::make_unique<CatalogStage>(*catalog_));
    }
    stages_.push_back(std::make_unique<RecursionAclStage>());
    stages_.push_back(std::make_unique<CacheStage>(cache_, forwarder_));
    stages_.push_back(std::make_unique<ForwardStage>(forwarder_));
    for (const auto& stage : stages_)
        stage_sources_.push_back(stage->source());
    listener_metrics_ = std::make_unique<ListenerMetrics[]>(listener_count_);
    batch_answers_ = std::make_unique<uint32_t[]>(listener_count_);
}

Worker::~Worker() = default;

Result<void> Worker::open() {
    using internal::UdpListener;
    internal::QuerySink& sink = *this;
    for (uint16_t index = 0; index < options_.listen.size(); ++index) {
        const auto& [addr, recursion] = options_.listen[index];
        auto u = internal::open_listen_socket(addr, ClientTransport::udp);
        if (!u)
            return u.error();
        auto t = internal::open_listen_socket(addr, ClientTransport::tcp);
        if (!t)
            return t.error();
        auto binding =
            addr.is_unspecified() ? UdpListener::Binding::wildcard : UdpListener::Binding::address;
        ListenerTag tag{.index = index, .recursion = recursion};
        udp_.push_back(std::make_unique<UdpListener>(loop_, std::move(*u), binding, sink, tag));
        tcp_.listen(std::move(*t), tag);
    }
    return {};
}

void Worker::run() {
    loop_.run();
}

void Worker::reconfigure(std::shared_ptr<const LocalZone> zone, const Zones& zones) {
    loop_.post([this, zone = std::move(zone), zones] {
        zone_ = zone;
        forwarder_.configure(zones);
    });
}

QueryContext* Worker::acquire(ClientTransport t) {
    if (t == ClientTransport::tcp)
        return pool_.acquire(t);  // null closes the connection
    QueryContext* ctx = draining_ ? nullptr : pool_.acquire(t);
    if (!ctx)
        stats_.dropped.fetch_add(1, std::memory_order_relaxed);
    return ctx;
}

void Worker::batch_begin() {
    in_batch_ = true;
    batch_start_ = SteadyClock::instance().now();
    for (const auto& stage : stages_)
        stage->batch_begin();
}

void Worker::batch_end() {
    for (const auto& stage : stages_)
        stage->batch_end();
    in_batch_ = false;
    if (!batch_answered_)
        return;
    batch_answered_ = false;
    const Duration took = SteadyClock::instance().now() - batch_start_;
    for (size_t i = 0; i < listener_count_; ++i) {
        if (batch_answers_[i] > 0) {
            listener_metrics_[i].latency.observe(took, batch_answers_[i]);
            batch_answers_[i] = 0;
        }
    }
}

void Worker::tcp_rejected() {
    stats_.tcp_rejected.fetch_add(1, std::memory_order_relaxed);
}

uint8_t Worker::error_rcode(dns::ParseStatus status, const dns::Query& q) {
    switch (status) {
        case dns::ParseStatus::ok:
            break;
        case dns::ParseStatus::drop:
            return 0;  // not reached: process() drops these first
        case dns::ParseStatus::formerr:
            stats_.formerr.fetch_add(1, std::memory_order_relaxed);
            return dns::rcode::formerr;
        case dns::ParseStatus::notimp:
            return dns::rcode::notimp;
        case dns::ParseStatus::badvers:
            return rcode_badvers;
    }
    if (q.qtype == dns::type::axfr || q.qtype == dns::type::ixfr)
        return dns::rcode::notimp;
    return 0;
}

void Worker::prepare(QueryContext& ctx) {
    const dns::Query& q = ctx.query;
    // A zone-only listener never recurses, whatever the client: names muster does not own
    // get REFUSED (RecursionAclStage).
    ctx.recursion_allowed = false;
    for (const Cidr& c : ctx.listener_recursion ? options_.allow_recursion : no_cidrs) {
        if (c.contains(ctx.client)) {
            ctx.recursion_allowed = true;
            break;
        }
    }
    ctx.edns = dns::EdnsOut{};
    ctx.edns.present = q.has_edns;
    ctx.edns.udp_size = options_.edns_udp_size;
    ctx.edns.do_bit = q.do_bit;
    if (ctx.transport == ClientTransport::tcp) {
        ctx.limit = internal::tcp_max_message;
    } else {
        // RFC 6891 §6.2.3/§6.2.5: the client's size, at least 512, at most what we advertise.
        size_t size = q.has_edns ? std::max<size_t>(512, q.edns_udp_size) : 512;
        ctx.limit = std::min<size_t>(size, options_.edns_udp_size);
    }
    ctx.length = 0;
}

internal::Outcome Worker::process(QueryContext& ctx, std::span<const uint8_t> msg) {
    using internal::Outcome;
    stats_.queries.fetch_add(1, std::memory_order_relaxed);
    ctx.received = in_batch_ ? batch_start_ : SteadyClock::instance().now();
    ctx.answer = AnswerSource::error;
    auto status = dns::parse_query(msg, ctx.query);
    if (status == dns::ParseStatus::drop) {
        stats_.dropped.fetch_add(1, std::memory_order_relaxed);
        return Outcome::none;
    }
    if (uint8_t err = error_rcode(status, ctx.query); err != 0) {
        ctx.length = dns::write_error(msg, ctx.query, err, ctx.response);
        record(ctx);
        return ctx.length > 0 ? Outcome::send : Outcome::none;
    }
    prepare(ctx);
    for (size_t i = 0; i < stages_.size(); ++i) {
        ctx.answer = stage_sources_[i];
        switch (stages_[i]->handle(ctx)) {
            case Verdict::answered:
                record(ctx);
                return ctx.length > 0 ? Outcome::send : Outcome::none;
            case Verdict::pending:
                ++pending_;
                return Outcome::pending;
            case Verdict::next:
                break;
        }
    }
    // Every pipeline ends in ForwardStage, which always answers or takes the query.
    MUSTER_PANIC("query fell off the end of the pipeline");
}

void Worker::record(const QueryContext& ctx) {
    if (ctx.length < dns::header_size)
        return;  // nothing is sent
    ListenerMetrics& m = listener_metrics_[ctx.listener];
    m.answers[static_cast<size_t>(ctx.answer)].add();
    m.rcodes[ctx.response[3] & 0x0f].add();
    if (ctx.response[2] & 0x02)
        m.truncated.add();
    if (in_batch_ && ctx.received == batch_start_) {
        // answered within its batch: observed at the batch's end
        ++batch_answers_[ctx.listener];
        batch_answered_ = true;
        return;
    }
    m.latency.observe(SteadyClock::instance().now() - ctx.received);
}

void Worker::collect_upstreams(std::function<void(std::vector<UpstreamMetrics>)> done) {
    loop_.post([this, done = std::move(done)] {
        std::vector<UpstreamMetrics> out;
        forwarder_.collect(out);
        done(std::move(out));
    });
}

void Worker::complete(QueryContext& ctx) {
    --pending_;
    record(ctx);
    if (ctx.transport == ClientTransport::udp && ctx.length > 0) {
        late_.push_back(&ctx);  // released when sent
        if (late_.size() == internal::UdpListener::late_batch || draining_)
            flush_late();
        else if (!late_timer_.armed())
            late_timer_.arm(Duration::zero());
    } else {
        if (ctx.transport == ClientTransport::tcp)
            tcp_.complete(ctx);
        release(ctx);
    }
    if (draining_)
        check_drained();
}

void Worker::flush_late() {
    if (late_.empty())
        return;
    internal::UdpListener::send_late(late_);
    for (QueryContext* ctx : late_)
        release(*ctx);
    late_.clear();
}

void Worker::drain_and_stop(Duration grace) {
    loop_.post([this, grace] {
        draining_ = true;
        drain_deadline_ = SteadyClock::instance().now() + grace;
        // Stop accepting: no new queries, but UDP sockets stay open for the pending answers.
        for (auto& u : udp_)
            u->stop_reading();
        tcp_.stop_reading();
        drain_timer_ = std::make_unique<Timer>(loop_, [this] { check_drained(); });
        check_drained();
    });
}

void Worker::check_drained() {
    if ((pending_ == 0 && tcp_.flushed()) || SteadyClock::instance().now() >= drain_deadline_) {
        tcp_.close_all();
        loop_.stop();
        return;
    }
    if (drain_timer_ && !drain_timer_->armed())
        drain_timer_->arm(std::chrono::milliseconds(10));
}

}  // namespace muster::resolver
