// UdpChannel: fresh connected socket per query (kernel-chosen random source port, RFC 5452 §9.2),
// reply matching on ID and question, and the TCP retry of truncated replies (RFC 7766 §5).
#include "resolver/internal/udp_channel.hh"

#include <sys/socket.h>

#include <cerrno>

#include "resolver/internal/frame.hh"

namespace muster::resolver::internal {
namespace {
// Room for the length prefix and any query the forwarder writes (at most 282 octets), so a
// reused record never grows its frame again.
constexpr size_t frame_capacity = 2 + 512;
}  // namespace

UdpChannel::UdpChannel(EventLoop& loop, const UpstreamSpec& spec, UpstreamListener& listener,
                       const ChannelOptions& options)
    : ChannelBase(loop, spec, listener, options), rx_(65535) {}

UdpChannel::~UdpChannel() = default;

void UdpChannel::send(uint64_t token, std::span<const uint8_t> query) {
    if (by_token_.find(token))
        cancel(token);
    auto [handle, q] = queries_.acquire();
    q.handle = handle;
    if (!read_query_question(query, q.question)) {
        queries_.release(handle);
        fail_later(token, UpstreamFailure::malformed);
        return;
    }
    q.frame.clear();
    q.frame.reserve(frame_capacity);
    append_framed(q.frame, query);
    q.id = ids_.next();
    q.frame[2] = static_cast<uint8_t>(q.id >> 8);
    q.frame[3] = static_cast<uint8_t>(q.id);

    // Binding is left to the kernel: connect() picks a random ephemeral port, and the
    // connected socket only accepts datagrams from the upstream's address and port.
    q.fd = Fd(::socket(spec_.addr.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    std::span<const uint8_t> msg(q.frame.data() + 2, q.frame.size() - 2);
    if (!q.fd.valid() || ::connect(q.fd.get(), spec_.addr.get(), spec_.addr.len()) != 0 ||
        ::send(q.fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL) < 0) {
        q.fd.reset();
        queries_.release(handle);
        fail_later(token, UpstreamFailure::connect);
        return;
    }
    ++stats_.sent;
    if (!q.watcher) {
        Query* record = &q;  // records never move (SlotTable)
        q.watcher = std::make_unique<IoWatcher>(
            loop_, q.fd.get(), IoWhat::read, [this, record](IoWhat) { on_udp_readable(*record); });
    } else {
        q.watcher->set_fd(q.fd.get());
    }
    q.watcher->enable();
    q.token = token;
    q.deadline = track_deadline(token);
    by_token_.insert(token, &q);
}

void UdpChannel::cancel(uint64_t token) {
    forget_failure(token);
    if (Query** q = by_token_.find(token))
        finish(**q);
}

void UdpChannel::finish(Query& q) {
    by_token_.erase(q.token);
    q.token = 0;
    q.watcher->disable();
    finished_.push_back(q.handle);
    recycle_later();
}

void UdpChannel::recycle() {
    for (uint64_t handle : finished_) {
        Query& q = queries_.get(handle);
        q.tcp.reset();
        q.fd.reset();
        queries_.release(handle);
    }
    finished_.clear();
}

void UdpChannel::on_deadline(uint64_t token, TimePoint deadline) {
    Query** q = by_token_.find(token);
    if (!q || (*q)->deadline != deadline)
        return;
    ++stats_.timeouts;
    finish(**q);
    (void)deliver_failure(token, UpstreamFailure::timeout);
}

void UdpChannel::on_udp_readable(Query& q) {
    uint64_t token = q.token;
    if (token == 0)
        return;  // finished earlier in this loop turn
    for (;;) {
        ssize_t n = ::recv(q.fd.get(), rx_.data(), rx_.size(), 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            // ECONNREFUSED: ICMP port unreachable on the connected socket.
            finish(q);
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
                finish(q);
                (void)deliver_failure(token, UpstreamFailure::malformed);
                return;
            case ReplyMatch::ours:
                break;
        }
        if (is_truncated(msg)) {
            (void)retry_over_tcp(token, q);
            return;
        }
        finish(q);
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
    // A finished query's stream may still report until it is recycled; `owner` tells whether the
    // token still names this query.
    Query* owner = &q;
    cb.on_readable = [this, token, owner](StreamInput& in) {
        if (live(token, owner))
            on_tcp_readable(*owner, in);
    };
    cb.on_closed = [this, token, owner](StreamEnd, const std::string&) {
        if (!live(token, owner))
            return;
        finish(*owner);
        (void)deliver_failure(token, UpstreamFailure::connect);
    };
    auto stream = Stream::connect(loop_, so, std::move(cb));
    if (!stream) {
        finish(q);
        return deliver_failure(token, UpstreamFailure::connect);
    }
    q.tcp = std::move(stream.value());
    q.tcp->write(q.frame);
    ++stats_.sent;
    return true;
}

bool UdpChannel::live(uint64_t token, const Query* q) {
    Query** found = by_token_.find(token);
    return found && *found == q;
}

void UdpChannel::on_tcp_readable(Query& q, StreamInput& in) {
    for (;;) {
        size_t consumed = 0;
        std::span<const uint8_t> msg = next_frame(in, consumed);
        if (consumed == 0)
            return;
        if (match_reply(msg, q.id, q.question) == ReplyMatch::ours) {
            uint64_t token = q.token;
            finish(q);
            (void)deliver_reply(token, msg);  // the stream is recycled later, `in` stays valid
            return;
        }
        count_dropped_reply();
        in.drain(consumed);
    }
}

}  // namespace muster::resolver::internal
