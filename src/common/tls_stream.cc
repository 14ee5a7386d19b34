// TlsStream over OpenSSL: SSL_set_fd on a non-blocking socket, poll() for each WANT_READ or
// WANT_WRITE until the deadline.
#include "common/tls_stream.hh"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace muster {
namespace {

using Clock = std::chrono::steady_clock;

bool is_ip_literal(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a peer that closed the connection (a
// server refusing our client certificate after a TLS 1.3 handshake) would kill the process with
// SIGPIPE. While one lives, SIGPIPE is blocked in this thread and one it raised is consumed.
class SigpipeBlock {
  public:
    SigpipeBlock() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    }
    ~SigpipeBlock() {
        sigset_t pending;
        sigpending(&pending);
        if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
            const timespec zero{0, 0};
            (void)sigtimedwait(&pipe_, nullptr, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

  private:
    sigset_t pipe_{};
    sigset_t old_{};
    bool was_pending_ = false;
};

// Waits for what OpenSSL asked for; an error on timeout or a poll failure.
Result<void> wait_for(int fd, int ssl_error, Clock::time_point deadline) {
    short events = ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{.fd = fd, .events = events, .revents = 0};
        int n = ::poll(&p, 1, left.count() < 0 ? 0 : static_cast<int>(left.count()));
        if (n > 0)
            return {};
        if (n == 0)
            return make_error("timed out");
        if (errno != EINTR)
            return make_error(std::string("poll: ") + std::strerror(errno));
    }
}

// Why an SSL call failed, in the words a user can act on.
Error failure(SSL* ssl, int ssl_error, std::string_view what) {
    if (ssl_error == SSL_ERROR_SSL) {
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK) {
            ERR_clear_error();
            return make_error(std::string(what) + ": certificate verify failed: " +
                              X509_verify_cert_error_string(verify));
        }
        return make_error(std::string(what) + ": " + tls_take_error_text());
    }
    if (ssl_error == SSL_ERROR_SYSCALL) {
        int err = errno;
        std::string text = tls_take_error_text();
        if (text.empty())
            text = err != 0 ? std::strerror(err) : "the peer closed the connection";
        return make_error(std::string(what) + ": " + text);
    }
    if (ssl_error == SSL_ERROR_ZERO_RETURN)
        return make_error(std::string(what) + ": the peer closed the connection");
    return make_error(std::string(what) + ": TLS error " + std::to_string(ssl_error));
}

}  // namespace

Result<TlsStream> TlsStream::connect(int fd, const TlsClientContext& ctx, const std::string& host,
                                     Deadline deadline) {
    const SigpipeBlock no_sigpipe;
    ERR_clear_error();
    SSL* ssl = SSL_new(ctx.raw());
    if (ssl == nullptr)
        return make_error("SSL_new failed: " + tls_take_error_text());
    TlsStream stream(ssl, fd);
    if (SSL_set_fd(ssl, fd) != 1)
        return make_error("SSL_set_fd failed: " + tls_take_error_text());
    if (is_ip_literal(host)) {
        // RFC 6066 §3: no SNI for IP literals; the certificate must name the IP address.
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1)
            return make_error("cannot verify against " + host + ": " + tls_take_error_text());
    } else {
        if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 ||
            SSL_set1_host(ssl, host.c_str()) != 1)
            return make_error("cannot verify against " + host + ": " + tls_take_error_text());
    }
    for (;;) {
        int rc = SSL_connect(ssl);
        if (rc == 1)
            return stream;
        int err = SSL_get_error(ssl, rc);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
            return failure(ssl, err, "TLS handshake");
        if (auto waited = wait_for(fd, err, deadline); !waited)
            return make_error("TLS handshake: " + waited.error().message);
    }
}

TlsStream::TlsStream(TlsStream&& o) noexcept
    : ssl_(std::exchange(o.ssl_, nullptr)), fd_(std::exchange(o.fd_, -1)) {}

TlsStream::~TlsStream() {
    if (ssl_ != nullptr)
        SSL_free(ssl_);
}

Result<void> TlsStream::write_all(std::string_view data, Deadline deadline) {
    const SigpipeBlock no_sigpipe;
    while (!data.empty()) {
        ERR_clear_error();
        size_t written = 0;
        int rc = SSL_write_ex(ssl_, data.data(), data.size(), &written);
        if (rc == 1) {
            data.remove_prefix(written);
            continue;
        }
        int err = SSL_get_error(ssl_, rc);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
            return alert_or(failure(ssl_, err, "send"));
        if (auto waited = wait_for(fd_, err, deadline); !waited)
            return make_error("send: " + waited.error().message);
    }
    return {};
}

// A server that refuses our certificate after a TLS 1.3 handshake sends an alert and closes,
// so our first write fails with EPIPE; the alert already received says why.
Error TlsStream::alert_or(Error write_error) {
    ERR_clear_error();
    char byte;
    size_t got = 0;
    int rc = SSL_read_ex(ssl_, &byte, 1, &got);
    if (rc != 1 && SSL_get_error(ssl_, rc) == SSL_ERROR_SSL)
        return make_error("send: " + tls_take_error_text());
    ERR_clear_error();
    return write_error;
}

Result<size_t> TlsStream::read(char* buf, size_t size, Deadline deadline) {
    const SigpipeBlock no_sigpipe;  // reading may send an alert or a key update
    for (;;) {
        ERR_clear_error();
        size_t got = 0;
        errno = 0;
        int rc = SSL_read_ex(ssl_, buf, size, &got);
        if (rc == 1)
            return got;
        int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_ZERO_RETURN)
            return size_t{0};
        // A peer that closes the socket without close_notify: the end of a Connection: close
        // response as plain HTTP would see it (the body's length still guards truncation).
        if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)
            return size_t{0};
        if (err == SSL_ERROR_SSL &&
            ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            return size_t{0};
        }
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
            return failure(ssl_, err, "reading the response");
        if (auto waited = wait_for(fd_, err, deadline); !waited)
            return make_error("reading the response: " + waited.error().message);
    }
}

}  // namespace muster
