// RpcConnection: one cluster RPC stream on the Raft loop (libuv), accepted by the server port's
// mux or dialled to a peer's (then it sends the mux preamble first). Frames in, frames out;
// writes made while one is in progress are coalesced into the next. The object lives until its
// owner's on_closed, the last call it makes (the owner may destroy it there, not before).
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cluster/internal/rpc_frame.hh"
#include "cluster/internal/secure_link.hh"

namespace muster::cluster::internal {

// What an accepted peer may do: a server, or (a client certificate under
// verify_server_hostname) only a client agent's requests.
enum class PeerRole { server, client };

class RpcConnection {
  public:
    class Owner {
      public:
        virtual void on_frame(RpcConnection& c, Frame f) = 0;
        // The handle is closed; nothing else will be called. The owner may destroy `c` now.
        virtual void on_closed(RpcConnection& c) = 0;

      protected:
        ~Owner() = default;
    };

    // Output that a peer leaves unread beyond this closes the connection.
    static constexpr size_t max_unsent_bytes = size_t{64} << 20;

    // Takes over a stream the mux accepted (a handle muster_mux_free_stream frees) from `peer`.
    RpcConnection(Owner& owner, uint64_t id, uv_stream_t* accepted, const std::string& peer,
                  size_t max_payload, PeerRole role = PeerRole::server);
    // Dials "a.b.c.d:port", with TLS when `policy` says so (the connection counts as connected
    // once the handshake is done). A failure shows as on_closed, never from the constructor.
    RpcConnection(Owner& owner, uint64_t id, uv_loop_t* loop, const std::string& address,
                  size_t max_payload, const LinkPolicy& policy);
    ~RpcConnection();
    RpcConnection(const RpcConnection&) = delete;
    RpcConnection& operator=(const RpcConnection&) = delete;

    void send(uint64_t request_id, uint8_t type, std::span<const uint8_t> payload);
    // Idempotent; on_closed follows on a later loop turn.
    void close(const std::string& why);

    uint64_t id() const { return id_; }
    PeerRole role() const { return role_; }
    const std::string& peer() const { return peer_; }
    bool connected() const { return connected_; }  // the dial completed (always, accepted)
    bool closing() const { return closing_; }
    const std::string& close_reason() const { return close_reason_; }
    uint64_t last_read_ms() const { return last_read_ms_; }  // loop time of the last bytes in
    // Bytes sent but not yet written to the socket (queued, or in the write in progress).
    size_t unsent() const { return out_.size() + writing_bytes_; }

  private:
    struct WriteRequest;
    void start_reading();
    void flush();
    static void on_connect(uv_connect_t* req, int status);
    static void on_link_ready(void* data, int fd, int status, const char* why);
    void on_connected();
    static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
    static void on_write(uv_write_t* req, int status);
    static void on_close(uv_handle_t* h);

    Owner& owner_;
    uint64_t id_;
    PeerRole role_ = PeerRole::server;
    std::string peer_;
    uv_loop_t* loop_;
    // from muster_mux_alloc_stream or the mux; freed on close. A uv_tcp_t, or a uv_pipe_t to a
    // TLS relay (secure_link.h)
    uv_stream_t* tcp_ = nullptr;
    muster_link_dial* dial_ = nullptr;  // the TLS dial in progress
    uv_connect_t connect_{};
    FrameDecoder decoder_;
    std::vector<uint8_t> out_;  // waiting for the write in progress (or the dial)
    bool writing_ = false;
    size_t writing_bytes_ = 0;
    bool connected_ = false;
    bool closing_ = false;
    std::string close_reason_;
    uint64_t last_read_ms_ = 0;
    std::array<char, 64 * 1024> read_buf_{};
};

}  // namespace muster::cluster::internal
