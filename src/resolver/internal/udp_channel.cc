// UdpChannel: fresh connected socket per query (kernel-chosen random source port, RFC 5452 §9.2),
// reply matching on ID and question, and the TCP retry of truncated replies (RFC 7766 §5).
#include "resolver/internal/udp_channel.hh"

#include <sys/socket.h>

#include <cerrno>

#include "common/fd.hh"
#include "resolver/internal/frame.hh"

namespace muster::resolver::internal {

struct UdpChannel::Query {
    Query() = default;
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    std::vector<uint8_t> frame;  // length prefix + query: UDP sends frame[2..], TCP all
    Question question;
    TimePoint deadline;
    uint16_t id = 0;
    Fd fd;  // declared before the watcher, so the watcher is unregistered before the close
    std::unique_ptr<IoWatcher> watcher;
    std::unique_ptr<Stream> tcp;
};

UdpChannel::UdpChannel(EventLoop& loop, const UpstreamSpec& spec, UpstreamListener& listener,
                       const ChannelOptions& options)
    : ChannelBase(loop, spec, listener, options), rx_(65535) {}

UdpChannel::~UdpChannel() = default;

void UdpChannel::send(uint64_t token, std::span<const uint8_t> query) {
    if (queries_.contains(token))
        cancel(token);
    auto q = std::make_unique<Query>();
    if (!read_query_question(query, q->question)) {
        fail_later(token, UpstreamFailure::malformed);
        return;
    }
    q->frame = take_buffer();
    append_framed(q->frame, query);
    q->id = ids_.next();
    q->frame[2] = static_cast<uint8_t>(q->id >> 8);
    q->frame[3] = static_cast<uint8_t>(q->id);

    // Binding is left to the kernel: connect() picks a random ephemeral port, and the
    // connected socket only accepts datagrams from the upstream's address and port.
    q->fd = Fd(::socket(spec_.addr.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    std::span<const uint8_t> msg(q->frame.data() + 2, q->frame.size() - 2);
    if (!q->fd.valid() || ::connect(q->fd.get(), spec_.addr.get(), spec_.addr.len()) != 0 ||
        ::send(q->fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL) < 0) {
        give_back(std::move(q->frame));
        fail_later(token, UpstreamFailure::connect);
        return;
    }
    ++stats_.sent;
    q->watcher = std::make_unique<IoWatcher>(loop_, q->fd.get(), IoWhat::read,
                                             [this, token](IoWhat) { on_udp_readable(token); });
    q->watcher->enable();
    q->deadline = track_deadline(token);
    queries_.emplace(token, std::move(q));
}

void UdpChannel::cancel(uint64_t token) {
    forget_failure(token);
    finish(token);
}

void UdpChannel::finish(uint64_t token) {
    auto it = queries_.find(token);
    if (it == queries_.end())
        return;
    std::unique_ptr<Query> q = std::move(it->second);
    queries_.erase(it);
    if (q->watcher)
        q->watcher->disable();
    give_back(std::move(q->frame));
    // We may be inside this query's own watcher or stream callback: free it later.
    retire(std::shared_ptr<Query>(std::move(q)));
}

void UdpChannel::on_deadline(uint64_t token, TimePoint deadline) {
    auto it = queries_.find(token);
    if (it == queries_.end() || it->second->deadline != deadline)
        return;
    ++stats_.timeouts;
    finish(token);
    (void)deliver_failure(token, UpstreamFailure::timeout);
}

void UdpChannel::on_udp_readable(uint64_t token) {
    auto it = queries_.find(token);
    if (it == queries_.end())
        return;
    Query& q = *it->second;
    for (;;) {
        ssize_t n = ::recv(q.fd.get(), rx_.data(), rx_.size(), 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            // ECONNREFUSED: ICMP port unreachable on the connected socket.
            finish(token);
            (void)deliver_failure(token, UpstreamFailure::connect);
            return;
        }
        std::span<const uint8_t> msg(rx_.data(), static_cast<size_t>(n));
        switch (match_reply(msg, q.id, q.question)) {
            case ReplyMatch::not_ours:
                // RFC 5452 §9.1: drop and keep listening; count it (a spoofing signal).
                count_dropped_reply();
                continue;
            case ReplyMatch::no_question:
                // Our ID from the upstream's address and port but no question to compare:
                // typically FORMERR or NOTIMP with QDCOUNT 0. Nothing more will come, so fail
                // rather than wait for a timeout.
                finish(token);
                (void)deliver_failure(token, UpstreamFailure::malformed);
                return;
            case ReplyMatch::ours:
                break;
        }
        if (is_truncated(msg)) {
            (void)retry_over_tcp(token, q);
            return;
        }
        finish(token);
        (void)deliver_reply(token, msg);
        return;
    }
}

// RFC 7766 §5 (and RFC 1035 §4.2.1): a truncated UDP answer is retried over TCP to the
// same server; the TCP answer is what the listener gets.
bool UdpChannel::retry_over_tcp(uint64_t token, Query& q) {
    ++stats_.truncated_retries;
    q.watcher->disable();
    StreamOptions so;
    so.kind = StreamKind::tcp;
    so.addr = spec_.addr;
    so.connect_timeout = options_.connect_timeout;
    StreamCallbacks cb;
    cb.on_connected = [] {};
    // A retired stream may still report until it is freed; `owner` tells whether the token
    // still names this query.
    Query* owner = &q;
    cb.on_readable = [this, token, owner](StreamInput& in) {
        if (live(token, owner))
            on_tcp_readable(token, in);
    };
    cb.on_closed = [this, token, owner](StreamEnd, const std::string&) {
        if (!live(token, owner))
            return;
        finish(token);
        (void)deliver_failure(token, UpstreamFailure::connect);
    };
    auto stream = Stream::connect(loop_, so, std::move(cb));
    if (!stream) {
        finish(token);
        return deliver_failure(token, UpstreamFailure::connect);
    }
    q.tcp = std::move(stream.value());
    q.tcp->write(q.frame);
    ++stats_.sent;
    return true;
}

bool UdpChannel::live(uint64_t token, const Query* q) const {
    auto it = queries_.find(token);
    return it != queries_.end() && it->second.get() == q;
}

void UdpChannel::on_tcp_readable(uint64_t token, StreamInput& in) {
    auto it = queries_.find(token);
    for (;;) {
        size_t consumed = 0;
        std::span<const uint8_t> msg = next_frame(in, consumed);
        if (consumed == 0)
            return;
        const Query& q = *it->second;
        if (match_reply(msg, q.id, q.question) == ReplyMatch::ours) {
            finish(token);
            (void)deliver_reply(token, msg);  // the stream is retired, `in` stays valid
            return;
        }
        count_dropped_reply();
        in.drain(consumed);
    }
}

}  // namespace muster::resolver::internal
