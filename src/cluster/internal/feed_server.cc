// FeedServer: see feed_server.hh. The ring, subscriptions, snapshot transfers and the requests a
// client agent sends on its feed connection.
#include "cluster/internal/feed_server.hh"

#include <algorithm>
#include <cstring>

#include "cluster/internal/rpc_messages.hh"

namespace muster::cluster::internal {
namespace {

constexpr const log::Logger& logger = node_logger;

std::vector<std::string> voter_addresses(const Status& s) {
    std::vector<std::string> out;
    for (const Peer& p : s.voters)
        out.push_back(p.address);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

FeedServer::FeedServer(Host& host, Limits limits, uint64_t floor)
    : host_(host), limits_(limits), floor_(floor) {}

// ---- the ring

void FeedServer::on_entry(uint64_t index, std::span<const uint8_t> entry) {
    if (index <= newest())
        return;  // a replay: the ring (or the state before floor) has it
    append(index, entry);
    const auto& message = ring_.back().bytes;
    for (auto& [connection, s] : subscribers_) {
        if (!s.live || s.position >= index)
            continue;
        s.position = index;
        host_.feed_push(connection, s.request, message);
    }
}

void FeedServer::append(uint64_t index, std::span<const uint8_t> entry) {
    ring_.push_back(RingEntry{index, encode_feed_entry(index, entry)});
    ring_bytes_ += ring_.back().bytes.size();
    while (!ring_.empty() &&
           (ring_.size() > limits_.ring_entries || ring_bytes_ > limits_.ring_bytes)) {
        floor_ = ring_.front().index;
        ring_bytes_ -= ring_.front().bytes.size();
        ring_.pop_front();
    }
}

// The state was replaced here: what the ring held no longer follows it. A subscriber behind the
// new state resubscribes (and gets a snapshot); one at or past it keeps its feed.
void FeedServer::on_restored(uint64_t applied_index) {
    ring_.clear();
    ring_bytes_ = 0;
    floor_ = applied_index;
    for (auto& [connection, s] : subscribers_)
        if (!s.dropped && !s.transfer && s.position < applied_index)
            drop(s, "this server restored a snapshot past the feed's position");
}

// ---- subscriptions

std::optional<std::string> FeedServer::refusal() const {
    if (host_.closing())
        return host_.stop_reason();
    const Status& st = host_.status();
    if (st.role == Role::unavailable)
        return st.waiting_for.empty() ? std::string("this server is not running Raft")
                                      : "this server is not in a cluster yet: " + st.waiting_for;
    if (subscribers_.size() >= limits_.max_subscribers)
        return "this server has " + std::to_string(subscribers_.size()) + " feeds already";
    return std::nullopt;
}

void FeedServer::handle_feed(uint64_t connection, uint64_t request,
                             std::span<const uint8_t> payload) {
    auto req = decode_feed_request(payload);
    if (!req) {
        host_.feed_close(connection, "bad feed request: " + req.error().message);
        return;
    }
    if (subscribers_.contains(connection)) {
        host_.feed_close(connection, "a second feed request on one connection");
        return;
    }
    if (auto why = refusal()) {
        host_.feed_reply(connection, request, MessageType::feed, encode_feed_refused(*why));
        return;
    }
    // servers_sent_ is what every subscriber was told last: the others hear of a change first.
    if (subscribers_.empty())
        servers_sent_ = servers_message();
    else
        update_servers();
    auto now = Clock::now();
    Subscriber& s = subscribers_[connection];
    s.client = AttachedClient{req->node, req->address, connection, now, now, req->from_index};
    s.request = request;
    s.position = req->from_index;
    host_.feed_reply(connection, request, MessageType::feed, servers_sent_);
    bool snapshot = req->from_index < floor_;
    logger.info("feed subscribed", {{"node", req->node},
                                    {"address", req->address},
                                    {"from_index", std::to_string(req->from_index)},
                                    {"floor", std::to_string(floor_)},
                                    {"newest", std::to_string(newest())},
                                    {"snapshot", snapshot ? "yes" : "no"}});
    if (snapshot)
        start_snapshot(s);
    else
        catch_up(s);
}

void FeedServer::start_snapshot(Subscriber& s) {
    s.live = false;
    auto snap = host_.feed_snapshot();
    if (!snap) {
        logger.warn("feed snapshot failed",
                    {{"node", s.client.node}, {"error", snap.error().message}});
        drop(s, "snapshot failed: " + snap.error().message);
        return;
    }
    Transfer t;
    t.index = snap->index;
    for (auto part : snap->data.parts)
        t.total += part.size();
    t.data = std::move(snap->data);
    s.position = t.index;
    s.transfer = std::move(t);
    send_chunks(s);
}

// Sends chunks while the connection keeps up; the rest on later turns (pump).
void FeedServer::send_chunks(Subscriber& s) {
    Transfer& t = *s.transfer;
    const uint64_t connection = s.client.connection;
    do {
        if (host_.feed_unsent(connection) >= limits_.pace_bytes)
            return;
        uint64_t offset = t.offset;
        std::vector<uint8_t> chunk = next_chunk(t);
        if (!host_.feed_push(connection, s.request,
                             encode_feed_snapshot(t.index, t.total, offset, chunk)))
            return;  // closing: closed() drops it
    } while (t.offset < t.total);
    s.transfer.reset();
    catch_up(s);
}

std::vector<uint8_t> FeedServer::next_chunk(Transfer& t) const {
    std::vector<uint8_t> chunk;
    size_t want = static_cast<size_t>(std::min<uint64_t>(limits_.chunk_bytes, t.total - t.offset));
    chunk.reserve(want);
    while (chunk.size() < want && t.part < t.data.parts.size()) {
        auto part = t.data.parts[t.part];
        size_t n = std::min(want - chunk.size(), part.size() - t.part_offset);
        chunk.insert(chunk.end(), part.begin() + static_cast<ptrdiff_t>(t.part_offset),
                     part.begin() + static_cast<ptrdiff_t>(t.part_offset + n));
        t.part_offset += n;
        if (t.part_offset == part.size()) {
            ++t.part;
            t.part_offset = 0;
        }
    }
    t.offset += chunk.size();
    return chunk;
}

// Sends what the ring holds after the subscriber's position, paced like a snapshot (a whole ring
// at once could pass the connection's unsent limit and close it, again at every resume); it is
// live once it has all. A position the ring no longer follows (entries fell off meanwhile)
// needs a snapshot.
void FeedServer::catch_up(Subscriber& s) {
    if (s.position < floor_) {
        start_snapshot(s);
        return;
    }
    auto it = std::upper_bound(ring_.begin(), ring_.end(), s.position,
                               [](uint64_t i, const RingEntry& e) { return i < e.index; });
    for (; it != ring_.end(); ++it) {
        if (host_.feed_unsent(s.client.connection) >= limits_.pace_bytes)
            return;  // the rest on a later turn (pump)
        if (!host_.feed_push(s.client.connection, s.request, it->bytes))
            return;
        s.position = it->index;
    }
    s.live = true;
}

void FeedServer::closed(uint64_t connection) {
    auto it = subscribers_.find(connection);
    if (it == subscribers_.end())
        return;
    logger.info("feed unsubscribed", {{"node", it->second.client.node},
                                      {"address", it->second.client.address},
                                      {"position", std::to_string(it->second.position)}});
    subscribers_.erase(it);
}

// Closes a subscriber's connection; it gets nothing more until closed() forgets it.
void FeedServer::drop(Subscriber& s, const std::string& why) {
    s.dropped = true;
    s.live = false;
    s.transfer.reset();
    host_.feed_close(s.client.connection, why);
}

std::vector<uint8_t> FeedServer::servers_message() const {
    const Status& st = host_.status();
    return encode_feed_servers(st.leader_address, voter_addresses(st));
}

void FeedServer::pump() {
    for (auto& [connection, s] : subscribers_) {
        if (s.dropped)
            continue;
        if (s.transfer)
            send_chunks(s);
        else if (!s.live)
            catch_up(s);
    }
    if (!reads_.empty())
        answer_reads();
    update_servers();
}

// Tells every subscriber of a new leader or new voters.
void FeedServer::update_servers() {
    if (subscribers_.empty())
        return;
    auto message = servers_message();
    if (message == servers_sent_)
        return;
    servers_sent_ = std::move(message);
    for (auto& [connection, s] : subscribers_)
        host_.feed_push(connection, s.request, servers_sent_);
}

// ---- heartbeats and commands

void FeedServer::handle_heartbeat(uint64_t connection, uint64_t request,
                                  std::span<const uint8_t> payload) {
    auto hb = decode_heartbeat(payload);
    if (!hb) {
        host_.feed_close(connection, "bad heartbeat: " + hb.error().message);
        return;
    }
    if (auto it = subscribers_.find(connection); it != subscribers_.end()) {
        it->second.client.last_heartbeat = Clock::now();
        it->second.client.applied = hb->applied;
    }
    const Status& st = host_.status();
    host_.feed_reply(connection, request, MessageType::heartbeat,
                     encode_heartbeat_reply(
                         HeartbeatReply{st.leader_address, voter_addresses(st), st.last_applied}));
}

void FeedServer::handle_submit(uint64_t connection, uint64_t request,
                               std::vector<uint8_t> payload) {
    // The Done may run after this object is gone (the loop's shutdown): it holds the host only.
    Host* host = &host_;
    host_.feed_submit(
        std::move(payload), [host, connection, request](Fate fate, Result<uint64_t> result) {
            ApplyReply a;
            a.fate = fate;
            if (result.ok())
                a.value = *result;
            else
                a.error = result.error().message;
            host->feed_reply(connection, request, MessageType::submit, encode_apply_reply(a));
        });
}

// The reply goes out once the barrier is done here and the subscriber on that connection is
// live: every entry up to the barrier was pushed before the reply, so the client holds all of
// it when it reads the reply.
void FeedServer::handle_read_barrier(uint64_t connection, uint64_t request) {
    Host* host = &host_;  // as for submit: the Done may outlive this object
    std::weak_ptr<FeedServer*> self = alive_;
    host_.feed_barrier([host, self, connection, request](Result<uint64_t> applied) {
        if (!applied.ok() || self.expired()) {
            BarrierReply b;
            b.error = applied.ok() ? "the server is stopping" : applied.error().message;
            host->feed_reply(connection, request, MessageType::read_barrier,
                             encode_barrier_reply(b));
            return;
        }
        (*self.lock())->reads_.push_back(PendingRead{connection, request, *applied});
        (*self.lock())->answer_reads();
    });
}

void FeedServer::answer_reads() {
    for (auto it = reads_.begin(); it != reads_.end();) {
        auto s = subscribers_.find(it->connection);
        if (s != subscribers_.end() && !s->second.dropped && !s->second.live) {
            ++it;
            continue;
        }
        BarrierReply b;
        if (s == subscribers_.end() || s->second.dropped)
            b.error = "no feed on this connection";
        else
            b.index = it->index;
        host_.feed_reply(it->connection, it->request, MessageType::read_barrier,
                         encode_barrier_reply(b));
        it = reads_.erase(it);
    }
}

std::vector<AttachedClient> FeedServer::attached() const {
    std::vector<AttachedClient> out;
    for (const auto& [connection, s] : subscribers_)
        out.push_back(s.client);
    return out;
}

}  // namespace muster::cluster::internal
