// Worker: one thread, one event loop, its own SO_REUSEPORT UDP and TCP sockets on every
// listen address, its own pipeline and upstream connections. Workers share only the cache.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/event_loop.hh"
#include "common/result.hh"
#include "resolver/cache.hh"
#include "resolver/catalog_zone.hh"
#include "resolver/forwarder.hh"
#include "resolver/internal/context_pool.hh"
#include "resolver/internal/query_sink.hh"
#include "resolver/internal/tcp_listener.hh"
#include "resolver/internal/udp_listener.hh"
#include "resolver/local_zone.hh"
#include "resolver/metrics.hh"
#include "resolver/options.hh"
#include "resolver/stage.hh"

namespace muster {
class TlsClientContext;
}

namespace muster::resolver {

struct WorkerStats {
    std::atomic<uint64_t> queries{0}, formerr{0}, dropped{0}, refused{0}, tcp_rejected{0};
    // Upstream replies that did not match an outstanding query (ID, question), over all of
    // this worker's channels: a cache-poisoning signal (RFC 5452 §9.1). UDP replies from
    // another address or port never get here: the connected socket's kernel drops them.
    std::atomic<uint64_t> upstream_replies_dropped{0};
};

class Worker final : private internal::QuerySink {
  public:
    Worker(const Options& options, Cache& cache, TlsClientContext* tls, unsigned index);
    ~Worker() override;
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Binds this worker's sockets (called before the thread starts, so errors reach main).
    Result<void> open();
    // Runs the loop on the calling thread until stopped.
    void run();
    // From any thread: stop accepting, finish in-flight queries (bounded by `grace`), return.
    void drain_and_stop(Duration grace);
    // From any thread: swap local data and upstreams.
    void reconfigure(std::shared_ptr<const LocalZone> zone, const Zones& zones);

    const WorkerStats& stats() const { return stats_; }
    // The counters of listener `i` (Options::listen's order); safe from any thread.
    const ListenerMetrics& listener_metrics(size_t i) const { return listener_metrics_[i]; }
    // From any thread: `done` gets this worker's upstream counters, on the worker's thread.
    void collect_upstreams(std::function<void(std::vector<UpstreamMetrics>)> done);

  private:
    // internal::QuerySink, for the UDP and TCP front ends.
    QueryContext* acquire(ClientTransport t) override;
    void release(QueryContext& ctx) override { pool_.release(ctx); }
    // Parses and runs the pipeline: send = ctx holds the answer now; pending = a stage keeps
    // ctx and hands it to complete() later; none = nothing to send (ctx is free to release).
    internal::Outcome process(QueryContext& ctx, std::span<const uint8_t> msg) override;
    void batch_begin() override;
    void batch_end() override;
    void tcp_rejected() override;
    void tcp_progress() override { check_drained(); }

    // The error rcode for a query dns::parse_query did not accept, or that asks for a zone
    // transfer; 0 when the pipeline should run.
    uint8_t error_rcode(dns::ParseStatus status, const dns::Query& q);
    void prepare(QueryContext& ctx);       // recursion, EDNS and size limit for the reply
    void complete(QueryContext& ctx);      // a pending query's answer is ready
    void flush_late();                     // sends the queued late UDP answers
    void record(const QueryContext& ctx);  // counts an answer about to be sent
    void check_drained();

    Options options_;
    Cache& cache_;
    unsigned index_;
    EventLoop loop_;
    std::shared_ptr<const LocalZone> zone_;
    std::unique_ptr<CatalogZone> catalog_;  // null when there is no catalog source
    Forwarder forwarder_;
    std::vector<std::unique_ptr<Stage>> stages_;
    std::vector<AnswerSource> stage_sources_;  // stages_[i]->source(), without the call

    internal::ContextPool pool_;
    size_t pending_ = 0;
    // Late UDP answers (forwarded queries) wait for the end of the loop iteration and leave
    // together in one sendmmsg: one syscall and one wakeup of the client for a whole TLS
    // record of upstream replies, not one per answer (issue 18, DoT misses on a busy machine).
    std::vector<QueryContext*> late_;
    Timer late_timer_{loop_, [this] { flush_late(); }};
    // After the loop and the pool: they go first, closing their sockets.
    std::vector<std::unique_ptr<internal::UdpListener>> udp_;
    internal::TcpListener tcp_;

    bool draining_ = false;
    TimePoint drain_deadline_{};
    std::unique_ptr<Timer> drain_timer_;
    WorkerStats stats_;
    const size_t listener_count_ = std::max<size_t>(1, options_.listen.size());
    std::unique_ptr<ListenerMetrics[]> listener_metrics_;  // one per listener_count_
    // The answers of a batch (one recvmmsg, or one TCP read) share its clock readings: taken
    // when the batch begins, and once at its end, after its sendmmsg, for the latency of those
    // it answered itself. Two clock reads per query were a percent of the local answer path.
    bool in_batch_ = false;
    TimePoint batch_start_{};
    std::unique_ptr<uint32_t[]> batch_answers_;  // per listener: answered in this batch
    bool batch_answered_ = false;                // any of batch_answers_ set
};

}  // namespace muster::resolver
