// Tests for cluster/internal/feed_server.cc on a fake Host (no sockets): the ring and its
// floor, where a subscription starts (ring, snapshot, ahead), snapshot chunking and pacing,
// refusals, and malformed requests closing their connection.
#include "cluster/internal/feed_server.hh"

#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/internal/rpc_messages.hh"

namespace muster::cluster {
namespace {

using namespace internal;
using Bytes = std::vector<uint8_t>;

struct Sent {
    uint64_t connection = 0;
    uint64_t request = 0;
    MessageType type = MessageType::feed;
    FeedMessage message;  // feed frames, decoded
    Bytes payload;
};

class FakeHost final : public FeedServer::Host {
  public:
    FakeHost() {
        status_.role = Role::follower;
        status_.leader_address = "127.0.0.1:1";
        status_.voters = {Peer{1, "127.0.0.1:1"}, Peer{2, "127.0.0.1:2"}};
    }
    const Status& status() const override { return status_; }
    bool closing() const override { return false; }
    const std::string& stop_reason() const override { return reason_; }
    bool feed_push(uint64_t c, uint64_t r, std::span<const uint8_t> p) override {
        if (closed.contains(c))
            return false;
        record(c, r, MessageType::feed, p);
        return true;
    }
    void feed_reply(uint64_t c, uint64_t r, MessageType t, std::span<const uint8_t> p) override {
        record(c, r, t, p);
    }
    void feed_close(uint64_t c, const std::string& why) override { closed[c] = why; }
    size_t feed_unsent(uint64_t) const override { return unsent; }
    Result<FeedServer::Snapshot> feed_snapshot() override {
        ++snapshots;
        auto owner = std::make_shared<Bytes>(snapshot_bytes);
        std::span<const uint8_t> all(*owner);
        return FeedServer::Snapshot{
            snapshot_index, SnapshotData{.parts = {all.first(3), all.subspan(3)}, .owner = owner}};
    }
    void feed_submit(Bytes command, CommandDone done) override {
        submitted.push_back(command);
        done(Fate::applied, uint64_t{command.size()});
    }
    std::vector<std::function<void(Result<uint64_t>)>> barriers;
    void feed_barrier(std::function<void(Result<uint64_t>)> done) override {
        barriers.push_back(std::move(done));
    }

    std::vector<FeedMessage> feed_to(uint64_t c) const {
        std::vector<FeedMessage> out;
        for (const auto& s : sent)
            if (s.connection == c && s.type == MessageType::feed)
                out.push_back(s.message);
        return out;
    }
    std::vector<uint64_t> entries_to(uint64_t c) const {
        std::vector<uint64_t> out;
        for (const auto& m : feed_to(c))
            if (m.kind == FeedKind::entry)
                out.push_back(m.index);
        return out;
    }

    Status status_;
    std::string reason_ = "stopping";
    std::vector<Sent> sent;
    std::map<uint64_t, std::string> closed;
    size_t unsent = 0;
    int snapshots = 0;
    uint64_t snapshot_index = 0;
    Bytes snapshot_bytes;
    std::vector<Bytes> submitted;

  private:
    void record(uint64_t c, uint64_t r, MessageType t, std::span<const uint8_t> p) {
        Sent s{c, r, t, {}, Bytes(p.begin(), p.end())};
        if (t == MessageType::feed) {
            auto m = decode_feed_message(p);
            BOOST_REQUIRE(m.ok());
            s.message = *m;
        }
        sent.push_back(std::move(s));
    }
};

Bytes feed_request(uint64_t from) {
    return encode_feed_request(FeedRequest{"client", "10.0.0.9", from});
}

FeedServer::Limits small_ring() {
    FeedServer::Limits l;
    l.ring_entries = 4;
    l.chunk_bytes = 4;
    return l;
}

void apply(FeedServer& f, uint64_t from, uint64_t to) {
    for (uint64_t i = from; i <= to; ++i)
        f.on_entry(i, Bytes{static_cast<uint8_t>(i)});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(feed_server)

BOOST_AUTO_TEST_CASE(the_ring_keeps_the_newest_entries_and_its_floor_rises) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 10);
    BOOST_TEST(feed.floor() == 10u);
    apply(feed, 11, 16);
    BOOST_TEST(feed.ring_size() == 4u);
    BOOST_TEST(feed.floor() == 12u);
    BOOST_TEST(feed.newest() == 16u);
    feed.on_entry(15, Bytes{1});  // a replay changes nothing
    BOOST_TEST(feed.newest() == 16u);
}

BOOST_AUTO_TEST_CASE(a_subscriber_within_the_ring_gets_what_follows_it_then_live_entries) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 0);
    apply(feed, 1, 6);  // ring: 3..6, floor 2
    feed.handle_feed(7, 100, feed_request(4));
    auto first = host.feed_to(7);
    BOOST_REQUIRE(!first.empty());
    BOOST_TEST((first[0].kind == FeedKind::servers));
    BOOST_TEST(first[0].servers.size() == 2u);
    apply(feed, 7, 8);
    BOOST_TEST(host.entries_to(7) == (std::vector<uint64_t>{5, 6, 7, 8}));
    BOOST_TEST(host.snapshots == 0);
    for (const auto& s : host.sent)
        BOOST_TEST(s.request == 100u);
}

BOOST_AUTO_TEST_CASE(a_subscriber_behind_the_floor_gets_a_snapshot_in_chunks_then_entries) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 0);
    apply(feed, 1, 10);  // floor 6
    host.snapshot_index = 10;
    host.snapshot_bytes = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    feed.handle_feed(3, 1, feed_request(2));
    apply(feed, 11, 11);
    Bytes joined;
    for (const auto& m : host.feed_to(3))
        if (m.kind == FeedKind::snapshot) {
            BOOST_TEST(m.index == 10u);
            BOOST_TEST(m.offset == joined.size());
            BOOST_TEST(m.bytes.size() <= 4u);
            joined.insert(joined.end(), m.bytes.begin(), m.bytes.end());
        }
    BOOST_TEST(joined == host.snapshot_bytes);
    BOOST_TEST(host.entries_to(3) == (std::vector<uint64_t>{11}));
}

BOOST_AUTO_TEST_CASE(a_snapshot_waits_while_the_connection_has_too_much_unsent) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 0);
    apply(feed, 1, 10);
    host.snapshot_index = 10;
    host.snapshot_bytes = Bytes(10, 7);
    host.unsent = size_t{100} << 20;
    feed.handle_feed(3, 1, feed_request(0));
    apply(feed, 11, 11);
    BOOST_TEST(host.feed_to(3).size() == 1u);  // only the servers message
    host.unsent = 0;
    feed.pump();
    BOOST_TEST(host.feed_to(3).size() == 1u + 3u + 1u);  // 3 chunks, then entry 11
    BOOST_TEST(host.entries_to(3) == (std::vector<uint64_t>{11}));
}

BOOST_AUTO_TEST_CASE(a_catch_up_from_the_ring_waits_while_the_connection_has_too_much_unsent) {
    FakeHost host;
    FeedServer::Limits limits = small_ring();
    limits.ring_entries = 16;
    FeedServer feed(host, limits, 0);
    apply(feed, 1, 4);
    host.unsent = size_t{100} << 20;
    feed.handle_feed(3, 1, feed_request(0));
    apply(feed, 5, 5);
    BOOST_TEST(host.entries_to(3).empty());
    host.unsent = 0;
    feed.pump();
    apply(feed, 6, 6);
    BOOST_TEST(host.entries_to(3) == (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
    BOOST_TEST(host.snapshots == 0);
}

BOOST_AUTO_TEST_CASE(a_subscriber_ahead_of_this_server_gets_only_later_entries) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 0);
    apply(feed, 1, 3);
    feed.handle_feed(3, 1, feed_request(5));
    apply(feed, 4, 7);
    BOOST_TEST(host.entries_to(3) == (std::vector<uint64_t>{6, 7}));
}

BOOST_AUTO_TEST_CASE(a_server_in_no_cluster_refuses_feeds) {
    FakeHost host;
    host.status_.role = Role::unavailable;
    host.status_.waiting_for = "3 servers to bootstrap";
    FeedServer feed(host, small_ring(), 0);
    feed.handle_feed(3, 1, feed_request(0));
    auto got = host.feed_to(3);
    BOOST_REQUIRE(got.size() == 1u);
    BOOST_TEST((got[0].kind == FeedKind::refused));
    BOOST_TEST(got[0].error.find("3 servers") != std::string::npos);
    BOOST_TEST(feed.subscribers() == 0u);
}

BOOST_AUTO_TEST_CASE(malformed_requests_close_their_connection_only) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 0);
    feed.handle_feed(1, 1, feed_request(0));
    feed.handle_feed(2, 1, Bytes{'{', 'x'});
    feed.handle_heartbeat(3, 1, Bytes{0xff});
    feed.handle_feed(1, 2, feed_request(0));  // a second feed on one connection
    BOOST_TEST(host.closed.contains(1));
    BOOST_TEST(host.closed.contains(2));
    BOOST_TEST(host.closed.contains(3));
    feed.handle_feed(4, 1, feed_request(0));
    apply(feed, 1, 1);
    BOOST_TEST(host.entries_to(4) == (std::vector<uint64_t>{1}));
}

BOOST_AUTO_TEST_CASE(heartbeats_are_recorded_per_client_and_answered_with_the_servers) {
    FakeHost host;
    host.status_.last_applied = 9;
    FeedServer feed(host, small_ring(), 0);
    feed.handle_feed(5, 1, feed_request(0));
    auto before = feed.attached().at(0).last_heartbeat;
    feed.handle_heartbeat(5, 2, encode_heartbeat(HeartbeatRequest{"client", 3}));
    auto attached = feed.attached();
    BOOST_REQUIRE(attached.size() == 1u);
    BOOST_TEST(attached[0].node == "client");
    BOOST_TEST(attached[0].applied == 3u);
    BOOST_TEST((attached[0].last_heartbeat >= before));
    const Sent& reply = host.sent.back();
    BOOST_TEST((reply.type == MessageType::heartbeat));
    auto r = decode_heartbeat_reply(reply.payload);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->last_applied == 9u);
    BOOST_TEST(r->leader_address == "127.0.0.1:1");
    feed.closed(5);
    BOOST_TEST(feed.attached().empty());
}

BOOST_AUTO_TEST_CASE(a_new_leader_is_pushed_to_every_subscriber) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 0);
    feed.handle_feed(5, 1, feed_request(0));
    feed.pump();
    BOOST_TEST(host.feed_to(5).size() == 1u);
    host.status_.leader_address = "127.0.0.1:2";
    feed.pump();
    auto got = host.feed_to(5);
    BOOST_REQUIRE(got.size() == 2u);
    BOOST_TEST(got[1].leader_address == "127.0.0.1:2");
}

BOOST_AUTO_TEST_CASE(a_change_seen_first_at_a_new_subscription_still_reaches_the_others) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 0);
    feed.handle_feed(5, 1, feed_request(0));
    host.status_.leader_address = "127.0.0.1:2";
    feed.handle_feed(6, 1, feed_request(0));  // before any pump saw the new leader
    feed.pump();
    auto old = host.feed_to(5);
    BOOST_REQUIRE(old.size() == 2u);
    BOOST_TEST(old[1].leader_address == "127.0.0.1:2");
    auto fresh = host.feed_to(6);
    BOOST_REQUIRE(fresh.size() == 1u);
    BOOST_TEST(fresh[0].leader_address == "127.0.0.1:2");
}

BOOST_AUTO_TEST_CASE(a_restore_past_a_subscriber_closes_its_feed) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 0);
    apply(feed, 1, 3);
    feed.handle_feed(5, 1, feed_request(3));
    feed.handle_feed(6, 1, feed_request(50));
    feed.on_restored(20);
    BOOST_TEST(feed.floor() == 20u);
    BOOST_TEST(feed.ring_size() == 0u);
    BOOST_TEST(host.closed.contains(5));
    BOOST_TEST(!host.closed.contains(6));
}

BOOST_AUTO_TEST_CASE(a_submitted_command_is_answered_with_an_apply_reply) {
    FakeHost host;
    FeedServer feed(host, small_ring(), 0);
    feed.handle_submit(5, 9, Bytes{1, 2, 3});
    BOOST_REQUIRE(host.submitted.size() == 1u);
    const Sent& reply = host.sent.back();
    BOOST_TEST(reply.request == 9u);
    BOOST_TEST((reply.type == MessageType::submit));
    auto a = decode_apply_reply(reply.payload);
    BOOST_REQUIRE(a.ok());
    BOOST_TEST((a->fate == Fate::applied));
    BOOST_TEST(a->value == 3u);
}

BOOST_AUTO_TEST_CASE(a_read_barrier_is_answered_once_the_feed_is_live_behind_it) {
    FakeHost host;
    FeedServer::Limits limits = small_ring();
    limits.ring_entries = 16;
    FeedServer feed(host, limits, 0);
    apply(feed, 1, 4);
    host.unsent = size_t{100} << 20;  // the catch-up waits: the subscriber is not live yet
    feed.handle_feed(3, 1, feed_request(0));
    feed.handle_read_barrier(3, 2);
    BOOST_REQUIRE(host.barriers.size() == 1u);
    host.barriers[0](uint64_t{4});
    auto replies = [&] {
        std::vector<BarrierReply> out;
        for (const auto& s : host.sent)
            if (s.type == MessageType::read_barrier)
                out.push_back(*decode_barrier_reply(s.payload));
        return out;
    };
    BOOST_TEST(replies().empty(), "not before entries 1..4 went out");
    host.unsent = 0;
    feed.pump();
    BOOST_REQUIRE(replies().size() == 1u);
    BOOST_TEST(replies()[0].error == "");
    BOOST_TEST(replies()[0].index == 4u);
    // the reply comes after the entries on the same connection
    size_t last_entry = 0, reply_at = 0;
    for (size_t i = 0; i < host.sent.size(); ++i) {
        if (host.sent[i].type == MessageType::feed && host.sent[i].message.kind == FeedKind::entry)
            last_entry = i;
        if (host.sent[i].type == MessageType::read_barrier)
            reply_at = i;
    }
    BOOST_TEST(reply_at > last_entry);
    // a failed barrier, and one for a connection without a feed, answer with the error
    feed.handle_read_barrier(3, 5);
    host.barriers[1](make_error("no leader"));
    feed.handle_read_barrier(9, 6);
    host.barriers[2](uint64_t{4});
    BOOST_REQUIRE(replies().size() == 3u);
    BOOST_TEST(replies()[1].error == "no leader");
    BOOST_TEST(replies()[2].error == "no feed on this connection");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster
