// Stream: a client byte stream over a libevent bufferevent, plain TCP or TLS (RFC 7766, RFC 7858).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "common/address.hh"
#include "common/event_loop.hh"
#include "common/result.hh"

struct bufferevent;
struct evbuffer;

namespace muster {

class TlsClientContext;
class TlsSessionSlot;

enum class StreamKind { tcp, tls };

struct StreamOptions {
    StreamKind kind = StreamKind::tcp;
    SockAddr addr;
    // tls: sent as SNI and matched against the certificate (RFC 6125 via SSL_set1_host). An IP
    // literal is matched against the certificate's IP SANs and not sent as SNI (RFC 6066 §3).
    // Empty: the certificate must carry the IP of `addr` (RFC 8310 §8.2 needs some name; the
    // address is the only one we have).
    std::string tls_name;
    TlsClientContext* tls = nullptr;    // required for kind tls
    TlsSessionSlot* session = nullptr;  // optional: offered for resumption, refreshed on success
    std::chrono::milliseconds connect_timeout{2000};  // TCP connect plus TLS handshake
};

// How a stream ended. The reason text says more for humans.
enum class StreamEnd {
    eof,             // the peer closed an established stream
    error,           // I/O or TLS error on an established stream
    connect_failed,  // TCP connect failed (refused, unreachable, closed before established)
    tls_failed,      // TLS handshake or certificate verification failed
    timed_out,       // connect_timeout passed before the stream was established
};
const char* to_string(StreamEnd e);

// Received bytes not consumed yet. Valid only inside StreamCallbacks::on_readable.
class StreamInput {
  public:
    size_t size() const;
    // Copies up to out.size() bytes from the front without consuming them; returns the count.
    size_t peek(std::span<uint8_t> out) const;
    // The first n (<= size()) bytes as one contiguous span, without consuming them. Copies
    // inside the buffer only when they straddle chunks. Valid until drain() or return.
    std::span<const uint8_t> contiguous(size_t n);
    void drain(size_t n);

  private:
    friend class Stream;
    evbuffer* buf_ = nullptr;
};

struct StreamCallbacks {
    std::function<void()> on_connected;             // TCP connected and TLS verified
    std::function<void(StreamInput&)> on_readable;  // consume what is complete, leave the rest
    // The stream is dead after this; no callback follows. The owner may destroy the Stream
    // inside any callback, but must not touch StreamInput after doing so.
    std::function<void(StreamEnd, const std::string& reason)> on_closed;
};

class Stream {
  public:
    // Starts connecting. Fails at once only when no socket could be made or the address is
    // unusable; otherwise the outcome arrives through the callbacks (never synchronously).
    static Result<std::unique_ptr<Stream>> connect(EventLoop& loop, const StreamOptions& options,
                                                   StreamCallbacks callbacks);
    // Closes without any further callback. A TLS stream sends close_notify first (best
    // effort) so its session stays resumable.
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Queues bytes for sending; allowed before the stream is established.
    void write(std::span<const uint8_t> data);
    size_t pending_output() const;
    bool established() const { return established_; }
    // tls: whether the handshake resumed a previous session.
    bool resumed() const;
    const StreamOptions& options() const { return options_; }

  private:
    Stream(EventLoop& loop, StreamOptions options, StreamCallbacks callbacks);
    Result<void> start();
    void close_with(StreamEnd end, const std::string& reason);
    std::string error_reason(short what) const;
    bool tcp_connected() const;
    static void on_read(bufferevent* bev, void* arg);
    static void on_event(bufferevent* bev, short what, void* arg);

    StreamOptions options_;
    StreamCallbacks callbacks_;
    bufferevent* bev_ = nullptr;
    Timer connect_timer_;
    StreamInput input_;
    bool established_ = false;
    bool closed_ = false;
};

}  // namespace muster
