// Tests for cluster/replica_client.cc (and the feed it drives, feed_client.cc / feed_server.cc):
// real RaftServers on 127.0.0.1 and a ReplicaClient with a state machine of its own. Waits poll
// with deadlines; nothing sleeps a fixed time.
#include "cluster/replica_client.hh"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cluster/internal/feed_messages.hh"
#include "cluster/internal/mux_transport.h"
#include "cluster/internal/rpc_frame.hh"
#include "node_fixture.hh"
#include "recording_state_machine.hh"

namespace muster::cluster {
namespace {

using namespace std::chrono_literals;
using namespace test;

ReplicaOptions client_options(std::vector<std::string> servers) {
    ReplicaOptions o;
    o.node = "client-1";
    o.address = "127.0.0.1";
    o.discover = [servers] { return servers; };
    o.retry_interval = 50ms;
    o.heartbeat_interval = 50ms;
    o.server_timeout = 600ms;
    o.submit_timeout = 5s;
    return o;
}

std::unique_ptr<ReplicaClient> start_client(ReplicaOptions o, StateMachine& sm) {
    auto c = ReplicaClient::start(std::move(o), sm);
    BOOST_REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
    return std::move(*c);
}

// One bootstrapped server that leads.
struct Single {
    TempDir dir;
    RecordingStateMachine sm;
    std::string address = free_address();
    std::unique_ptr<RaftServer> node;

    explicit Single(size_t ring_entries = 4096) {
        RaftServerOptions o = options(dir.file("raft"), address, {Peer{0, address}});
        o.feed_ring_entries = ring_entries;
        node = start(o, sm);
        BOOST_REQUIRE(eventually([&] { return is_leader(*node); }, 5s));
    }
    void write(int from, int to) {
        for (int i = from; i < to; ++i)
            BOOST_REQUIRE(
                (submit_and_wait(*node, bytes("c" + std::to_string(i))).fate == Fate::applied));
    }
};

bool same_log(const RecordingStateMachine& a, const RecordingStateMachine& b, size_t n) {
    auto la = a.log();
    return la.size() == n && la == b.log() && a.applied_index() == b.applied_index();
}

Outcome client_submit(ReplicaClient& c, Bytes command) {
    auto slot = std::make_shared<Slot<Outcome>>();
    c.submit(std::move(command), [slot](Fate f, Result<uint64_t> r) {
        slot->set(Outcome{f, r.ok() ? std::optional<uint64_t>(*r) : std::nullopt,
                          r.ok() ? "" : r.error().message});
    });
    auto got = slot->wait(10s);
    BOOST_REQUIRE_MESSAGE(got.has_value(), "no Done within the timeout");
    return *got;
}

// A blocking TCP connection to a server port, speaking the RPC mux preamble.
struct RawRpc {
    int fd = -1;
    explicit RawRpc(const std::string& address) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        BOOST_REQUIRE(muster_mux_parse_address(address.c_str(), &sa) == 0);
        BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
        timeval tv{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        Bytes pre(MUSTER_MUX_MAGIC, MUSTER_MUX_MAGIC + 4);
        pre.push_back(MUSTER_MUX_KIND_RPC);
        send(pre);
    }
    ~RawRpc() { ::close(fd); }
    void send(const Bytes& b) {
        BOOST_REQUIRE(::write(fd, b.data(), b.size()) == ssize_t(b.size()));
    }
    // Reads until the server closes (true) or 5 s pass (false).
    bool closed_by_server() {
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno == ECONNRESET))
                return true;
            if (n < 0)
                return false;
        }
    }
};

// A "server" that accepts one feed, answers it with a servers message naming `real` (so the
// client learns that address), then says nothing more: as a stopped process would, it keeps the
// TCP connection open.
struct MuteServer {
    int listen_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int conn = -1;
    std::string address;
    std::thread thread;

    explicit MuteServer(const std::string& real) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::bind(listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        BOOST_REQUIRE(::listen(listen_fd, 8) == 0);
        socklen_t len = sizeof a;
        ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&a), &len);
        address = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
        timeval tv{5, 0};
        ::setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        thread = std::thread([this, real] { serve(real); });
    }
    ~MuteServer() {
        thread.join();
        if (conn >= 0)
            ::close(conn);
        ::close(listen_fd);
    }
    void serve(const std::string& real) {
        conn = ::accept(listen_fd, nullptr, nullptr);
        if (conn < 0)
            return;
        timeval tv{5, 0};
        ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        uint8_t head[5 + internal::frame_header_bytes];  // preamble, then the frame's header
        size_t got = 0;
        while (got < sizeof head) {
            ssize_t n = ::read(conn, head + got, sizeof head - got);
            if (n <= 0)
                return;
            got += static_cast<size_t>(n);
        }
        uint64_t id = 0;
        for (size_t i = 0; i < 8; ++i)
            id |= uint64_t{head[5 + 4 + i]} << (8 * i);
        auto frame = internal::encode_frame(
            id, static_cast<uint8_t>(internal::MessageType::feed) | internal::reply_bit,
            internal::encode_feed_servers("", {real}));
        (void)!::write(conn, frame.data(), frame.size());
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(replica_client)

BOOST_AUTO_TEST_CASE(a_server_gone_quiet_after_subscribing_is_left_for_a_learned_one) {
    Single s;
    s.write(0, 3);
    MuteServer mute(s.address);
    RecordingStateMachine csm;
    auto o = client_options({mute.address});  // the real server only as the mute one named it
    o.server_timeout = 300ms;
    auto client = start_client(o, csm);
    BOOST_TEST(eventually([&] { return same_log(csm, s.sm, 3); }, 5s));
    auto st = client->status();
    BOOST_TEST(st.server == s.address);
    BOOST_TEST(st.sessions == 2u);
    BOOST_TEST(st.last_error.find("no word from the server") != std::string::npos, st.last_error);
}

BOOST_AUTO_TEST_CASE(a_fresh_client_gets_what_was_written_before_then_live_writes) {
    Single s;
    s.write(0, 5);
    RecordingStateMachine csm;
    auto client = start_client(client_options({s.address}), csm);
    BOOST_TEST(eventually([&] { return same_log(csm, s.sm, 5); }, 5s));
    s.write(5, 10);
    BOOST_TEST(eventually([&] { return same_log(csm, s.sm, 10); }, 5s));
    BOOST_TEST((csm.seen() == s.sm.seen()));  // same indexes, same commands
    BOOST_TEST(eventually(
        [&] {
            auto st = client->status();
            return st.connected && st.server == s.address && st.leader_address == s.address &&
                   st.servers == std::vector<std::string>{s.address} &&
                   st.applied == csm.applied_index();
        },
        5s));
    BOOST_TEST(client->status().sessions == 1u);
    BOOST_TEST(csm.restores() == 0u);
}

BOOST_AUTO_TEST_CASE(a_restarted_client_resumes_from_its_index_without_a_snapshot) {
    Single s;
    s.write(0, 5);
    RecordingStateMachine csm;
    {
        auto client = start_client(client_options({s.address}), csm);
        BOOST_REQUIRE(eventually([&] { return same_log(csm, s.sm, 5); }, 5s));
    }
    s.write(5, 9);
    auto client = start_client(client_options({s.address}), csm);
    BOOST_TEST(eventually([&] { return same_log(csm, s.sm, 9); }, 5s));
    BOOST_TEST(csm.restores() == 0u);
    BOOST_TEST(csm.replayed() == 0u);  // nothing was sent twice
    BOOST_TEST((csm.seen() == s.sm.seen()));
}

BOOST_AUTO_TEST_CASE(a_client_behind_the_ring_gets_a_snapshot_then_entries) {
    Single s(/*ring_entries=*/2);
    s.write(0, 8);
    RecordingStateMachine csm;
    auto client = start_client(client_options({s.address}), csm);
    BOOST_TEST(eventually([&] { return same_log(csm, s.sm, 8); }, 5s));
    BOOST_TEST(csm.restores() == 1u);
    s.write(8, 12);
    BOOST_TEST(eventually([&] { return same_log(csm, s.sm, 12); }, 5s));
    BOOST_TEST(csm.restores() == 1u);
    BOOST_TEST(csm.seen().size() == 4u);  // the entries after the snapshot, one by one
}

BOOST_AUTO_TEST_CASE(a_snapshot_bigger_than_a_chunk_is_reassembled) {
    Single s(/*ring_entries=*/1);
    for (int i = 0; i < 3; ++i)  // about 1.8 MB of state: two chunks of at most 1 MiB
        BOOST_REQUIRE(
            (submit_and_wait(*s.node, Bytes(600 * 1024, static_cast<uint8_t>('a' + i))).fate ==
             Fate::applied));
    s.write(3, 4);
    RecordingStateMachine csm;
    auto client = start_client(client_options({s.address}), csm);
    BOOST_TEST(eventually([&] { return same_log(csm, s.sm, 4); }, 5s));
    BOOST_TEST(csm.restores() == 1u);
}

BOOST_AUTO_TEST_CASE(a_command_submitted_through_a_follower_commits_through_the_leader) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    size_t follower = (static_cast<size_t>(leader) + 1) % 3;
    RecordingStateMachine csm;
    auto client = start_client(client_options({c.address(follower)}), csm);
    BOOST_REQUIRE(eventually([&] { return client->status().connected; }, 5s));
    BOOST_TEST(client->status().server == c.address(follower));
    auto got = client_submit(*client, bytes("from-the-client"));
    BOOST_TEST((got.fate == Fate::applied), got.error);
    BOOST_TEST((got.value == std::optional<uint64_t>(1)));
    BOOST_TEST(c.sms[leader]->log() == std::vector<Bytes>{bytes("from-the-client")});
    BOOST_TEST(eventually([&] { return same_log(csm, *c.sms[leader], 1); }, 5s));
    BOOST_TEST(client->status().servers.size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_read_barrier_returns_once_the_replica_holds_the_leaders_writes) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    size_t follower = (static_cast<size_t>(leader) + 1) % 3;
    RecordingStateMachine csm;
    auto client = start_client(client_options({c.address(follower)}), csm);
    BOOST_REQUIRE(eventually([&] { return client->status().connected; }, 5s));
    for (int i = 0; i < 20; ++i)
        BOOST_REQUIRE((submit_and_wait(*c.nodes[leader], bytes("w" + std::to_string(i))).fate ==
                       Fate::applied));
    auto slot = std::make_shared<Slot<std::string>>();
    client->barrier([slot](Result<void> r) { slot->set(r ? "" : r.error().message); });
    auto got = slot->wait(10s);
    BOOST_REQUIRE_MESSAGE(got.has_value(), "no barrier Done within the timeout");
    BOOST_TEST(*got == "");
    // no waiting: everything the leader had committed is applied here already
    BOOST_TEST(csm.log().size() == 20u);
    BOOST_TEST(csm.applied_index() >= c.sms[leader]->applied_index());
}

BOOST_AUTO_TEST_CASE(when_its_server_stops_the_client_moves_to_another_and_keeps_up) {
    Cluster c(3);
    c.start_all(3);
    BOOST_REQUIRE(c.settled(3) >= 0);
    RecordingStateMachine csm;
    auto client = start_client(client_options({c.address(0), c.address(1), c.address(2)}), csm);
    BOOST_REQUIRE(eventually([&] { return client->status().connected; }, 5s));
    std::string first = client->status().server;
    size_t gone = 0;
    while (c.address(gone) != first)
        ++gone;
    c.nodes[gone].reset();
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    for (int i = 0; i < 3; ++i)
        BOOST_REQUIRE((submit_and_wait(*c.nodes[leader], bytes("w" + std::to_string(i))).fate ==
                       Fate::applied));
    BOOST_TEST(eventually([&] { return same_log(csm, *c.sms[leader], 3); }, 5s));
    auto st = client->status();
    BOOST_TEST(st.connected);
    BOOST_TEST(st.server != first);
    BOOST_TEST(st.sessions >= 2u);
    BOOST_TEST(!st.last_error.empty());
}

BOOST_AUTO_TEST_CASE(a_server_that_accepts_but_never_answers_is_left_for_the_next) {
    // A listening socket nobody serves: TCP connects (as to a stopped process), nothing answers.
    int silent = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    BOOST_REQUIRE(::listen(silent, 8) == 0);
    socklen_t len = sizeof a;
    ::getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len);
    std::string silent_address = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    Single s;
    s.write(0, 2);
    RecordingStateMachine csm;
    auto o = client_options({silent_address, s.address});
    o.server_timeout = 200ms;
    auto client = start_client(o, csm);
    BOOST_TEST(eventually([&] { return same_log(csm, s.sm, 2); }, 5s));
    BOOST_TEST(client->status().server == s.address);
    ::close(silent);
}

BOOST_AUTO_TEST_CASE(after_retry_max_rounds_reaching_nobody_the_client_gives_up_once) {
    std::atomic<int> gave_up{0};
    RecordingStateMachine csm;
    auto o = client_options({free_address()});
    o.retry_max = 2;
    o.retry_interval = 20ms;
    o.submit_timeout = 100ms;
    o.on_give_up = [&](const std::string&) { ++gave_up; };
    auto client = start_client(o, csm);
    auto got = client_submit(*client, bytes("x"));
    BOOST_TEST((got.fate == Fate::not_leader));
    BOOST_TEST(eventually([&] { return client->status().gave_up; }, 5s));
    BOOST_TEST(gave_up.load() == 1);
    BOOST_TEST(client->status().last_error.find("no server reachable") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(garbage_feed_and_heartbeat_requests_close_only_their_connection) {
    Single s;
    s.write(0, 2);
    RecordingStateMachine csm;
    auto client = start_client(client_options({s.address}), csm);
    BOOST_REQUIRE(eventually([&] { return same_log(csm, s.sm, 2); }, 5s));
    using internal::MessageType;
    for (auto type : {MessageType::feed, MessageType::heartbeat}) {
        RawRpc raw(s.address);
        raw.send(internal::encode_frame(1, static_cast<uint8_t>(type), bytes("{not json")));
        BOOST_TEST(raw.closed_by_server());
    }
    RawRpc truncated(s.address);
    auto frame = internal::encode_frame(1, static_cast<uint8_t>(MessageType::feed), bytes("{}"));
    frame[3] = 0xff;  // a length far beyond the limit
    truncated.send(frame);
    BOOST_TEST(truncated.closed_by_server());
    s.write(2, 4);
    BOOST_TEST(eventually([&] { return same_log(csm, s.sm, 4); }, 5s));
    BOOST_TEST(client->status().sessions == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster
