// Dialer: resolves a probe's host and opens a Stream (TCP or TLS) to the first of its addresses
// that accepts a connection, in the resolver's order, as Go's net.Dial does for Consul.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "checks/internal/host_lookup.hh"
#include "common/event_loop.hh"
#include "common/stream.hh"

namespace muster::checks::internal {

struct DialOptions {
    std::string host;  // name or IP literal, without brackets
    uint16_t port = 0;
    StreamKind kind = StreamKind::tcp;
    std::string tls_name;             // tls: sent as SNI and verified (see StreamOptions)
    TlsClientContext* tls = nullptr;  // required for kind tls; must outlive the Dialer
    std::chrono::milliseconds connect_timeout{10000};  // per address
};

struct DialCallbacks {
    std::function<void()> on_connected;  // TCP connected (and TLS verified)
    std::function<void(StreamInput&)> on_readable;
    // Resolving failed, or no address accepted (the reason of the last attempt), or the TLS
    // handshake failed. Nothing follows.
    std::function<void(const std::string& reason)> on_failed;
    // An established stream ended. Nothing follows.
    std::function<void(StreamEnd, const std::string& reason)> on_closed;
};

class Dialer {
  public:
    // Starts at once; no callback runs inside the constructor. The owner may destroy the
    // Dialer inside any callback, but must not touch StreamInput after doing so.
    Dialer(EventLoop& loop, DialOptions options, DialCallbacks callbacks);
    ~Dialer();
    Dialer(const Dialer&) = delete;
    Dialer& operator=(const Dialer&) = delete;

    // Queues bytes on the established stream.
    void write(std::span<const uint8_t> data);

  private:
    void on_resolved(Result<std::vector<SockAddr>> addrs);
    void try_next(std::string last_reason);
    void on_stream_closed(StreamEnd end, const std::string& reason);

    EventLoop& loop_;
    DialOptions options_;
    DialCallbacks callbacks_;
    std::unique_ptr<HostLookup> lookup_;
    std::vector<SockAddr> addrs_;
    size_t next_ = 0;
    std::unique_ptr<Stream> stream_;
};

}  // namespace muster::checks::internal
