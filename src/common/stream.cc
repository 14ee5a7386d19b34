// Stream over libevent bufferevents (plain or bufferevent_openssl) with verified TLS.
#include "common/stream.hh"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fd.hh"
#include "common/tls.hh"

namespace muster {

const char* to_string(StreamEnd e) {
    switch (e) {
        case StreamEnd::eof:
            return "eof";
        case StreamEnd::error:
            return "error";
        case StreamEnd::connect_failed:
            return "connect_failed";
        case StreamEnd::tls_failed:
            return "tls_failed";
        case StreamEnd::timed_out:
            return "timed_out";
    }
    return "unknown";
}

size_t StreamInput::size() const {
    return evbuffer_get_length(buf_);
}

size_t StreamInput::peek(std::span<uint8_t> out) const {
    ev_ssize_t n = evbuffer_copyout(buf_, out.data(), out.size());
    return n < 0 ? 0 : static_cast<size_t>(n);
}

std::span<const uint8_t> StreamInput::contiguous(size_t n) {
    unsigned char* p = evbuffer_pullup(buf_, static_cast<ev_ssize_t>(n));
    if (p == nullptr)
        return {};
    return {p, n};
}

void StreamInput::drain(size_t n) {
    evbuffer_drain(buf_, n);
}

Stream::Stream(EventLoop& loop, StreamOptions options, StreamCallbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)), connect_timer_(loop, [this] {
          close_with(StreamEnd::timed_out, options_.kind == StreamKind::tls
                                               ? "TLS connect/handshake timed out"
                                               : "TCP connect timed out");
      }) {}

namespace {

// An SSL for a client stream: the peer name checked (SNI and RFC 6125 for a DNS name, the IP
// otherwise) and the cached session offered for resumption.
Result<SSL*> client_ssl(const StreamOptions& options) {
    ERR_clear_error();
    SSL* ssl = SSL_new(options.tls->raw());
    if (ssl == nullptr)
        return make_error("SSL_new failed: " + tls_take_error_text());
    const std::string& name = options.tls_name;
    unsigned char ipbuf[16];
    bool name_is_ip = name.empty() || inet_pton(AF_INET, name.c_str(), ipbuf) == 1 ||
                      inet_pton(AF_INET6, name.c_str(), ipbuf) == 1;
    int ok = 1;
    if (!name_is_ip) {
        ok &= SSL_set_tlsext_host_name(ssl, name.c_str());  // SNI, RFC 6066 §3
        ok &= SSL_set1_host(ssl, name.c_str());             // RFC 6125 name check
    } else {
        std::string ip = name.empty() ? options.addr.ip_string() : name;
        ok &= X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip.c_str());
    }
    if (options.session != nullptr) {
        SSL_set_ex_data(ssl, tls_session_slot_index(), options.session);
        if (!options.session->empty())
            (void)SSL_set_session(ssl, options.session->get());
    }
    if (ok != 1) {
        SSL_free(ssl);
        return make_error("cannot set the TLS peer name '" + name + "'");
    }
    return ssl;
}

}  // namespace

Result<std::unique_ptr<Stream>> Stream::connect(EventLoop& loop, const StreamOptions& options,
                                                StreamCallbacks callbacks) {
    if (options.kind == StreamKind::tls && options.tls == nullptr)
        return make_error("TLS stream without a TLS context");
    std::unique_ptr<Stream> s(new Stream(loop, options, std::move(callbacks)));
    Fd owned(::socket(options.addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!owned.valid())
        return make_error(std::string("socket: ") + std::strerror(errno));
    const int fd = owned.get();
    // RFC 7766 §6.2.2: small pipelined queries should not wait for Nagle.
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    if (options.kind == StreamKind::tcp) {
        s->bev_ = bufferevent_socket_new(loop.raw(), fd, BEV_OPT_CLOSE_ON_FREE);
        if (s->bev_ == nullptr)
            return make_error("bufferevent_socket_new failed");
        owned.release();  // the bufferevent closes it
    } else {
        auto made = client_ssl(options);
        if (!made)
            return made.error();
        SSL* ssl = *made;
        // With BEV_OPT_CLOSE_ON_FREE the bufferevent frees the SSL and closes fd.
        s->bev_ = bufferevent_openssl_socket_new(loop.raw(), fd, ssl, BUFFEREVENT_SSL_CONNECTING,
                                                 BEV_OPT_CLOSE_ON_FREE);
        if (s->bev_ == nullptr) {
            SSL_free(ssl);
            return make_error("bufferevent_openssl_socket_new failed");
        }
        owned.release();
        // A peer that closes without close_notify is an EOF, not an error: servers do this
        // routinely when idle (RFC 7766 §6.2.3). Truncation attacks do not apply to DNS
        // messages, which carry their own length.
        bufferevent_openssl_set_allow_dirty_shutdown(s->bev_, 1);
    }
    auto started = s->start();
    if (!started)
        return started.error();
    return s;
}

Result<void> Stream::start() {
    input_.buf_ = bufferevent_get_input(bev_);
    bufferevent_setcb(bev_, &Stream::on_read, nullptr, &Stream::on_event, this);
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
    sockaddr_storage sa;
    std::memcpy(&sa, options_.addr.get(), options_.addr.len());
    if (bufferevent_socket_connect(bev_, reinterpret_cast<sockaddr*>(&sa),
                                   static_cast<int>(options_.addr.len())) != 0) {
        return make_error("connect to " + options_.addr.to_string() + ": " +
                          evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    }
    connect_timer_.arm(options_.connect_timeout);
    return {};
}

Stream::~Stream() {
    connect_timer_.cancel();
    if (bev_ == nullptr)
        return;
    if (options_.kind == StreamKind::tls && established_ && !closed_) {
        // Best-effort close_notify: an SSL freed without it marks its session not resumable.
        SSL* ssl = bufferevent_openssl_get_ssl(bev_);
        if (ssl != nullptr) {
            (void)SSL_shutdown(ssl);
            ERR_clear_error();
        }
    }
    bufferevent_free(bev_);
}

void Stream::write(std::span<const uint8_t> data) {
    if (closed_ || bev_ == nullptr)
        return;
    bufferevent_write(bev_, data.data(), data.size());
}

size_t Stream::pending_output() const {
    return bev_ == nullptr ? 0 : evbuffer_get_length(bufferevent_get_output(bev_));
}

bool Stream::resumed() const {
    if (options_.kind != StreamKind::tls || bev_ == nullptr)
        return false;
    SSL* ssl = bufferevent_openssl_get_ssl(bev_);
    return ssl != nullptr && SSL_session_reused(ssl) == 1;
}

void Stream::close_with(StreamEnd end, const std::string& reason) {
    if (closed_)
        return;
    closed_ = true;
    connect_timer_.cancel();
    bufferevent_disable(bev_, EV_READ | EV_WRITE);
    // Last statement: the owner may destroy *this inside the callback.
    callbacks_.on_closed(end, reason);
}

std::string Stream::error_reason(short what) const {
    int saved_errno = EVUTIL_SOCKET_ERROR();
    if (options_.kind == StreamKind::tls) {
        SSL* ssl = bufferevent_openssl_get_ssl(bev_);
        long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
        unsigned long first = 0;
        // libevent also queues bare SSL_get_error() values (lib 0, e.g. SSL_ERROR_SYSCALL
        // for a refused connect); those are socket errors, told by errno below.
        for (unsigned long e; (e = bufferevent_get_openssl_error(bev_)) != 0;)
            if (first == 0 && ERR_GET_LIB(e) != 0)
                first = e;
        // Without verification (TlsVerify::none) the result is recorded but did not fail the
        // handshake, so it is not the reason.
        if (verify != X509_V_OK && ssl != nullptr && SSL_get_verify_mode(ssl) != SSL_VERIFY_NONE)
            return std::string("certificate verify failed: ") +
                   X509_verify_cert_error_string(verify);
        if (first != 0) {
            char buf[256];
            ERR_error_string_n(first, buf, sizeof buf);
            return std::string("TLS error: ") + buf;
        }
    }
    // errno may be stale after a clean EOF; it is meaningful for errors and failed connects.
    if ((what & BEV_EVENT_EOF) != 0 && established_)
        return "connection closed by peer";
    if (saved_errno != 0)
        return evutil_socket_error_to_string(saved_errno);
    if ((what & BEV_EVENT_EOF) != 0)
        return "connection closed by peer";
    return "connection error";
}

// With dirty shutdowns allowed, bufferevent_openssl reports a refused connect as EOF; the
// socket itself knows whether TCP ever got connected.
bool Stream::tcp_connected() const {
    sockaddr_storage peer;
    socklen_t len = sizeof peer;
    return getpeername(bufferevent_getfd(bev_), reinterpret_cast<sockaddr*>(&peer), &len) == 0;
}

void Stream::on_read(bufferevent*, void* arg) {
    auto* self = static_cast<Stream*>(arg);
    if (self->closed_)
        return;
    // Last statement: the owner may destroy *this inside the callback.
    self->callbacks_.on_readable(self->input_);
}

void Stream::on_event(bufferevent*, short what, void* arg) {
    auto* self = static_cast<Stream*>(arg);
    if (self->closed_)
        return;
    if ((what & BEV_EVENT_CONNECTED) != 0) {
        self->established_ = true;
        self->connect_timer_.cancel();
        self->callbacks_.on_connected();
        return;
    }
    if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) == 0)
        return;
    std::string reason = self->error_reason(what);
    StreamEnd end = StreamEnd::error;
    if (self->established_) {
        end = (what & BEV_EVENT_EOF) != 0 ? StreamEnd::eof : StreamEnd::error;
    } else if (self->options_.kind == StreamKind::tls &&
               (reason.starts_with("certificate") || reason.starts_with("TLS"))) {
        end = StreamEnd::tls_failed;
    } else if (self->options_.kind == StreamKind::tls && self->tcp_connected()) {
        // TCP was up and the peer went away mid-handshake: it refused to speak TLS with us.
        end = StreamEnd::tls_failed;
        reason = "connection closed during the TLS handshake: " + reason;
    } else {
        end = StreamEnd::connect_failed;
    }
    self->close_with(end, reason);
}

}  // namespace muster
