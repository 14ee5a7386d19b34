// RpcClient: request IDs, connection reuse, reconnects and timeouts for the cluster RPC.
#include "cluster/internal/rpc_client.hh"

#include <exception>

#include "cluster/internal/callbacks.hh"

namespace muster::cluster::internal {
namespace {
constexpr const log::Logger& logger = node_logger;
}

RpcClient::RpcClient(uv_loop_t* loop, size_t max_payload, std::shared_ptr<const LinkPolicy> policy)
    : loop_(loop), max_payload_(max_payload), policy_(std::move(policy)) {
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    timer_open_ = true;
}

RpcClient::~RpcClient() {
    if (timer_open_ || !connections_.empty())
        MUSTER_PANIC("RpcClient destroyed before its shutdown completed");
}

// Callbacks run on the Raft loop: nothing may unwind into libuv.
void RpcClient::run(Callback& done, Response r) {
    guarded("rpc callback", [&] { done(std::move(r)); });
}

RpcConnection& RpcClient::connection_to(const std::string& address) {
    if (auto it = by_address_.find(address); it != by_address_.end()) {
        RpcConnection& c = *connections_.at(it->second);
        if (!c.closing())
            return c;
    }
    uint64_t id = next_connection_++;
    auto c = std::make_unique<RpcConnection>(static_cast<RpcConnection::Owner&>(*this), id, loop_,
                                             address, max_payload_, *policy_);
    RpcConnection& ref = *c;
    connections_.emplace(id, std::move(c));
    by_address_[address] = id;
    return ref;
}

void RpcClient::call(const std::string& address, MessageType type, std::vector<uint8_t> payload,
                     std::chrono::milliseconds timeout, Callback done) {
    if (shut_down_) {
        run(done, Response{Outcome::not_sent, {}, shutdown_reason_});
        return;
    }
    RpcConnection& c = connection_to(address);
    uint64_t rid = next_request_++;
    uint64_t now = uv_now(loop_);
    uint64_t ms = timeout.count() > 0 ? static_cast<uint64_t>(timeout.count()) : 1;
    Pending p{c.id(), static_cast<uint8_t>(type), now, now + ms, std::move(done)};
    deadlines_.emplace(p.deadline_ms, rid);
    pending_.emplace(rid, std::move(p));
    c.send(rid, static_cast<uint8_t>(type), payload);
    arm_timer();
}

RpcClient::Response RpcClient::failure(const RpcConnection* c, const std::string& why) const {
    Response r;
    r.outcome = c != nullptr && c->connected() ? Outcome::lost : Outcome::not_sent;
    r.error = why;
    return r;
}

void RpcClient::on_frame(RpcConnection& c, Frame f) {
    auto it = pending_.find(f.id);
    if ((f.type & reply_bit) == 0) {
        c.close("protocol error: a request on a client connection");
        return;
    }
    if (it == pending_.end() || it->second.connection != c.id())
        return;  // a reply after its request timed out
    if (f.type != (it->second.type | reply_bit)) {
        c.close(std::string("protocol error: a ") + message_type_name(f.type) + " reply to a " +
                message_type_name(it->second.type) + " request");
        return;
    }
    Pending p = std::move(it->second);
    pending_.erase(it);
    deadlines_.erase({p.deadline_ms, f.id});
    arm_timer();
    run(p.done, Response{Outcome::replied, std::move(f.payload), {}});
}

void RpcClient::on_closed(RpcConnection& c) {
    uint64_t cid = c.id();
    std::string why = c.close_reason().empty() ? "connection closed" : c.close_reason();
    std::vector<std::pair<Callback, Response>> failed;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.connection != cid) {
            ++it;
            continue;
        }
        deadlines_.erase({it->second.deadline_ms, it->first});
        failed.emplace_back(std::move(it->second.done), failure(&c, why));
        it = pending_.erase(it);
    }
    if (auto a = by_address_.find(c.peer()); a != by_address_.end() && a->second == cid)
        by_address_.erase(a);
    connections_.erase(cid);  // destroys c
    arm_timer();
    for (auto& [done, r] : failed)
        run(done, std::move(r));
}

void RpcClient::arm_timer() {
    if (!timer_open_)
        return;
    if (deadlines_.empty()) {
        uv_timer_stop(&timer_);
        return;
    }
    uint64_t now = uv_now(loop_);
    uint64_t first = deadlines_.begin()->first;
    uv_timer_start(&timer_, &RpcClient::on_timer, first > now ? first - now : 0, 0);
}

void RpcClient::on_timer(uv_timer_t* t) {
    auto* self = static_cast<RpcClient*>(t->data);
    try {
        self->expire();
    } catch (const std::exception& e) {
        logger.error("rpc timer failed", {{"error", e.what()}});
    }
}

void RpcClient::expire() {
    uint64_t now = uv_now(loop_);
    std::vector<std::pair<Callback, Response>> failed;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        uint64_t rid = deadlines_.begin()->second;
        deadlines_.erase(deadlines_.begin());
        auto it = pending_.find(rid);
        if (it == pending_.end())
            continue;
        Pending p = std::move(it->second);
        pending_.erase(it);
        auto cit = connections_.find(p.connection);
        RpcConnection* c = cit != connections_.end() ? cit->second.get() : nullptr;
        uint64_t waited = now - p.sent_ms;
        failed.emplace_back(std::move(p.done),
                            failure(c, "no reply within " + std::to_string(waited) + " ms"));
        // Nothing heard on it since the request went out (or still dialling): the connection is
        // presumably dead; the next request dials again.
        if (c != nullptr && (!c->connected() || c->last_read_ms() < p.sent_ms))
            c->close("no reply within " + std::to_string(waited) + " ms");
    }
    arm_timer();
    for (auto& [done, r] : failed)
        run(done, std::move(r));
}

void RpcClient::shutdown(const std::string& why) {
    if (shut_down_)
        return;
    shut_down_ = true;
    shutdown_reason_ = why;
    std::vector<std::pair<Callback, Response>> failed;
    for (auto& [rid, p] : pending_) {
        auto cit = connections_.find(p.connection);
        failed.emplace_back(std::move(p.done),
                            failure(cit != connections_.end() ? cit->second.get() : nullptr, why));
    }
    pending_.clear();
    deadlines_.clear();
    for (auto& [cid, c] : connections_)
        c->close(why);
    by_address_.clear();
    if (timer_open_) {
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
                 [](uv_handle_t* h) { static_cast<RpcClient*>(h->data)->timer_open_ = false; });
    }
    for (auto& [done, r] : failed)
        run(done, std::move(r));
}

}  // namespace muster::cluster::internal
