// RpcServer: the answering side of the cluster RPC, on the Raft loop. Takes the RPC streams the
// server port's mux accepts, hands each request to one handler and sends replies back on the
// connection they came from (if it is still open by then: replies may come much later).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cluster/internal/rpc_connection.hh"
#include "cluster/internal/rpc_frame.hh"

namespace muster::cluster::internal {

class RpcServer final : private RpcConnection::Owner {
  public:
    struct Request {
        uint64_t connection = 0;
        uint64_t id = 0;
        PeerRole from = PeerRole::server;  // what the connection's certificate allows
        std::string peer;                  // "a.b.c.d:port"
        MessageType type = MessageType::hello;
        std::vector<uint8_t> payload;
    };
    using Handler = std::function<void(Request)>;

    // Servers and client agents (one feed connection each) together.
    static constexpr size_t max_connections = 8192;
    static constexpr size_t max_unanswered = 16384;  // per connection

    RpcServer(size_t max_payload, Handler handler);
    ~RpcServer();  // after shutdown() and once the loop ran the closes
    RpcServer(const RpcServer&) = delete;
    RpcServer& operator=(const RpcServer&) = delete;

    // A stream from the mux (muster_rpc_accept_cb).
    void accept(uv_stream_t* stream, const std::string& peer, PeerRole role);
    // Replies to request `id` of `connection`; nothing when the connection is gone.
    void reply(uint64_t connection, uint64_t id, MessageType type,
               std::span<const uint8_t> payload);
    // Sends one more frame for request `id` (a feed's pushes) without counting it as an answer;
    // false when the connection is gone or closing.
    bool push(uint64_t connection, uint64_t id, MessageType type, std::span<const uint8_t> payload);
    // Closes `connection` (a peer that broke the protocol); on_closed follows.
    void close(uint64_t connection, const std::string& why);
    // Bytes queued on `connection` and not yet written; 0 when it is gone.
    size_t unsent(uint64_t connection) const;
    // Runs for every connection that closed (after its last request was handled).
    void set_closed_handler(std::function<void(uint64_t connection)> handler) {
        closed_handler_ = std::move(handler);
    }
    // Closes every connection; later streams are closed as they come.
    void shutdown();

    size_t connections() const { return connections_.size(); }
    uint64_t protocol_errors() const { return protocol_errors_; }

  private:
    struct Entry {
        std::unique_ptr<RpcConnection> connection;
        size_t unanswered = 0;
    };
    void on_frame(RpcConnection& c, Frame f) override;
    void on_closed(RpcConnection& c) override;
    void guarded_closed(uint64_t connection);

    size_t max_payload_;
    Handler handler_;
    std::function<void(uint64_t connection)> closed_handler_;
    bool shut_down_ = false;
    uint64_t next_connection_ = 1;
    uint64_t protocol_errors_ = 0;
    std::map<uint64_t, Entry> connections_;
};

}  // namespace muster::cluster::internal
