// secure_link: TLS relays between server-port connections and socketpairs (see secure_link.h).
#include "cluster/internal/secure_link.hh"

#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "cluster/internal/mux_transport.h"
#include "common/log.hh"

namespace muster::cluster::internal {
namespace {

constexpr log::Logger logger("cluster");
constexpr uint64_t handshake_timeout_ms = 5000;
// Plaintext or ciphertext queued towards one side beyond this stops reading the other side.
constexpr size_t pause_bytes = size_t{4} << 20;
constexpr size_t resume_bytes = size_t{1} << 20;
constexpr unsigned refusals_logged_per_second = 5;

class Relay;

}  // namespace
}  // namespace muster::cluster::internal

struct muster_link_dial {
    muster::cluster::internal::Relay* relay = nullptr;
    muster_link_dial_cb cb = nullptr;
    void* data = nullptr;
    bool done = false;  // cb ran or the dial was canceled: cb will not run (again)
};

namespace muster::cluster::internal {
namespace {

struct WriteRequest {
    uv_write_t req{};
    std::vector<uint8_t> bytes;
    Relay* relay = nullptr;
    bool to_net = false;
};

class Relay {
  public:
    Relay(const LinkPolicy& policy, uv_loop_t* loop, std::string peer)
        : policy_(policy), loop_(loop), peer_(std::move(peer)) {}

    // Accepting: `net` is connected; returns the plaintext fd or -1.
    int accept(uv_tcp_t* net, std::span<const uint8_t> head) {
        net_ = net;
        net_->data = this;
        ++handles_;
        auto session = TlsLinkSession::create(policy_.tls, TlsLinkRole::acceptor);
        if (!session || !open_pair()) {
            close(session ? std::string("socketpair failed") : session.error().message);
            return -1;
        }
        tls_ = std::move(session).value();
        int fd = plain_fd_;
        plain_fd_ = -1;  // the caller's now
        start();
        from_net(head);
        return fd;
    }

    // Dialling: connects, then handshakes; `dial` hears the outcome.
    void dial(const sockaddr_in& address, muster_link_dial* d) {
        dial_ = d;
        net_ = static_cast<uv_tcp_t*>(muster_mux_alloc_stream());
        if (net_ == nullptr) {
            fail_dial(UV_ENOMEM, "out of memory");
            return;
        }
        uv_tcp_init(loop_, net_);  // cannot fail for an unbound socket
        net_->data = this;
        ++handles_;
        connect_.data = this;
        int rv = uv_tcp_connect(&connect_, net_, reinterpret_cast<const sockaddr*>(&address),
                                &Relay::on_connect);
        if (rv != 0)
            fail_dial(rv, std::string("connect to ") + peer_ + ": " + uv_strerror(rv));
    }

    void cancel() {
        dial_ = nullptr;
        close("");
    }

  private:
    bool open_pair() {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            return false;
        uv_pipe_init(loop_, &inner_, 0);
        inner_.data = this;
        ++handles_;
        if (uv_pipe_open(&inner_, fds[0]) != 0) {
            ::close(fds[0]);
            ::close(fds[1]);
            return false;
        }
        plain_fd_ = fds[1];
        return true;
    }

    void start() {
        uv_tcp_nodelay(net_, 1);
        uv_timer_init(loop_, &timer_);
        timer_.data = this;
        ++handles_;
        timer_open_ = true;
        uv_timer_start(&timer_, &Relay::on_deadline, handshake_timeout_ms, 0);
        if (uv_read_start(reinterpret_cast<uv_stream_t*>(net_), &Relay::on_alloc,
                          &Relay::on_net_read) != 0 ||
            uv_read_start(reinterpret_cast<uv_stream_t*>(&inner_), &Relay::on_alloc,
                          &Relay::on_inner_read) != 0) {
            close("read failed");
            return;
        }
        flush_net();
    }

    static void on_connect(uv_connect_t* req, int status) {
        auto* self = static_cast<Relay*>(req->data);
        if (self->closing_)
            return;
        if (status != 0) {
            self->fail_dial(status, "connect to " + self->peer_ + ": " + uv_strerror(status));
            return;
        }
        auto session = TlsLinkSession::create(self->policy_.tls, TlsLinkRole::dialler);
        if (!session) {
            self->fail_dial(UV_EPROTO, session.error().message);
            return;
        }
        if (!self->open_pair()) {
            self->fail_dial(UV_EMFILE, "socketpair failed");
            return;
        }
        self->tls_ = std::move(session).value();
        self->start();
    }

    static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<Relay*>(h->data);
        buf->base = self->read_buf_.data();
        buf->len = self->read_buf_.size();
    }

    static void on_net_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<Relay*>(s->data);
        if (nread == 0 || self->closing_)
            return;
        if (nread < 0) {
            self->close(self->tls_ && self->tls_->established() ? ""
                                                                : "closed during the handshake");
            return;
        }
        self->from_net(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf->base),
                                                static_cast<size_t>(nread)));
    }

    void from_net(std::span<const uint8_t> wire) {
        if (wire.empty())
            return;
        const bool was_established = tls_->established();
        std::vector<uint8_t> plain;
        auto r = tls_->receive(wire, plain);
        flush_net();  // handshake replies, and an alert on failure
        if (!r) {
            close(r.error().message);
            return;
        }
        if (!was_established && tls_->established())
            on_established();
        if (closing_)
            return;
        if (!plain.empty())
            write(reinterpret_cast<uv_stream_t*>(&inner_), std::move(plain), false);
        if (tls_->peer_closed())
            close("");
    }

    void on_established() {
        uv_timer_stop(&timer_);
        if (dial_record_ == nullptr) {
            // An acceptor tells the mux first what the peer may do (secure_link.h).
            write(reinterpret_cast<uv_stream_t*>(&inner_),
                  {tls_->peer_is_server() ? uint8_t{MUSTER_LINK_PEER_SERVER}
                                          : uint8_t{MUSTER_LINK_PEER_CLIENT}},
                  false);
            return;
        }
        if (dial_ != nullptr) {
            muster_link_dial* d = dial_;
            dial_ = nullptr;
            d->done = true;
            int fd = plain_fd_;
            plain_fd_ = -1;
            d->cb(d->data, fd, 0, "");
        }
    }

    static void on_inner_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<Relay*>(s->data);
        if (nread == 0 || self->closing_)
            return;
        if (nread < 0) {
            self->close("");  // the plaintext side closed: so does the link
            return;
        }
        auto r = self->tls_->send(std::span<const uint8_t>(
            reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)));
        if (!r) {
            self->close(r.error().message);
            return;
        }
        self->flush_net();
    }

    void flush_net() {
        std::vector<uint8_t> wire;
        tls_->take_output(wire);
        if (!wire.empty())
            write(reinterpret_cast<uv_stream_t*>(net_), std::move(wire), true);
    }

    void write(uv_stream_t* to, std::vector<uint8_t> bytes, bool to_net) {
        if (closing_ && !to_net)
            return;
        auto* w = new WriteRequest;
        w->bytes = std::move(bytes);
        w->relay = this;
        w->to_net = to_net;
        w->req.data = w;
        uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(w->bytes.data()),
                                 static_cast<unsigned>(w->bytes.size()));
        if (uv_write(&w->req, to, &b, 1, &Relay::on_written) != 0) {
            delete w;
            close("write failed");
            return;
        }
        (to_net ? to_net_ : to_inner_) += w->bytes.size();
        ++writes_;
        // Back-pressure: the side that cannot keep up stops the other from reading.
        if (to_inner_ > pause_bytes && !net_paused_) {
            net_paused_ = true;
            uv_read_stop(reinterpret_cast<uv_stream_t*>(net_));
        }
        if (to_net_ > pause_bytes && !inner_paused_) {
            inner_paused_ = true;
            uv_read_stop(reinterpret_cast<uv_stream_t*>(&inner_));
        }
    }

    static void on_written(uv_write_t* req, int status) {
        auto* w = static_cast<WriteRequest*>(req->data);
        Relay* self = w->relay;
        (w->to_net ? self->to_net_ : self->to_inner_) -= w->bytes.size();
        delete w;
        --self->writes_;
        if (self->closing_) {
            self->maybe_done();
            return;
        }
        if (status != 0) {
            self->close("");
            return;
        }
        if (self->net_paused_ && self->to_inner_ < resume_bytes) {
            self->net_paused_ = false;
            uv_read_start(reinterpret_cast<uv_stream_t*>(self->net_), &Relay::on_alloc,
                          &Relay::on_net_read);
        }
        if (self->inner_paused_ && self->to_net_ < resume_bytes) {
            self->inner_paused_ = false;
            uv_read_start(reinterpret_cast<uv_stream_t*>(&self->inner_), &Relay::on_alloc,
                          &Relay::on_inner_read);
        }
    }

    static void on_deadline(uv_timer_t* t) {
        static_cast<Relay*>(t->data)->close("no TLS handshake within 5s");
    }

    void fail_dial(int status, const std::string& why) {
        notify_dial(status, why);
        close("");
    }

    void notify_dial(int status, const std::string& why) {
        if (dial_ == nullptr)
            return;
        muster_link_dial* d = dial_;
        dial_ = nullptr;
        d->done = true;
        d->cb(d->data, -1, status, why.c_str());
    }

    // Closes both sides. `why` non-empty: the link failed; an acceptor logs it as a refusal,
    // a dialler tells its caller.
    void close(const std::string& why) {
        if (closing_)
            return;
        if (!why.empty()) {
            if (dial_ != nullptr)
                notify_dial(UV_EPROTO, "link to " + peer_ + ": " + why);
            else if (tls_ && !tls_->established())
                muster_link_refused(&policy_, peer_.c_str(), why.c_str());
            else
                logger.warn("server-port link closed", {{"peer", peer_}, {"reason", why}});
        }
        closing_ = true;
        if (net_ != nullptr && !uv_is_closing(reinterpret_cast<uv_handle_t*>(net_)))
            uv_close(reinterpret_cast<uv_handle_t*>(net_), &Relay::on_net_closed);
        if (inner_.data == this && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&inner_)))
            uv_close(reinterpret_cast<uv_handle_t*>(&inner_), &Relay::on_handle_closed);
        if (timer_open_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_)))
            uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Relay::on_handle_closed);
        maybe_done();
    }

    static void on_net_closed(uv_handle_t* h) {
        auto* self = static_cast<Relay*>(h->data);
        muster_mux_free_stream(h);
        self->net_ = nullptr;
        --self->handles_;
        self->maybe_done();
    }

    static void on_handle_closed(uv_handle_t* h) {
        auto* self = static_cast<Relay*>(h->data);
        --self->handles_;
        self->maybe_done();
    }

    void maybe_done() {
        if (!closing_ || handles_ != 0 || writes_ != 0)
            return;
        if (plain_fd_ >= 0)
            ::close(plain_fd_);
        delete dial_record_;
        delete this;
    }

  public:
    muster_link_dial* dial_record_ = nullptr;  // freed with the relay

  private:
    const LinkPolicy& policy_;
    uv_loop_t* loop_;
    std::string peer_;
    uv_tcp_t* net_ = nullptr;
    uv_pipe_t inner_{};
    uv_timer_t timer_{};
    bool timer_open_ = false;
    uv_connect_t connect_{};
    std::unique_ptr<TlsLinkSession> tls_;
    muster_link_dial* dial_ = nullptr;  // while the dialler waits for the outcome
    int plain_fd_ = -1;                 // the plaintext end until it is handed over
    unsigned handles_ = 0;
    unsigned writes_ = 0;
    size_t to_net_ = 0;
    size_t to_inner_ = 0;
    bool net_paused_ = false;
    bool inner_paused_ = false;
    bool closing_ = false;
    std::array<char, 64 * 1024> read_buf_{};
};

}  // namespace

Result<std::shared_ptr<LinkPolicy>> make_link_policy(const LinkSecurity& security) {
    auto policy = std::make_shared<LinkPolicy>();
    policy->security = security;
    if (security.secure()) {
        auto tls =
            TlsLinkContext::create(TlsLinkSettings{.key = security.key,
                                                   .ca_file = security.ca_file,
                                                   .cert_file = security.cert_file,
                                                   .key_file = security.key_file,
                                                   .verify_incoming = security.tls_verify_incoming,
                                                   .server_name = security.server_name});
        if (!tls)
            return tls.error();
        policy->tls = std::move(tls).value();
    }
    return policy;
}

}  // namespace muster::cluster::internal

using muster::cluster::internal::Relay;

extern "C" {

int muster_link_dial_secure(const struct muster_link_policy* policy) {
    if (policy == nullptr || !policy->tls)
        return 0;
    const auto& s = policy->security;
    return (s.certificates() && (s.tls_verify_outgoing || !s.server_name.empty())) ||
                   (!s.key.empty() && s.verify_outgoing)
               ? 1
               : 0;
}

int muster_link_accept_plain(const struct muster_link_policy* policy) {
    if (policy == nullptr || !policy->tls)
        return 1;
    const auto& s = policy->security;
    return (s.certificates() && s.tls_verify_incoming) || (!s.key.empty() && s.verify_incoming) ? 0
                                                                                                : 1;
}

int muster_link_accept_secure(const struct muster_link_policy* policy) {
    return policy != nullptr && policy->tls ? 1 : 0;
}

void muster_link_refused(const struct muster_link_policy* policy, const char* peer,
                         const char* why) {
    if (policy == nullptr) {
        muster::cluster::internal::logger.warn("server-port connection refused",
                                               {{"peer", peer}, {"reason", why}});
        return;
    }
    auto* p = const_cast<muster_link_policy*>(policy);
    int64_t second = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
    unsigned long suppressed = 0;
    {
        std::lock_guard lock(p->log_mutex);
        if (second != p->log_second) {
            p->log_second = second;
            p->logged_this_second = 0;
        }
        if (++p->logged_this_second > muster::cluster::internal::refusals_logged_per_second) {
            ++p->suppressed;
            return;
        }
        suppressed = p->suppressed;
        p->suppressed = 0;
    }
    muster::cluster::internal::logger.warn(
        "server-port connection refused",
        {{"peer", peer}, {"reason", why}, {"not_logged_before", std::to_string(suppressed)}});
}

int muster_link_accept(const struct muster_link_policy* policy, struct uv_tcp_s* tcp,
                       const uint8_t* head, size_t head_len, const char* peer) {
    auto* relay = new Relay(*policy, tcp->loop, peer);
    return relay->accept(tcp, std::span<const uint8_t>(head, head_len));
}

struct muster_link_dial* muster_link_dial_start(const struct muster_link_policy* policy,
                                                struct uv_loop_s* loop,
                                                const struct sockaddr_in* address, const char* peer,
                                                muster_link_dial_cb cb, void* data) {
    auto* d = new muster_link_dial;
    d->cb = cb;
    d->data = data;
    auto* relay = new Relay(*policy, loop, peer);
    d->relay = relay;
    relay->dial_record_ = d;
    relay->dial(*address, d);
    return d;
}

void muster_link_dial_cancel(struct muster_link_dial* dial) {
    if (dial == nullptr || dial->done)
        return;
    dial->done = true;
    dial->relay->cancel();
}

}  // extern "C"
