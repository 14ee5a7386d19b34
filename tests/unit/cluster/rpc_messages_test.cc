// Tests for cluster/internal/rpc_messages.cc: payloads round-trip; wrong types, bad addresses,
// IDs of 0, oversized or deeply nested input are errors, never exceptions.
#include "cluster/internal/rpc_messages.hh"

#include <boost/test/unit_test.hpp>
#include <random>

BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::internal::Hello)
BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::internal::ApplyReply)
BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::internal::BarrierReply)
BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::internal::JoinRequest)
BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::internal::RemoveRequest)
BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::internal::Ack)

namespace muster::cluster::internal {

namespace {
std::vector<uint8_t> b(const std::string& s) {
    return std::vector<uint8_t>(s.begin(), s.end());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(rpc_messages)

BOOST_AUTO_TEST_CASE(every_message_round_trips) {
    Hello h{0x7fffffffffffffffULL,
            "10.0.0.1:8300",
            true,
            false,
            "10.0.0.2:8300",
            3,
            {1, 5, 9},
            {{1, "10.0.0.1:8300"}, {5, "10.0.0.5:8300"}}};
    auto hd = decode_hello(encode_hello(h));
    BOOST_REQUIRE(hd.ok());
    BOOST_TEST(*hd == h);
    for (Fate f : {Fate::applied, Fate::not_leader, Fate::unknown}) {
        ApplyReply a{f, f == Fate::applied ? 42U : 0U, f == Fate::applied ? "" : "why"};
        auto ad = decode_apply_reply(encode_apply_reply(a));
        BOOST_REQUIRE(ad.ok());
        BOOST_TEST(*ad == a);
    }
    ApplyReply refused{Fate::applied, 0, "refused"};  // the state machine said no
    BOOST_TEST(*decode_apply_reply(encode_apply_reply(refused)) == refused);
    BarrierReply br{77, "", false};
    BOOST_TEST(*decode_barrier_reply(encode_barrier_reply(br)) == br);
    BarrierReply nl{0, "no leader", true};
    BOOST_TEST(*decode_barrier_reply(encode_barrier_reply(nl)) == nl);
    JoinRequest j{12, "127.0.0.1:1"};
    BOOST_TEST(*decode_join(encode_join(j)) == j);
    RemoveRequest rm{13};
    BOOST_TEST(*decode_remove(encode_remove(rm)) == rm);
    Ack ok{};
    BOOST_TEST(*decode_ack(encode_ack(ok)) == ok);
    Ack err{"nope", true};
    BOOST_TEST(*decode_ack(encode_ack(err)) == err);
}

BOOST_AUTO_TEST_CASE(mistyped_out_of_range_and_hostile_payloads_are_errors) {
    const char* bad_hellos[] = {
        "",
        "[]",
        "{\"id\":0,\"address\":\"127.0.0.1:1\"}",
        "{\"id\":-1,\"address\":\"127.0.0.1:1\"}",
        "{\"id\":1.5,\"address\":\"127.0.0.1:1\"}",
        "{\"id\":1,\"address\":\"localhost:1\"}",
        "{\"id\":1,\"address\":\"127.0.0.1:0\"}",
        "{\"id\":1,\"address\":\"127.0.0.1:70000\"}",
        "{\"id\":1}",
        "{\"id\":1,\"address\":\"127.0.0.1:1\",\"fresh\":\"yes\"}",
        "{\"id\":1,\"address\":\"127.0.0.1:1\",\"view\":[0]}",
        "{\"id\":1,\"address\":\"127.0.0.1:1\",\"view\":{}}",
        "{\"id\":1,\"address\":\"127.0.0.1:1\",\"leader\":\"x\"}",
        "{\"id\":1,\"address\":\"127.0.0.1:1\",\"bootstrap_expect\":100000}",
        "{\"id\":1,\"address\":\"127.0.0.1:1\"",
    };
    for (const char* text : bad_hellos)
        BOOST_TEST(!decode_hello(b(text)).ok(), text);
    BOOST_TEST(!decode_apply_reply(b("{\"fate\":\"maybe\"}")).ok());
    BOOST_TEST(!decode_apply_reply(b("{\"fate\":\"applied\",\"value\":\"1\"}")).ok());
    BOOST_TEST(!decode_barrier_reply(b("{}")).ok());
    BOOST_TEST(!decode_join(b("{\"id\":3,\"address\":\"\"}")).ok());
    BOOST_TEST(!decode_remove(b("{\"id\":0}")).ok());
    BOOST_TEST(!decode_ack(b("{\"error\":7}")).ok());
    // Deep nesting is refused before parsing; huge payloads are refused outright.
    std::string deep = "{\"id\":1,\"address\":\"127.0.0.1:1\",\"x\":" + std::string(10000, '[') +
                       std::string(10000, ']') + "}";
    auto d = decode_hello(b(deep));
    BOOST_REQUIRE(!d.ok());
    BOOST_TEST(d.error().message.find("nested") != std::string::npos);
    std::string huge = "{\"id\":1,\"address\":\"127.0.0.1:1\",\"pad\":\"" +
                       std::string(max_control_payload, 'p') + "\"}";
    BOOST_TEST(!decode_hello(b(huge)).ok());
    // Brackets inside strings do not count as nesting.
    std::string quoted = "{\"id\":1,\"address\":\"127.0.0.1:1\",\"x\":\"[[[[[[[[[[[[[[\\\"\"}";
    BOOST_TEST(decode_hello(b(quoted)).ok());
}

BOOST_AUTO_TEST_CASE(random_bytes_give_errors_not_exceptions) {
    std::mt19937 rng(3);
    const std::string alphabet = "{}[]\":,0123456789.-eE truefalsnul\\abc";
    for (int i = 0; i < 5000; ++i) {
        std::vector<uint8_t> p(rng() % 80);
        for (auto& c : p)
            c = i % 2 == 0 ? static_cast<uint8_t>(rng())
                           : static_cast<uint8_t>(alphabet[rng() % alphabet.size()]);
        BOOST_CHECK_NO_THROW({
            (void)decode_hello(p);
            (void)decode_apply_reply(p);
            (void)decode_barrier_reply(p);
            (void)decode_join(p);
            (void)decode_remove(p);
            (void)decode_ack(p);
        });
    }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
