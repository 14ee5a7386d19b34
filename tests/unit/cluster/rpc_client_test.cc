// Tests for cluster/internal/rpc_client.cc (with rpc_server.cc and rpc_connection.cc on the
// other end): request IDs on one shared connection, timeouts, reconnects, shutdown.
#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cluster/internal/rpc_client.hh"
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
using RpcOutcome = RpcClient::Outcome;

constexpr size_t max_payload = 1 << 20;

std::vector<uint8_t> b(const std::string& s) {
    return std::vector<uint8_t>(s.begin(), s.end());
}
std::string s(const std::vector<uint8_t>& v) {
    return std::string(v.begin(), v.end());
}

// A port with a mux and an RpcServer whose requests the test answers when it likes.
struct Remote {
    Loop& loop;
    std::string address = free_address();
    std::vector<RpcServer::Request> requests;
    std::unique_ptr<RpcServer> server;
    mux_test* mux = nullptr;

    explicit Remote(Loop& l) : loop(l) {
        new_server();
        char err[256] = {0};
        mux = mux_test_new(loop.get(), address.c_str(), 1, &Remote::accept, this, nullptr, err,
                           sizeof err);
        BOOST_REQUIRE_MESSAGE(mux != nullptr, err);
    }
    void new_server() {
        server = std::make_unique<RpcServer>(
            max_payload, [this](RpcServer::Request r) { requests.push_back(std::move(r)); });
    }
    static void accept(void* data, uv_stream_t* stream, const char* peer, int server) {
        static_cast<Remote*>(data)->server->accept(
            stream, peer, server ? internal::PeerRole::server : internal::PeerRole::client);
    }
    void answer(const RpcServer::Request& r, const std::string& text) {
        server->reply(r.connection, r.id, r.type, b(text));
    }
    void close() {
        server->shutdown();
        bool closed = false;
        mux_test_close(
            mux, [](void* d) { *static_cast<bool*>(d) = true; }, &closed);
        BOOST_TEST(loop.run_until([&] { return closed; }, 5s));
    }
};

struct Calls {
    std::map<int, RpcClient::Response> got;
    RpcClient::Callback slot(int n) {
        return [this, n](RpcClient::Response r) { got.emplace(n, std::move(r)); };
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(rpc_client)

BOOST_AUTO_TEST_CASE(requests_share_one_connection_and_replies_find_their_request_in_any_order) {
    Loop loop;
    Remote peer(loop);
    RpcClient client(loop.get(), max_payload, internal::make_link_policy({}).value());
    Calls calls;
    constexpr int n = 20;
    for (int i = 0; i < n; ++i)
        client.call(peer.address, MessageType::apply, b("req-" + std::to_string(i)), 5s,
                    calls.slot(i));
    BOOST_REQUIRE(loop.run_until([&] { return peer.requests.size() == n; }, 5s));
    BOOST_TEST(client.connections() == 1U);
    BOOST_TEST(peer.server->connections() == 1U);
    for (int i = n - 1; i >= 0; --i)  // last first
        peer.answer(peer.requests[static_cast<size_t>(i)],
                    "re:" + s(peer.requests[static_cast<size_t>(i)].payload));
    BOOST_REQUIRE(loop.run_until([&] { return calls.got.size() == n; }, 5s));
    for (int i = 0; i < n; ++i) {
        BOOST_TEST((calls.got[i].outcome == RpcOutcome::replied));
        BOOST_TEST(s(calls.got[i].payload) == "re:req-" + std::to_string(i));
    }
    BOOST_TEST(client.pending() == 0U);
    client.shutdown("done");
    peer.close();
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_CASE(a_timeout_is_lost_and_a_port_nobody_listens_on_is_not_sent) {
    Loop loop;
    Remote peer(loop);
    RpcClient client(loop.get(), max_payload, internal::make_link_policy({}).value());
    Calls calls;
    client.call(peer.address, MessageType::barrier, {}, 100ms, calls.slot(0));
    client.call(free_address(), MessageType::barrier, {}, 5s, calls.slot(1));
    BOOST_REQUIRE(loop.run_until([&] { return calls.got.size() == 2; }, 5s));
    BOOST_TEST((calls.got[0].outcome == RpcOutcome::lost));
    BOOST_TEST(calls.got[0].error.find("no reply within") != std::string::npos);
    BOOST_TEST((calls.got[1].outcome == RpcOutcome::not_sent));
    BOOST_TEST_MESSAGE("refused: " << calls.got[1].error);
    // The late reply to the timed-out request is dropped quietly.
    BOOST_REQUIRE(loop.run_until([&] { return peer.requests.size() == 1; }, 5s));
    peer.answer(peer.requests[0], "late");
    client.call(peer.address, MessageType::barrier, {}, 5s, calls.slot(2));
    BOOST_REQUIRE(loop.run_until([&] { return peer.requests.size() == 2; }, 5s));
    peer.answer(peer.requests[1], "on time");
    BOOST_REQUIRE(loop.run_until([&] { return calls.got.count(2) == 1; }, 5s));
    BOOST_TEST(s(calls.got[2].payload) == "on time");
    client.shutdown("done");
    peer.close();
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_CASE(a_lost_connection_fails_its_requests_and_the_next_request_dials_again) {
    Loop loop;
    Remote peer(loop);
    RpcClient client(loop.get(), max_payload, internal::make_link_policy({}).value());
    Calls calls;
    client.call(peer.address, MessageType::apply, b("one"), 5s, calls.slot(0));
    BOOST_REQUIRE(loop.run_until([&] { return peer.requests.size() == 1; }, 5s));
    // The server side goes away (its connections close); a new one takes the next streams.
    peer.server->shutdown();
    BOOST_REQUIRE(loop.run_until([&] { return calls.got.size() == 1; }, 5s));
    BOOST_TEST((calls.got[0].outcome == RpcOutcome::lost));
    BOOST_REQUIRE(loop.run_until([&] { return peer.server->connections() == 0; }, 5s));
    peer.new_server();
    peer.requests.clear();
    client.call(peer.address, MessageType::apply, b("two"), 5s, calls.slot(1));
    BOOST_REQUIRE(loop.run_until([&] { return peer.requests.size() == 1; }, 5s));
    peer.answer(peer.requests[0], "ok");
    BOOST_REQUIRE(loop.run_until([&] { return calls.got.size() == 2; }, 5s));
    BOOST_TEST((calls.got[1].outcome == RpcOutcome::replied));
    // Shutdown fails what is still pending.
    client.call(peer.address, MessageType::apply, b("three"), 5s, calls.slot(2));
    BOOST_REQUIRE(loop.run_until([&] { return peer.requests.size() == 2; }, 5s));
    client.shutdown("stopping");
    BOOST_REQUIRE(calls.got.count(2) == 1);
    BOOST_TEST((calls.got[2].outcome == RpcOutcome::lost));
    BOOST_TEST(calls.got[2].error == "stopping");
    client.call(peer.address, MessageType::apply, b("four"), 5s, calls.slot(3));
    BOOST_TEST((calls.got[3].outcome == RpcOutcome::not_sent));
    peer.close();
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster
