// TcpListener: RFC 7766 over non-blocking sockets. Every complete message of a read is
// processed at once (§6.2.1.1); a connection stops being read with too many queries pending
// (backpressure) and closes after the idle timeout when nothing is pending (§6.2.3).
#include "resolver/internal/tcp_listener.hh"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "resolver/internal/context_pool.hh"

namespace muster::resolver::internal {
namespace {
constexpr unsigned max_pending_per_conn = 128;  // stop reading past this (backpressure)
}  // namespace

struct TcpListener::Conn {
    uint64_t id = 0;
    Fd fd;  // declared before the watchers and the timer: they go first
    SockAddr peer;
    ListenerTag listener;  // the listener it came in on
    std::unique_ptr<IoWatcher> rd, wr;
    std::unique_ptr<Timer> idle;
    std::vector<uint8_t> in;
    size_t in_len = 0;
    std::vector<uint8_t> out;
    size_t out_off = 0;
    unsigned pending = 0;
    bool reading = true;
    bool peer_closed = false;
};

TcpListener::TcpListener(EventLoop& loop, QuerySink& sink, Limits limits)
    : loop_(loop), sink_(sink), limits_(limits) {}

TcpListener::~TcpListener() = default;

void TcpListener::listen(Fd fd, ListenerTag listener) {
    auto l = std::make_unique<Listening>();
    l->fd = std::move(fd);
    l->listener = listener;
    Listening* raw = l.get();
    l->watcher = std::make_unique<IoWatcher>(loop_, l->fd.get(), IoWhat::read,
                                             [this, raw](IoWhat) { on_accept(*raw); });
    l->watcher->enable();
    listening_.push_back(std::move(l));
}

void TcpListener::on_accept(Listening& l) {
    for (;;) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        Fd fd(::accept4(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd.valid())
            return;  // EAGAIN, or a transient error (EMFILE...): try on the next wake-up
        if (draining_ || conns_.size() >= limits_.max_connections) {
            // RFC 7766 §6.2.2: at the limit, close new connections rather than stall old ones.
            sink_.tcp_rejected();
            continue;
        }
        int one = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        adopt(std::move(fd), SockAddr(reinterpret_cast<sockaddr*>(&ss), len), l.listener);
    }
}

void TcpListener::adopt(Fd fd, const SockAddr& peer, ListenerTag listener) {
    auto c = std::make_unique<Conn>();
    c->id = next_conn_id_++;
    c->fd = std::move(fd);
    c->in.resize(2 + tcp_max_message);
    c->peer = peer;
    c->listener = listener;
    Conn* raw = c.get();
    c->rd = std::make_unique<IoWatcher>(loop_, c->fd.get(), IoWhat::read,
                                        [this, raw](IoWhat) { on_readable(*raw); });
    c->wr = std::make_unique<IoWatcher>(loop_, c->fd.get(), IoWhat::write,
                                        [this, raw](IoWhat) { on_writable(*raw); });
    uint64_t id = c->id;
    c->idle = std::make_unique<Timer>(loop_, [this, id] { on_idle(id); });
    c->rd->enable();
    arm_idle(*c);
    conns_.emplace(id, std::move(c));
}

void TcpListener::on_idle(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end())
        return;
    if (it->second->pending == 0)
        close_conn(id);
    else
        arm_idle(*it->second);
}

void TcpListener::arm_idle(Conn& c) {
    c.idle->arm(limits_.idle_timeout);
}

void TcpListener::on_readable(Conn& c) {
    ssize_t n = ::recv(c.fd.get(), c.in.data() + c.in_len, c.in.size() - c.in_len, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        c.peer_closed = true;
        c.rd->disable();
        c.reading = false;
        if (c.pending == 0 || n < 0)
            close_conn(c.id);
        return;
    }
    if (n < 0)
        return;
    c.in_len += static_cast<size_t>(n);
    arm_idle(c);
    if (!run_messages(c))
        return;
    if (c.pending >= max_pending_per_conn && c.reading) {
        c.reading = false;
        c.rd->disable();
    }
}

bool TcpListener::run_messages(Conn& c) {
    size_t off = 0;
    // The messages of one read are one batch (ended on every return below).
    BatchScope batch(sink_);
    // RFC 7766 §6.2.1.1: every complete message is processed at once; answers go out in
    // whatever order they are ready.
    while (c.in_len - off >= 2) {
        size_t len = dns::get16(&c.in[off]);
        if (c.in_len - off < 2 + len)
            break;
        if (!run_message(c, {&c.in[off + 2], len}))
            return false;
        off += 2 + len;
    }
    if (off > 0) {
        std::memmove(c.in.data(), c.in.data() + off, c.in_len - off);
        c.in_len -= off;
    }
    return true;
}

bool TcpListener::run_message(Conn& c, std::span<const uint8_t> msg) {
    uint64_t id = c.id;
    QueryContext* ctx = sink_.acquire(ClientTransport::tcp);
    if (!ctx) {
        close_conn(id);
        return false;
    }
    ctx->tcp_conn = id;
    ctx->client = c.peer;
    ctx->listener_recursion = c.listener.recursion;
    ctx->listener = c.listener.index;
    Outcome o = sink_.process(*ctx, msg);
    if (o == Outcome::send) {
        send(c, ctx->response.data(), ctx->length);
        sink_.release(*ctx);
    } else if (o == Outcome::pending) {
        ++c.pending;
    } else {
        sink_.release(*ctx);
    }
    return conns_.contains(id);  // a failed write closes the connection
}

void TcpListener::complete(const QueryContext& ctx) {
    auto it = conns_.find(ctx.tcp_conn);
    if (it == conns_.end())
        return;
    Conn& c = *it->second;
    if (ctx.length == 0) {
        --c.pending;
        return;
    }
    if (!send(c, ctx.response.data(), ctx.length))
        return;
    --c.pending;
    if (!c.reading && !draining_ && !c.peer_closed && c.pending < max_pending_per_conn / 2) {
        c.reading = true;
        c.rd->enable();
    }
    if (c.peer_closed && c.pending == 0 && c.out_off >= c.out.size())
        close_conn(c.id);
}

bool TcpListener::send(Conn& c, const uint8_t* data, size_t len) {
    uint8_t prefix[2];
    dns::put16(prefix, static_cast<uint16_t>(len));
    size_t done = 0;
    if (c.out_off >= c.out.size()) {
        c.out.clear();
        c.out_off = 0;
        iovec iov[2] = {{prefix, 2}, {const_cast<uint8_t*>(data), len}};
        ssize_t n = ::writev(c.fd.get(), iov, 2);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            close_conn(c.id);
            return false;
        }
        done = n > 0 ? static_cast<size_t>(n) : 0;
        if (done == len + 2)
            return true;
    }
    // Whatever the kernel did not take waits in the connection's buffer.
    if (done < 2)
        c.out.insert(c.out.end(), prefix + done, prefix + 2);
    size_t data_done = done > 2 ? done - 2 : 0;
    c.out.insert(c.out.end(), data + data_done, data + len);
    c.wr->enable();
    return true;
}

void TcpListener::on_writable(Conn& c) {
    while (c.out_off < c.out.size()) {
        ssize_t n =
            ::send(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            close_conn(c.id);
            return;
        }
        c.out_off += static_cast<size_t>(n);
    }
    c.out.clear();
    c.out_off = 0;
    c.wr->disable();
    if (c.peer_closed && c.pending == 0)
        close_conn(c.id);
    else if (draining_)
        sink_.tcp_progress();
}

void TcpListener::close_conn(uint64_t id) {
    conns_.erase(id);
}

void TcpListener::close_all() {
    conns_.clear();
}

void TcpListener::stop_reading() {
    draining_ = true;
    listening_.clear();
    for (auto& [id, c] : conns_) {
        c->rd->disable();
        c->reading = false;
    }
}

bool TcpListener::flushed() const {
    for (const auto& [id, c] : conns_)
        if (c->out_off < c->out.size())
            return false;
    return true;
}

}  // namespace muster::resolver::internal
