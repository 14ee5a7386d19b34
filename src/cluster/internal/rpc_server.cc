// RpcServer: accepted cluster RPC connections, request dispatch and bounded replies.
#include "cluster/internal/rpc_server.hh"

#include <exception>

#include "cluster/internal/mux_transport.h"
#include "cluster/internal/rpc_messages.hh"
#include "common/log.hh"

namespace muster::cluster::internal {
namespace {
constexpr log::Logger logger("cluster");
}

RpcServer::RpcServer(size_t max_payload, Handler handler)
    : max_payload_(max_payload), handler_(std::move(handler)) {}

RpcServer::~RpcServer() {
    if (!connections_.empty())
        MUSTER_PANIC("RpcServer destroyed with connections open");
}

void RpcServer::accept(uv_stream_t* stream, const std::string& peer, PeerRole role) {
    if (shut_down_ || connections_.size() >= max_connections) {
        uv_close(reinterpret_cast<uv_handle_t*>(stream), &muster_mux_free_stream);
        return;
    }
    uint64_t id = next_connection_++;
    connections_.emplace(
        id, Entry{std::make_unique<RpcConnection>(static_cast<RpcConnection::Owner&>(*this), id,
                                                  stream, peer, max_payload_, role),
                  0});
}

void RpcServer::reply(uint64_t connection, uint64_t id, MessageType type,
                      std::span<const uint8_t> payload) {
    auto it = connections_.find(connection);
    if (it == connections_.end())
        return;
    if (it->second.unanswered > 0)
        --it->second.unanswered;
    it->second.connection->send(id, static_cast<uint8_t>(type) | reply_bit, payload);
}

bool RpcServer::push(uint64_t connection, uint64_t id, MessageType type,
                     std::span<const uint8_t> payload) {
    auto it = connections_.find(connection);
    if (it == connections_.end() || it->second.connection->closing())
        return false;
    it->second.connection->send(id, static_cast<uint8_t>(type) | reply_bit, payload);
    return !it->second.connection->closing();
}

void RpcServer::close(uint64_t connection, const std::string& why) {
    auto it = connections_.find(connection);
    if (it == connections_.end())
        return;
    ++protocol_errors_;
    logger.info("closing an rpc connection",
                {{"peer", it->second.connection->peer()}, {"reason", why}});
    it->second.connection->close(why);
}

size_t RpcServer::unsent(uint64_t connection) const {
    auto it = connections_.find(connection);
    return it == connections_.end() ? 0 : it->second.connection->unsent();
}

void RpcServer::on_frame(RpcConnection& c, Frame f) {
    auto it = connections_.find(c.id());
    if (it == connections_.end())
        return;
    if ((f.type & reply_bit) != 0) {
        ++protocol_errors_;
        c.close("protocol error: a reply on a server connection");
        return;
    }
    if (!is_request_type(f.type)) {
        ++protocol_errors_;
        auto ack = encode_ack(Ack{"unknown message type " + std::to_string(f.type), false});
        c.send(f.id, f.type | reply_bit, ack);
        return;
    }
    if (++it->second.unanswered > max_unanswered) {
        ++protocol_errors_;
        c.close("more than " + std::to_string(max_unanswered) + " requests unanswered");
        return;
    }
    try {
        handler_(Request{.connection = c.id(),
                         .id = f.id,
                         .from = c.role(),
                         .peer = c.peer(),
                         .type = static_cast<MessageType>(f.type),
                         .payload = std::move(f.payload)});
    } catch (const std::exception& e) {
        logger.error("rpc handler failed",
                     {{"type", message_type_name(f.type)}, {"error", e.what()}});
        c.close(std::string("handler failed: ") + e.what());
    }
}

void RpcServer::on_closed(RpcConnection& c) {
    uint64_t id = c.id();
    connections_.erase(id);
    if (closed_handler_)
        guarded_closed(id);
}

void RpcServer::guarded_closed(uint64_t connection) {
    try {
        closed_handler_(connection);
    } catch (const std::exception& e) {
        logger.error("rpc close handler failed", {{"error", e.what()}});
    }
}

void RpcServer::shutdown() {
    shut_down_ = true;
    for (auto& [id, e] : connections_)
        e.connection->close("the server is stopping");
}

}  // namespace muster::cluster::internal
