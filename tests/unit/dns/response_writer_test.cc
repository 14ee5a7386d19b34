// Tests for src/dns/response_writer.cc: header, owner compression (checked byte by byte and
// through ldns), section order, truncation, OPT.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "dns/response_writer.hh"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "ldns_view.hh"
#include "message_builder.hh"

using namespace muster::dns;
using muster::dns::test::ldns_view;
using muster::dns::test::MessageBuilder;

namespace {

Query make_query(std::string_view qname = "WWW.example.com", uint16_t flags = flag::rd | flag::cd,
                 uint16_t qtype = type::a) {
    MessageBuilder b;
    b.header(0x4242, flags, 1, 0, 0, 0).question(qname, qtype);
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

BOOST_AUTO_TEST_CASE(owner_with_nothing_in_common_is_written_in_full) {
    auto q = make_query();
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    BOOST_TEST(w.add(Section::answer, name("other.example.org"), type::a, klass::in, 5, addr));
    size_t n = w.finish();
    MessageBuilder rr;
    rr.name("other.example.org").rr(type::a, klass::in, 5, addr);
    BOOST_TEST_REQUIRE(n == q.question_end + rr.size());
    BOOST_TEST(std::vector<uint8_t>(out + q.question_end, out + n) == rr.get());
}

BOOST_AUTO_TEST_CASE(owner_sharing_a_suffix_with_the_qname_points_at_it) {
    auto q = make_query();  // WWW.example.com: "example.com" starts at 12 + 4
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    BOOST_TEST(w.add(Section::authority, name("EXAMPLE.com"), type::a, klass::in, 5, addr));
    BOOST_TEST(w.add(Section::additional, name("Other.example.COM"), type::a, klass::in, 5, addr));
    size_t n = w.finish();
    MessageBuilder rrs;
    rrs.pointer(16).rr(type::a, klass::in, 5, addr);
    rrs.u8(5).bytes({'O', 't', 'h', 'e', 'r'}).pointer(16).rr(type::a, klass::in, 5, addr);
    BOOST_TEST_REQUIRE(n == q.question_end + rrs.size());
    BOOST_TEST(std::vector<uint8_t>(out + q.question_end, out + n) == rrs.get());
    auto view = ldns_view({out, n});
    BOOST_TEST_REQUIRE(view.has_value());
    BOOST_TEST(view->authority.at(0).owner == "example.com.");  // in the question's case
    BOOST_TEST(view->additional.at(0).owner == "Other.example.com.");
}

BOOST_AUTO_TEST_CASE(glue_owner_points_at_the_srv_target_which_stays_uncompressed) {
    auto q = make_query("web.service.internal", flag::rd, type::srv);
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, flag::aa, rcode::noerror, EdnsOut{});
    auto srv = [](std::string_view target) {
        return MessageBuilder().u16(1).u16(1).u16(80).name(target).get();
    };
    // The glue is added first and the SRV records after: every RR keeps its place and every
    // pointer its target.
    BOOST_TEST(w.add(Section::additional, name("n0.node.dc1.internal"), type::a, klass::in, 0,
                     {{10, 0, 0, 9}}));
    BOOST_TEST(w.add(Section::answer, name("web.service.internal"), type::srv, klass::in, 0,
                     srv("n1.node.dc1.internal")));
    BOOST_TEST(w.add(Section::answer, name("web.service.internal"), type::srv, klass::in, 0,
                     srv("n2.node.dc1.internal")));
    BOOST_TEST(w.add(Section::additional, name("n1.node.dc1.internal"), type::a, klass::in, 0,
                     {{10, 0, 0, 1}}));
    BOOST_TEST(w.add(Section::additional, name("n2.node.dc1.internal"), type::a, klass::in, 0,
                     {{10, 0, 0, 2}}));
    size_t n = w.finish();

    // RFC 2782: the targets themselves are written in full; the second one's owner points at
    // the question, its glue at the target in its rdata.
    const size_t srv1 = q.question_end, target1 = srv1 + 2 + 10 + 6;
    const size_t srv2 = target1 + 22, target2 = srv2 + 2 + 10 + 6;
    MessageBuilder want;
    want.pointer(12).rr(type::srv, klass::in, 0, srv("n1.node.dc1.internal"));
    want.pointer(12).rr(type::srv, klass::in, 0, srv("n2.node.dc1.internal"));
    // n0 was written before any target: the qname's "internal" was all it could point at.
    want.u8(2).bytes({'n', '0'}).u8(4).bytes({'n', 'o', 'd', 'e'}).u8(3).bytes({'d', 'c', '1'});
    want.pointer(12 + 4 + 8).rr(type::a, klass::in, 0, {10, 0, 0, 9});
    want.pointer(static_cast<uint16_t>(target1)).rr(type::a, klass::in, 0, {10, 0, 0, 1});
    want.pointer(static_cast<uint16_t>(target2)).rr(type::a, klass::in, 0, {10, 0, 0, 2});
    BOOST_TEST_REQUIRE(n == q.question_end + want.size());
    BOOST_TEST(std::vector<uint8_t>(out + q.question_end, out + n) == want.get());

    auto view = ldns_view({out, n});
    BOOST_TEST_REQUIRE(view.has_value());
    BOOST_TEST_REQUIRE(view->answer.size() == 2u);
    BOOST_TEST(view->answer[0].rdata == "1 1 80 n1.node.dc1.internal.");
    BOOST_TEST(view->answer[1].rdata == "1 1 80 n2.node.dc1.internal.");
    BOOST_TEST_REQUIRE(view->additional.size() == 3u);
    BOOST_TEST(view->additional[0].owner == "n0.node.dc1.internal.");
    BOOST_TEST(view->additional[1].owner == "n1.node.dc1.internal.");
    BOOST_TEST(view->additional[2].owner == "n2.node.dc1.internal.");
}

BOOST_AUTO_TEST_CASE(names_other_than_the_question_match_only_in_the_same_case) {
    auto q = make_query("alias.lan", flag::rd);
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, flag::aa, rcode::noerror, EdnsOut{});
    BOOST_TEST(w.add(Section::answer, name("alias.lan"), type::cname, klass::in, 1,
                     MessageBuilder().name("HOST.lan").get()));
    BOOST_TEST(w.add(Section::answer, name("host.lan"), type::a, klass::in, 1, addr));
    BOOST_TEST(w.add(Section::answer, name("HOST.lan"), type::a, klass::in, 1, addr));
    size_t n = w.finish();
    const size_t target = q.question_end + 2 + 10;  // the CNAME's rdata
    MessageBuilder want;
    want.pointer(12).rr(type::cname, klass::in, 1, MessageBuilder().name("HOST.lan").get());
    want.u8(4).bytes({'h', 'o', 's', 't'}).pointer(18).rr(type::a, klass::in, 1, addr);
    want.pointer(static_cast<uint16_t>(target)).rr(type::a, klass::in, 1, addr);
    BOOST_TEST_REQUIRE(n == q.question_end + want.size());
    BOOST_TEST(std::vector<uint8_t>(out + q.question_end, out + n) == want.get());
    auto view = ldns_view({out, n});
    BOOST_TEST_REQUIRE(view.has_value());
    BOOST_TEST(view->answer.at(1).owner == "host.lan.");
    BOOST_TEST(view->answer.at(2).owner == "HOST.lan.");
}

BOOST_AUTO_TEST_CASE(names_that_move_are_never_pointed_at) {
    // An authority NS target moves back when an answer RR is added after it, so the glue for
    // it cannot point there; it points at what it shares with the question instead.
    auto q = make_query("a.example");
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    BOOST_TEST(w.add(Section::authority, name("example"), type::ns, klass::in, 1,
                     MessageBuilder().name("ns1.other.test").get()));
    BOOST_TEST(w.add(Section::additional, name("ns1.other.test"), type::a, klass::in, 1, addr));
    BOOST_TEST(w.add(Section::answer, name("a.example"), type::a, klass::in, 1, addr));
    size_t n = w.finish();
    auto view = ldns_view({out, n});
    BOOST_TEST_REQUIRE(view.has_value());
    BOOST_TEST(view->authority.at(0).rdata == "ns1.other.test.");
    BOOST_TEST(view->additional.at(0).owner == "ns1.other.test.");
    MessageBuilder glue;
    glue.name("ns1.other.test").rr(type::a, klass::in, 1, addr);
    BOOST_TEST(std::vector<uint8_t>(out + n - glue.size(), out + n) == glue.get());
}

BOOST_AUTO_TEST_CASE(rdata_that_is_no_clean_name_is_not_pointed_at) {
    auto q = make_query("a.example");
    uint8_t out[512];
    ResponseWriter w(out, sizeof out);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    // A CNAME whose rdata is a pointer, an SRV too short for a target, an MX cut short.
    BOOST_TEST(
        w.add(Section::answer, name("a.example"), type::cname, klass::in, 1, {{0xC0, 0x0C}}));
    BOOST_TEST(w.add(Section::answer, name("a.example"), type::srv, klass::in, 1, {{0, 1, 0}}));
    BOOST_TEST(
        w.add(Section::answer, name("a.example"), type::mx, klass::in, 1, {{0, 1, 3, 'a', 'b'}}));
    BOOST_TEST(w.add(Section::additional, name("b.example"), type::a, klass::in, 1, addr));
    size_t n = w.finish();
    MessageBuilder glue;
    glue.u8(1).u8('b').pointer(14).rr(type::a, klass::in, 1, addr);
    BOOST_TEST(std::vector<uint8_t>(out + n - glue.size(), out + n) == glue.get());
}

BOOST_AUTO_TEST_CASE(many_names_past_the_pointer_range_stay_valid) {
    // 600 SRV records with distinct targets (about 24 KiB over TCP): more names than the
    // writer remembers, and targets past offset 0x3FFF, which no pointer can reach.
    auto q = make_query("big.service.internal", flag::rd, type::srv);
    std::vector<uint8_t> out(65535);
    ResponseWriter w(out, out.size());
    w.begin(q, flag::aa, rcode::noerror, EdnsOut{});
    constexpr int count = 600;
    auto target = [](int i) { return "host" + std::to_string(i) + ".node.dc1.internal"; };
    for (int i = 0; i < count; ++i)
        BOOST_TEST_REQUIRE(w.add(Section::answer, name("big.service.internal"), type::srv,
                                 klass::in, 0,
                                 MessageBuilder().u16(1).u16(1).u16(80).name(target(i)).get()));
    for (int i = 0; i < count; ++i)
        BOOST_TEST_REQUIRE(w.add(Section::additional, name(target(i)), type::a, klass::in, 0,
                                 {{10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)}}));
    size_t n = w.finish();
    BOOST_TEST(n > 0x4000u);
    auto view = ldns_view({out.data(), n});
    BOOST_TEST_REQUIRE(view.has_value());
    BOOST_TEST_REQUIRE(view->answer.size() == size_t{count});
    BOOST_TEST_REQUIRE(view->additional.size() == size_t{count});
    for (int i = 0; i < count; ++i) {
        BOOST_TEST(view->answer[i].rdata == "1 1 80 " + target(i) + ".");
        BOOST_TEST(view->additional[i].owner == target(i) + ".");
    }
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
    // "example" is the question's suffix at 12 + 2; rdata is never compressed.
    want.pointer(14).rr(type::ns, klass::in, 2, MessageBuilder().name("ns.example").get());
    want.u8(2).bytes({'n', 's'}).pointer(14).rr(type::a, klass::in, 3, {9, 9, 9, 9});
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

BOOST_AUTO_TEST_CASE(room_counts_down_and_truncate_is_an_overflow_before_writing) {
    auto q = make_query("a.example");
    uint8_t out[512];
    ResponseWriter w(out, 100);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    const size_t start = w.room();
    BOOST_TEST(start == 100 - q.question_end);
    BOOST_TEST(w.add(Section::answer, name("a.example"), type::a, klass::in, 1, addr));
    BOOST_TEST(w.room() == start - 16);  // pointer, fixed fields, 4 octets
    // An A RRset of 6 more would need 96 octets: the caller truncates before writing any.
    BOOST_TEST(6 * 16 > w.room());
    w.truncate();
    BOOST_TEST(w.truncated());
    BOOST_TEST(!w.add(Section::answer, name("a.example"), type::a, klass::in, 1, addr));
    size_t n = w.finish();
    BOOST_TEST(n == q.question_end);  // what was written went too
    BOOST_TEST((get16(out + 2) & flag::tc) != 0);
    BOOST_TEST(get16(out + 6) == 0);
}

BOOST_AUTO_TEST_CASE(add_run_writes_what_add_would_one_by_one) {
    // A and AAAA under the question's name (the copies of known size), an owner that is a
    // label and a pointer, and an rdata of another size (the general copies).
    struct Case {
        const char* owner;
        uint16_t rtype;
        size_t rdlen, rr_size;
    };
    const Case cases[] = {{"a.example", type::a, 4, 16},
                          {"a.example", type::aaaa, 16, 28},
                          {"x.a.example", type::a, 4, 18},
                          {"a.example", type::txt, 3, 15}};
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.owner << " type " << c.rtype) {
            auto q = make_query("a.example");
            std::vector<uint8_t> rdatas(3 * c.rdlen);
            for (size_t i = 0; i < rdatas.size(); ++i)
                rdatas[i] = static_cast<uint8_t>(i + 1);
            uint8_t one_by_one[512], run[512];
            ResponseWriter a(one_by_one, 512), b(run, 512);
            a.begin(q, 0, rcode::noerror, EdnsOut{});
            b.begin(q, 0, rcode::noerror, EdnsOut{});
            for (size_t k = 0; k < 3; ++k)
                BOOST_TEST(a.add(Section::answer, name(c.owner), c.rtype, klass::in, 7,
                                 std::span(rdatas).subspan(c.rdlen * k, c.rdlen)));
            size_t rr = 0;
            auto rrs = b.add_run(Section::answer, name(c.owner), c.rtype, klass::in, 7, rdatas,
                                 c.rdlen, rr);
            BOOST_TEST(rr == c.rr_size);  // owner, fixed fields, rdata
            BOOST_TEST(rrs.size() == 3 * c.rr_size);
            // A later RR in another section goes after them in both.
            BOOST_TEST(a.add(Section::additional, name("b.example"), type::a, klass::in, 1, addr));
            BOOST_TEST(b.add(Section::additional, name("b.example"), type::a, klass::in, 1, addr));
            const size_t na = a.finish(), nb = b.finish();
            BOOST_TEST(std::vector<uint8_t>(one_by_one, one_by_one + na) ==
                           std::vector<uint8_t>(run, run + nb),
                       boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(add_run_writes_nothing_where_it_needs_add) {
    auto q = make_query("a.example");
    uint8_t out[512];
    ResponseWriter w(out, 512);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    const std::vector<uint8_t> rdatas{10, 0, 0, 1, 10, 0, 0, 2};
    size_t rr = 0;
    // Another section, and an owner written in full: the caller's add() does those.
    BOOST_TEST(
        w.add_run(Section::additional, name("a.example"), type::a, klass::in, 1, rdatas, 4, rr)
            .empty());
    BOOST_TEST(
        w.add_run(Section::answer, name("b.other"), type::a, klass::in, 1, rdatas, 4, rr).empty());
    BOOST_TEST(!w.truncated());
    BOOST_TEST(w.finish() == q.question_end);
    BOOST_TEST(get16(out + 6) == 0);
}

BOOST_AUTO_TEST_CASE(add_run_that_does_not_fit_truncates) {
    auto q = make_query("a.example");
    uint8_t out[512];
    ResponseWriter w(out, 100);
    w.begin(q, 0, rcode::noerror, EdnsOut{});
    std::vector<uint8_t> rdatas(4 * 10, 7);  // 10 RRs of 16 octets: more than 100 - header
    size_t rr = 0;
    BOOST_TEST(w.add_run(Section::answer, name("a.example"), type::a, klass::in, 1, rdatas, 4, rr)
                   .empty());
    BOOST_TEST(w.truncated());
    BOOST_TEST(w.finish() == q.question_end);
    BOOST_TEST((get16(out + 2) & flag::tc) != 0);
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
