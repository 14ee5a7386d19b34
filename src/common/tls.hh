// TlsClientContext / TlsServerContext: RAII over OpenSSL SSL_CTXs for DNS-over-TLS and HTTPS.
#pragma once

#include <memory>
#include <string>

#include "common/result.hh"

struct ssl_ctx_st;
struct ssl_session_st;
struct ssl_st;

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

// PEM files of a certificate and its key, shown when the peer asks; both or neither.
struct TlsIdentity {
    std::string cert_file;
    std::string key_file;
};

// A client context shared by every TLS upstream of one worker: TLS 1.2 minimum, peer
// verification on (RFC 8310 §8.1 strict privacy: a failed check is a failed connection),
// client-side session cache for resumption. Not thread-safe for reconfiguration; OpenSSL
// allows one SSL_CTX to be used from several threads for new connections.
class TlsClientContext {
  public:
    static Result<std::unique_ptr<TlsClientContext>> create(const TlsClientOptions& options,
                                                            const TlsIdentity& identity = {});
    ~TlsClientContext();
    TlsClientContext(const TlsClientContext&) = delete;
    TlsClientContext& operator=(const TlsClientContext&) = delete;

    // For the other wrappers in common/ only.
    ssl_ctx_st* raw() const { return ctx_; }

  private:
    explicit TlsClientContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
    ssl_ctx_st* ctx_ = nullptr;
};

// Whether a TLS server asks its clients for a certificate signed by its CA.
enum class TlsClientCerts { not_asked, required };

struct TlsServerOptions {
    std::string cert_file;  // PEM certificate (chain) the server shows
    std::string key_file;   // PEM private key of that certificate
    std::string ca_file;    // PEM CAs that sign client certificates; needed when required
    TlsClientCerts client_certs = TlsClientCerts::not_asked;
};

// A server context (the HTTPS API): TLS 1.2 minimum; with `required`, a client without a
// certificate signed by ca_file fails the handshake. Errors name the file that failed.
class TlsServerContext {
  public:
    static Result<std::unique_ptr<TlsServerContext>> create(const TlsServerOptions& options);
    ~TlsServerContext();
    TlsServerContext(const TlsServerContext&) = delete;
    TlsServerContext& operator=(const TlsServerContext&) = delete;

    // A server-side connection for one accepted socket, owned by the caller; nullptr when
    // OpenSSL cannot make one. For the other wrappers in common/ only.
    ssl_st* new_connection() const;

  private:
    explicit TlsServerContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
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
