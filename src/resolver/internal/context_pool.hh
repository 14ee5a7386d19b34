// ContextPool: the worker's QueryContexts, made once and reused, so no query allocates.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "resolver/query_context.hh"

namespace muster::resolver::internal {

constexpr size_t udp_buf_size = 4096;      // the largest UDP query read and answer written
constexpr size_t tcp_max_message = 65535;  // RFC 7766 §8: a 16-bit length prefix

class ContextPool {
  public:
    ContextPool();
    ContextPool(const ContextPool&) = delete;
    ContextPool& operator=(const ContextPool&) = delete;

    // A reset context with room for a reply over t; null when the pool is at its bound
    // (overload: shed, never grow without limit).
    QueryContext* acquire(ClientTransport t);
    void release(QueryContext& ctx) { free_.push_back(&ctx); }

  private:
    void grow();

    std::vector<std::unique_ptr<QueryContext>> contexts_;
    std::vector<QueryContext*> free_;
};

}  // namespace muster::resolver::internal
