// TlsClientContext: RAII over an OpenSSL SSL_CTX for DNS-over-TLS clients (RFC 7858, RFC 8310).
#pragma once

#include <memory>
#include <string>

#include "common/result.hh"

struct ssl_ctx_st;
struct ssl_session_st;

namespace muster {

// Whether the peer's certificate is checked. `none` exists for health checks with Consul's
// tls_skip_verify; DNS-over-TLS upstreams always verify (RFC 8310 §8.1).
enum class TlsVerify { peer, none };

struct TlsClientOptions {
    // PEM file of trusted CAs. When set, ONLY this file is trusted (the system store is not
    // consulted), so a private upstream cannot be impersonated by any public CA. When empty,
    // the system default store (SSL_CTX_set_default_verify_paths) is used.
    std::string ca_file;
    // none: the handshake succeeds whatever certificate the peer shows (ca_file is ignored).
    TlsVerify verify = TlsVerify::peer;
};

// A client context shared by every TLS upstream of one worker: TLS 1.2 minimum, peer
// verification on (RFC 8310 §8.1 strict privacy: a failed check is a failed connection),
// client-side session cache for resumption. Not thread-safe for reconfiguration; OpenSSL
// allows one SSL_CTX to be used from several threads for new connections.
class TlsClientContext {
  public:
    static Result<std::unique_ptr<TlsClientContext>> create(const TlsClientOptions& options);
    ~TlsClientContext();
    TlsClientContext(const TlsClientContext&) = delete;
    TlsClientContext& operator=(const TlsClientContext&) = delete;

    // For the other wrappers in common/ only.
    ssl_ctx_st* raw() const { return ctx_; }

  private:
    explicit TlsClientContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
    ssl_ctx_st* ctx_ = nullptr;
};

// The TLS session of the last connection to one upstream, offered on the next connection
// so it resumes (RFC 7858 §3.4 recommends session resumption; RFC 5077 / RFC 8446 §2.2).
// One slot per upstream; it must outlive the streams that use it.
class TlsSessionSlot {
  public:
    TlsSessionSlot() = default;
    ~TlsSessionSlot();
    TlsSessionSlot(const TlsSessionSlot&) = delete;
    TlsSessionSlot& operator=(const TlsSessionSlot&) = delete;

    bool empty() const { return session_ == nullptr; }
    void clear();

    // For the other wrappers in common/ only. store() takes ownership of one reference.
    void store(ssl_session_st* session);
    ssl_session_st* get() const { return session_; }

  private:
    ssl_session_st* session_ = nullptr;
};

// Index of the SSL ex_data slot through which OpenSSL's new-session callback finds the
// TlsSessionSlot of a connection. For the other wrappers in common/ only.
int tls_session_slot_index();

// The text of the oldest queued OpenSSL error (and clears the queue); "" when none.
std::string tls_take_error_text();

}  // namespace muster
