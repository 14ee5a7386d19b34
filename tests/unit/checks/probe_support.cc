// Probe test helpers: loop driving, loopback listeners, an in-process TLS server.
#include "probe_support.hh"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace muster::checks::test {

std::optional<Outcome> run_probe(EventLoop& loop, Probe& probe, std::chrono::milliseconds limit) {
    std::optional<Outcome> got;
    Timer guard(loop, [&loop] { loop.stop(); });
    guard.arm(limit);
    probe.run([&](Outcome o) {
        got = std::move(o);
        loop.stop();
    });
    loop.run();
    return got;
}

void run_for(EventLoop& loop, std::chrono::milliseconds d) {
    Timer t(loop, [&loop] { loop.stop(); });
    t.arm(d);
    loop.run();
}

Listener::Listener(Family family) {
    int af = family == Family::ipv4 ? AF_INET : AF_INET6;
    fd_ = ::socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        return;
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (af == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *sin;
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = in6addr_loopback;
        len = sizeof *sin6;
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        ::close(fd_);
        fd_ = -1;
        return;
    }
    port_ = ntohs(af == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

Listener::~Listener() {
    if (fd_ >= 0)
        ::close(fd_);
}

uint16_t closed_port() {
    Listener l;
    return l.port();  // closed when l goes
}

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        ERR_print_errors_fp(stderr);
        throw std::runtime_error(what);
    }
}

}  // namespace

TestCertificate::TestCertificate() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "muster-cert-XXXXXX").string();
    check(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    dir_ = tmpl;
    cert_file_ = dir_ + "/cert.pem";
    key_file_ = dir_ + "/key.pem";

    EVP_PKEY* key = EVP_EC_gen("P-256");
    check(key != nullptr, "EVP_EC_gen");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    check(san != nullptr, "subjectAltName");
    X509_add_ext(x, san, -1);
    X509_EXTENSION_free(san);
    check(X509_sign(x, key, EVP_sha256()) > 0, "X509_sign");

    FILE* f = std::fopen(cert_file_.c_str(), "w");
    check(f != nullptr && PEM_write_X509(f, x) == 1, "write cert");
    std::fclose(f);
    f = std::fopen(key_file_.c_str(), "w");
    check(f != nullptr && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "write key");
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

TestCertificate::~TestCertificate() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

TlsServer::TlsServer(const TestCertificate& cert, std::string response)
    : response_(std::move(response)) {
    // A client that gives up mid-write must not kill the test runner (the daemon ignores
    // SIGPIPE too).
    ::signal(SIGPIPE, SIG_IGN);
    check(listener_.ok(), "listen");
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    check(ctx != nullptr, "SSL_CTX_new");
    check(SSL_CTX_use_certificate_file(ctx, cert.cert_file().c_str(), SSL_FILETYPE_PEM) == 1,
          "use cert");
    check(SSL_CTX_use_PrivateKey_file(ctx, cert.key_file().c_str(), SSL_FILETYPE_PEM) == 1,
          "use key");
    ctx_ = ctx;
    thread_ = std::thread([this] { serve(); });
}

TlsServer::~TlsServer() {
    stop_ = true;
    thread_.join();
    SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

void TlsServer::serve() {
    while (!stop_) {
        pollfd p{.fd = listener_.fd(), .events = POLLIN, .revents = 0};
        if (::poll(&p, 1, 20) <= 0)
            continue;
        int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        // Never hang the test on a silent client.
        timeval tv{.tv_sec = 2, .tv_usec = 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        serve_one(fd);
        ::close(fd);
    }
}

void TlsServer::serve_one(int fd) {
    SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        ++handshakes_;
        if (!response_.empty()) {
            std::string head;
            char buf[4096];
            while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
                int n = SSL_read(ssl, buf, sizeof buf);
                if (n <= 0)
                    break;
                head.append(buf, static_cast<size_t>(n));
            }
            SSL_write(ssl, response_.data(), static_cast<int>(response_.size()));
        }
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ERR_clear_error();
}

}  // namespace muster::checks::test
