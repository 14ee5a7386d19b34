// RAII over OpenSSL for the server port's links: the cluster key, its PSK, TLS 1.3 sessions
// over memory BIOs.
#include "common/tls_link.hh"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstring>

#include "common/tls.hh"

namespace muster {
namespace {

// RFC 8446 §4.2.11: the identity a dialler offers for the PSK. Versioned, so a later
// derivation can sit beside this one during an upgrade.
constexpr std::string_view psk_identity = "muster-cluster-key-v1";
constexpr std::string_view psk_info = "muster server port, TLS 1.3 external PSK, v1";
constexpr size_t psk_bytes = 48;  // SHA-384, the hash of the one cipher suite allowed
constexpr const char* cipher_suite = "TLS_AES_256_GCM_SHA384";
constexpr std::array<unsigned char, 2> cipher_suite_id = {0x13, 0x02};  // RFC 8446 B.4

TlsLinkContext* context_of(SSL* ssl) {
    return static_cast<TlsLinkContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

// The dialler offers the PSK (OpenSSL takes one reference of the session it is handed).
int use_psk(SSL* ssl, const EVP_MD* md, const unsigned char** id, size_t* id_len,
            SSL_SESSION** session) {
    SSL_SESSION* psk = context_of(ssl)->psk();
    if (md != nullptr && md != SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(psk))) {
        *session = nullptr;  // cannot happen with one suite; never offer a mismatched PSK
        return 1;
    }
    SSL_SESSION_up_ref(psk);
    *session = psk;
    *id = reinterpret_cast<const unsigned char*>(psk_identity.data());
    *id_len = psk_identity.size();
    return 1;
}

// The acceptor knows exactly one identity; any other gets no PSK, and without a certificate
// the handshake then fails.
int find_psk(SSL* ssl, const unsigned char* id, size_t id_len, SSL_SESSION** session) {
    *session = nullptr;
    if (id_len == psk_identity.size() && std::memcmp(id, psk_identity.data(), id_len) == 0) {
        SSL_SESSION* psk = context_of(ssl)->psk();
        SSL_SESSION_up_ref(psk);
        *session = psk;
    }
    return 1;
}

Result<std::array<uint8_t, psk_bytes>> derive_psk(std::span<const uint8_t> key) {
    std::array<uint8_t, psk_bytes> out{};
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (kdf == nullptr)
        return make_error("HKDF is not available: " + tls_take_error_text());
    EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (kctx == nullptr)
        return make_error("HKDF: " + tls_take_error_text());
    char digest[] = "SHA384";
    std::string info(psk_info);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()),
                                          key.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
        OSSL_PARAM_construct_end()};
    int ok = EVP_KDF_derive(kctx, out.data(), out.size(), params);
    EVP_KDF_CTX_free(kctx);
    if (ok != 1)
        return make_error("HKDF: " + tls_take_error_text());
    return out;
}

Result<SSL_CTX*> link_ctx(const SSL_METHOD* method, TlsLinkContext* owner) {
    SSL_CTX* ctx = SSL_CTX_new(method);
    if (ctx == nullptr)
        return make_error("SSL_CTX_new failed: " + tls_take_error_text());
    SSL_CTX_set_app_data(ctx, owner);
    bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
              SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1 &&
              SSL_CTX_set_ciphersuites(ctx, cipher_suite) == 1;
    // Every link is a fresh handshake: no tickets, no cache, no 0-RTT.
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // the PSK authenticates both ends
    if (!ok) {
        SSL_CTX_free(ctx);
        return make_error("cannot configure TLS 1.3: " + tls_take_error_text());
    }
    return ctx;
}

}  // namespace

Result<std::vector<uint8_t>> decode_cluster_key(std::string_view base64) {
    constexpr const char* expected =
        "expected the base64 of 32 random bytes (16 or 24 from older Consul versions), as "
        "muster keygen prints";
    if (base64.empty() || base64.size() > 64)
        return make_error(expected);
    std::vector<uint8_t> out(base64.size());
    EVP_ENCODE_CTX* ctx = EVP_ENCODE_CTX_new();
    if (ctx == nullptr)
        return make_error("out of memory");
    EVP_DecodeInit(ctx);
    int n = 0;
    int tail = 0;
    int r =
        EVP_DecodeUpdate(ctx, out.data(), &n, reinterpret_cast<const unsigned char*>(base64.data()),
                         static_cast<int>(base64.size()));
    bool ok = r >= 0 && EVP_DecodeFinal(ctx, out.data() + n, &tail) == 1;
    EVP_ENCODE_CTX_free(ctx);
    ERR_clear_error();
    // EVP_DecodeUpdate skips white space; a key has none.
    bool clean = base64.find_first_of(" \t\r\n") == std::string_view::npos;
    size_t len = static_cast<size_t>(n + tail);
    if (!ok || !clean || (len != 16 && len != 24 && len != 32))
        return make_error(expected);
    out.resize(len);
    return out;
}

std::string make_cluster_key() {
    std::array<unsigned char, 32> key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
        MUSTER_PANIC("no randomness for a cluster key");
    std::array<unsigned char, 4 * ((key.size() + 2) / 3) + 1> text{};
    int n = EVP_EncodeBlock(text.data(), key.data(), static_cast<int>(key.size()));
    OPENSSL_cleanse(key.data(), key.size());
    return std::string(reinterpret_cast<const char*>(text.data()), static_cast<size_t>(n));
}

Result<std::shared_ptr<TlsLinkContext>> TlsLinkContext::create(std::span<const uint8_t> key) {
    return create(TlsLinkSettings{.key = std::vector<uint8_t>(key.begin(), key.end()),
                                  .ca_file = "",
                                  .cert_file = "",
                                  .key_file = "",
                                  .verify_incoming = false,
                                  .server_name = ""});
}

namespace {

Result<void> load_certificates(SSL_CTX* ctx, const TlsLinkSettings& s, bool acceptor) {
    if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1)
        return make_error("cannot use the certificate " + s.cert_file + ": " +
                          tls_take_error_text());
    if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        return make_error("cannot use the private key " + s.key_file + ": " +
                          tls_take_error_text());
    if (SSL_CTX_check_private_key(ctx) != 1)
        return make_error("the private key " + s.key_file + " does not belong to " + s.cert_file);
    if (!s.ca_file.empty() && SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) != 1)
        return make_error("cannot load the CA file " + s.ca_file + ": " + tls_take_error_text());
    // A dialler always checks the server (a certificate is only worth what checks it); an
    // acceptor requires one with verify_incoming and checks whatever a peer shows.
    int mode = SSL_VERIFY_PEER;
    if (acceptor && s.verify_incoming)
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
    return {};
}

}  // namespace

Result<std::shared_ptr<TlsLinkContext>> TlsLinkContext::create(const TlsLinkSettings& settings) {
    const auto& key = settings.key;
    if (!settings.certificates() && key.size() != 16 && key.size() != 24 && key.size() != 32)
        return make_error("a cluster key has 16, 24 or 32 bytes");
    ERR_clear_error();
    std::shared_ptr<TlsLinkContext> out(new TlsLinkContext());
    out->settings_ = settings;
    auto client = link_ctx(TLS_client_method(), out.get());
    if (!client)
        return client.error();
    out->client_ = *client;
    auto server = link_ctx(TLS_server_method(), out.get());
    if (!server)
        return server.error();
    out->server_ = *server;
    if (settings.certificates()) {
        for (auto [ctx, acceptor] : {std::pair{out->client_, false}, std::pair{out->server_, true}})
            if (auto r = load_certificates(ctx, settings, acceptor); !r)
                return r.error();
        if (!key.empty()) {
            auto psk = derive_psk(key);
            if (!psk)
                return psk.error();
            out->binding_key_.assign(psk->begin(), psk->end());
            OPENSSL_cleanse(psk->data(), psk->size());
        }
        return out;
    }
    auto psk = derive_psk(key);
    if (!psk)
        return psk.error();
    SSL_CTX_set_psk_use_session_callback(out->client_, use_psk);
    SSL_CTX_set_psk_find_session_callback(out->server_, find_psk);

    // The PSK as a session (RFC 8446 external PSK): its cipher fixes the hash, SHA-384.
    SSL* probe = SSL_new(out->client_);
    const SSL_CIPHER* cipher = probe ? SSL_CIPHER_find(probe, cipher_suite_id.data()) : nullptr;
    out->psk_ = SSL_SESSION_new();
    bool ok = cipher != nullptr && out->psk_ != nullptr &&
              SSL_SESSION_set1_master_key(out->psk_, psk->data(), psk->size()) == 1 &&
              SSL_SESSION_set_cipher(out->psk_, cipher) == 1 &&
              SSL_SESSION_set_protocol_version(out->psk_, TLS1_3_VERSION) == 1;
    SSL_free(probe);
    OPENSSL_cleanse(psk->data(), psk->size());
    if (!ok)
        return make_error("cannot make the TLS PSK: " + tls_take_error_text());
    return out;
}

TlsLinkContext::~TlsLinkContext() {
    OPENSSL_cleanse(binding_key_.data(), binding_key_.size());
    SSL_SESSION_free(psk_);
    SSL_CTX_free(client_);
    SSL_CTX_free(server_);
}

TlsLinkSession::TlsLinkSession(std::shared_ptr<TlsLinkContext> context, ssl_st* ssl)
    : context_(std::move(context)), ssl_(ssl) {}

TlsLinkSession::~TlsLinkSession() {
    SSL_free(ssl_);
}

Result<std::unique_ptr<TlsLinkSession>> TlsLinkSession::create(
    std::shared_ptr<TlsLinkContext> context, TlsLinkRole role) {
    ERR_clear_error();
    SSL* ssl =
        SSL_new(role == TlsLinkRole::dialler ? context->client_ctx() : context->server_ctx());
    if (ssl == nullptr)
        return make_error("SSL_new failed: " + tls_take_error_text());
    std::unique_ptr<TlsLinkSession> out(new TlsLinkSession(std::move(context), ssl));
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out_bio = BIO_new(BIO_s_mem());
    if (in == nullptr || out_bio == nullptr) {
        BIO_free(in);
        BIO_free(out_bio);
        return make_error("out of memory for a TLS link");
    }
    SSL_set_bio(ssl, in, out_bio);  // the SSL owns both now
    const auto& settings = out->context_->settings();
    if (role == TlsLinkRole::dialler && settings.certificates() && !settings.server_name.empty() &&
        SSL_set1_host(ssl, settings.server_name.c_str()) != 1)
        return make_error("cannot set the server name to verify: " + tls_take_error_text());
    if (role == TlsLinkRole::dialler) {
        SSL_set_connect_state(ssl);
        std::vector<uint8_t> none;
        if (auto r = out->advance(none); !r)  // the ClientHello
            return r.error();
    } else {
        SSL_set_accept_state(ssl);
    }
    return out;
}

Result<void> TlsLinkSession::advance(std::vector<uint8_t>& plain) {
    if (!established_) {
        int r = SSL_do_handshake(ssl_);
        if (r != 1) {
            int e = SSL_get_error(ssl_, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return {};
            std::string why = tls_take_error_text();
            if (why.find("binder does not verify") != std::string::npos)
                why = "the peer has another cluster key";
            return make_error("TLS handshake failed: " +
                              (why.empty() ? std::string("the peer closed it") : why));
        }
        established_ = true;
        if (auto r = on_established(); !r)
            return r;
        if (!pending_.empty()) {
            std::vector<uint8_t> queued;
            queued.swap(pending_);
            if (auto s = send(queued); !s)
                return s;
        }
    }
    std::array<uint8_t, 16384> buf{};
    const size_t from = plain.size();
    for (;;) {
        int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
        if (n > 0) {
            plain.insert(plain.end(), buf.begin(), buf.begin() + n);
            continue;
        }
        int e = SSL_get_error(ssl_, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return check_binding(plain, from);
        if (e == SSL_ERROR_ZERO_RETURN) {
            peer_closed_ = true;
            return check_binding(plain, from);
        }
        return make_error("TLS record rejected: " + tls_take_error_text());
    }
}

// With certificates and a key, each end first sends HMAC-SHA256(key, exporter secret): only
// an end with the key can, and the exporter ties it to this one handshake.
Result<void> TlsLinkSession::on_established() {
    const auto& settings = context_->settings();
    if (settings.certificates()) {
        X509* peer = SSL_get0_peer_certificate(ssl_);
        peer_is_server_ = settings.server_name.empty() ||
                          (peer != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK &&
                           X509_check_host(peer, settings.server_name.c_str(), 0, 0, nullptr) == 1);
    } else {
        peer_is_server_ = true;  // the key is all there is to prove
    }
    const auto& bkey = context_->binding_key();
    if (bkey.empty())
        return {};
    auto tag = [&](const char* label) -> Result<std::vector<uint8_t>> {
        std::array<uint8_t, 32> secret{};
        if (SSL_export_keying_material(ssl_, secret.data(), secret.size(), label,
                                       std::strlen(label), nullptr, 0, 0) != 1)
            return make_error("TLS exporter failed: " + tls_take_error_text());
        std::vector<uint8_t> mac(EVP_MAX_MD_SIZE);
        unsigned len = 0;
        if (HMAC(EVP_sha256(), bkey.data(), static_cast<int>(bkey.size()), secret.data(),
                 secret.size(), mac.data(), &len) == nullptr)
            return make_error("HMAC failed: " + tls_take_error_text());
        mac.resize(len);
        return mac;
    };
    // Distinct labels per direction: a tag reflected back proves nothing.
    const bool dialler = SSL_is_server(ssl_) == 0;
    auto mine = tag(dialler ? "EXPORTER-muster-key-dialler" : "EXPORTER-muster-key-acceptor");
    auto theirs = tag(dialler ? "EXPORTER-muster-key-acceptor" : "EXPORTER-muster-key-dialler");
    if (!mine)
        return mine.error();
    if (!theirs)
        return theirs.error();
    expected_tag_ = std::move(theirs).value();
    pending_.insert(pending_.begin(), mine->begin(), mine->end());
    return {};
}

// Takes the peer's key binding off the front of what arrived (from `from` on), and fails the
// link when it is wrong.
Result<void> TlsLinkSession::check_binding(std::vector<uint8_t>& plain, size_t from) {
    if (tag_seen_ == expected_tag_.size())
        return {};
    size_t n = std::min(expected_tag_.size() - tag_seen_, plain.size() - from);
    if (CRYPTO_memcmp(plain.data() + from, expected_tag_.data() + tag_seen_, n) != 0) {
        plain.resize(from);  // nothing of an unproven peer is handed out
        return make_error("TLS handshake failed: the peer has another cluster key");
    }
    plain.erase(plain.begin() + static_cast<std::ptrdiff_t>(from),
                plain.begin() + static_cast<std::ptrdiff_t>(from + n));
    tag_seen_ += n;
    return {};
}

Result<void> TlsLinkSession::receive(std::span<const uint8_t> wire, std::vector<uint8_t>& plain) {
    ERR_clear_error();
    while (!wire.empty()) {
        int n = BIO_write(SSL_get_rbio(ssl_), wire.data(), static_cast<int>(wire.size()));
        if (n <= 0)
            return make_error("out of memory for TLS input");
        wire = wire.subspan(static_cast<size_t>(n));
    }
    return advance(plain);
}

Result<void> TlsLinkSession::send(std::span<const uint8_t> plain) {
    if (!established_) {
        pending_.insert(pending_.end(), plain.begin(), plain.end());
        return {};
    }
    ERR_clear_error();
    while (!plain.empty()) {
        size_t written = 0;
        if (SSL_write_ex(ssl_, plain.data(), plain.size(), &written) != 1)
            return make_error("TLS write failed: " + tls_take_error_text());
        plain = plain.subspan(written);
    }
    return {};
}

void TlsLinkSession::take_output(std::vector<uint8_t>& wire) {
    BIO* out = SSL_get_wbio(ssl_);
    size_t pending = BIO_ctrl_pending(out);
    if (pending == 0)
        return;
    size_t at = wire.size();
    wire.resize(at + pending);
    int n = BIO_read(out, wire.data() + at, static_cast<int>(pending));
    wire.resize(at + static_cast<size_t>(n > 0 ? n : 0));
}

}  // namespace muster
