// QuerySink: what the UDP and TCP front ends need of a worker. The listeners own sockets and
// framing; the sink owns contexts, the pipeline and the stats. Tests drive the front ends with
// a fake sink over socketpairs.
#pragma once

#include <cstdint>
#include <span>

#include "resolver/query_context.hh"

namespace muster::resolver::internal {

enum class Outcome {
    send,     // ctx holds the answer now
    pending,  // a stage keeps ctx and the sink finishes it later (UdpListener::send_late,
              // TcpListener::complete)
    none,     // nothing to send; ctx may be released
};

class QuerySink {
  public:
    virtual ~QuerySink() = default;
    // A context for one query, or null to drop it (overload, draining); the sink counts drops.
    virtual QueryContext* acquire(ClientTransport t) = 0;
    virtual void release(QueryContext& ctx) = 0;
    // Parses msg and runs the pipeline.
    virtual Outcome process(QueryContext& ctx, std::span<const uint8_t> msg) = 0;
    // The queries of one read form a batch (the catalog keeps one read snapshot per batch).
    virtual void batch_begin() = 0;
    virtual void batch_end() = 0;
    // A TCP connection was closed at the limit (RFC 7766 §6.2.2).
    virtual void tcp_rejected() = 0;
    // While draining: a connection flushed its output or went away.
    virtual void tcp_progress() = 0;
};

// Opens a batch and ends it on every way out of the scope, so no stage keeps batch state (the
// catalog's LMDB read snapshot, which pins old pages) past the callback that read the queries.
class BatchScope {
  public:
    explicit BatchScope(QuerySink& sink) : sink_(sink) { sink_.batch_begin(); }
    ~BatchScope() { sink_.batch_end(); }
    BatchScope(const BatchScope&) = delete;
    BatchScope& operator=(const BatchScope&) = delete;

  private:
    QuerySink& sink_;
};

}  // namespace muster::resolver::internal
