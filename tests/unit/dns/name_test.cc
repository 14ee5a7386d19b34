// Tests for src/dns/name.cc: text and wire conversion, decompression, comparisons.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "dns/name.hh"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using muster::dns::Name;

namespace {

Name name(std::string_view text) {
    auto r = Name::from_text(text);
    if (!r.ok())
        BOOST_FAIL("from_text failed for " << text << ": " << r.error().message);
    return *r;
}

std::vector<uint8_t> bytes(const Name& n) {
    return {n.wire().begin(), n.wire().end()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(name_test)

BOOST_AUTO_TEST_CASE(default_name_is_root) {
    Name n;
    BOOST_TEST(n.size() == 1u);
    BOOST_TEST(n.data()[0] == 0);
    BOOST_TEST(n.label_count() == 0);
    BOOST_TEST(n.to_text() == ".");
}

BOOST_AUTO_TEST_CASE(from_text_builds_wire_form_with_and_without_trailing_dot) {
    std::vector<uint8_t> want = {3,   'w', 'w', 'w', 7,   'E', 'x', 'a', 'm',
                                 'p', 'l', 'e', 3,   'c', 'o', 'm', 0};
    BOOST_TEST(bytes(name("www.Example.com")) == want);
    BOOST_TEST(bytes(name("www.Example.com.")) == want);
    BOOST_TEST(name("www.Example.com").label_count() == 3);
}

BOOST_AUTO_TEST_CASE(from_text_root_is_single_zero_octet) {
    BOOST_TEST(bytes(name(".")) == std::vector<uint8_t>{0});
}

BOOST_AUTO_TEST_CASE(from_text_rejects_empty_label) {
    for (const char* bad : {"a..b", ".a", "..", "a.b.."}) {
        auto r = Name::from_text(bad);
        BOOST_TEST_REQUIRE(!r.ok(), bad);
        BOOST_TEST(r.error().message.find("empty label") != std::string::npos, bad);
    }
}

BOOST_AUTO_TEST_CASE(from_text_rejects_empty_string) {
    BOOST_TEST(!Name::from_text("").ok());
}

BOOST_AUTO_TEST_CASE(from_text_rejects_label_over_63_octets) {
    BOOST_TEST(Name::from_text(std::string(63, 'a') + ".com").ok());
    auto r = Name::from_text(std::string(64, 'a') + ".com");
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("63") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(from_text_accepts_255_octets_and_rejects_256) {
    // 4 labels of 63 = 256 octets with length bytes, plus root = 257: too long.
    std::string l63(63, 'a');
    BOOST_TEST(!Name::from_text(l63 + "." + l63 + "." + l63 + "." + l63).ok());
    // 3*64 + 62 (61-octet label + length) + root = 255.
    std::string ok = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
    auto r = Name::from_text(ok);
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST(r->size() == 255u);
    auto too_long = Name::from_text(ok + "c");
    BOOST_TEST_REQUIRE(!too_long.ok());
    BOOST_TEST(too_long.error().message.find("255") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(from_text_decodes_escapes) {
    auto n = name("a\\.b.\\065c");
    BOOST_TEST(n.label_count() == 2);
    BOOST_TEST(n.label(0) == "a.b");
    BOOST_TEST(n.label(1) == "Ac");
    BOOST_TEST(n.to_text() == "a\\.b.Ac.");
    BOOST_TEST(!Name::from_text("a\\2").ok());
    BOOST_TEST(!Name::from_text("a\\256").ok());
    BOOST_TEST(!Name::from_text("a\\").ok());
}

BOOST_AUTO_TEST_CASE(to_text_escapes_unprintable_octets) {
    Name n;
    const uint8_t w[] = {2, 0x01, ' ', 0};
    BOOST_TEST_REQUIRE(n.assign_wire(w));
    BOOST_TEST(n.to_text() == "\\001\\032.");
}

BOOST_AUTO_TEST_CASE(to_text_round_trips) {
    for (const char* t : {"www.example.com.", "_http._tcp.svc.internal.", "."})
        BOOST_TEST(name(t).to_text() == t);
}

BOOST_AUTO_TEST_CASE(assign_wire_rejects_pointers_and_truncation) {
    Name n;
    const uint8_t ptr[] = {1, 'a', 0xC0, 0x0C};
    BOOST_TEST(!n.assign_wire(ptr));
    const uint8_t trunc[] = {3, 'a', 'b'};
    BOOST_TEST(!n.assign_wire(trunc));
    const uint8_t no_root[] = {1, 'a'};
    BOOST_TEST(!n.assign_wire(no_root));
    BOOST_TEST(!n.assign_wire({}));
    const uint8_t ok[] = {1, 'a', 0, 0xff};
    BOOST_TEST(n.assign_wire(ok));
    BOOST_TEST(n.size() == 3u);
}

BOOST_AUTO_TEST_CASE(assign_wire_rejects_name_over_255_octets) {
    std::vector<uint8_t> w;
    for (int i = 0; i < 5; ++i) {
        w.push_back(63);
        w.insert(w.end(), 63, 'x');
    }
    w.push_back(0);
    Name n;
    BOOST_TEST(!n.assign_wire(w));
}

BOOST_AUTO_TEST_CASE(assign_message_follows_backward_pointer) {
    // "example.com" at 0, then "www" + pointer to 0 at 13.
    const uint8_t msg[] = {7,   'e', 'x', 'a', 'm', 'p', 'l', 'e',  3,    'c',
                           'o', 'm', 0,   3,   'w', 'w', 'w', 0xC0, 0x00, 0xAA};
    Name n;
    size_t end = 0;
    BOOST_TEST_REQUIRE(n.assign_message(msg, 13, &end));
    BOOST_TEST(n.to_text() == "www.example.com.");
    BOOST_TEST(end == 19u);
    BOOST_TEST_REQUIRE(n.assign_message(msg, 0, &end));
    BOOST_TEST(end == 13u);
}

BOOST_AUTO_TEST_CASE(assign_message_rejects_pointer_to_itself) {
    const uint8_t msg[] = {0, 0, 0xC0, 0x02};
    Name n;
    size_t end = 0;
    BOOST_TEST(!n.assign_message(msg, 2, &end));
}

BOOST_AUTO_TEST_CASE(assign_message_rejects_forward_pointer) {
    const uint8_t msg[] = {0xC0, 0x02, 1, 'a', 0};
    Name n;
    size_t end = 0;
    BOOST_TEST(!n.assign_message(msg, 0, &end));
}

BOOST_AUTO_TEST_CASE(assign_message_rejects_compression_loop) {
    // At 0: label "a" then pointer to 4; at 4: label "b" then pointer to 0. Entering at 4 jumps
    // back to 0, whose pointer goes forward again to 4: a loop that must not spin.
    const uint8_t msg[] = {1, 'a', 0xC0, 0x04, 1, 'b', 0xC0, 0x00};
    Name n;
    size_t end = 0;
    BOOST_TEST(!n.assign_message(msg, 4, &end));
    BOOST_TEST(!n.assign_message(msg, 0, &end));
}

BOOST_AUTO_TEST_CASE(assign_message_rejects_pointer_out_of_range) {
    const uint8_t msg[] = {1, 'a', 0, 0xC0, 0x40};
    Name n;
    size_t end = 0;
    BOOST_TEST(!n.assign_message(msg, 3, &end));
    const uint8_t half[] = {1, 'a', 0, 0xC0};
    BOOST_TEST(!n.assign_message(half, 3, &end));
    BOOST_TEST(!n.assign_message(msg, 99, &end));
}

BOOST_AUTO_TEST_CASE(assign_message_rejects_reserved_label_types) {
    const uint8_t msg[] = {0x41, 'a', 0};
    Name n;
    size_t end = 0;
    BOOST_TEST(!n.assign_message(msg, 0, &end));
}

BOOST_AUTO_TEST_CASE(assign_message_rejects_overlong_decompressed_name) {
    // A 63-octet label repeated through pointers that each add one more label.
    std::vector<uint8_t> msg;
    msg.push_back(63);
    msg.insert(msg.end(), 63, 'x');
    msg.push_back(0);
    size_t prev = 0;
    for (int i = 0; i < 4; ++i) {
        size_t here = msg.size();
        msg.push_back(63);
        msg.insert(msg.end(), 63, 'y');
        msg.push_back(static_cast<uint8_t>(0xC0 | prev >> 8));
        msg.push_back(static_cast<uint8_t>(prev));
        prev = here;
    }
    Name n;
    size_t end = 0;
    BOOST_TEST(!n.assign_message(msg, prev, &end));
}

BOOST_AUTO_TEST_CASE(equals_ignores_case_but_operator_eq_does_not) {
    BOOST_TEST(name("WWW.example.COM").equals(name("www.EXAMPLE.com.")));
    BOOST_CHECK(!(name("WWW.example.COM") == name("www.example.com")));
    BOOST_CHECK(name("www.example.com") == name("www.example.com."));
    BOOST_TEST(!name("www.example.com").equals(name("ww.example.com")));
}

BOOST_AUTO_TEST_CASE(lowercase_changes_only_ascii_letters) {
    auto n = name("WwW.Ex\\200.COM");
    n.lowercase();
    BOOST_TEST(n.to_text() == "www.ex\\200.com.");
}

BOOST_AUTO_TEST_CASE(is_subdomain_of_matches_label_boundaries) {
    auto zone = name("Internal.");
    BOOST_TEST(name("web.service.internal").is_subdomain_of(zone));
    BOOST_TEST(name("internal").is_subdomain_of(zone));
    BOOST_TEST(!name("xinternal").is_subdomain_of(zone));
    BOOST_TEST(!name("internal.com").is_subdomain_of(zone));
    BOOST_TEST(name("anything").is_subdomain_of(Name{}));
    BOOST_TEST(!Name{}.is_subdomain_of(zone));
}

BOOST_AUTO_TEST_CASE(parent_drops_leftmost_labels) {
    auto n = name("a.b.c.d");
    BOOST_TEST(n.parent().to_text() == "b.c.d.");
    BOOST_TEST(n.parent(3).to_text() == "d.");
    BOOST_TEST(n.parent(4).to_text() == ".");
    BOOST_TEST(n.parent(9).to_text() == ".");
}

BOOST_AUTO_TEST_CASE(suffix_offset_and_label_index_labels) {
    auto n = name("ab.c.def");
    BOOST_TEST(n.suffix_offset(3) == 0u);
    BOOST_TEST(n.suffix_offset(2) == 3u);
    BOOST_TEST(n.suffix_offset(1) == 5u);
    BOOST_TEST(n.suffix_offset(0) == 9u);
    BOOST_TEST(n.label(0) == "ab");
    BOOST_TEST(n.label(2) == "def");
    BOOST_TEST(n.label(3).empty());
    BOOST_TEST(n.label(7).empty());
}

BOOST_AUTO_TEST_SUITE_END()
