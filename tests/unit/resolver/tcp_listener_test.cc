// Tests for internal::TcpListener (RFC 7766) over AF_UNIX stream sockets with a fake sink:
// framing, pipelining, split messages, half-closed peers, idle timeouts, limits, draining.
#include "resolver/internal/tcp_listener.hh"

#include <sys/un.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "front_end_fixture.hh"

namespace muster::resolver::test {
namespace {
using internal::TcpListener;

Bytes framed(const Bytes& msg) {
    Bytes out(2 + msg.size());
    dns::put16(out.data(), static_cast<uint16_t>(msg.size()));
    std::copy(msg.begin(), msg.end(), out.begin() + 2);
    return out;
}

struct TcpFixture : IgnoreSigpipe {
    EventLoop loop;
    FakeSink sink;
    TcpListener tcp;
    Fd client;
    Bytes received;

    // The idle timeout is long unless a test is about it, so closes it sees have other causes.
    explicit TcpFixture(Duration idle_timeout = std::chrono::seconds(10))
        : tcp(loop, sink, {.max_connections = 4, .idle_timeout = idle_timeout}) {
        auto [server, peer] = socket_pair(SOCK_STREAM);
        client = std::move(peer);
        tcp.adopt(std::move(server), SockAddr{});
    }
    void write(const Bytes& bytes) {
        BOOST_REQUIRE(::send(client.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                      static_cast<ssize_t>(bytes.size()));
    }
    // Reads what the server sent; false when the server closed its end.
    bool pull() {
        uint8_t buf[4096];
        for (;;) {
            ssize_t n = ::recv(client.get(), buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0)
                return false;
            if (n < 0)
                return true;
            received.insert(received.end(), buf, buf + n);
        }
    }
    // The complete messages received so far.
    std::vector<Bytes> messages() const {
        std::vector<Bytes> out;
        size_t off = 0;
        while (received.size() - off >= 2) {
            size_t len = dns::get16(&received[off]);
            if (received.size() - off < 2 + len)
                break;
            out.emplace_back(received.begin() + static_cast<long>(off + 2),
                             received.begin() + static_cast<long>(off + 2 + len));
            off += 2 + len;
        }
        return out;
    }
    bool wait_messages(size_t n) {
        return run_until(loop, [&] {
            pull();
            return messages().size() >= n;
        });
    }
    bool wait_closed() {
        return run_until(loop, [&] { return tcp.connections() == 0; });
    }
};

struct ShortIdleFixture : TcpFixture {
    ShortIdleFixture() : TcpFixture(std::chrono::milliseconds(50)) {}
};
}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_listener_test)

BOOST_FIXTURE_TEST_CASE(two_pipelined_queries_in_one_write_get_two_answers, TcpFixture) {
    Bytes both = framed(query_bytes(0x0a0a));
    Bytes second = framed(query_bytes(0x0b0b, "other.example."));
    both.insert(both.end(), second.begin(), second.end());
    write(both);
    BOOST_REQUIRE(wait_messages(2));
    auto got = messages();
    BOOST_REQUIRE_EQUAL(got.size(), 2u);
    BOOST_TEST(dns::get16(got[0].data()) == 0x0a0a);
    BOOST_TEST(dns::get16(got[1].data()) == 0x0b0b);
    BOOST_TEST((got[0][2] & 0x80) != 0);
    BOOST_TEST(sink.batches == 1);  // both from one read
    BOOST_TEST(received.size() == both.size());
    BOOST_TEST(tcp.connections() == 1u);
}

BOOST_FIXTURE_TEST_CASE(query_split_over_several_writes_is_answered_once_whole, TcpFixture) {
    Bytes msg = framed(query_bytes(0x1111));
    write(Bytes(msg.begin(), msg.begin() + 1));  // half the length prefix
    run_for(loop, std::chrono::milliseconds(10));
    write(Bytes(msg.begin() + 1, msg.begin() + 7));
    run_for(loop, std::chrono::milliseconds(10));
    BOOST_TEST(sink.processed.empty());
    pull();
    BOOST_TEST(received.empty());
    write(Bytes(msg.begin() + 7, msg.end()));
    BOOST_REQUIRE(wait_messages(1));
    BOOST_TEST(dns::get16(messages()[0].data()) == 0x1111);
    BOOST_TEST(sink.processed.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(length_prefix_then_close_answers_nothing_and_closes, TcpFixture) {
    write(Bytes{0x00, 0x28});
    BOOST_REQUIRE(::shutdown(client.get(), SHUT_WR) == 0);
    BOOST_REQUIRE(wait_closed());
    BOOST_TEST(!pull());  // the server closed its end
    BOOST_TEST(received.empty());
    BOOST_TEST(sink.processed.empty());
}

BOOST_FIXTURE_TEST_CASE(idle_connection_is_closed_after_the_timeout, ShortIdleFixture) {
    run_for(loop, std::chrono::milliseconds(10));
    BOOST_TEST(tcp.connections() == 1u);  // not before the timeout
    BOOST_REQUIRE(wait_closed());
    BOOST_TEST(!pull());
}

BOOST_FIXTURE_TEST_CASE(pending_query_keeps_an_idle_connection_open, ShortIdleFixture) {
    sink.mode = FakeSink::Mode::pending;
    Bytes q = query_bytes(0x2222);
    write(framed(q));
    run_for(loop, std::chrono::milliseconds(120));  // over two idle timeouts
    BOOST_REQUIRE_EQUAL(sink.held.size(), 1u);
    BOOST_TEST(tcp.connections() == 1u);
    QueryContext& ctx = *sink.held[0];
    FakeSink::answer(ctx, q);
    tcp.complete(ctx);
    sink.release(ctx);
    BOOST_REQUIRE(wait_messages(1));
    BOOST_TEST(dns::get16(messages()[0].data()) == 0x2222);
    BOOST_REQUIRE(wait_closed());  // idle again, so it times out
}

BOOST_FIXTURE_TEST_CASE(half_closed_peer_gets_its_pending_answer_then_eof, TcpFixture) {
    sink.mode = FakeSink::Mode::pending;
    Bytes q = query_bytes(0x3333);
    write(framed(q));
    BOOST_REQUIRE(::shutdown(client.get(), SHUT_WR) == 0);
    BOOST_REQUIRE(run_until(loop, [this] { return sink.held.size() == 1; }));
    run_for(loop, std::chrono::milliseconds(10));
    BOOST_TEST(tcp.connections() == 1u);
    QueryContext& ctx = *sink.held[0];
    FakeSink::answer(ctx, q);
    tcp.complete(ctx);
    sink.release(ctx);
    BOOST_TEST(tcp.connections() == 0u);  // answered and nothing else pending: closed
    BOOST_TEST(!pull());
    BOOST_REQUIRE_EQUAL(messages().size(), 1u);
    BOOST_TEST(dns::get16(messages()[0].data()) == 0x3333);
}

BOOST_FIXTURE_TEST_CASE(answer_for_a_closed_connection_is_dropped, TcpFixture) {
    sink.mode = FakeSink::Mode::pending;
    Bytes q = query_bytes(0x4444);
    write(framed(q));
    BOOST_REQUIRE(run_until(loop, [this] { return sink.held.size() == 1; }));
    tcp.close_all();
    QueryContext& ctx = *sink.held[0];
    FakeSink::answer(ctx, q);
    tcp.complete(ctx);  // must not touch the closed connection
    sink.release(ctx);
    BOOST_TEST(!pull());
    BOOST_TEST(received.empty());
}

BOOST_FIXTURE_TEST_CASE(no_context_closes_the_connection, TcpFixture) {
    sink.shed = true;
    write(framed(query_bytes(1)));
    BOOST_REQUIRE(wait_closed());
    BOOST_TEST(!pull());
}

BOOST_FIXTURE_TEST_CASE(draining_stops_reading_new_queries, TcpFixture) {
    tcp.stop_reading();
    write(framed(query_bytes(1)));
    run_for(loop, std::chrono::milliseconds(20));
    BOOST_TEST(sink.processed.empty());
    BOOST_TEST(tcp.flushed());
}

BOOST_FIXTURE_TEST_CASE(malformed_query_gets_formerr_on_the_stream, TcpFixture) {
    write(framed(Bytes{0x77, 0x77, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0}));  // QDCOUNT 0
    BOOST_REQUIRE(wait_messages(1));
    Bytes got = messages()[0];
    BOOST_TEST(dns::get16(got.data()) == 0x7777);
    BOOST_TEST((got[3] & 0x0f) == dns::rcode::formerr);
}

BOOST_AUTO_TEST_CASE(connections_over_the_limit_are_closed_and_counted) {
    IgnoreSigpipe ignore;
    EventLoop loop;
    FakeSink sink;
    TcpListener tcp(loop, sink, {.max_connections = 1, .idle_timeout = std::chrono::seconds(5)});
    Fd listening(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = "@muster-tcp-listener-test-" + std::to_string(::getpid());
    std::copy(path.begin(), path.end(), addr.sun_path);
    addr.sun_path[0] = '\0';  // abstract: nothing on disk
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    BOOST_REQUIRE(::bind(listening.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
    BOOST_REQUIRE(::listen(listening.get(), 8) == 0);
    tcp.listen(std::move(listening));
    Fd a(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    Fd b(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    BOOST_REQUIRE(::connect(a.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
    BOOST_REQUIRE(::connect(b.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
    BOOST_REQUIRE(run_until(loop, [&] { return sink.rejected == 1; }));
    BOOST_TEST(tcp.connections() == 1u);
    tcp.stop_reading();  // closes the listening socket
    Fd c(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    BOOST_TEST(::connect(c.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::resolver::test
