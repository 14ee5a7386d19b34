// Tests for cluster/internal/feed_messages.cc: every feed payload round-trips, and untrusted
// bytes (truncated at any length, mistyped, out of bounds) decode to an Error, never further.
#include "cluster/internal/feed_messages.hh"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

namespace muster::cluster {
namespace {

using namespace internal;
using Bytes = std::vector<uint8_t>;

Bytes text(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

std::vector<FeedMessage> samples() {
    FeedMessage entry;
    entry.kind = FeedKind::entry;
    entry.index = 42;
    entry.bytes = {1, 2, 3, 4, 5, 6, 7, 8};
    FeedMessage chunk;
    chunk.kind = FeedKind::snapshot;
    chunk.index = 7;
    chunk.total = 10;
    chunk.offset = 6;
    chunk.bytes = {9, 9, 9, 9};
    FeedMessage servers;
    servers.kind = FeedKind::servers;
    servers.leader_address = "127.0.0.1:8300";
    servers.servers = {"127.0.0.1:8300", "127.0.0.2:8300"};
    FeedMessage refused;
    refused.kind = FeedKind::refused;
    refused.error = "not in a cluster yet";
    return {entry, chunk, servers, refused};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(feed_messages)

BOOST_AUTO_TEST_CASE(every_feed_message_kind_round_trips) {
    for (const auto& m : samples()) {
        auto back = decode_feed_message(encode_feed_message(m));
        BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
        BOOST_TEST((*back == m));
    }
}

BOOST_AUTO_TEST_CASE(a_truncated_servers_or_snapshot_message_is_an_error_at_every_length) {
    for (const auto& m : samples()) {
        if (m.kind != FeedKind::servers && m.kind != FeedKind::snapshot)
            continue;
        Bytes whole = encode_feed_message(m);
        // A snapshot chunk cut short is still a (shorter) chunk once its header is complete.
        size_t header = m.kind == FeedKind::snapshot ? 25 : whole.size();
        for (size_t n = 0; n < header; ++n) {
            auto r = decode_feed_message(std::span<const uint8_t>(whole).first(n));
            BOOST_TEST(!r.ok(), "decoded " << n << " of " << whole.size() << " bytes");
        }
    }
    Bytes entry = encode_feed_entry(5, Bytes{1});
    for (size_t n = 0; n < 9; ++n)
        BOOST_TEST(!decode_feed_message(std::span<const uint8_t>(entry).first(n)).ok());
}

BOOST_AUTO_TEST_CASE(a_snapshot_chunk_outside_its_snapshot_is_refused) {
    BOOST_TEST(!decode_feed_message(encode_feed_snapshot(1, 10, 8, Bytes{1, 2, 3})).ok());
    BOOST_TEST(!decode_feed_message(encode_feed_snapshot(1, 10, 11, Bytes{})).ok());
    BOOST_TEST(!decode_feed_message(encode_feed_snapshot(1, 10, 0, Bytes{})).ok());
    BOOST_TEST(!decode_feed_message(encode_feed_snapshot(1, ~uint64_t{0}, 0, Bytes{1})).ok());
    BOOST_TEST(decode_feed_message(encode_feed_snapshot(1, 0, 0, Bytes{})).ok());
}

BOOST_AUTO_TEST_CASE(servers_must_be_addresses_and_leave_no_trailing_bytes) {
    BOOST_TEST(!decode_feed_message(encode_feed_servers("nonsense", {})).ok());
    BOOST_TEST(!decode_feed_message(encode_feed_servers("", {"127.0.0.1"})).ok());
    Bytes extra = encode_feed_servers("", {"127.0.0.1:1"});
    extra.push_back(0);
    BOOST_TEST(!decode_feed_message(extra).ok());
    BOOST_TEST(!decode_feed_message(Bytes{}).ok());
    BOOST_TEST(!decode_feed_message(Bytes{99, 0, 0}).ok());
    BOOST_TEST(!decode_feed_message(encode_feed_entry(0, Bytes{1})).ok());
}

BOOST_AUTO_TEST_CASE(requests_and_heartbeat_replies_round_trip) {
    FeedRequest f{"client-1", "10.0.0.5", 99};
    auto fb = decode_feed_request(encode_feed_request(f));
    BOOST_REQUIRE(fb.ok());
    BOOST_TEST((*fb == f));
    HeartbeatRequest h{"client-1", 1234};
    auto hb = decode_heartbeat(encode_heartbeat(h));
    BOOST_REQUIRE(hb.ok());
    BOOST_TEST((*hb == h));
    HeartbeatReply r{"127.0.0.1:1", {"127.0.0.1:1", "127.0.0.1:2"}, 77};
    auto rb = decode_heartbeat_reply(encode_heartbeat_reply(r));
    BOOST_REQUIRE(rb.ok());
    BOOST_TEST((*rb == r));
}

BOOST_AUTO_TEST_CASE(malformed_json_requests_are_errors_with_a_reason) {
    for (const char* bad :
         {"", "{", "[]", "{\"node\":\"a\"}", "{\"node\":1,\"from_index\":1}",
          "{\"node\":\"\",\"from_index\":1}", "{\"node\":\"a\",\"from_index\":-1}"}) {
        auto r = decode_feed_request(text(bad));
        BOOST_TEST(!r.ok(), bad);
        if (!r.ok())
            BOOST_TEST(!r.error().message.empty());
    }
    BOOST_TEST(!decode_heartbeat(text("{\"node\":\"a\",\"applied\":\"x\"}")).ok());
    BOOST_TEST(!decode_heartbeat(text("{\"applied\":1}")).ok());
    BOOST_TEST(!decode_heartbeat_reply(text("{\"servers\":[\"x\"]}")).ok());
    BOOST_TEST(!decode_heartbeat_reply(text("{\"leader\":5}")).ok());
    BOOST_TEST(!decode_heartbeat_reply(text("[[[[[[[[[[[[[[[[")).ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster
