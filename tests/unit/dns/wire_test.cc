// Tests for src/dns/wire.cc: type names, query parsing, error/query/OPT writing.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "dns/wire.hh"

#include <boost/test/unit_test.hpp>
#include <vector>

#include "message_builder.hh"

using namespace muster::dns;
using muster::dns::test::MessageBuilder;

namespace {

MessageBuilder query(uint16_t flags = flag::rd) {
    MessageBuilder b;
    b.header(0x1234, flags, 1, 0, 0, 0).question("www.Example.com", type::a);
    return b;
}

MessageBuilder edns_query(uint16_t udp, uint8_t version = 0, bool do_bit = false) {
    MessageBuilder b;
    b.header(0x1234, flag::rd, 1, 0, 0, 1).question("www.Example.com", type::aaaa);
    b.opt(udp, 0, version, do_bit);
    return b;
}

ParseStatus parse(const MessageBuilder& b, Query& q) {
    return parse_query(b.get(), q);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_test)

BOOST_AUTO_TEST_CASE(type_names_round_trip) {
    for (uint16_t t : {type::a, type::ns, type::cname, type::soa, type::ptr, type::mx, type::txt,
                       type::aaaa, type::srv, type::opt, type::any})
        BOOST_TEST(type_from_text(type_to_text(t)) == t);
    BOOST_TEST(type_to_text(type::srv) == "SRV");
}

BOOST_AUTO_TEST_CASE(type_from_text_is_case_insensitive) {
    BOOST_TEST(type_from_text("aaaa") == type::aaaa);
    BOOST_TEST(type_from_text("Srv") == type::srv);
}

BOOST_AUTO_TEST_CASE(type_generic_form) {
    BOOST_TEST(type_from_text("TYPE65") == 65);
    BOOST_TEST(type_from_text("type65535") == 65535);
    BOOST_TEST(type_to_text(65) == "TYPE65");
    BOOST_TEST(type_to_text(65000) == "TYPE65000");
}

BOOST_AUTO_TEST_CASE(type_from_text_unknown_is_zero) {
    BOOST_TEST(type_from_text("BOGUS") == 0);
    BOOST_TEST(type_from_text("TYPE") == 0);
    BOOST_TEST(type_from_text("TYPE65536") == 0);
    BOOST_TEST(type_from_text("TYPE1x") == 0);
    BOOST_TEST(type_from_text("") == 0);
}

BOOST_AUTO_TEST_CASE(parses_plain_query) {
    Query q;
    auto b = query();
    BOOST_TEST_REQUIRE((parse(b, q) == ParseStatus::ok));
    BOOST_TEST(q.id == 0x1234);
    BOOST_TEST(q.rd());
    BOOST_TEST(!q.cd());
    BOOST_TEST(q.qtype == type::a);
    BOOST_TEST(q.qclass == klass::in);
    BOOST_TEST(q.qname.to_text() == "www.Example.com.");
    BOOST_TEST(q.qname_lower.to_text() == "www.example.com.");
    BOOST_TEST(!q.has_edns);
    BOOST_TEST(q.edns_udp_size == 512);
    BOOST_TEST(q.question_end == b.size());
}

BOOST_AUTO_TEST_CASE(drop_when_shorter_than_header) {
    Query q;
    std::vector<uint8_t> m(11, 0);
    BOOST_TEST((parse_query(m, q) == ParseStatus::drop));
    BOOST_TEST((parse_query({}, q) == ParseStatus::drop));
}

BOOST_AUTO_TEST_CASE(drop_when_qr_set) {
    Query q;
    BOOST_TEST((parse(query(flag::qr), q) == ParseStatus::drop));
}

BOOST_AUTO_TEST_CASE(formerr_when_two_questions) {
    MessageBuilder b;
    b.header(1, 0, 2, 0, 0, 0).question("a", type::a).question("b", type::a);
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::formerr));
}

BOOST_AUTO_TEST_CASE(formerr_when_no_question) {
    MessageBuilder b;
    b.header(1, 0, 0, 0, 0, 0);
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::formerr));
}

BOOST_AUTO_TEST_CASE(formerr_when_answer_or_authority_present) {
    Query q;
    MessageBuilder an;
    an.header(1, 0, 1, 1, 0, 0).question("a", type::a).name("a").rr(type::a, 1, 1, {1, 2, 3, 4});
    BOOST_TEST((parse(an, q) == ParseStatus::formerr));
    MessageBuilder ns;
    ns.header(1, 0, 1, 0, 1, 0).question("a", type::a).name("a").rr(type::a, 1, 1, {1, 2, 3, 4});
    BOOST_TEST((parse(ns, q) == ParseStatus::formerr));
}

BOOST_AUTO_TEST_CASE(formerr_when_question_truncated) {
    Query q;
    auto b = query();
    for (size_t cut = 13; cut < b.size(); ++cut) {
        std::vector<uint8_t> m(b.get().begin(), b.get().begin() + static_cast<long>(cut));
        BOOST_TEST((parse_query(m, q) == ParseStatus::formerr), "cut at " << cut);
    }
}

BOOST_AUTO_TEST_CASE(formerr_when_question_name_compressed) {
    MessageBuilder b;
    b.header(1, 0, 1, 0, 0, 0).pointer(12).u16(type::a).u16(klass::in);
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::formerr));
}

BOOST_AUTO_TEST_CASE(formerr_when_trailing_garbage) {
    auto b = query();
    b.u8(0);
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::formerr));
    auto e = edns_query(1232);
    e.u8(0xff);
    BOOST_TEST((parse(e, q) == ParseStatus::formerr));
}

BOOST_AUTO_TEST_CASE(formerr_when_additional_count_exceeds_records) {
    MessageBuilder b;
    b.header(1, 0, 1, 0, 0, 2).question("a", type::a).opt(1232);
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::formerr));
}

BOOST_AUTO_TEST_CASE(notimp_when_opcode_not_query) {
    auto b = query(static_cast<uint16_t>(flag::rd | 2 << 11));  // STATUS
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::notimp));
    BOOST_TEST(q.opcode == 2);
    BOOST_TEST(q.question_end == b.size());
}

BOOST_AUTO_TEST_CASE(notimp_takes_precedence_over_malformed_body) {
    MessageBuilder b;
    b.header(1, 5 << 11, 3, 1, 0, 0);  // UPDATE with bogus counts and no body
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::notimp));
    BOOST_TEST(q.question_end == 0u);
}

BOOST_AUTO_TEST_CASE(edns_fields_are_read) {
    Query q;
    BOOST_TEST_REQUIRE((parse(edns_query(4096, 0, true), q) == ParseStatus::ok));
    BOOST_TEST(q.has_edns);
    BOOST_TEST(q.edns_udp_size == 4096);
    BOOST_TEST(q.do_bit);
    BOOST_TEST(q.edns_version == 0);
}

BOOST_AUTO_TEST_CASE(edns_udp_size_below_512_is_treated_as_512) {
    Query q;
    BOOST_TEST_REQUIRE((parse(edns_query(100), q) == ParseStatus::ok));
    BOOST_TEST(q.edns_udp_size == 512);
}

BOOST_AUTO_TEST_CASE(badvers_when_edns_version_above_zero) {
    Query q;
    BOOST_TEST((parse(edns_query(1232, 1), q) == ParseStatus::badvers));
    BOOST_TEST(q.has_edns);
    BOOST_TEST(q.edns_version == 1);
}

BOOST_AUTO_TEST_CASE(formerr_when_two_opt_records) {
    MessageBuilder b;
    b.header(1, 0, 1, 0, 0, 2).question("a", type::a).opt(1232).opt(1232);
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::formerr));
}

BOOST_AUTO_TEST_CASE(formerr_when_opt_not_owned_by_root) {
    MessageBuilder b;
    b.header(1, 0, 1, 0, 0, 1).question("a", type::a).name("a").rr(type::opt, 1232, 0, {});
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::formerr));
}

BOOST_AUTO_TEST_CASE(formerr_when_opt_option_overruns_rdata) {
    MessageBuilder b;
    b.header(1, 0, 1, 0, 0, 1).question("a", type::a).opt(1232, 0, 0, false, {0, 10, 0, 5, 1});
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::formerr));
}

BOOST_AUTO_TEST_CASE(edns_options_are_accepted) {
    MessageBuilder b;
    // NSID (3) empty and a COOKIE (10) with 8 octets.
    b.header(1, 0, 1, 0, 0, 1).question("a", type::a);
    b.opt(1232, 0, 0, false, {0, 3, 0, 0, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8});
    Query q;
    BOOST_TEST((parse(b, q) == ParseStatus::ok));
}

BOOST_AUTO_TEST_CASE(other_additional_records_are_ignored) {
    MessageBuilder b;
    b.header(1, 0, 1, 0, 0, 2).question("a", type::a);
    b.pointer(12).rr(type::a, klass::in, 5, {1, 2, 3, 4}).opt(1400);
    Query q;
    BOOST_TEST_REQUIRE((parse(b, q) == ParseStatus::ok));
    BOOST_TEST(q.edns_udp_size == 1400);
}

BOOST_AUTO_TEST_CASE(query_is_reset_between_parses) {
    Query q;
    BOOST_TEST_REQUIRE((parse(edns_query(4096, 0, true), q) == ParseStatus::ok));
    BOOST_TEST_REQUIRE((parse(query(), q) == ParseStatus::ok));
    BOOST_TEST(!q.has_edns);
    BOOST_TEST(!q.do_bit);
    std::vector<uint8_t> junk(12, 0);
    BOOST_TEST((parse_query(junk, q) == ParseStatus::formerr));
    BOOST_TEST(q.question_end == 0u);
}

BOOST_AUTO_TEST_CASE(write_error_formerr_echoes_id_opcode_rd_without_question) {
    auto b = query();
    b.u8(0);  // trailing junk: FORMERR
    Query q;
    BOOST_TEST_REQUIRE((parse(b, q) == ParseStatus::formerr));
    uint8_t out[512];
    size_t n = write_error(b.get(), q, rcode::formerr, out);
    BOOST_TEST_REQUIRE(n == header_size);
    BOOST_TEST(get16(out) == 0x1234);
    BOOST_TEST(get16(out + 2) == (flag::qr | flag::rd | rcode::formerr));
    BOOST_TEST(get16(out + 4) == 0);
    BOOST_TEST(get16(out + 10) == 0);
}

BOOST_AUTO_TEST_CASE(write_error_notimp_echoes_question_and_opcode) {
    auto b = query(static_cast<uint16_t>(4 << 11));  // NOTIFY
    Query q;
    BOOST_TEST_REQUIRE((parse(b, q) == ParseStatus::notimp));
    uint8_t out[512];
    size_t n = write_error(b.get(), q, rcode::notimp, out);
    BOOST_TEST_REQUIRE(n == b.size());
    BOOST_TEST(get16(out + 2) == (flag::qr | 4 << 11 | rcode::notimp));
    BOOST_TEST(get16(out + 4) == 1);
    BOOST_TEST(std::equal(out + 12, out + n, b.get().begin() + 12));
}

BOOST_AUTO_TEST_CASE(write_error_badvers_uses_extended_rcode) {
    auto b = edns_query(1232, 1, true);
    Query q;
    BOOST_TEST_REQUIRE((parse(b, q) == ParseStatus::badvers));
    uint8_t out[512];
    size_t n = write_error(b.get(), q, 16, out);
    BOOST_TEST_REQUIRE(n == q.question_end + 11);
    BOOST_TEST((get16(out + 2) & 0x0F) == 0);  // header rcode 0, OPT ext-rcode 1
    BOOST_TEST(get16(out + 4) == 1);
    BOOST_TEST(get16(out + 10) == 1);
    const uint8_t* opt = out + q.question_end;
    BOOST_TEST(opt[0] == 0);
    BOOST_TEST(get16(opt + 1) == type::opt);
    BOOST_TEST(get16(opt + 3) == edns_advertised_size);
    BOOST_TEST(opt[5] == 1);                     // extended rcode
    BOOST_TEST(opt[6] == 0);                     // our version
    BOOST_TEST((get16(opt + 7) & 0x8000) != 0);  // DO echoed (RFC 3225 §3)
    BOOST_TEST(get16(opt + 9) == 0);
}

BOOST_AUTO_TEST_CASE(write_error_drops_responses_and_runts) {
    uint8_t out[512];
    Query q;
    auto r = query(flag::qr);
    BOOST_TEST(write_error(r.get(), q, rcode::formerr, out) == 0u);
    std::vector<uint8_t> runt(5, 0);
    BOOST_TEST(write_error(runt, q, rcode::formerr, out) == 0u);
}

BOOST_AUTO_TEST_CASE(write_error_returns_zero_when_out_too_small) {
    auto b = query();
    Query q;
    BOOST_TEST_REQUIRE((parse(b, q) == ParseStatus::ok));
    uint8_t out[20];
    BOOST_TEST(write_error(b.get(), q, rcode::refused, out) == 0u);
}

BOOST_AUTO_TEST_CASE(write_error_refused_for_parsed_query_copies_question) {
    auto b = edns_query(1232);
    Query q;
    BOOST_TEST_REQUIRE((parse(b, q) == ParseStatus::ok));
    uint8_t out[512];
    size_t n = write_error(b.get(), q, rcode::refused, out);
    BOOST_TEST_REQUIRE(n == q.question_end + 11);
    BOOST_TEST((get16(out + 2) & 0x0F) == rcode::refused);
    BOOST_TEST(get16(out + 4) == 1);
    BOOST_TEST(get16(out + 10) == 1);
}

BOOST_AUTO_TEST_CASE(write_opt_with_ede_option) {
    EdnsOut e;
    e.present = true;
    e.has_ede = true;
    e.ede_code = ede::stale_answer;
    BOOST_TEST(edns_size(e) == 17u);
    uint8_t out[17];
    BOOST_TEST_REQUIRE(write_opt(e, out) == 17u);
    std::vector<uint8_t> want = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 6, 0, 15, 0, 2, 0, 3};
    BOOST_TEST(std::vector<uint8_t>(out, out + 17) == want);
    uint8_t small[16];
    BOOST_TEST(write_opt(e, small) == 0u);
}

BOOST_AUTO_TEST_CASE(write_query_is_parseable_and_advertises_edns) {
    auto qn = Name::from_text("Example.org");
    BOOST_TEST_REQUIRE(qn.ok());
    uint8_t out[512];
    size_t n = write_query(out, 0xbeef, *qn, type::mx, klass::in, {.rd = true, .do_bit = true});
    BOOST_TEST_REQUIRE(n == 12u + 13 + 4 + 11);
    Query q;
    BOOST_TEST_REQUIRE((parse_query({out, n}, q) == ParseStatus::ok));
    BOOST_TEST(q.id == 0xbeef);
    BOOST_TEST(q.rd());
    BOOST_TEST(q.do_bit);
    BOOST_TEST(q.edns_udp_size == edns_advertised_size);
    BOOST_TEST(q.qname.to_text() == "Example.org.");
    BOOST_TEST(q.qtype == type::mx);
    size_t none = write_query(out, 1, *qn, type::a, klass::in, {.rd = false, .do_bit = false});
    BOOST_TEST_REQUIRE((parse_query({out, none}, q) == ParseStatus::ok));
    BOOST_TEST(!q.rd());
    BOOST_TEST(!q.do_bit);
    BOOST_TEST(
        write_query({out, n - 1}, 1, *qn, type::a, klass::in, {.rd = true, .do_bit = false}) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
