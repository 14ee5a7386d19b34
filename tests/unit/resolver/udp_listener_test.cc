// Tests for internal::UdpListener over an AF_UNIX datagram socketpair with a fake sink:
// datagrams in, answers out, batching, drops and late answers.
#include "resolver/internal/udp_listener.hh"

#include <boost/test/unit_test.hpp>
#include <memory>

#include "front_end_fixture.hh"

namespace muster::resolver::test {
namespace {
using internal::UdpListener;

struct UdpFixture {
    EventLoop loop;
    FakeSink sink;
    Fd client;
    std::unique_ptr<UdpListener> listener;

    UdpFixture() {
        auto [server, peer] = socket_pair(SOCK_DGRAM);
        client = std::move(peer);
        listener = std::make_unique<UdpListener>(loop, std::move(server),
                                                 UdpListener::Binding::address, sink);
    }
    void send(const Bytes& msg) {
        BOOST_REQUIRE(::send(client.get(), msg.data(), msg.size(), 0) ==
                      static_cast<ssize_t>(msg.size()));
    }
    // Every datagram waiting at the client.
    std::vector<Bytes> answers() {
        std::vector<Bytes> out;
        Bytes buf(4096);
        for (;;) {
            ssize_t n = ::recv(client.get(), buf.data(), buf.size(), MSG_DONTWAIT);
            if (n < 0)
                return out;
            out.emplace_back(buf.begin(), buf.begin() + n);
        }
    }
    bool wait_answer() {
        return run_until(loop, [this] { return readable(client); });
    }
    // The one answer the client got.
    Bytes only_answer() {
        BOOST_REQUIRE(wait_answer());
        auto got = answers();
        BOOST_REQUIRE_EQUAL(got.size(), 1u);
        return got[0];
    }
};

uint16_t id_of(const Bytes& m) {
    return dns::get16(m.data());
}
bool qr_set(const Bytes& m) {
    return (m[2] & 0x80) != 0;
}
uint8_t rcode_of(const Bytes& m) {
    return m[3] & 0x0f;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(udp_listener_test)

BOOST_FIXTURE_TEST_CASE(query_in_answer_out, UdpFixture) {
    Bytes q = query_bytes(0x4242);
    send(q);
    Bytes got = only_answer();
    BOOST_TEST(id_of(got) == 0x4242);
    BOOST_TEST(qr_set(got));
    BOOST_TEST(got.size() == q.size());
    BOOST_TEST(sink.released == sink.acquired);  // the context went back to the pool
}

BOOST_FIXTURE_TEST_CASE(queries_read_together_are_one_batch, UdpFixture) {
    for (uint16_t id = 1; id <= 5; ++id)
        send(query_bytes(id));
    BOOST_REQUIRE(run_until(loop, [this] { return sink.processed.size() == 5; }));
    BOOST_TEST(sink.batches == 1);  // one recvmmsg
    auto got = answers();
    BOOST_REQUIRE_EQUAL(got.size(), 5u);
    for (uint16_t i = 0; i < 5; ++i)
        BOOST_TEST(id_of(got[i]) == i + 1);
    BOOST_TEST(sink.open_batch == 0);
}

BOOST_FIXTURE_TEST_CASE(more_than_a_batch_is_all_answered, UdpFixture) {
    for (uint16_t id = 1; id <= 70; ++id)
        send(query_bytes(id));
    BOOST_REQUIRE(run_until(loop, [this] { return sink.processed.size() == 70; }));
    BOOST_TEST(sink.batches == 3);  // 32 + 32 + 6
    BOOST_TEST(answers().size() == 70u);
}

BOOST_FIXTURE_TEST_CASE(header_without_question_gets_formerr, UdpFixture) {
    Bytes header = {0x77, 0x77, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};  // QDCOUNT 0
    send(header);
    Bytes got = only_answer();
    BOOST_TEST(id_of(got) == 0x7777);
    BOOST_TEST(qr_set(got));
    BOOST_TEST(rcode_of(got) == dns::rcode::formerr);
}

BOOST_FIXTURE_TEST_CASE(runt_is_dropped_and_the_socket_keeps_serving, UdpFixture) {
    send(Bytes{0x12, 0x34, 0x01, 0x00, 0x00});  // shorter than a header
    send(query_bytes(0x0101));
    BOOST_REQUIRE(wait_answer());
    run_for(loop, std::chrono::milliseconds(20));
    auto got = answers();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_TEST(id_of(got[0]) == 0x0101);
    BOOST_TEST(sink.released == sink.acquired);
}

BOOST_FIXTURE_TEST_CASE(no_context_means_no_answer, UdpFixture) {
    sink.shed = true;
    send(query_bytes(1));
    BOOST_REQUIRE(run_until(loop, [this] { return sink.drops == 1; }));
    run_for(loop, std::chrono::milliseconds(20));
    BOOST_TEST(answers().empty());
    BOOST_TEST(sink.processed.empty());
}

BOOST_FIXTURE_TEST_CASE(pending_query_is_answered_late, UdpFixture) {
    sink.mode = FakeSink::Mode::pending;
    Bytes q = query_bytes(0x5151);
    send(q);
    BOOST_REQUIRE(run_until(loop, [this] { return sink.held.size() == 1; }));
    BOOST_TEST(answers().empty());
    QueryContext& ctx = *sink.held[0];
    FakeSink::answer(ctx, q);
    QueryContext* one[] = {&ctx};
    UdpListener::send_late(one);
    sink.release(ctx);
    BOOST_TEST(id_of(only_answer()) == 0x5151);
}

BOOST_FIXTURE_TEST_CASE(late_answers_leave_together, UdpFixture) {
    sink.mode = FakeSink::Mode::pending;
    std::vector<Bytes> queries;
    for (uint16_t id = 0x6000; id < 0x6000 + 5; ++id) {
        queries.push_back(query_bytes(id));
        send(queries.back());
    }
    BOOST_REQUIRE(run_until(loop, [this] { return sink.held.size() == 5; }));
    std::vector<QueryContext*> held(sink.held.begin(), sink.held.end());
    for (size_t i = 0; i < held.size(); ++i)
        FakeSink::answer(*held[i], queries[i]);
    UdpListener::send_late(held);
    for (QueryContext* ctx : held)
        sink.release(*ctx);
    std::vector<uint16_t> ids;
    BOOST_REQUIRE(run_until(loop, [&] {
        for (const Bytes& a : answers())
            ids.push_back(id_of(a));
        return ids.size() >= 5;
    }));
    std::sort(ids.begin(), ids.end());
    BOOST_TEST((ids == std::vector<uint16_t>{0x6000, 0x6001, 0x6002, 0x6003, 0x6004}));
}

BOOST_FIXTURE_TEST_CASE(nothing_to_send_sends_nothing, UdpFixture) {
    sink.mode = FakeSink::Mode::none;
    send(query_bytes(1));
    BOOST_REQUIRE(run_until(loop, [this] { return sink.processed.size() == 1; }));
    run_for(loop, std::chrono::milliseconds(20));
    BOOST_TEST(answers().empty());
    BOOST_TEST(sink.released == sink.acquired);
}

BOOST_FIXTURE_TEST_CASE(stopped_listener_reads_nothing, UdpFixture) {
    listener->stop_reading();
    send(query_bytes(1));
    run_for(loop, std::chrono::milliseconds(30));
    BOOST_TEST(sink.processed.empty());
    BOOST_TEST(answers().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::resolver::test
