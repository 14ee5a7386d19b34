// Tests for src/dns/response.cc: validation, TTL analysis (RFC 2308), OPT stripping, rendering.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "dns/response.hh"

#include <ldns/ldns.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <vector>

#include "message_builder.hh"

using namespace muster::dns;
using muster::dns::test::MessageBuilder;
using muster::dns::test::soa_rdata;

namespace {

using Bytes = std::vector<uint8_t>;
const Bytes addr = {192, 0, 2, 1};
constexpr uint16_t resp = flag::qr | flag::rd | flag::ra;

Name name(std::string_view t) {
    return *Name::from_text(t);
}

// NOERROR answer for www.example.com/A with the given TTLs, optionally ending with OPT.
MessageBuilder answer(std::initializer_list<uint32_t> ttls, bool with_opt = true,
                      std::string_view qcase = "www.example.com") {
    MessageBuilder b;
    b.header(7, resp, 1, static_cast<uint16_t>(ttls.size()), 0, with_opt ? 1 : 0)
        .question(qcase, type::a);
    for (uint32_t t : ttls)
        b.pointer(12).rr(type::a, klass::in, t, addr);
    if (with_opt)
        b.opt(1232);
    return b;
}

// Negative answer (rcode) with a SOA of the given TTL and MINIMUM in the authority section.
MessageBuilder negative(uint8_t rc, uint32_t soa_ttl, uint32_t minimum) {
    MessageBuilder b;
    b.header(7, static_cast<uint16_t>(resp | rc), 1, 0, 1, 1).question("www.example.com", type::a);
    b.name("example.com").rr(type::soa, klass::in, soa_ttl, soa_rdata(minimum));
    b.opt(1232);
    return b;
}

ResponseStatus parse(const MessageBuilder& b, ResponseInfo& info,
                     std::string_view qname = "www.example.com", uint16_t qtype = type::a) {
    return parse_response(b.get(), name(qname), qtype, klass::in, info);
}

Query client_query(std::string_view qname, uint16_t id, uint16_t flags, bool edns) {
    MessageBuilder b;
    b.header(id, flags, 1, 0, 0, edns ? 1 : 0).question(qname, type::a);
    if (edns)
        b.opt(4096);
    Query q;
    BOOST_REQUIRE(parse_query(b.get(), q) == ParseStatus::ok);
    return q;
}

// parse_response + strip_opt_header, as the cache does before storing.
Bytes stored_body(const MessageBuilder& b, ResponseInfo& info) {
    BOOST_REQUIRE(parse(b, info) == ResponseStatus::ok);
    Bytes body(b.get().begin(), b.get().begin() + static_cast<long>(info.body_end));
    strip_opt_header(body, info);
    return body;
}

uint32_t ttl_at(const uint8_t* msg, uint16_t off) {
    return get32(msg + off);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(response_test)

BOOST_AUTO_TEST_CASE(positive_answer_ttl_is_smallest_rr_ttl) {
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(answer({300, 60, 900}), info) == ResponseStatus::ok));
    BOOST_TEST(info.ttl == 60u);
    BOOST_TEST(!info.negative);
    BOOST_TEST(info.cacheable);
    BOOST_TEST(info.ancount == 3);
    BOOST_TEST(info.arcount == 0);
    BOOST_TEST(info.ttl_count == 3);
    BOOST_TEST(info.id == 7);
}

BOOST_AUTO_TEST_CASE(ttl_offsets_point_at_ttl_fields) {
    auto b = answer({11, 22});
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(b, info) == ResponseStatus::ok));
    BOOST_TEST_REQUIRE(info.ttl_count == 2);
    BOOST_TEST(ttl_at(b.get().data(), info.ttl_offsets[0]) == 11u);
    BOOST_TEST(ttl_at(b.get().data(), info.ttl_offsets[1]) == 22u);
}

BOOST_AUTO_TEST_CASE(ttl_with_top_bit_set_counts_as_zero) {
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(answer({300, 0x80000000u}), info) == ResponseStatus::ok));
    BOOST_TEST(info.ttl == 0u);
}

BOOST_AUTO_TEST_CASE(negative_answer_ttl_is_soa_minimum_when_smaller) {
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(negative(rcode::nxdomain, 3600, 300), info) == ResponseStatus::ok));
    BOOST_TEST(info.negative);
    BOOST_TEST(info.has_soa);
    BOOST_TEST(info.ttl == 300u);
    BOOST_TEST(info.cacheable);
}

BOOST_AUTO_TEST_CASE(negative_answer_ttl_is_soa_ttl_when_smaller) {
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(negative(rcode::nxdomain, 120, 86400), info) == ResponseStatus::ok));
    BOOST_TEST(info.ttl == 120u);
}

BOOST_AUTO_TEST_CASE(nodata_is_negative) {
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(negative(rcode::noerror, 500, 60), info) == ResponseStatus::ok));
    BOOST_TEST(info.negative);
    BOOST_TEST(info.ttl == 60u);
    BOOST_TEST(info.cacheable);
}

BOOST_AUTO_TEST_CASE(negative_without_soa_is_not_cacheable) {
    MessageBuilder b;
    b.header(7, resp | rcode::nxdomain, 1, 0, 0, 0).question("www.example.com", type::a);
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(b, info) == ResponseStatus::ok));
    BOOST_TEST(info.negative);
    BOOST_TEST(!info.has_soa);
    BOOST_TEST(info.ttl == 0u);
    BOOST_TEST(!info.cacheable);
}

BOOST_AUTO_TEST_CASE(malformed_soa_rdata_is_malformed) {
    MessageBuilder b;
    b.header(7, resp | rcode::nxdomain, 1, 0, 1, 0).question("www.example.com", type::a);
    Bytes short_soa = soa_rdata(5);
    short_soa.pop_back();
    b.name("example.com").rr(type::soa, klass::in, 60, short_soa);
    ResponseInfo info;
    BOOST_TEST((parse(b, info) == ResponseStatus::malformed));
}

BOOST_AUTO_TEST_CASE(servfail_and_refused_are_not_cacheable) {
    for (uint8_t rc : {rcode::servfail, rcode::refused, rcode::formerr}) {
        MessageBuilder b;
        b.header(7, static_cast<uint16_t>(resp | rc), 1, 0, 0, 0)
            .question("www.example.com", type::a);
        ResponseInfo info;
        BOOST_TEST_REQUIRE((parse(b, info) == ResponseStatus::ok));
        BOOST_TEST(info.rcode == rc);
        BOOST_TEST(!info.cacheable);
    }
}

BOOST_AUTO_TEST_CASE(truncated_response_is_not_cacheable) {
    MessageBuilder b;
    b.header(7, resp | flag::tc, 1, 0, 0, 0).question("www.example.com", type::a);
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(b, info) == ResponseStatus::ok));
    BOOST_TEST(info.truncated);
    BOOST_TEST(!info.cacheable);
}

BOOST_AUTO_TEST_CASE(not_a_response_when_qr_clear) {
    auto b = answer({1});
    b.get()[2] &= 0x7f;
    ResponseInfo info;
    BOOST_TEST((parse(b, info) == ResponseStatus::not_a_response));
}

BOOST_AUTO_TEST_CASE(question_mismatch_on_name_type_class_or_count) {
    ResponseInfo info;
    BOOST_TEST(
        (parse(answer({1}), info, "other.example.com") == ResponseStatus::question_mismatch));
    BOOST_TEST((parse(answer({1}), info, "www.example.com", type::aaaa) ==
                ResponseStatus::question_mismatch));
    BOOST_TEST((parse_response(answer({1}).get(), name("www.example.com"), type::a, klass::ch,
                               info) == ResponseStatus::question_mismatch));
    MessageBuilder two;
    two.header(7, resp, 2, 0, 0, 0).question("www.example.com", type::a).question("x", type::a);
    BOOST_TEST((parse(two, info) == ResponseStatus::question_mismatch));
    MessageBuilder none;
    none.header(7, resp, 0, 0, 0, 0);
    BOOST_TEST((parse(none, info) == ResponseStatus::question_mismatch));
}

BOOST_AUTO_TEST_CASE(question_matches_case_insensitively) {
    ResponseInfo info;
    BOOST_TEST((parse(answer({1}, true, "WwW.ExAmPlE.cOm"), info) == ResponseStatus::ok));
}

BOOST_AUTO_TEST_CASE(malformed_when_shorter_than_header_or_records_truncated) {
    ResponseInfo info;
    Bytes runt(11, 0);
    BOOST_TEST(
        (parse_response(runt, name("a"), type::a, klass::in, info) == ResponseStatus::malformed));
    auto b = answer({1, 2});
    for (size_t cut = b.size() - 1; cut > 33; --cut) {
        Bytes m(b.get().begin(), b.get().begin() + static_cast<long>(cut));
        BOOST_TEST((parse_response(m, name("www.example.com"), type::a, klass::in, info) ==
                    ResponseStatus::malformed),
                   "cut at " << cut);
    }
}

BOOST_AUTO_TEST_CASE(malformed_on_compression_loop) {
    MessageBuilder b;
    b.header(7, resp, 1, 1, 0, 0).question("www.example.com", type::a);
    size_t at = b.size();
    b.pointer(static_cast<uint16_t>(at)).rr(type::a, klass::in, 1, addr);  // points at itself
    ResponseInfo info;
    BOOST_TEST((parse(b, info) == ResponseStatus::malformed));
}

BOOST_AUTO_TEST_CASE(malformed_on_pointer_out_of_range) {
    MessageBuilder b;
    b.header(7, resp, 1, 1, 0, 0).question("www.example.com", type::a);
    b.pointer(0x3fff).rr(type::a, klass::in, 1, addr);
    ResponseInfo info;
    BOOST_TEST((parse(b, info) == ResponseStatus::malformed));
}

BOOST_AUTO_TEST_CASE(malformed_on_rdlength_past_end) {
    auto b = answer({1}, false);
    b.get()[b.size() - 5] = 0x10;  // rdlength 4 → 4100
    ResponseInfo info;
    BOOST_TEST((parse(b, info) == ResponseStatus::malformed));
}

BOOST_AUTO_TEST_CASE(opt_is_stripped_when_last) {
    auto b = answer({60});
    ResponseInfo info;
    auto body = stored_body(b, info);
    BOOST_TEST(info.has_opt);
    BOOST_TEST(info.opt_stripped);
    BOOST_TEST(info.body_end == b.size() - 11);
    BOOST_TEST(get16(body.data() + 10) == 0);
    BOOST_TEST(info.cacheable);
}

BOOST_AUTO_TEST_CASE(opt_not_last_is_kept_and_not_cacheable) {
    MessageBuilder b;
    b.header(7, resp, 1, 1, 0, 2).question("www.example.com", type::a);
    b.pointer(12).rr(type::a, klass::in, 60, addr);
    b.opt(1232);
    b.pointer(12).rr(type::a, klass::in, 60, addr);
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(b, info) == ResponseStatus::ok));
    BOOST_TEST(info.has_opt);
    BOOST_TEST(!info.opt_stripped);
    BOOST_TEST(info.body_end == b.size());
    BOOST_TEST(info.arcount == 1);
    BOOST_TEST(!info.cacheable);
    Bytes body = b.get();
    strip_opt_header(body, info);
    BOOST_TEST(get16(body.data() + 10) == 2);  // untouched
}

BOOST_AUTO_TEST_CASE(malformed_on_two_opt_records_or_opt_in_answer) {
    MessageBuilder two;
    two.header(7, resp, 1, 0, 0, 2).question("www.example.com", type::a).opt(1232).opt(1232);
    ResponseInfo info;
    BOOST_TEST((parse(two, info) == ResponseStatus::malformed));
    MessageBuilder in_answer;
    in_answer.header(7, resp, 1, 1, 0, 0).question("www.example.com", type::a).opt(1232);
    BOOST_TEST((parse(in_answer, info) == ResponseStatus::malformed));
}

BOOST_AUTO_TEST_CASE(extended_rcode_is_not_cacheable) {
    MessageBuilder b;
    b.header(7, resp, 1, 0, 0, 1).question("www.example.com", type::a).opt(1232, 1);
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(b, info) == ResponseStatus::ok));
    BOOST_TEST(info.ext_rcode == 1);
    BOOST_TEST(!info.cacheable);
}

BOOST_AUTO_TEST_CASE(more_rrs_than_ttl_offsets_is_not_cacheable) {
    MessageBuilder b;
    uint16_t n = max_ttl_offsets + 1;
    b.header(7, resp, 1, n, 0, 0).question("www.example.com", type::a);
    for (uint16_t i = 0; i < n; ++i)
        b.pointer(12).rr(type::a, klass::in, 60, addr);
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(b, info) == ResponseStatus::ok));
    BOOST_TEST(info.ttl_count == max_ttl_offsets);
    BOOST_TEST(!info.cacheable);
    BOOST_TEST(info.ttl == 60u);
}

BOOST_AUTO_TEST_CASE(trailing_octets_are_not_stored) {
    auto b = answer({60}, false);
    size_t end = b.size();
    b.bytes({0xde, 0xad});
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse(b, info) == ResponseStatus::ok));
    BOOST_TEST(info.body_end == end);
}

BOOST_AUTO_TEST_CASE(parses_compressed_response_built_by_ldns) {
    // An independent encoder: ldns compresses owner names and the SOA's names.
    ldns_pkt* pkt = nullptr;
    BOOST_TEST_REQUIRE(ldns_pkt_query_new_frm_str(&pkt, "nx.Example.com.", LDNS_RR_TYPE_AAAA,
                                                  LDNS_RR_CLASS_IN, LDNS_RD) == LDNS_STATUS_OK);
    std::unique_ptr<ldns_pkt, decltype(&ldns_pkt_free)> guard(pkt, ldns_pkt_free);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_rcode(pkt, LDNS_RCODE_NXDOMAIN);
    ldns_rr* soa = nullptr;
    BOOST_TEST_REQUIRE(ldns_rr_new_frm_str(&soa,
                                           "example.com. 900 IN SOA ns1.example.com. "
                                           "hostmaster.example.com. 1 7200 900 1209600 600",
                                           0, nullptr, nullptr) == LDNS_STATUS_OK);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, soa);
    ldns_pkt_set_edns_udp_size(pkt, 1232);
    uint8_t* wire = nullptr;
    size_t len = 0;
    BOOST_TEST_REQUIRE(ldns_pkt2wire(&wire, pkt, &len) == LDNS_STATUS_OK);
    Bytes msg(wire, wire + len);
    free(wire);
    ResponseInfo info;
    BOOST_TEST_REQUIRE((parse_response(msg, name("NX.example.com"), type::aaaa, klass::in, info) ==
                        ResponseStatus::ok));
    BOOST_TEST(info.negative);
    BOOST_TEST(info.has_soa);
    BOOST_TEST(info.ttl == 600u);
    BOOST_TEST(info.opt_stripped);
    BOOST_TEST(info.cacheable);
}

BOOST_AUTO_TEST_CASE(render_lowers_ttls_by_elapsed_and_never_below_zero) {
    ResponseInfo info;
    auto body = stored_body(answer({300, 20}), info);
    auto client = client_query("www.example.com", 0x99, flag::rd, false);
    RenderParams params;
    params.elapsed_s = 50;
    uint8_t out[512];
    size_t n = render_stored(body, {info.ttl_offsets, info.ttl_count}, client, params, out, 512);
    BOOST_TEST_REQUIRE(n == body.size());
    BOOST_TEST(ttl_at(out, info.ttl_offsets[0]) == 250u);
    BOOST_TEST(ttl_at(out, info.ttl_offsets[1]) == 0u);
}

BOOST_AUTO_TEST_CASE(render_stale_sets_every_ttl_and_adds_ede) {
    ResponseInfo info;
    auto body = stored_body(answer({300, 20}), info);
    auto client = client_query("www.example.com", 0x99, flag::rd, true);
    RenderParams params;
    params.elapsed_s = 5000;
    params.stale = true;
    params.stale_ttl_s = 30;
    params.edns.present = true;
    params.edns.has_ede = true;
    params.edns.ede_code = ede::stale_answer;
    uint8_t out[512];
    size_t n = render_stored(body, {info.ttl_offsets, info.ttl_count}, client, params, out, 512);
    BOOST_TEST_REQUIRE(n == body.size() + 17);
    BOOST_TEST(ttl_at(out, info.ttl_offsets[0]) == 30u);
    BOOST_TEST(ttl_at(out, info.ttl_offsets[1]) == 30u);
    BOOST_TEST(get16(out + 10) == 1);
    Bytes opt(out + body.size(), out + n);
    Bytes want = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 6, 0, 15, 0, 2, 0, ede::stale_answer};
    BOOST_TEST(opt == want);
}

BOOST_AUTO_TEST_CASE(render_copies_client_id_flags_and_question_case) {
    ResponseInfo info;
    auto b = answer({60});
    b.get()[2] |= flag::aa >> 8;  // upstream claimed authority
    auto body = stored_body(b, info);
    auto client = client_query("WWW.Example.COM", 0xabcd, flag::cd, false);
    RenderParams params;
    params.ra = false;
    uint8_t out[512];
    size_t n = render_stored(body, {info.ttl_offsets, info.ttl_count}, client, params, out, 512);
    BOOST_TEST_REQUIRE(n == body.size());
    BOOST_TEST(get16(out) == 0xabcd);
    uint16_t f = get16(out + 2);
    BOOST_TEST((f & flag::qr) != 0);
    BOOST_TEST((f & flag::aa) == 0);
    BOOST_TEST((f & flag::rd) == 0);
    BOOST_TEST((f & flag::ra) == 0);
    BOOST_TEST((f & flag::cd) != 0);
    Name q;
    BOOST_TEST_REQUIRE(q.assign_wire({out + 12, n - 12}));
    BOOST_TEST(q.to_text() == "WWW.Example.COM.");
    // The body itself is untouched.
    BOOST_TEST(body[12 + 1] == 'w');
}

BOOST_AUTO_TEST_CASE(render_keeps_stored_rcode) {
    ResponseInfo info;
    auto body = stored_body(negative(rcode::nxdomain, 60, 60), info);
    auto client = client_query("www.example.com", 1, flag::rd, false);
    uint8_t out[512];
    size_t n =
        render_stored(body, {info.ttl_offsets, info.ttl_count}, client, RenderParams{}, out, 512);
    BOOST_TEST_REQUIRE(n == body.size());
    BOOST_TEST((get16(out + 2) & 0x0F) == rcode::nxdomain);
    BOOST_TEST(get16(out + 8) == 1);
}

BOOST_AUTO_TEST_CASE(render_truncates_to_question_with_tc_when_over_limit) {
    ResponseInfo info;
    auto body = stored_body(answer({60, 60, 60, 60}), info);
    auto client = client_query("www.example.com", 5, flag::rd, true);
    RenderParams params;
    params.edns.present = true;
    uint8_t out[512];
    size_t limit = body.size() + 10;  // fits the body but not body + OPT
    size_t n = render_stored(body, {info.ttl_offsets, info.ttl_count}, client, params, out, limit);
    BOOST_TEST_REQUIRE(n == client.question_end + 11);  // header + question + OPT
    BOOST_TEST((get16(out + 2) & flag::tc) != 0);
    BOOST_TEST(get16(out + 4) == 1);
    BOOST_TEST(get16(out + 6) == 0);
    BOOST_TEST(get16(out + 8) == 0);
    BOOST_TEST(get16(out + 10) == 1);
    BOOST_TEST(get16(out + n - 11 + 1) == type::opt);
}

BOOST_AUTO_TEST_CASE(render_returns_zero_when_even_question_does_not_fit) {
    ResponseInfo info;
    auto body = stored_body(answer({60}), info);
    auto client = client_query("www.example.com", 5, flag::rd, false);
    uint8_t out[20];
    BOOST_TEST(render_stored(body, {info.ttl_offsets, info.ttl_count}, client, RenderParams{}, out,
                             512) == 0u);
}

BOOST_AUTO_TEST_CASE(render_refuses_body_for_another_question) {
    ResponseInfo info;
    auto body = stored_body(answer({60}), info);
    auto client = client_query("www.example.org", 5, flag::rd, false);
    uint8_t out[512];
    BOOST_TEST(render_stored(body, {info.ttl_offsets, info.ttl_count}, client, RenderParams{}, out,
                             512) == 0u);
    BOOST_TEST(render_stored({body.data(), 11}, {}, client, RenderParams{}, out, 512) == 0u);
}

BOOST_AUTO_TEST_CASE(render_ignores_ttl_offsets_outside_body) {
    ResponseInfo info;
    auto body = stored_body(answer({60}), info);
    auto client = client_query("www.example.com", 5, flag::rd, false);
    uint16_t bad[] = {0, 4, static_cast<uint16_t>(body.size() - 2), 60000};
    uint8_t out[512];
    size_t n = render_stored(body, bad, client, RenderParams{}, out, 512);
    BOOST_TEST_REQUIRE(n == body.size());
    BOOST_TEST(Bytes(out + 12, out + n) == Bytes(body.begin() + 12, body.end()));
}

BOOST_AUTO_TEST_CASE(render_keeps_ad_only_for_clients_that_asked) {
    ResponseInfo info;
    auto b = answer({60});
    b.get()[3] |= flag::ad;
    auto body = stored_body(b, info);
    uint8_t out[512];
    auto plain = client_query("www.example.com", 5, flag::rd, false);
    render_stored(body, {info.ttl_offsets, info.ttl_count}, plain, RenderParams{}, out, 512);
    BOOST_TEST((get16(out + 2) & flag::ad) == 0);
    auto asking = client_query("www.example.com", 5, flag::rd | flag::ad, false);
    render_stored(body, {info.ttl_offsets, info.ttl_count}, asking, RenderParams{}, out, 512);
    BOOST_TEST((get16(out + 2) & flag::ad) != 0);
}

BOOST_AUTO_TEST_SUITE_END()
