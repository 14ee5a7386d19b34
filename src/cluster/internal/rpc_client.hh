// RpcClient: cluster RPC requests to other servers, on the Raft loop. One connection per peer
// address, reused by every request to it (each carries its own ID; replies come in any order)
// and made again on the next request after it fails. Every request has a timeout.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/internal/rpc_connection.hh"
#include "cluster/internal/rpc_frame.hh"

namespace muster::cluster::internal {

// Requests to other servers, as the parts of the Raft loop make them: RpcClient over the server
// port, or a fake in unit tests.
class RpcCalls {
  public:
    enum class Outcome {
        replied,   // `payload` is the reply
        not_sent,  // the connection never came up: the request did not reach the peer
        lost,      // sent, but the connection failed or the timeout passed first
    };
    struct Response {
        Outcome outcome = Outcome::lost;
        std::vector<uint8_t> payload;
        std::string error;  // not_sent, lost: why
    };
    using Callback = std::function<void(Response)>;

    // `done` runs exactly once, on the loop and never inside call() (after shutdown: at once).
    virtual void call(const std::string& address, MessageType type, std::vector<uint8_t> payload,
                      std::chrono::milliseconds timeout, Callback done) = 0;

  protected:
    ~RpcCalls() = default;
};

class RpcClient final : public RpcCalls, private RpcConnection::Owner {
  public:
    // `policy`: how connections are dialled (the cluster key); shared, it outlives them.
    RpcClient(uv_loop_t* loop, size_t max_payload, std::shared_ptr<const LinkPolicy> policy);
    // After shutdown() and once the loop has run the closes.
    ~RpcClient();
    RpcClient(const RpcClient&) = delete;
    RpcClient& operator=(const RpcClient&) = delete;

    void call(const std::string& address, MessageType type, std::vector<uint8_t> payload,
              std::chrono::milliseconds timeout, Callback done) override;
    // Fails every pending request (lost, or not_sent when its connection never came up), closes
    // every connection and the timer. Later calls fail at once.
    void shutdown(const std::string& why);

    size_t pending() const { return pending_.size(); }
    size_t connections() const { return connections_.size(); }

  private:
    struct Pending {
        uint64_t connection = 0;
        uint8_t type = 0;
        uint64_t sent_ms = 0;
        uint64_t deadline_ms = 0;
        Callback done;
    };
    void on_frame(RpcConnection& c, Frame f) override;
    void on_closed(RpcConnection& c) override;
    RpcConnection& connection_to(const std::string& address);
    void arm_timer();
    static void on_timer(uv_timer_t* t);
    void expire();
    Response failure(const RpcConnection* c, const std::string& why) const;
    static void run(Callback& done, Response r);

    uv_loop_t* loop_;
    size_t max_payload_;
    std::shared_ptr<const LinkPolicy> policy_;
    uv_timer_t timer_{};
    bool timer_open_ = false;
    bool shut_down_ = false;
    std::string shutdown_reason_;
    uint64_t next_connection_ = 1;
    uint64_t next_request_ = 1;
    std::map<uint64_t, std::unique_ptr<RpcConnection>> connections_;
    std::map<std::string, uint64_t> by_address_;         // the open connection to each address
    std::map<uint64_t, Pending> pending_;                // by request ID
    std::set<std::pair<uint64_t, uint64_t>> deadlines_;  // (deadline_ms, request ID)
};

}  // namespace muster::cluster::internal
