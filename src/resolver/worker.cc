// Worker: UDP/TCP front end (RFC 1035 §4.2, RFC 7766) and the fixed stage table.
#include "resolver/worker.hh"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "common/log.hh"
#include "resolver/stages.hh"

namespace muster::resolver {
namespace {
constexpr log::Logger logger("dns");
constexpr size_t tcp_max_message = 65535;
constexpr unsigned tcp_max_pending_per_conn = 128;  // stop reading past this (backpressure)
constexpr uint8_t rcode_badvers = 16;               // RFC 6891 §6.1.3 (extended rcode)

// Each worker shuffles catalog answers with its own sequence.
uint64_t catalog_seed(unsigned index) {
    std::random_device rd;
    return (uint64_t{rd()} << 32 | rd()) ^ (uint64_t{index} * 0x9E3779B97F4A7C15ULL);
}

Result<int> open_socket(const SockAddr& addr, int type) {
    int fd = ::socket(addr.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return make_error(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Every worker binds its own socket to the same address; the kernel spreads the load.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (addr.family() == AF_INET6)
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (type == SOCK_DGRAM && addr.is_unspecified()) {
        if (addr.family() == AF_INET)
            ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
        else
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    }
    if (type == SOCK_DGRAM) {
        int size = 4 << 20;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    if (::bind(fd, addr.get(), addr.len()) != 0) {
        std::string err = std::strerror(errno);
        ::close(fd);
        return make_error("cannot bind " + std::string(type == SOCK_DGRAM ? "UDP " : "TCP ") +
                          addr.to_string() + ": " + err);
    }
    if (type == SOCK_STREAM && ::listen(fd, 1024) != 0) {
        std::string err = std::strerror(errno);
        ::close(fd);
        return make_error("cannot listen on TCP " + addr.to_string() + ": " + err);
    }
    return fd;
}
// Reads the destination address from IP_PKTINFO / IPV6_PKTINFO control data.
LocalDestination read_destination(msghdr& h) {
    LocalDestination d;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            d.family = AF_INET;
            d.v4 = info.ipi_addr;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            d.family = AF_INET6;
            d.v6 = info.ipi6_addr;
        }
    }
    return d;
}

// Fills h's control data so the answer leaves from d (the kernel picks the interface).
void set_source(msghdr& h, const LocalDestination& d, uint8_t* buf, size_t size) {
    if (d.family == 0)
        return;
    std::memset(buf, 0, size);
    h.msg_control = buf;
    h.msg_controllen =
        d.family == AF_INET ? CMSG_SPACE(sizeof(in_pktinfo)) : CMSG_SPACE(sizeof(in6_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    if (d.family == AF_INET) {
        in_pktinfo info{};
        info.ipi_spec_dst = d.v4;
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
    } else {
        in6_pktinfo info{};
        info.ipi6_addr = d.v6;
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
}

// Opens a batch on every stage for the queries of one read and closes it on every way out of
// the scope, so no stage keeps batch state (the catalog's LMDB read snapshot, which pins old
// pages) past the loop callback that read the queries.
class BatchScope {
  public:
    explicit BatchScope(const std::vector<std::unique_ptr<Stage>>& stages) : stages_(stages) {
        for (const auto& stage : stages_)
            stage->batch_begin();
    }
    ~BatchScope() {
        for (const auto& stage : stages_)
            stage->batch_end();
    }
    BatchScope(const BatchScope&) = delete;
    BatchScope& operator=(const BatchScope&) = delete;

  private:
    const std::vector<std::unique_ptr<Stage>>& stages_;
};
}  // namespace

struct Worker::TcpConn {
    uint64_t id = 0;
    int fd = -1;
    SockAddr peer;
    std::unique_ptr<IoWatcher> rd, wr;
    std::unique_ptr<Timer> idle;
    std::vector<uint8_t> in;
    size_t in_len = 0;
    std::vector<uint8_t> out;
    size_t out_off = 0;
    unsigned pending = 0;
    bool reading = true;
    bool peer_closed = false;

    ~TcpConn() {
        rd.reset();
        wr.reset();
        idle.reset();
        if (fd >= 0)
            ::close(fd);
    }
};

Worker::Worker(const Options& options, Cache& cache, TlsClientContext* tls, unsigned index)
    : options_(options),
      cache_(cache),
      index_(index),
      forwarder_(
          loop_, cache, SteadyClock::instance(),
          [this, tls](const UpstreamSpec& spec, UpstreamListener& listener) {
              ChannelOptions co;
              co.query_timeout = options_.zones.upstream.timeout + std::chrono::seconds(1);
              return UpstreamChannel::create(loop_, spec, tls, listener, co);
          },
          [this](QueryContext& ctx) { complete(ctx); }) {
    // The pipeline, in order (one table, as CoreDNS's plugin.cfg). Names we own (local data,
    // the catalog) are answered before the recursion ACL.
    stages_.push_back(std::make_unique<LocalDataStage>(zone_));
    if (options_.catalog.source) {
        catalog_ = std::make_unique<CatalogZone>(options_.catalog, catalog_seed(index));
        stages_.push_back(std::make_unique<CatalogStage>(*catalog_));
    }
    stages_.push_back(std::make_unique<RecursionAclStage>());
    stages_.push_back(std::make_unique<CacheStage>(cache_, forwarder_));
    stages_.push_back(std::make_unique<ForwardStage>(forwarder_));

    unsigned workers = std::max(1u, options_.workers);
    max_conns_ = std::max(1u, options_.tcp_max_connections / workers);
    for (int i = 0; i < 256; ++i) {
        contexts_.push_back(std::make_unique<QueryContext>());
        contexts_.back()->slot = static_cast<uint32_t>(i);
        contexts_.back()->response.resize(udp_buf_size);
        free_.push_back(contexts_.back().get());
    }
}

Worker::~Worker() {
    conns_.clear();
    for (auto& s : udp_) {
        s.watcher.reset();
        ::close(s.fd);
    }
    for (auto& l : tcp_listeners_) {
        l.watcher.reset();
        if (l.fd >= 0)
            ::close(l.fd);
    }
}

Result<void> Worker::open() {
    for (const SockAddr& addr : options_.listen) {
        auto u = open_socket(addr, SOCK_DGRAM);
        if (!u)
            return u.error();
        udp_.push_back(UdpSocket{*u, addr.is_unspecified(), nullptr});
        auto t = open_socket(addr, SOCK_STREAM);
        if (!t)
            return t.error();
        tcp_listeners_.push_back(TcpListener{*t, nullptr});
    }
    for (auto& s : udp_) {
        s.watcher = std::make_unique<IoWatcher>(loop_, s.fd, IoWhat::read,
                                                [this, &s](IoWhat) { on_udp_readable(s); });
        s.watcher->enable();
    }
    for (auto& l : tcp_listeners_) {
        l.watcher = std::make_unique<IoWatcher>(loop_, l.fd, IoWhat::read,
                                                [this, &l](IoWhat) { on_accept(l); });
        l.watcher->enable();
    }
    return {};
}

void Worker::run() {
    loop_.run();
}

void Worker::reconfigure(std::shared_ptr<const LocalZone> zone, const Zones& zones) {
    loop_.post([this, zone = std::move(zone), zones] {
        zone_ = zone;
        forwarder_.configure(zones);
    });
}

QueryContext* Worker::acquire(ClientTransport t) {
    if (free_.empty()) {
        if (contexts_.size() >= 65536)
            return nullptr;  // overload: shed, never grow unbounded
        contexts_.push_back(std::make_unique<QueryContext>());
        contexts_.back()->slot = static_cast<uint32_t>(contexts_.size() - 1);
        free_.push_back(contexts_.back().get());
    }
    QueryContext* ctx = free_.back();
    free_.pop_back();
    ctx->transport = t;
    size_t need = t == ClientTransport::tcp ? tcp_max_message : udp_buf_size;
    if (ctx->response.size() < need)
        ctx->response.resize(need);  // once per context
    ctx->length = 0;
    ctx->tcp_conn = 0;
    ctx->udp_fd = -1;
    return ctx;
}

void Worker::release(QueryContext& ctx) {
    free_.push_back(&ctx);
}

Worker::Outcome Worker::process(QueryContext& ctx, std::span<const uint8_t> msg) {
    stats_.queries.fetch_add(1, std::memory_order_relaxed);
    dns::Query& q = ctx.query;
    auto status = dns::parse_query(msg, q);
    uint8_t err = 0;
    switch (status) {
        case dns::ParseStatus::ok:
            break;
        case dns::ParseStatus::drop:
            stats_.dropped.fetch_add(1, std::memory_order_relaxed);
            return Outcome::none;
        case dns::ParseStatus::formerr:
            err = dns::rcode::formerr;
            break;
        case dns::ParseStatus::notimp:
            err = dns::rcode::notimp;
            break;
        case dns::ParseStatus::badvers:
            err = rcode_badvers;
            break;
    }
    if (err == 0 && (q.qtype == dns::type::axfr || q.qtype == dns::type::ixfr))
        err = dns::rcode::notimp;
    if (err != 0) {
        if (err == dns::rcode::formerr)
            stats_.formerr.fetch_add(1, std::memory_order_relaxed);
        ctx.length = dns::write_error(msg, q, err, ctx.response);
        return ctx.length > 0 ? Outcome::send : Outcome::none;
    }

    ctx.recursion_allowed = false;
    for (const Cidr& c : options_.allow_recursion) {
        if (c.contains(ctx.client)) {
            ctx.recursion_allowed = true;
            break;
        }
    }
    ctx.edns = dns::EdnsOut{};
    ctx.edns.present = q.has_edns;
    ctx.edns.udp_size = options_.edns_udp_size;
    ctx.edns.do_bit = q.do_bit;
    if (ctx.transport == ClientTransport::tcp) {
        ctx.limit = tcp_max_message;
    } else {
        // RFC 6891 §6.2.3/§6.2.5: the client's size, at least 512, at most what we advertise.
        size_t size = q.has_edns ? std::max<size_t>(512, q.edns_udp_size) : 512;
        ctx.limit = std::min<size_t>(size, options_.edns_udp_size);
    }
    ctx.length = 0;
    for (auto& stage : stages_) {
        switch (stage->handle(ctx)) {
            case Verdict::answered:
                return ctx.length > 0 ? Outcome::send : Outcome::none;
            case Verdict::pending:
                ++pending_;
                return Outcome::pending;
            case Verdict::next:
                break;
        }
    }
    // Every pipeline ends in ForwardStage, which always answers or takes the query.
    MUSTER_PANIC("query fell off the end of the pipeline");
}

void Worker::on_udp_readable(UdpSocket& s) {
    std::array<mmsghdr, udp_batch> msgs{};
    std::array<iovec, udp_batch> iov{};
    std::array<mmsghdr, udp_batch> out{};
    std::array<iovec, udp_batch> out_iov{};
    std::array<QueryContext*, udp_batch> ready{};
    // A few batches per wake-up, then give TCP and upstream events their turn.
    for (int round = 0; round < 4; ++round) {
        for (size_t i = 0; i < udp_batch; ++i) {
            iov[i] = {rx_bufs_[i].data(), udp_buf_size};
            msgs[i].msg_hdr = msghdr{};
            msgs[i].msg_hdr.msg_name = &rx_addrs_[i];
            msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            if (s.wildcard) {
                msgs[i].msg_hdr.msg_control = rx_ctrl_[i].data();
                msgs[i].msg_hdr.msg_controllen = ctrl_size;
            }
        }
        int n = ::recvmmsg(s.fd, msgs.data(), udp_batch, MSG_DONTWAIT, nullptr);
        if (n <= 0)
            return;
        BatchScope batch(stages_);  // this round's queries; ends with the round
        size_t nready = 0;
        for (int i = 0; i < n; ++i) {
            QueryContext* ctx = draining_ ? nullptr : acquire(ClientTransport::udp);
            if (!ctx) {
                stats_.dropped.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            ctx->client =
                SockAddr(reinterpret_cast<sockaddr*>(&rx_addrs_[i]), msgs[i].msg_hdr.msg_namelen);
            ctx->udp_fd = s.fd;
            ctx->local = s.wildcard ? read_destination(msgs[i].msg_hdr) : LocalDestination{};
            Outcome o = process(*ctx, {rx_bufs_[i].data(), msgs[i].msg_len});
            if (o == Outcome::send) {
                out_iov[nready] = {ctx->response.data(), ctx->length};
                out[nready].msg_hdr = msghdr{};
                out[nready].msg_hdr.msg_name = const_cast<sockaddr*>(ctx->client.get());
                out[nready].msg_hdr.msg_namelen = ctx->client.len();
                out[nready].msg_hdr.msg_iov = &out_iov[nready];
                out[nready].msg_hdr.msg_iovlen = 1;
                set_source(out[nready].msg_hdr, ctx->local, tx_ctrl_[nready].data(), ctrl_size);
                ready[nready++] = ctx;
            } else if (o == Outcome::none) {
                release(*ctx);
            }
        }
        size_t sent = 0;
        while (sent < nready) {
            int m = ::sendmmsg(s.fd, out.data() + sent, static_cast<unsigned>(nready - sent), 0);
            if (m <= 0)
                break;  // the kernel dropped them (buffer full): UDP clients retry
            sent += static_cast<size_t>(m);
        }
        for (size_t i = 0; i < nready; ++i)
            release(*ready[i]);
        if (n < static_cast<int>(udp_batch))
            return;
    }
}

void Worker::complete(QueryContext& ctx) {
    --pending_;
    if (ctx.length > 0) {
        if (ctx.transport == ClientTransport::udp) {
            iovec iov{ctx.response.data(), ctx.length};
            msghdr h{};
            h.msg_name = const_cast<sockaddr*>(ctx.client.get());
            h.msg_namelen = ctx.client.len();
            h.msg_iov = &iov;
            h.msg_iovlen = 1;
            uint8_t ctrl[ctrl_size];
            set_source(h, ctx.local, ctrl, sizeof ctrl);
            ::sendmsg(ctx.udp_fd, &h, 0);
        } else if (auto it = conns_.find(ctx.tcp_conn); it != conns_.end()) {
            TcpConn& c = *it->second;
            tcp_send(c, ctx.response.data(), ctx.length);
            --c.pending;
            if (!c.reading && !draining_ && !c.peer_closed &&
                c.pending < tcp_max_pending_per_conn / 2) {
                c.reading = true;
                c.rd->enable();
            }
            if (c.peer_closed && c.pending == 0 && c.out_off >= c.out.size()) {
                release(ctx);
                close_conn(c.id);
                if (draining_)
                    check_drained();
                return;
            }
        }
    } else if (ctx.transport == ClientTransport::tcp) {
        if (auto it = conns_.find(ctx.tcp_conn); it != conns_.end())
            --it->second->pending;
    }
    release(ctx);
    if (draining_)
        check_drained();
}

void Worker::on_accept(TcpListener& l) {
    for (;;) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        int fd =
            ::accept4(l.fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;  // EAGAIN, or a transient error (EMFILE...): try on the next wake-up
        if (draining_ || conns_.size() >= max_conns_) {
            // RFC 7766 §6.2.2: at the limit, close new connections rather than stall old ones.
            stats_.tcp_rejected.fetch_add(1, std::memory_order_relaxed);
            ::close(fd);
            continue;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto c = std::make_unique<TcpConn>();
        c->id = next_conn_id_++;
        c->fd = fd;
        c->in.resize(2 + tcp_max_message);
        TcpConn* raw = c.get();
        c->peer = SockAddr(reinterpret_cast<sockaddr*>(&ss), len);
        c->rd = std::make_unique<IoWatcher>(loop_, fd, IoWhat::read,
                                            [this, raw](IoWhat) { on_tcp_readable(*raw); });
        c->wr = std::make_unique<IoWatcher>(loop_, fd, IoWhat::write,
                                            [this, raw](IoWhat) { on_tcp_writable(*raw); });
        uint64_t id = c->id;
        c->idle = std::make_unique<Timer>(loop_, [this, id] {
            auto it = conns_.find(id);
            if (it == conns_.end())
                return;
            if (it->second->pending == 0)
                close_conn(id);
            else
                arm_idle(*it->second);
        });
        c->rd->enable();
        arm_idle(*c);
        conns_.emplace(id, std::move(c));
    }
}

void Worker::arm_idle(TcpConn& c) {
    c.idle->arm(options_.tcp_idle_timeout);
}

void Worker::on_tcp_readable(TcpConn& c) {
    ssize_t n = ::recv(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len, 0);
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
    uint64_t id = c.id;
    size_t off = 0;
    // The messages of one read are one batch (ended on every return below).
    BatchScope batch(stages_);
    // RFC 7766 §6.2.1.1: every complete message is processed at once; answers go out in
    // whatever order they are ready.
    while (c.in_len - off >= 2) {
        size_t len = dns::get16(&c.in[off]);
        if (c.in_len - off < 2 + len)
            break;
        QueryContext* ctx = acquire(ClientTransport::tcp);
        if (!ctx) {
            close_conn(id);
            return;
        }
        ctx->tcp_conn = id;
        ctx->client = c.peer;
        Outcome o = process(*ctx, {&c.in[off + 2], len});
        off += 2 + len;
        if (o == Outcome::send) {
            tcp_send(c, ctx->response.data(), ctx->length);
            release(*ctx);
        } else if (o == Outcome::pending) {
            ++c.pending;
        } else {
            release(*ctx);
        }
        if (conns_.find(id) == conns_.end())
            return;  // closed by a failed write
    }
    if (off > 0) {
        std::memmove(c.in.data(), c.in.data() + off, c.in_len - off);
        c.in_len -= off;
    }
    if (c.pending >= tcp_max_pending_per_conn && c.reading) {
        c.reading = false;
        c.rd->disable();
    }
}

void Worker::tcp_send(TcpConn& c, const uint8_t* data, size_t len) {
    uint8_t prefix[2];
    dns::put16(prefix, static_cast<uint16_t>(len));
    size_t done = 0;
    if (c.out_off >= c.out.size()) {
        c.out.clear();
        c.out_off = 0;
        iovec iov[2] = {{prefix, 2}, {const_cast<uint8_t*>(data), len}};
        ssize_t n = ::writev(c.fd, iov, 2);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            close_conn(c.id);
            return;
        }
        done = n > 0 ? static_cast<size_t>(n) : 0;
        if (done == len + 2)
            return;
    }
    // Whatever the kernel did not take waits in the connection's buffer.
    if (done < 2)
        c.out.insert(c.out.end(), prefix + done, prefix + 2);
    size_t data_done = done > 2 ? done - 2 : 0;
    c.out.insert(c.out.end(), data + data_done, data + len);
    c.wr->enable();
}

void Worker::on_tcp_writable(TcpConn& c) {
    while (c.out_off < c.out.size()) {
        ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
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
        check_drained();
}

void Worker::close_conn(uint64_t id) {
    conns_.erase(id);
}

void Worker::drain_and_stop(Duration grace) {
    loop_.post([this, grace] {
        draining_ = true;
        drain_deadline_ = SteadyClock::instance().now() + grace;
        // Stop accepting: no new queries, but UDP sockets stay open for the pending answers.
        for (auto& s : udp_)
            s.watcher->disable();
        for (auto& l : tcp_listeners_) {
            l.watcher.reset();
            ::close(l.fd);
            l.fd = -1;
        }
        for (auto& [id, c] : conns_) {
            c->rd->disable();
            c->reading = false;
        }
        drain_timer_ = std::make_unique<Timer>(loop_, [this] { check_drained(); });
        check_drained();
    });
}

void Worker::check_drained() {
    bool flushed = true;
    for (auto& [id, c] : conns_)
        if (c->out_off < c->out.size())
            flushed = false;
    if ((pending_ == 0 && flushed) || SteadyClock::instance().now() >= drain_deadline_) {
        conns_.clear();
        loop_.stop();
        return;
    }
    if (drain_timer_ && !drain_timer_->armed())
        drain_timer_->arm(std::chrono::milliseconds(10));
}

}  // namespace muster::resolver
