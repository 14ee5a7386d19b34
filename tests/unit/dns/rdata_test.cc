// Tests for src/dns/rdata.cc: presentation RDATA to uncompressed wire RDATA.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "dns/rdata.hh"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "dns/wire.hh"

namespace type = muster::dns::type;
using muster::dns::rdata_from_text;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes ok(uint16_t t, std::string_view text) {
    auto r = rdata_from_text(t, text);
    if (!r.ok())
        BOOST_FAIL("rdata_from_text failed: " << r.error().message);
    return *r;
}

std::string err(uint16_t t, std::string_view text) {
    auto r = rdata_from_text(t, text);
    if (r.ok())
        BOOST_FAIL("expected an error for " << text);
    return r.error().message;
}

// Wire name from dotted labels, without compression.
Bytes wire_name(std::initializer_list<std::string_view> labels) {
    Bytes out;
    for (auto l : labels) {
        out.push_back(static_cast<uint8_t>(l.size()));
        out.insert(out.end(), l.begin(), l.end());
    }
    out.push_back(0);
    return out;
}

Bytes cat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rdata_test)

BOOST_AUTO_TEST_CASE(a_is_four_octets) {
    BOOST_TEST(ok(type::a, "192.0.2.1") == (Bytes{192, 0, 2, 1}));
}

BOOST_AUTO_TEST_CASE(a_error_names_expected_form) {
    BOOST_TEST(err(type::a, "x") == "expected an IPv4 address like 192.0.2.1 (got \"x\")");
    BOOST_TEST(err(type::a, "2001:db8::1").find("IPv4") != std::string::npos);
    BOOST_TEST(err(type::a, "192.0.2.1 192.0.2.2").find("IPv4") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aaaa_is_sixteen_octets) {
    BOOST_TEST(ok(type::aaaa, "2001:db8::1") ==
               (Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
    BOOST_TEST(err(type::aaaa, "192.0.2.1").find("IPv6 address like 2001:db8::1") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(cname_ptr_ns_are_uncompressed_names) {
    Bytes want = wire_name({"target", "example"});
    BOOST_TEST(ok(type::cname, "target.example.") == want);
    BOOST_TEST(ok(type::ptr, "target.example.") == want);
    BOOST_TEST(ok(type::ns, "target.example.") == want);
}

BOOST_AUTO_TEST_CASE(relative_name_gets_trailing_dot) {
    BOOST_TEST(ok(type::cname, "target.example") == wire_name({"target", "example"}));
}

BOOST_AUTO_TEST_CASE(name_error_names_expected_form) {
    BOOST_TEST(err(type::cname, "a b").find("expected a domain name") != std::string::npos);
    BOOST_TEST(err(type::ptr, "a..b.").find("expected a domain name") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mx_is_preference_then_name) {
    BOOST_TEST(ok(type::mx, "10 mail.example.") == cat({0, 10}, wire_name({"mail", "example"})));
}

BOOST_AUTO_TEST_CASE(mx_rejects_out_of_range_or_swapped_fields) {
    BOOST_TEST(err(type::mx, "70000 mail.example.").find("PREFERENCE EXCHANGE") !=
               std::string::npos);
    BOOST_TEST(err(type::mx, "mail.example. 10").find("PREFERENCE EXCHANGE") != std::string::npos);
    BOOST_TEST(err(type::mx, "10").find("PREFERENCE EXCHANGE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(srv_is_priority_weight_port_target) {
    BOOST_TEST(ok(type::srv, "10 5 8080 host.example.") ==
               cat({0, 10, 0, 5, 0x1f, 0x90}, wire_name({"host", "example"})));
}

BOOST_AUTO_TEST_CASE(srv_rejects_bad_port) {
    auto e = err(type::srv, "10 5 x host.example.");
    BOOST_TEST(e.find("PRIORITY WEIGHT PORT TARGET") != std::string::npos);
    BOOST_TEST(e.find("got \"10 5 x host.example.\"") != std::string::npos);
    BOOST_TEST(!rdata_from_text(type::srv, "10 5 65536 host.").ok());
    BOOST_TEST(!rdata_from_text(type::srv, "10 5 80").ok());
}

BOOST_AUTO_TEST_CASE(txt_unquoted_is_one_character_string) {
    Bytes want = {9, 's', 'o', 'm', 'e', ' ', 't', 'e', 'x', 't'};
    BOOST_TEST(ok(type::txt, "some text") == want);
}

BOOST_AUTO_TEST_CASE(txt_quoted_strings_are_separate) {
    BOOST_TEST(ok(type::txt, "\"a\" \"b c\"") == (Bytes{1, 'a', 3, 'b', ' ', 'c'}));
}

BOOST_AUTO_TEST_CASE(txt_unquoted_keeps_quotes_and_backslashes_literally) {
    BOOST_TEST(ok(type::txt, "v=1 a\\b") == (Bytes{7, 'v', '=', '1', ' ', 'a', '\\', 'b'}));
}

BOOST_AUTO_TEST_CASE(txt_unquoted_over_255_octets_is_split) {
    auto r = ok(type::txt, std::string(300, 'x'));
    BOOST_TEST_REQUIRE(r.size() == 302u);
    BOOST_TEST(r[0] == 255);
    BOOST_TEST(r[256] == 45);
}

BOOST_AUTO_TEST_CASE(txt_rejects_unterminated_quote) {
    BOOST_TEST(err(type::txt, "\"open").find("character strings") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(soa_has_two_names_and_five_counters) {
    Bytes want = cat(wire_name({"ns", "example"}), wire_name({"hostmaster", "example"}));
    want = cat(
        want, {0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x02, 0x58, 0, 1, 0x51, 0x80, 0, 0, 0x01, 0x2c});
    BOOST_TEST(ok(type::soa, "ns.example. hostmaster.example. 1 3600 600 86400 300") == want);
}

BOOST_AUTO_TEST_CASE(soa_rejects_missing_fields) {
    BOOST_TEST(err(type::soa, "ns. host. 1 2 3").find("MNAME RNAME SERIAL") != std::string::npos);
    BOOST_TEST(!rdata_from_text(type::soa, "ns. host. x 3600 600 86400 300").ok());
}

BOOST_AUTO_TEST_CASE(empty_text_is_an_error) {
    BOOST_TEST(err(type::a, "   ").find("IPv4") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(meta_types_are_refused) {
    BOOST_TEST(!rdata_from_text(type::opt, "x").ok());
    BOOST_TEST(!rdata_from_text(type::any, "x").ok());
}

BOOST_AUTO_TEST_CASE(surrounding_whitespace_is_ignored) {
    BOOST_TEST(ok(type::a, "  192.0.2.7\t") == (Bytes{192, 0, 2, 7}));
}

BOOST_AUTO_TEST_SUITE_END()
