// Tests for src/dns/response_writer.cc: header, compression, section order, truncation, OPT.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "dns/response_writer.hh"

#include <boost/test/unit_test.hpp>
#include <vector>

#include "message_builder.hh"

using namespace muster::dns;
using muster::dns::test::MessageBuilder;

namespace {

Query make_query(std::string_view qname = "WWW.example.com", uint16_t flags = flag::rd | flag::cd) {
    MessageBuilder b;
    b.header(0x4242, flags, 1, 0, 0, 0).question(qname, type::a);
    Query q;
    BOOST_REQUIRE(parse_query(b.get(), q) == ParseStatus::ok);
    return q;
}

Name name(std::string_view t) {
    return *Name::from_text(t);
}

const std::vector<uint8_t> addr = {192, 0, 2, 1};

}  // namespace

BOOST_AUTO_TEST_SUITE(response_writer_test)

BOOST_AUTO_TEST_CASE(header_echoes_query_and_sets_flags) {
    auto q = make_query();
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, flag::aa | flag::ra, rcode::nxdomain, EdnsOut{});
    size_t n = w.finish();
    BOOST_TEST_REQUIRE(n == q.question_end);
    BOOST_TEST(get16(out) == 0x4242);
    BOOST_TEST(get16(out + 2) ==
               (flag::qr | flag::aa | flag::rd | flag::ra | flag::cd | rcode::nxdomain));
    BOOST_TEST(get16(out + 4) == 1);
    // The question keeps the client's case.
    Name back;
    BOOST_TEST_REQUIRE(back.assign_wire({out + 12, n - 12}));
    BOOST_TEST(back.to_text() == "WWW.example.com.");
}

BOOST_AUTO_TEST_CASE(owner_equal_to_qname_is_compressed) {
    auto q = make_query();
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, flag::aa, rcode::noerror, EdnsOut{});
    BOOST_TEST(w.add(Section::answer, name("www.EXAMPLE.com"), type::a, klass::in, 60, addr));
    size_t n = w.finish();
    MessageBuilder want;
    want.header(0x4242, flag::qr | flag::aa | flag::rd | flag::cd, 1, 1, 0, 0)
        .question("WWW.example.com", type::a)
        .pointer(12)
        .rr(type::a, klass::in, 60, addr);
    BOOST_TEST(std::vector<uint8_t>(out, out + n) == want.get());
}

BOOST_AUTO_TEST_CASE(other_owner_is_written_in_full) {
    auto q = make_query();
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    BOOST_TEST(w.add(Section::answer, name("other.example.com"), type::a, klass::in, 5, addr));
    size_t n = w.finish();
    MessageBuilder rr;
    rr.name("other.example.com").rr(type::a, klass::in, 5, addr);
    BOOST_TEST_REQUIRE(n == q.question_end + rr.size());
    BOOST_TEST(std::vector<uint8_t>(out + q.question_end, out + n) == rr.get());
}

BOOST_AUTO_TEST_CASE(sections_stay_in_order_whatever_the_add_order) {
    auto q = make_query("a.example");
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    BOOST_TEST(
        w.add(Section::additional, name("ns.example"), type::a, klass::in, 3, {{9, 9, 9, 9}}));
    BOOST_TEST(w.add(Section::authority, name("example"), type::ns, klass::in, 2,
                     MessageBuilder().name("ns.example").get()));
    BOOST_TEST(w.add(Section::answer, name("a.example"), type::a, klass::in, 1, addr));
    size_t n = w.finish();
    MessageBuilder want;
    want.header(0x4242, flag::qr | flag::rd | flag::cd, 1, 1, 1, 1).question("a.example", type::a);
    want.pointer(12).rr(type::a, klass::in, 1, addr);
    want.name("example").rr(type::ns, klass::in, 2, MessageBuilder().name("ns.example").get());
    want.name("ns.example").rr(type::a, klass::in, 3, {9, 9, 9, 9});
    BOOST_TEST(std::vector<uint8_t>(out, out + n) == want.get());
}

BOOST_AUTO_TEST_CASE(answer_overflow_truncates_with_tc_and_drops_every_rr) {
    auto q = make_query("a.example");
    uint8_t out[512];
    ResponseWriter w(out, 100);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    std::vector<uint8_t> big(40, 'x');
    BOOST_TEST(w.add(Section::answer, name("a.example"), type::txt, klass::in, 1, big));
    BOOST_TEST(!w.add(Section::answer, name("a.example"), type::txt, klass::in, 1, big));
    BOOST_TEST(w.truncated());
    BOOST_TEST(!w.add(Section::answer, name("a.example"), type::a, klass::in, 1, addr));
    size_t n = w.finish();
    BOOST_TEST(n == q.question_end);
    BOOST_TEST((get16(out + 2) & flag::tc) != 0);
    BOOST_TEST(get16(out + 6) == 0);
}

BOOST_AUTO_TEST_CASE(additional_overflow_is_skipped_without_tc) {
    auto q = make_query("a.example");
    uint8_t out[512];
    ResponseWriter w(out, 80);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    BOOST_TEST(w.add(Section::answer, name("a.example"), type::a, klass::in, 1, addr));
    BOOST_TEST(!w.add(Section::additional, name("b.example"), type::txt, klass::in, 1,
                      std::vector<uint8_t>(60, 'x')));
    BOOST_TEST(!w.truncated());
    BOOST_TEST(w.add(Section::additional, name("a.example"), type::a, klass::in, 1, addr));
    size_t n = w.finish();
    BOOST_TEST((get16(out + 2) & flag::tc) == 0);
    BOOST_TEST(get16(out + 6) == 1);
    BOOST_TEST(get16(out + 10) == 1);
    BOOST_TEST(n <= 80u);
}

BOOST_AUTO_TEST_CASE(opt_room_is_reserved_so_finish_always_fits) {
    auto q = make_query("a.example");
    EdnsOut e;
    e.present = true;
    e.has_ede = true;
    e.ede_code = ede::prohibited;
    size_t limit = q.question_end + 16 + edns_size(e);  // room for exactly one A RR
    std::vector<uint8_t> out(limit);
    ResponseWriter w(out, limit);
    w.begin(q, 0, rcode::refused, e);
    BOOST_TEST(w.add(Section::answer, name("a.example"), type::a, klass::in, 1, addr));
    BOOST_TEST(!w.add(Section::answer, name("a.example"), type::a, klass::in, 1, addr));
    size_t n = w.finish();
    BOOST_TEST_REQUIRE(n == q.question_end + edns_size(e));  // truncated: no RRs, but OPT
    BOOST_TEST(get16(out.data() + 10) == 1);
    const uint8_t* opt = out.data() + q.question_end;
    BOOST_TEST(get16(opt + 1) == type::opt);
    BOOST_TEST(get16(opt + 11) == edns_option_ede);
    BOOST_TEST(get16(opt + 15) == ede::prohibited);
}

BOOST_AUTO_TEST_CASE(limit_is_capped_by_buffer_size) {
    auto q = make_query("a.example");
    uint8_t out[60];
    ResponseWriter w(out, 65535);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    BOOST_TEST(!w.add(Section::answer, name("b.example"), type::txt, klass::in, 1,
                      std::vector<uint8_t>(40, 'x')));
    BOOST_TEST(w.truncated());
    BOOST_TEST(w.finish() <= sizeof out);
}

BOOST_AUTO_TEST_CASE(finish_is_zero_when_question_does_not_fit) {
    auto q = make_query("a.example");
    uint8_t out[20];
    ResponseWriter w(out, sizeof out);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    BOOST_TEST(!w.add(Section::answer, name("a.example"), type::a, klass::in, 1, addr));
    BOOST_TEST(w.finish() == 0u);
    ResponseWriter unused(out, sizeof out);
    BOOST_TEST(unused.finish() == 0u);
}

BOOST_AUTO_TEST_CASE(set_rcode_rewrites_header_and_extended_bits) {
    auto q = make_query("a.example");
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    EdnsOut e;
    e.present = true;
    w.begin(q, 0, rcode::noerror, e);
    w.set_rcode(16);  // BADVERS
    size_t n = w.finish();
    BOOST_TEST((out[3] & 0x0F) == 0);
    BOOST_TEST(out[n - 11 + 5] == 1);
    w.begin(q, 0, rcode::noerror, e);
    w.set_rcode(rcode::servfail);
    n = w.finish();
    BOOST_TEST((out[3] & 0x0F) == rcode::servfail);
    BOOST_TEST(out[n - 11 + 5] == 0);
}

BOOST_AUTO_TEST_CASE(answer_is_parseable_by_ldns_style_walk) {
    // The writer's output must parse as a response to the question it echoes.
    auto q = make_query("svc.internal");
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    EdnsOut e;
    e.present = true;
    w.begin(q, flag::aa, rcode::noerror, e);
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(w.add(Section::answer, name("svc.internal"), type::a, klass::in, 30, addr));
    size_t n = w.finish();
    BOOST_TEST(get16(out + 6) == 5);
    BOOST_TEST(get16(out + 10) == 1);
    BOOST_TEST(n == q.question_end + 5 * 16 + 11);
}

BOOST_AUTO_TEST_SUITE_END()
