// Tests for cluster/internal/mux_transport.c: Raft and RPC streams on one port, driven the way
// libraft drives a transport (through mux_shim.c), on a loop of the test thread.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "cluster/internal/rpc_client.hh"
#include "cluster/internal/rpc_server.hh"
#include "common/tls_link.hh"
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

constexpr size_t max_payload = 1 << 20;

// An RpcServer that echoes every request, fed by the mux's RPC accept callback.
struct Echo {
    std::unique_ptr<RpcServer> server;
    explicit Echo() {
        server = std::make_unique<RpcServer>(max_payload, [this](RpcServer::Request r) {
            server->reply(r.connection, r.id, r.type, r.payload);
        });
    }
    static void accept(void* data, uv_stream_t* stream, const char* peer, int server) {
        static_cast<Echo*>(data)->server->accept(
            stream, peer, server ? internal::PeerRole::server : internal::PeerRole::client);
    }
};

struct Accepted {
    uint64_t id = 0;
    std::string address;
    std::unique_ptr<RawStream> stream;
};

void on_raft_accept(void* data, uint64_t id, const char* address, uv_stream_t* stream) {
    auto* a = static_cast<Accepted*>(data);
    a->id = id;
    a->address = address;
    a->stream = std::make_unique<RawStream>(stream);
}

struct Dialled {
    bool done = false;
    int status = -1;
    std::unique_ptr<RawStream> stream;
};

void on_raft_dialled(void* data, uv_stream_t* stream, int status) {
    auto* d = static_cast<Dialled*>(data);
    d->done = true;
    d->status = status;
    if (stream != nullptr)
        d->stream = std::make_unique<RawStream>(stream);
}

std::shared_ptr<internal::LinkPolicy> key_policy(std::vector<uint8_t> key, bool verify_incoming,
                                                 bool verify_outgoing) {
    LinkSecurity s;
    s.key = std::move(key);
    s.verify_incoming = verify_incoming;
    s.verify_outgoing = verify_outgoing;
    return internal::make_link_policy(s).value();
}

mux_test* make(Loop& loop, const std::string& address, uint64_t id, Echo* echo,
               const internal::LinkPolicy* policy = nullptr) {
    char err[256] = {0};
    mux_test* m = mux_test_new(loop.get(), address.c_str(), id, echo ? &Echo::accept : nullptr,
                               echo, policy, err, sizeof err);
    BOOST_REQUIRE_MESSAGE(m != nullptr, err);
    return m;
}

void close_and_settle(Loop& loop, std::initializer_list<mux_test*> transports) {
    int closed = 0;
    for (mux_test* m : transports)
        mux_test_close(
            m, [](void* n) { ++*static_cast<int*>(n); }, &closed);
    BOOST_TEST(loop.run_until([&] { return closed == static_cast<int>(transports.size()); }, 5s));
}

std::string echo_call(Loop& loop, RpcClient& client, const std::string& address,
                      const std::string& text) {
    std::optional<RpcClient::Response> got;
    client.call(address, MessageType::hello, std::vector<uint8_t>(text.begin(), text.end()), 5s,
                [&](RpcClient::Response r) { got = std::move(r); });
    BOOST_REQUIRE(loop.run_until([&] { return got.has_value(); }, 5s));
    BOOST_REQUIRE_MESSAGE(got->outcome == RpcClient::Outcome::replied, got->error);
    return std::string(got->payload.begin(), got->payload.end());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mux_transport)

BOOST_AUTO_TEST_CASE(rpc_is_answered_before_raft_listens_and_raft_connections_wait_for_it) {
    Loop loop;
    Echo echo;
    const std::string address = free_address();
    mux_test* server = make(loop, address, 1, &echo);
    const std::string dialer_address = free_address();
    mux_test* dialer = make(loop, dialer_address, 2, nullptr);
    RpcClient client(loop.get(), max_payload, internal::make_link_policy({}).value());

    // RPC works while libraft has not called listen() (a pristine raft, forming a cluster).
    BOOST_TEST(echo_call(loop, client, address, "before raft starts") == "before raft starts");

    // A Raft dial gets through the preamble, then is closed: nobody takes Raft streams yet.
    Dialled early;
    BOOST_REQUIRE(mux_test_connect(dialer, 1, address.c_str(), &on_raft_dialled, &early) == 0);
    BOOST_REQUIRE(loop.run_until([&] { return early.done; }, 5s));
    BOOST_REQUIRE(early.status == 0);
    BOOST_REQUIRE(loop.run_until([&] { return early.stream->eof; }, 5s));
    BOOST_TEST(mux_test_raft_refused(server) == 1U);
    early.stream->close();

    // After listen(): the Raft stream arrives with the dialler's identity, and the bytes after
    // the preamble are libraft's, untouched.
    Accepted accepted;
    BOOST_REQUIRE(mux_test_listen(server, &on_raft_accept, &accepted) == 0);
    Dialled dial;
    BOOST_REQUIRE(mux_test_connect(dialer, 1, address.c_str(), &on_raft_dialled, &dial) == 0);
    BOOST_REQUIRE(loop.run_until([&] { return dial.done; }, 5s));
    BOOST_REQUIRE(dial.status == 0);
    dial.stream->write("raft bytes follow the preamble");
    BOOST_REQUIRE(loop.run_until([&] { return accepted.stream != nullptr; }, 5s));
    BOOST_TEST(accepted.id == 2U);
    BOOST_TEST(accepted.address == dialer_address);
    BOOST_REQUIRE(loop.run_until(
        [&] {
            return accepted.stream->got.size() ==
                   std::string("raft bytes follow the preamble").size();
        },
        5s));
    BOOST_TEST(accepted.stream->text() == "raft bytes follow the preamble");

    // RPC still shares the port, on the connection the client already has.
    BOOST_TEST(echo_call(loop, client, address, "next to raft") == "next to raft");
    BOOST_TEST(client.connections() == 1U);
    BOOST_TEST(mux_test_rejected(server) == 0U);

    dial.stream->close();
    accepted.stream->close();
    client.shutdown("test over");
    echo.server->shutdown();
    close_and_settle(loop, {server, dialer});
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_CASE(connections_with_a_bad_preamble_are_closed) {
    Loop loop;
    Echo echo;
    const std::string address = free_address();
    mux_test* server = make(loop, address, 1, &echo);
    Accepted accepted;
    BOOST_REQUIRE(mux_test_listen(server, &on_raft_accept, &accepted) == 0);
    const std::vector<std::vector<uint8_t>> preambles = {
        {'G', 'A', 'R', 'B', 'A', 'G', 'E', '!'},
        {'M', 'S', 'T', 'R', 7},  // unknown kind
        // Raft, id 5, address length 0
        {'M', 'S', 'T', 'R', 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0},
        // Raft, id 0
        {'M', 'S', 'T', 'R', 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 'x'},
        // Raft, address length 0xffff
        {'M', 'S', 'T', 'R', 1, 5, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
    };
    std::vector<std::unique_ptr<RawStream>> clients;
    for (const auto& p : preambles) {
        clients.push_back(std::make_unique<RawStream>(loop.get(), address));
        clients.back()->write(p);
    }
    BOOST_TEST(loop.run_until(
        [&] {
            for (auto& c : clients)
                if (!c->eof)
                    return false;
            return true;
        },
        5s));
    BOOST_TEST(mux_test_rejected(server) == preambles.size());
    BOOST_TEST(accepted.stream == nullptr);
    BOOST_TEST(echo.server->connections() == 0U);
    // A client that stops half way through is dropped when the transport closes.
    auto half = std::make_unique<RawStream>(loop.get(), address);
    half->write(std::string("MS"));
    BOOST_REQUIRE(loop.run_until([&] { return half->connected; }, 5s));
    for (auto& c : clients)
        c->close();
    echo.server->shutdown();
    close_and_settle(loop, {server});
    BOOST_TEST(loop.run_until([&] { return half->eof; }, 5s));
    half->close();
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_CASE(a_port_in_use_fails_init_and_an_abandoned_transport_closes_itself) {
    Loop loop;
    const std::string address = free_address();
    mux_test* first = make(loop, address, 1, nullptr);
    char err[256] = {0};
    BOOST_TEST(mux_test_new(loop.get(), address.c_str(), 2, nullptr, nullptr, nullptr, err,
                            sizeof err) == nullptr);
    BOOST_TEST(std::string(err).find(address) != std::string::npos);
    BOOST_TEST_MESSAGE("port in use: " << err);
    // libraft never took `first` (raft_init failed, say): abandoning closes what it opened,
    // including a connection still sending its preamble.
    auto client = std::make_unique<RawStream>(loop.get(), address);
    client->write(std::string("MST"));
    BOOST_REQUIRE(loop.run_until([&] { return client->connected; }, 5s));
    mux_test_abandon(first);
    BOOST_TEST(loop.run_until([&] { return client->eof; }, 5s));
    client->close();
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_CASE(with_the_cluster_key_only_peers_that_have_it_get_through) {
    Loop loop;
    Echo echo;
    const auto key = [](const char* b64) { return decode_cluster_key(b64).value(); };
    auto keyed = key_policy(key("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="), true, true);
    auto other = key_policy(key("8gYVdF4x4gjHy2nbM3h2zX4y5mXQ2m8n+Xx0QKzWmqM="), true, true);
    auto plain = internal::make_link_policy({}).value();
    const std::string address = free_address();
    mux_test* server = make(loop, address, 1, &echo, keyed.get());
    Accepted accepted;
    BOOST_REQUIRE(mux_test_listen(server, &on_raft_accept, &accepted) == 0);

    RpcClient good(loop.get(), max_payload, keyed);
    BOOST_TEST(echo_call(loop, good, address, "over TLS") == "over TLS");

    // Another key, and plaintext: no reply, nothing handled.
    RpcClient wrong(loop.get(), max_payload, other);
    RpcClient clear(loop.get(), max_payload, plain);
    for (RpcClient* c : {&wrong, &clear}) {
        std::optional<RpcClient::Response> got;
        c->call(address, MessageType::hello, std::vector<uint8_t>{'x'}, 3s,
                [&](RpcClient::Response r) { got = std::move(r); });
        BOOST_REQUIRE(loop.run_until([&] { return got.has_value(); }, 5s));
        BOOST_TEST((got->outcome != RpcClient::Outcome::replied));
    }
    BOOST_TEST(mux_test_rejected(server) == 1U, "the plaintext one, at its first byte");
    BOOST_TEST(echo.server->connections() == 1U, "only the keyed client's");

    // Raft with the key: the dialler's identity and libraft's bytes arrive through the relay.
    const std::string dialer_address = free_address();
    mux_test* dialer = make(loop, dialer_address, 2, nullptr, keyed.get());
    Dialled dial;
    BOOST_REQUIRE(mux_test_connect(dialer, 1, address.c_str(), &on_raft_dialled, &dial) == 0);
    BOOST_REQUIRE(loop.run_until([&] { return dial.done; }, 5s));
    BOOST_REQUIRE(dial.status == 0);
    dial.stream->write("raft over TLS");
    BOOST_REQUIRE(loop.run_until([&] { return accepted.stream != nullptr; }, 5s));
    BOOST_TEST(accepted.id == 2U);
    BOOST_REQUIRE(loop.run_until(
        [&] { return accepted.stream->got.size() == std::string("raft over TLS").size(); }, 5s));
    BOOST_TEST(accepted.stream->text() == "raft over TLS");
    // A Raft dial with another key never reaches libraft.
    mux_test* stranger = make(loop, free_address(), 3, nullptr, other.get());
    Dialled refused;
    BOOST_REQUIRE(mux_test_connect(stranger, 1, address.c_str(), &on_raft_dialled, &refused) == 0);
    BOOST_REQUIRE(loop.run_until([&] { return refused.done; }, 5s));
    BOOST_TEST(refused.status != 0);

    dial.stream->close();
    accepted.stream->close();
    for (RpcClient* c : {&good, &wrong, &clear})
        c->shutdown("test over");
    echo.server->shutdown();
    close_and_settle(loop, {server, dialer, stranger});
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_CASE(during_a_rolling_switch_a_keyed_server_accepts_both) {
    Loop loop;
    Echo echo;
    auto rolling = key_policy(
        decode_cluster_key("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=").value(), false, false);
    auto keyed = key_policy(rolling->security.key, true, true);
    auto plain = internal::make_link_policy({}).value();
    const std::string address = free_address();
    mux_test* server = make(loop, address, 1, &echo, rolling.get());
    RpcClient tls(loop.get(), max_payload, keyed);
    RpcClient clear(loop.get(), max_payload, plain);
    RpcClient not_yet(loop.get(), max_payload, rolling);  // dials in plaintext still
    BOOST_TEST(echo_call(loop, tls, address, "a") == "a");
    BOOST_TEST(echo_call(loop, clear, address, "b") == "b");
    BOOST_TEST(echo_call(loop, not_yet, address, "c") == "c");
    BOOST_TEST(mux_test_rejected(server) == 0U);
    for (RpcClient* c : {&tls, &clear, &not_yet})
        c->shutdown("test over");
    echo.server->shutdown();
    close_and_settle(loop, {server});
    BOOST_TEST(loop.settle());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster
