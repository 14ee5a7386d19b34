// The cluster key (Consul's `encrypt`) and the TLS 1.3 sessions it protects: RAII over OpenSSL
// for the server port. A link is TLS 1.3 with an external PSK (RFC 8446 §2.2, psk_dhe_ke: an
// ephemeral ECDHE share on top, so a stolen key does not open recorded traffic). The PSK is
// HKDF-SHA384 of the key, so the key itself never goes on the wire. A peer without the key
// fails the handshake: it never reads or writes one byte of the stream inside.
//
// A TlsLinkSession is a TLS engine over memory buffers: the caller moves bytes between it and
// a socket (cluster/internal/secure_link.cc does, on libuv). No sockets here, so both ends run
// in one unit test.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hh"

struct ssl_ctx_st;
struct ssl_st;
struct ssl_session_st;

namespace muster {

// The key `muster keygen` prints: base64 of 32 random bytes (Consul's format; 16 and 24 bytes,
// from older Consul versions, are accepted too). Errors never repeat the key.
Result<std::vector<uint8_t>> decode_cluster_key(std::string_view base64);
std::string make_cluster_key();

// The SSL_CTXs of one agent's server-port links: one for dialling, one for accepting.
class TlsLinkContext {
  public:
    static Result<std::shared_ptr<TlsLinkContext>> create(std::span<const uint8_t> key);
    ~TlsLinkContext();
    TlsLinkContext(const TlsLinkContext&) = delete;
    TlsLinkContext& operator=(const TlsLinkContext&) = delete;

    // For TlsLinkSession only.
    ssl_ctx_st* client_ctx() const { return client_; }
    ssl_ctx_st* server_ctx() const { return server_; }
    ssl_session_st* psk() const { return psk_; }

  private:
    TlsLinkContext() = default;
    ssl_ctx_st* client_ = nullptr;
    ssl_ctx_st* server_ = nullptr;
    ssl_session_st* psk_ = nullptr;  // the external PSK as OpenSSL wants it
};

enum class TlsLinkRole { dialler, acceptor };

class TlsLinkSession {
  public:
    static Result<std::unique_ptr<TlsLinkSession>> create(std::shared_ptr<TlsLinkContext> context,
                                                          TlsLinkRole role);
    ~TlsLinkSession();
    TlsLinkSession(const TlsLinkSession&) = delete;
    TlsLinkSession& operator=(const TlsLinkSession&) = delete;

    // Bytes from the network. Plaintext that they complete is appended to `plain`. An error
    // (a failed handshake, a forged or corrupt record) is final: close the connection.
    Result<void> receive(std::span<const uint8_t> wire, std::vector<uint8_t>& plain);
    // Plaintext to send; kept until the handshake is done.
    Result<void> send(std::span<const uint8_t> plain);
    // Appends what is to be written to the network (handshake messages, records).
    void take_output(std::vector<uint8_t>& wire);
    bool established() const { return established_; }
    // The peer closed the TLS stream cleanly (close_notify).
    bool peer_closed() const { return peer_closed_; }

  private:
    TlsLinkSession(std::shared_ptr<TlsLinkContext> context, ssl_st* ssl);
    Result<void> advance(std::vector<uint8_t>& plain);

    std::shared_ptr<TlsLinkContext> context_;
    ssl_st* ssl_;
    std::vector<uint8_t> pending_;  // plaintext sent before the handshake finished
    bool established_ = false;
    bool peer_closed_ = false;
};

}  // namespace muster
