// ContextPool: 256 contexts up front, more on demand up to 65536, never freed until the
// worker goes; a context's response buffer keeps its capacity from query to query.
#include "resolver/internal/context_pool.hh"

namespace muster::resolver::internal {
namespace {
constexpr size_t initial_contexts = 256;
constexpr size_t max_contexts = 65536;
}  // namespace

ContextPool::ContextPool() {
    contexts_.reserve(initial_contexts);
    for (size_t i = 0; i < initial_contexts; ++i) {
        grow();
        contexts_.back()->response.resize(udp_buf_size);
    }
}

void ContextPool::grow() {
    contexts_.push_back(std::make_unique<QueryContext>());
    contexts_.back()->slot = static_cast<uint32_t>(contexts_.size() - 1);
    free_.push_back(contexts_.back().get());
}

QueryContext* ContextPool::acquire(ClientTransport t) {
    if (free_.empty()) {
        if (contexts_.size() >= max_contexts)
            return nullptr;
        grow();
    }
    QueryContext* ctx = free_.back();
    free_.pop_back();
    ctx->transport = t;
    size_t need = t == ClientTransport::tcp ? tcp_max_message : udp_buf_size;
    if (ctx->response.size() < need)
        ctx->response.resize(need);  // once per context
    ctx->length = 0;
    ctx->tcp_conn = 0;
    ctx->udp_fd = -1;
    return ctx;
}

}  // namespace muster::resolver::internal
