// UpstreamChannel: the transport to one upstream server (UDP, TCP or DNS-over-TLS), owned by
// one worker's loop. It frames queries, gives each a random ID unique among its outstanding
// queries, matches replies by ID and question, and reports each query's outcome exactly once.
// Health, failover and timeouts across upstreams are the UpstreamPool's job, not this one's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/address.hh"
#include "common/event_loop.hh"

namespace muster {
class TlsClientContext;
}

namespace muster::resolver {

enum class UpstreamTransport { udp, tcp, tls };

struct UpstreamSpec {
    UpstreamTransport transport = UpstreamTransport::udp;
    SockAddr addr;         // with port (53, or 853 for tls)
    std::string tls_name;  // tls: the certificate must chain to a trusted CA and match this
    std::string label;     // for logs and metrics, e.g. "tls://127.0.0.1:853#dot.test"
};

enum class UpstreamFailure {
    connect,    // could not connect (refused, unreachable) or connection lost with it in flight
    tls,        // TLS handshake or certificate verification failed
    timeout,    // the channel's own hard limit (ChannelOptions::query_timeout) passed
    malformed,  // only for UDP: no valid reply could be read (TCP/TLS drop bad frames)
    shutdown,   // channel destroyed or closed with the query outstanding
};
// Notes on the implementations behind UpstreamChannel::create:
// - A query that is not one well-formed question (QDCOUNT 1, readable question, at most 65535
//   octets) fails with `malformed` on every transport.
// - UDP: `malformed` when a reply with our ID arrives without a readable question (e.g. a
//   FORMERR with QDCOUNT 0); `connect` on ICMP port unreachable or when the RFC 7766 TCP retry
//   after a truncated (TC) reply fails.
// - TCP/TLS: a connection lost or refused fails every query the channel holds (written or
//   still queued) with `connect`, or `tls` when the handshake or certificate check failed.
//   After a failed connection attempt the channel backs off (reconnect_backoff_min doubling
//   up to _max); while backing off send() fails fast with `connect`. A connection that was
//   up and then dropped is retried at once on the next send().
// - `shutdown` is never reported: destroying a channel drops its queries silently.

const char* to_string(UpstreamFailure f);

class UpstreamListener {
  public:
    virtual ~UpstreamListener() = default;
    // msg is a full DNS message whose ID and question matched the query sent with `token`;
    // the ID in msg is the channel's, not the client's. Valid only during the call.
    virtual void on_upstream_reply(uint64_t token, std::span<const uint8_t> msg) = 0;
    virtual void on_upstream_failure(uint64_t token, UpstreamFailure why) = 0;
};

struct ChannelOptions {
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds query_timeout{5000};  // backstop; the pool usually cancels first
    std::chrono::milliseconds idle_timeout{30000};  // close an idle TCP/TLS connection
    unsigned max_in_flight = 512;                   // per connection; more wait in a queue
    std::chrono::milliseconds reconnect_backoff_min{100};
    std::chrono::milliseconds reconnect_backoff_max{5000};
    // Every dropped reply is also added here: a total over many channels that other threads
    // may read (the worker's, for metrics). Null: only ChannelStats counts them.
    std::atomic<uint64_t>* dropped_replies_total = nullptr;
};

// Counters for metrics; monotonic over the channel's life.
struct ChannelStats {
    uint64_t sent = 0;               // queries written to the wire (TC retries included)
    uint64_t replies = 0;            // replies delivered
    uint64_t dropped_replies = 0;    // not a response, unknown ID or question mismatch
    uint64_t truncated_retries = 0;  // UDP: TC replies retried over TCP (RFC 7766 §5)
    uint64_t connects = 0;           // TCP/TLS connections established
    uint64_t tls_resumed = 0;        // TLS handshakes that resumed a session
    uint64_t connect_failures = 0;   // connection attempts that failed (tls included)
    uint64_t timeouts = 0;           // queries failed by query_timeout
};

class UpstreamChannel {
  public:
    virtual ~UpstreamChannel() = default;
    // query: a full DNS query message (its ID is overwritten). Never calls the listener
    // synchronously from inside send(); outcomes arrive from the loop.
    virtual void send(uint64_t token, std::span<const uint8_t> query) = 0;
    // Forget a query (no callback will come for it).
    virtual void cancel(uint64_t token) = 0;
    virtual const UpstreamSpec& spec() const = 0;
    // Not pure so that fakes in unit tests need not implement it.
    virtual ChannelStats stats() const { return {}; }

    // tls may be null unless spec.transport == tls (then it must outlive the channel).
    // Destroying the channel (also from inside a listener callback) cancels every query it
    // holds without calling the listener.
    static std::unique_ptr<UpstreamChannel> create(EventLoop& loop, const UpstreamSpec& spec,
                                                   TlsClientContext* tls,
                                                   UpstreamListener& listener,
                                                   const ChannelOptions& options);
};

}  // namespace muster::resolver
