// StreamChannel: lazy connect, pipelining with unique IDs, out-of-order replies, idle close and
// reconnect backoff for DNS over TCP (RFC 7766) and DNS over TLS (RFC 7858).
#include "resolver/internal/stream_channel.hh"

#include <algorithm>
#include <chrono>

#include "resolver/internal/frame.hh"

namespace muster::resolver::internal {
namespace {
constexpr std::chrono::seconds log_interval{30};
// IDs are drawn at random until one is free; keep the ID space at most half full so that
// stays cheap (RFC 7766 §7: IDs unique among a connection's outstanding queries).
constexpr unsigned id_space_limit = 32768;
}  // namespace

StreamChannel::StreamChannel(EventLoop& loop, const UpstreamSpec& spec, TlsClientContext* tls,
                             UpstreamListener& listener, const ChannelOptions& options)
    : ChannelBase(loop, spec, listener, options),
      tls_(tls),
      max_in_flight_(std::clamp(options.max_in_flight, 1U, id_space_limit)),
      backoff_(options.reconnect_backoff_min),
      idle_timer_(loop, [this] { on_idle(); }),
      backoff_timer_(loop, [this] { state_ = State::idle; }),
      flush_timer_(loop, [this] { write_waiting(); }),
      tls_log_limit_(log_interval),
      connect_log_limit_(log_interval) {}

// Members are destroyed in reverse order: stream_ (no callbacks) before session_.
StreamChannel::~StreamChannel() = default;

void StreamChannel::send(uint64_t token, std::span<const uint8_t> query) {
    if (queries_.contains(token))
        cancel(token);
    Pending p;
    if (!read_query_question(query, p.question)) {
        fail_later(token, UpstreamFailure::malformed);
        return;
    }
    if (state_ == State::backoff) {
        // Fail fast: the pool should go elsewhere rather than queue behind a dead upstream.
        fail_later(token, UpstreamFailure::connect);
        return;
    }
    p.frame = take_buffer();
    append_framed(p.frame, query);
    p.deadline = track_deadline(token);
    queries_.insert(token, std::move(p));
    waiting_.push_back(token);
    idle_timer_.cancel();
    if (state_ == State::idle)
        connect();
    // Not written at once: the queries a worker forwards in one pass over its sockets go out
    // together after it, in one TLS record and one send. Written one by one, each cost its own
    // record, syscall and wakeup of the upstream, and on a busy machine every wakeup waits
    // for a CPU (issue 18: the DoT miss rate fell behind Knot Resolver's there).
    if (!flush_timer_.armed())
        flush_timer_.arm(Duration::zero());
}

void StreamChannel::cancel(uint64_t token) {
    forget_failure(token);
    if (!queries_.contains(token))
        return;
    // A late reply to a cancelled query then has an unknown ID (or, once the ID is reused,
    // a different question) and is dropped.
    remove(token);
    write_waiting();
    arm_idle_if_unused();
}

void StreamChannel::remove(uint64_t token) {
    Pending* p = queries_.find(token);
    if (!p)
        return;
    if (p->written)
        in_flight_.erase(p->id);
    give_back(std::move(p->frame));
    queries_.erase(token);
}

void StreamChannel::fail_all(UpstreamFailure why) {
    queries_.for_each([&](uint64_t token, Pending& p) {
        fail_later(token, why);
        give_back(std::move(p.frame));
    });
    queries_.clear();
    in_flight_.clear();
}

void StreamChannel::on_deadline(uint64_t token, TimePoint deadline) {
    const Pending* p = queries_.find(token);
    if (!p || p->deadline != deadline)
        return;
    ++stats_.timeouts;
    remove(token);
    if (!deliver_failure(token, UpstreamFailure::timeout))
        return;
    write_waiting();
    arm_idle_if_unused();
}

void StreamChannel::connect() {
    StreamOptions so;
    so.kind = spec_.transport == UpstreamTransport::tls ? StreamKind::tls : StreamKind::tcp;
    so.addr = spec_.addr;
    so.tls_name = spec_.tls_name;
    so.tls = tls_;
    so.session = so.kind == StreamKind::tls ? &session_ : nullptr;
    so.connect_timeout = options_.connect_timeout;
    StreamCallbacks cb;
    cb.on_connected = [this] { on_connected(); };
    cb.on_readable = [this](StreamInput& in) { on_readable(in); };
    cb.on_closed = [this](StreamEnd end, const std::string& reason) { on_closed(end, reason); };
    auto stream = Stream::connect(loop_, so, std::move(cb));
    if (!stream) {
        // No socket at all (e.g. descriptors exhausted): same as a refused connection, but
        // reported from the loop since we may be inside send().
        ++stats_.connect_failures;
        log_connect_failure(StreamEnd::connect_failed, stream.error().message);
        fail_all(UpstreamFailure::connect);
        waiting_.clear();
        state_ = State::backoff;
        backoff_timer_.arm(backoff_);
        backoff_ = std::min(backoff_ * 2, options_.reconnect_backoff_max);
        return;
    }
    stream_ = std::move(stream.value());
    state_ = State::connecting;
}

uint16_t StreamChannel::unused_id() {
    for (;;) {
        uint16_t id = ids_.next();
        if (!in_flight_.contains(id))
            return id;
    }
}

// Queries are written as soon as there is a stream, also while it connects: the bufferevent
// holds them until the connection (and TLS handshake) is up. RFC 7766 §6.2.1.1: pipelining.
void StreamChannel::write_waiting() {
    if (!stream_)
        return;
    out_.clear();
    while (in_flight_.size() < max_in_flight_ && !waiting_.empty()) {
        uint64_t token = waiting_.front();
        waiting_.pop_front();
        Pending* p = queries_.find(token);
        if (!p || p->written)
            continue;  // cancelled meanwhile
        p->id = unused_id();
        p->frame[2] = static_cast<uint8_t>(p->id >> 8);
        p->frame[3] = static_cast<uint8_t>(p->id);
        p->written = true;
        in_flight_.insert(p->id, token);
        out_.insert(out_.end(), p->frame.begin(), p->frame.end());
        ++stats_.sent;
    }
    if (!out_.empty())
        stream_->write(out_);
}

void StreamChannel::arm_idle_if_unused() {
    if (!queries_.empty() || !stream_)
        return;
    if (!idle_timer_.armed())
        idle_timer_.arm(options_.idle_timeout);
}

// RFC 7766 §6.2.3: clients close idle connections. Not inside a stream callback, so the
// stream can go at once (with a TLS close_notify).
void StreamChannel::on_idle() {
    if (!queries_.empty() || !stream_)
        return;
    channel_log.debug("upstream connection idle, closing", {{"upstream", spec_.label}});
    stream_.reset();
    state_ = State::idle;
}

void StreamChannel::on_connected() {
    state_ = State::connected;
    backoff_ = options_.reconnect_backoff_min;
    ++stats_.connects;
    if (stream_->resumed())
        ++stats_.tls_resumed;
    channel_log.debug("upstream connected",
                      {{"upstream", spec_.label}, {"resumed", stream_->resumed() ? "yes" : "no"}});
    arm_idle_if_unused();
}

void StreamChannel::on_readable(StreamInput& in) {
    for (;;) {
        size_t consumed = 0;
        std::span<const uint8_t> msg = next_frame(in, consumed);
        if (consumed == 0)
            return;
        if (!on_frame(msg))
            return;  // the channel (and `in`) may be gone
        in.drain(consumed);
    }
}

bool StreamChannel::on_frame(std::span<const uint8_t> msg) {
    // RFC 7766 §7: match on ID and question; anything else is not ours, keep waiting. The
    // connection itself is bound to the upstream's address and port.
    const uint64_t* slot = msg.size() < 12 ? nullptr : in_flight_.find(message_id(msg));
    const uint64_t token = slot ? *slot : 0;
    const Pending* p = slot ? queries_.find(token) : nullptr;
    if (!p || match_reply(msg, p->id, p->question) != ReplyMatch::ours) {
        count_dropped_reply();
        return true;
    }
    remove(token);
    if (!deliver_reply(token, msg))
        return false;
    write_waiting();
    arm_idle_if_unused();
    return true;
}

void StreamChannel::on_closed(StreamEnd end, const std::string& reason) {
    retire(std::shared_ptr<Stream>(std::move(stream_)));
    idle_timer_.cancel();
    in_flight_.clear();
    waiting_.clear();
    bool attempt_failed = state_ == State::connecting;
    if (attempt_failed) {
        ++stats_.connect_failures;
        log_connect_failure(end, reason);
        state_ = State::backoff;
        backoff_timer_.arm(backoff_);
        backoff_ = std::min(backoff_ * 2, options_.reconnect_backoff_max);
    } else {
        channel_log.debug("upstream connection closed",
                          {{"upstream", spec_.label},
                           {"reason", reason},
                           {"outstanding", std::to_string(queries_.size())}});
        state_ = State::idle;  // it worked before: the next send reconnects at once
    }
    UpstreamFailure why =
        end == StreamEnd::tls_failed ? UpstreamFailure::tls : UpstreamFailure::connect;
    // Reported from this loop callback; cancel() from inside a callback still suppresses the
    // rest, since they go through the failure queue.
    fail_all(why);
}

void StreamChannel::log_connect_failure(StreamEnd end, const std::string& reason) {
    uint64_t suppressed = 0;
    if (end == StreamEnd::tls_failed) {
        if (!tls_log_limit_.allow(suppressed))
            return;
        // The word "certificate" is in `reason` for verification failures; say it anyway for
        // operators grepping for certificate problems.
        channel_log.error("upstream TLS handshake or certificate verification failed",
                          {{"upstream", spec_.label},
                           {"tls_name", spec_.tls_name},
                           {"reason", reason},
                           {"suppressed", std::to_string(suppressed)}});
        return;
    }
    if (!connect_log_limit_.allow(suppressed))
        return;
    channel_log.warn("upstream connect failed", {{"upstream", spec_.label},
                                                 {"reason", reason},
                                                 {"kind", to_string(end)},
                                                 {"suppressed", std::to_string(suppressed)}});
}

}  // namespace muster::resolver::internal
