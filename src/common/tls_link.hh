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

// How an agent's links are protected: the cluster key, certificates, or both.
struct TlsLinkSettings {
    std::vector<uint8_t> key;  // the cluster key; empty: none
    // Mutual TLS: this agent's certificate and key, and the only CA it trusts. With them a link
    // is TLS 1.3 with certificates (and, with a key too, each end proves the key inside it:
    // an HMAC of the handshake's exporter secret, RFC 8446 §7.5, keyed with the key's HKDF).
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    bool verify_incoming = false;  // an acceptor requires a client certificate
    // verify_server_hostname: "server.<dc>.<domain>". A dialler accepts only a peer whose
    // certificate names it; an acceptor reports whether the peer's does (peer_is_server).
    // Empty: every verified peer counts as a server.
    std::string server_name;
    bool certificates() const { return !cert_file.empty(); }
};

// The SSL_CTXs of one agent's server-port links: one for dialling, one for accepting.
class TlsLinkContext {
  public:
    static Result<std::shared_ptr<TlsLinkContext>> create(std::span<const uint8_t> key);
    // Errors name the file that could not be used.
    static Result<std::shared_ptr<TlsLinkContext>> create(const TlsLinkSettings& settings);
    const TlsLinkSettings& settings() const { return settings_; }
    // The key's HKDF for the certificate mode's binding; empty without a key.
    const std::vector<uint8_t>& binding_key() const { return binding_key_; }
    ~TlsLinkContext();
    TlsLinkContext(const TlsLinkContext&) = delete;
    TlsLinkContext& operator=(const TlsLinkContext&) = delete;

    // For TlsLinkSession only.
    ssl_ctx_st* client_ctx() const { return client_; }
    ssl_ctx_st* server_ctx() const { return server_; }
    ssl_session_st* psk() const { return psk_; }

  private:
    TlsLinkContext() = default;
    TlsLinkSettings settings_;
    std::vector<uint8_t> binding_key_;
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
    // An acceptor, once established: the peer may act as a server (see server_name).
    bool peer_is_server() const { return peer_is_server_; }

  private:
    TlsLinkSession(std::shared_ptr<TlsLinkContext> context, ssl_st* ssl);
    Result<void> advance(std::vector<uint8_t>& plain);

    std::shared_ptr<TlsLinkContext> context_;
    ssl_st* ssl_;
    Result<void> on_established();
    Result<void> check_binding(std::vector<uint8_t>& plain, size_t from);

    std::vector<uint8_t> pending_;       // plaintext sent before the handshake finished
    std::vector<uint8_t> expected_tag_;  // the peer's key binding, until it has arrived
    size_t tag_seen_ = 0;
    bool established_ = false;
    bool peer_is_server_ = false;
    bool peer_closed_ = false;
};

}  // namespace muster
