// RAII over OpenSSL's SSL_CTX and SSL_SESSION for DNS-over-TLS and HTTPS clients and servers.
#include "common/tls.hh"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace muster {
namespace {

// RFC 8446 §4.6.1: with TLS 1.3 the server sends session tickets after the handshake, so
// SSL_get1_session() right after connecting may not be resumable; OpenSSL hands every new
// session to this callback instead. Returning 1 keeps the reference we were given.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* slot = static_cast<TlsSessionSlot*>(SSL_get_ex_data(ssl, tls_session_slot_index()));
    if (slot == nullptr)
        return 0;
    slot->store(session);
    return 1;
}

// The certificate chain and key shown to the peer; the error names the file that failed.
Result<void> load_identity(SSL_CTX* ctx, const std::string& cert_file,
                           const std::string& key_file) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
        return make_error("cannot load certificate file " + cert_file + ": " +
                          tls_take_error_text());
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        return make_error("cannot load key file " + key_file + ": " + tls_take_error_text());
    if (SSL_CTX_check_private_key(ctx) != 1)
        return make_error("key file " + key_file + " does not match certificate file " + cert_file +
                          ": " + tls_take_error_text());
    return {};
}

}  // namespace

int tls_session_slot_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

std::string tls_take_error_text() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return {};
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    return buf;
}

Result<std::unique_ptr<TlsClientContext>> TlsClientContext::create(const TlsClientOptions& options,
                                                                   const TlsIdentity& identity) {
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr)
        return make_error("SSL_CTX_new failed: " + tls_take_error_text());
    std::unique_ptr<TlsClientContext> out(new TlsClientContext(ctx));

    // RFC 7858 §3.2 / RFC 8310 §9: TLS 1.2 or later.
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        return make_error("cannot require TLS 1.2: " + tls_take_error_text());
    bool verify = options.verify == TlsVerify::peer;
    SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (!verify) {
        // Nothing is checked, so no trust store is needed.
    } else if (!options.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1)
            return make_error("cannot load CA file " + options.ca_file + ": " +
                              tls_take_error_text());
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return make_error("cannot load the system trust store: " + tls_take_error_text());
    }
    if (!identity.cert_file.empty() || !identity.key_file.empty()) {
        if (identity.cert_file.empty() || identity.key_file.empty())
            return make_error("a client certificate needs both a certificate and a key file");
        if (auto loaded = load_identity(ctx, identity.cert_file, identity.key_file); !loaded)
            return loaded.error();
    }
    // The client cache is ours (one TlsSessionSlot per upstream), not OpenSSL's internal one,
    // which is keyed for servers.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &on_new_session);
    (void)tls_session_slot_index();  // allocate the index before any connection exists
    return out;
}

TlsClientContext::~TlsClientContext() {
    SSL_CTX_free(ctx_);
}

Result<std::unique_ptr<TlsServerContext>> TlsServerContext::create(
    const TlsServerOptions& options) {
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr)
        return make_error("SSL_CTX_new failed: " + tls_take_error_text());
    std::unique_ptr<TlsServerContext> out(new TlsServerContext(ctx));
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        return make_error("cannot require TLS 1.2: " + tls_take_error_text());
    if (auto loaded = load_identity(ctx, options.cert_file, options.key_file); !loaded)
        return loaded.error();
    if (options.client_certs == TlsClientCerts::required) {
        if (options.ca_file.empty())
            return make_error("asking for client certificates needs a CA file");
        if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1)
            return make_error("cannot load CA file " + options.ca_file + ": " +
                              tls_take_error_text());
        // The CA names offered to clients, so they pick the right certificate.
        STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str());
        if (names != nullptr)
            SSL_CTX_set_client_CA_list(ctx, names);
        ERR_clear_error();
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        // Without a session id context OpenSSL refuses to resume sessions of verified clients.
        static constexpr unsigned char sid[] = "muster";
        (void)SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
    }
    return out;
}

ssl_st* TlsServerContext::new_connection() const {
    return SSL_new(ctx_);
}

TlsServerContext::~TlsServerContext() {
    SSL_CTX_free(ctx_);
}

TlsSessionSlot::~TlsSessionSlot() {
    clear();
}

void TlsSessionSlot::clear() {
    if (session_ != nullptr)
        SSL_SESSION_free(session_);
    session_ = nullptr;
}

void TlsSessionSlot::store(ssl_session_st* session) {
    clear();
    session_ = session;
}

}  // namespace muster
