// UdpListener: recvmmsg in, the sink's pipeline, sendmmsg out; on a wildcard socket the
// answer's source address is set from the query's destination (IP_PKTINFO, RFC 3542).
#include "resolver/internal/udp_listener.hh"

#include <netinet/in.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dns/wire.hh"

namespace muster::resolver::internal {
namespace {
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

// Writes one control message of the given level and type into c.
template <typename Info>
void put_cmsg(cmsghdr* c, int level, int type, const Info& info) {
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
}

// Fills h's control data so the answer leaves from d (the kernel picks the interface).
void set_source(msghdr& h, const LocalDestination& d, uint8_t* buf, size_t size) {
    if (d.family == 0)
        return;
    std::memset(buf, 0, size);
    h.msg_control = buf;
    h.msg_controllen =
        d.family == AF_INET ? CMSG_SPACE(sizeof(in_pktinfo)) : CMSG_SPACE(sizeof(in6_pktinfo));
    if (d.family == AF_INET) {
        in_pktinfo info{};
        info.ipi_spec_dst = d.v4;
        put_cmsg(CMSG_FIRSTHDR(&h), IPPROTO_IP, IP_PKTINFO, info);
    } else {
        in6_pktinfo info{};
        info.ipi6_addr = d.v6;
        put_cmsg(CMSG_FIRSTHDR(&h), IPPROTO_IPV6, IPV6_PKTINFO, info);
    }
}

// Points h at ctx's answer and its client.
void address_answer(msghdr& h, iovec& iov, const QueryContext& ctx) {
    iov = {const_cast<uint8_t*>(ctx.response.data()), ctx.length};
    h = msghdr{};
    h.msg_name = const_cast<sockaddr*>(ctx.client.get());
    h.msg_namelen = ctx.client.len();
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
}
// An answer too big for the interface's MTU (edns_udp_size raised above it): the listening
// socket never fragments (listen_socket.cc), so the client gets the header, the question and
// the OPT record with TC set, and asks again over TCP (RFC 7766 §5). False when there is
// nothing to cut.
bool truncate_answer(QueryContext& ctx, iovec& iov) {
    const size_t question_end = dns::header_size + ctx.query.qname.size() + 4;
    if (ctx.length <= question_end || dns::get16(ctx.response.data() + 4) != 1)
        return false;
    uint8_t* p = ctx.response.data();
    p[2] = static_cast<uint8_t>(p[2] | dns::flag::tc >> 8);
    dns::put16(p + 6, 0);
    dns::put16(p + 8, 0);
    size_t len = question_end;
    uint16_t arcount = 0;
    if (ctx.edns.present) {
        const size_t opt = dns::write_opt(ctx.edns, std::span(ctx.response).subspan(len));
        if (opt == 0)
            return false;
        len += opt;
        arcount = 1;
    }
    if (len >= ctx.length)
        return false;
    dns::put16(p + 10, arcount);
    ctx.length = len;
    iov.iov_len = len;
    return true;
}
}  // namespace

UdpListener::UdpListener(EventLoop& loop, Fd fd, Binding binding, QuerySink& sink,
                         ListenerTag listener)
    : fd_(std::move(fd)),
      wildcard_(binding == Binding::wildcard),
      listener_(listener),
      sink_(sink) {
    watcher_ = std::make_unique<IoWatcher>(loop, fd_.get(), IoWhat::read,
                                           [this](IoWhat) { on_readable(); });
    watcher_->enable();
}

void UdpListener::stop_reading() {
    watcher_->disable();
}

void UdpListener::send_late(std::span<QueryContext* const> ctxs) {
    std::array<mmsghdr, late_batch> msgs{};
    std::array<iovec, late_batch> iov{};
    std::array<std::array<uint8_t, ctrl_size>, late_batch> ctrl;
    const size_t n = std::min(ctxs.size(), late_batch);
    for (size_t i = 0; i < n; ++i) {
        address_answer(msgs[i].msg_hdr, iov[i], *ctxs[i]);
        set_source(msgs[i].msg_hdr, ctxs[i]->local, ctrl[i].data(), ctrl_size);
    }
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        while (end < n && ctxs[end]->udp_fd == ctxs[start]->udp_fd)
            ++end;
        // One answer the kernel cannot take (buffer full) drops only itself: UDP clients retry.
        while (start < end) {
            int m = ::sendmmsg(ctxs[start]->udp_fd, msgs.data() + start,
                               static_cast<unsigned>(end - start), 0);
            if (m > 0)
                start += static_cast<size_t>(m);
            else if (errno != EMSGSIZE || !truncate_answer(*ctxs[start], iov[start]))
                ++start;
        }
    }
}

void UdpListener::on_readable() {
    // A few batches per wake-up, then give TCP and upstream events their turn.
    for (int round = 0; round < 4; ++round)
        if (read_batch() < batch)
            return;
}

void UdpListener::prepare_receive() {
    for (size_t i = 0; i < batch; ++i) {
        rx_iov_[i] = {rx_bufs_[i].data(), udp_buf_size};
        msghdr& h = rx_msgs_[i].msg_hdr;
        h = msghdr{};
        h.msg_name = &rx_addrs_[i];
        h.msg_namelen = sizeof(sockaddr_storage);
        h.msg_iov = &rx_iov_[i];
        h.msg_iovlen = 1;
        if (wildcard_) {
            h.msg_control = rx_ctrl_[i].data();
            h.msg_controllen = ctrl_size;
        }
    }
}

size_t UdpListener::read_batch() {
    prepare_receive();
    int n = ::recvmmsg(fd_.get(), rx_msgs_.data(), batch, MSG_DONTWAIT, nullptr);
    if (n <= 0)
        return 0;
    BatchScope scope(sink_);  // this batch's queries; ends with the batch
    size_t ready = 0;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i)
        if (handle(i, ready))
            ++ready;
    send_batch(ready);
    return static_cast<size_t>(n);
}

bool UdpListener::handle(size_t i, size_t slot) {
    QueryContext* ctx = sink_.acquire(ClientTransport::udp);
    if (!ctx)
        return false;
    msghdr& h = rx_msgs_[i].msg_hdr;
    ctx->client = SockAddr(reinterpret_cast<sockaddr*>(&rx_addrs_[i]), h.msg_namelen);
    ctx->udp_fd = fd_.get();
    ctx->listener_recursion = listener_.recursion;
    ctx->listener = listener_.index;
    ctx->local = wildcard_ ? read_destination(h) : LocalDestination{};
    Outcome o = sink_.process(*ctx, {rx_bufs_[i].data(), rx_msgs_[i].msg_len});
    if (o == Outcome::none)
        sink_.release(*ctx);
    if (o != Outcome::send)
        return false;
    address_answer(tx_msgs_[slot].msg_hdr, tx_iov_[slot], *ctx);
    set_source(tx_msgs_[slot].msg_hdr, ctx->local, tx_ctrl_[slot].data(), ctrl_size);
    ready_[slot] = ctx;
    return true;
}

void UdpListener::send_batch(size_t ready) {
    size_t sent = 0;
    while (sent < ready) {
        int m =
            ::sendmmsg(fd_.get(), tx_msgs_.data() + sent, static_cast<unsigned>(ready - sent), 0);
        if (m > 0) {
            sent += static_cast<size_t>(m);
        } else if (errno == EMSGSIZE) {
            if (!truncate_answer(*ready_[sent], tx_iov_[sent]))
                ++sent;  // cannot be cut: dropped, the client retries
        } else {
            break;  // the kernel dropped them (buffer full): UDP clients retry
        }
    }
    for (size_t i = 0; i < ready; ++i)
        sink_.release(*ready_[i]);
}

}  // namespace muster::resolver::internal
