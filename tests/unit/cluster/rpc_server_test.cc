// Tests for cluster/internal/rpc_server.cc: untrusted bytes on an RPC stream end that
// connection (or get an error reply), never the server.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <random>
#include <string>

#include "cluster/internal/rpc_client.hh"
#include "cluster/internal/rpc_frame.hh"
#include "cluster/internal/rpc_messages.hh"
#include "cluster/internal/rpc_server.hh"
#include "loop_fixture.hh"
#include "mux_shim.h"
#include "node_fixture.hh"

namespace muster::cluster {
namespace {

using namespace test;
using namespace std::chrono_literals;
using internal::MessageType;
using internal::RpcClient;
using internal::RpcServer;

constexpr size_t max_payload = 4096;

struct Server {
    Loop& loop;
    std::string address = free_address();
    size_t handled = 0;
    std::unique_ptr<RpcServer> server;
    mux_test* mux = nullptr;

    explicit Server(Loop& l) : loop(l) {
        server = std::make_unique<RpcServer>(max_payload, [this](RpcServer::Request r) {
            ++handled;
            server->reply(r.connection, r.id, r.type, r.payload);
        });
        char err[256] = {0};
        mux = mux_test_new(
            loop.get(), address.c_str(), 1,
            [](void* d, uv_stream_t* s, const char* peer, int) {
                static_cast<Server*>(d)->server->accept(s, peer, internal::PeerRole::server);
            },
            this, nullptr, err, sizeof err);
        BOOST_REQUIRE_MESSAGE(mux != nullptr, err);
    }
    void close() {
        server->shutdown();
        bool closed = false;
        mux_test_close(
            mux, [](void* d) { *static_cast<bool*>(d) = true; }, &closed);
        BOOST_TEST(loop.run_until([&] { return closed; }, 5s));
    }
};

std::vector<uint8_t> rpc_preamble() {
    return {'M', 'S', 'T', 'R', MUSTER_MUX_KIND_RPC};
}

// Sends `bytes` on a fresh RPC stream; true when the server closed it.
bool closes(Loop& loop, const std::string& address, std::vector<uint8_t> bytes) {
    RawStream c(loop.get(), address);
    auto all = rpc_preamble();
    all.insert(all.end(), bytes.begin(), bytes.end());
    c.write(all);
    bool eof = loop.run_until([&] { return c.eof; }, 3s);
    c.close();
    loop.run_until([&] { return c.closed; }, 3s);
    return eof;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rpc_server)

BOOST_AUTO_TEST_CASE(bad_frames_close_their_connection_and_the_server_keeps_serving) {
    Loop loop;
    Server s(loop);
    // Length below the header, length over the limit, a reply sent to a server.
    BOOST_TEST(closes(loop, s.address, {0, 0, 0, 0}));
    BOOST_TEST(closes(loop, s.address, {0xff, 0xff, 0xff, 0x7f, 1, 2, 3}));
    BOOST_TEST(closes(loop, s.address, internal::encode_frame(1, 0x81, {})));
    // Random bytes: the connection may or may not end, the server must not.
    std::mt19937 rng(7);
    for (int i = 0; i < 20; ++i) {
        std::vector<uint8_t> junk(1 + rng() % 64);
        for (auto& c : junk)
            c = static_cast<uint8_t>(rng());
        RawStream c(loop.get(), s.address);
        auto all = rpc_preamble();
        all.insert(all.end(), junk.begin(), junk.end());
        c.write(all);
        loop.run_until([&] { return c.eof; }, 50ms);
        c.close();
        BOOST_REQUIRE(loop.run_until([&] { return c.closed; }, 3s));
    }
    // An unknown request type gets an error reply on a connection that stays open.
    RawStream raw(loop.get(), s.address);
    auto frame = rpc_preamble();
    internal::append_frame(frame, 9, 42, {});
    raw.write(frame);
    BOOST_REQUIRE(
        loop.run_until([&] { return raw.got.size() >= internal::frame_header_bytes; }, 3s));
    internal::FrameDecoder d(max_payload);
    std::vector<internal::Frame> frames;
    BOOST_REQUIRE(d.feed(raw.got, frames).ok());
    BOOST_REQUIRE(frames.size() == 1U);
    BOOST_TEST(frames[0].id == 9U);
    BOOST_TEST(frames[0].type == (42 | internal::reply_bit));
    auto ack = internal::decode_ack(frames[0].payload);
    BOOST_REQUIRE(ack.ok());
    BOOST_TEST(ack->error == "unknown message type 42");
    BOOST_TEST(!raw.eof);
    raw.close();
    // And a well-formed request is still answered.
    RpcClient client(loop.get(), max_payload, internal::make_link_policy({}).value());
    std::optional<RpcClient::Response> got;
    client.call(s.address, MessageType::hello, {'h', 'i'}, 3s,
                [&](RpcClient::Response r) { got = std::move(r); });
    BOOST_REQUIRE(loop.run_until([&] { return got.has_value(); }, 3s));
    BOOST_TEST((got->outcome == RpcClient::Outcome::replied));
    BOOST_TEST(s.server->protocol_errors() >= 2U);
    client.shutdown("done");
    s.close();
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_CASE(pushed_frames_follow_the_reply_and_a_closed_connection_is_reported) {
    Loop loop;
    Server s(loop);
    uint64_t feed_connection = 0;
    std::vector<uint64_t> closed;
    s.server = std::make_unique<RpcServer>(max_payload, [&](RpcServer::Request r) {
        feed_connection = r.connection;
        s.server->reply(r.connection, r.id, r.type, std::vector<uint8_t>{'a'});
        BOOST_TEST(s.server->push(r.connection, r.id, r.type, std::vector<uint8_t>{'b'}));
        BOOST_TEST(s.server->push(r.connection, r.id, r.type, std::vector<uint8_t>{'c'}));
    });
    s.server->set_closed_handler([&](uint64_t c) { closed.push_back(c); });
    RawStream raw(loop.get(), s.address);
    auto frame = rpc_preamble();
    internal::append_frame(frame, 5, static_cast<uint8_t>(MessageType::feed), {});
    raw.write(frame);
    BOOST_REQUIRE(loop.run_until(
        [&] { return raw.got.size() >= 3 * (internal::frame_header_bytes + 1); }, 3s));
    internal::FrameDecoder d(max_payload);
    std::vector<internal::Frame> frames;
    BOOST_REQUIRE(d.feed(raw.got, frames).ok());
    BOOST_REQUIRE(frames.size() == 3U);
    for (size_t i = 0; i < 3; ++i) {
        BOOST_TEST(frames[i].id == 5U);
        BOOST_TEST(frames[i].payload == std::vector<uint8_t>{static_cast<uint8_t>('a' + i)});
    }
    BOOST_TEST(s.server->unsent(feed_connection) == 0U);
    s.server->close(feed_connection, "a test closes it");
    BOOST_TEST(loop.run_until([&] { return raw.eof; }, 3s));
    BOOST_TEST(loop.run_until([&] { return !closed.empty(); }, 3s));
    BOOST_TEST(closed == std::vector<uint64_t>{feed_connection});
    BOOST_TEST(!s.server->push(feed_connection, 5, MessageType::feed, std::vector<uint8_t>{}));
    raw.close();
    s.close();
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster
