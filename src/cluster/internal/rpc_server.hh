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
        MessageType type = MessageType::hello;
        std::vector<uint8_t> payload;
    };
    using Handler = std::function<void(Request)>;

    static constexpr size_t max_connections = 512;
    static constexpr size_t max_unanswered = 16384;  // per connection

    RpcServer(size_t max_payload, Handler handler);
    ~RpcServer();  // after shutdown() and once the loop ran the closes
    RpcServer(const RpcServer&) = delete;
    RpcServer& operator=(const RpcServer&) = delete;

    // A stream from the mux (muster_rpc_accept_cb).
    void accept(uv_stream_t* stream);
    // Replies to request `id` of `connection`; nothing when the connection is gone.
    void reply(uint64_t connection, uint64_t id, MessageType type,
               std::span<const uint8_t> payload);
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

    size_t max_payload_;
    Handler handler_;
    bool shut_down_ = false;
    uint64_t next_connection_ = 1;
    uint64_t protocol_errors_ = 0;
    std::map<uint64_t, Entry> connections_;
};

}  // namespace muster::cluster::internal
