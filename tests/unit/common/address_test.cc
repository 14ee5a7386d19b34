// Tests for src/common/address.cc: SockAddr parsing/formatting and Cidr matching.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "common/address.hh"

#include <boost/test/unit_test.hpp>

using muster::Cidr;
using muster::SockAddr;

namespace {

SockAddr addr(std::string_view text, uint16_t port = 0) {
    auto r = SockAddr::parse(text, port);
    if (!r.ok())
        BOOST_FAIL("parse failed for " << text << ": " << r.error().message);
    return *r;
}

Cidr cidr(std::string_view text) {
    auto r = Cidr::parse(text);
    if (!r.ok())
        BOOST_FAIL("Cidr::parse failed for " << text << ": " << r.error().message);
    return *r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(address_test)

BOOST_AUTO_TEST_CASE(parse_ipv4_without_port_uses_default) {
    auto a = addr("192.0.2.1", 53);
    BOOST_TEST(a.family() == AF_INET);
    BOOST_TEST(a.port() == 53);
    BOOST_TEST(a.to_string() == "192.0.2.1:53");
}

BOOST_AUTO_TEST_CASE(parse_ipv4_with_port) {
    auto a = addr("192.0.2.1:8600", 53);
    BOOST_TEST(a.port() == 8600);
    BOOST_TEST(a.ip_string() == "192.0.2.1");
}

BOOST_AUTO_TEST_CASE(parse_bare_ipv6_uses_default_port) {
    auto a = addr("2001:db8::1", 853);
    BOOST_TEST(a.family() == AF_INET6);
    BOOST_TEST(a.port() == 853);
    BOOST_TEST(a.to_string() == "[2001:db8::1]:853");
}

BOOST_AUTO_TEST_CASE(parse_bracketed_ipv6_with_and_without_port) {
    BOOST_TEST(addr("[::1]:5353", 53).port() == 5353);
    auto a = addr("[::1]", 53);
    BOOST_TEST(a.port() == 53);
    BOOST_TEST(a.is_loopback());
}

BOOST_AUTO_TEST_CASE(parse_rejects_bad_input_with_message) {
    for (const char* bad : {"", "x", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:53x",
                            "[::1", "[::1]53", "[::1]:x", "300.1.1.1", "1.2.3"}) {
        auto r = SockAddr::parse(bad, 53);
        BOOST_TEST(!r.ok(), bad);
        if (!r.ok())
            BOOST_TEST(!r.error().message.empty());
    }
}

BOOST_AUTO_TEST_CASE(parse_ip_refuses_port) {
    BOOST_TEST(!SockAddr::parse_ip("1.2.3.4:53", 0).ok());
    BOOST_TEST(SockAddr::parse_ip("1.2.3.4", 7)->port() == 7);
}

BOOST_AUTO_TEST_CASE(loopback_and_unspecified) {
    BOOST_TEST(addr("127.3.2.1").is_loopback());
    BOOST_TEST(!addr("128.0.0.1").is_loopback());
    BOOST_TEST(addr("0.0.0.0").is_unspecified());
    BOOST_TEST(addr("::").is_unspecified());
    BOOST_TEST(!addr("::1").is_unspecified());
}

BOOST_AUTO_TEST_CASE(equality_and_same_ip) {
    BOOST_TEST((addr("10.0.0.1:53") == addr("10.0.0.1", 53)));
    BOOST_TEST(!(addr("10.0.0.1:53") == addr("10.0.0.1:54")));
    BOOST_TEST(addr("10.0.0.1:53").same_ip(addr("10.0.0.1:54")));
    BOOST_TEST(!addr("10.0.0.1").same_ip(addr("::ffff:10.0.0.1")));
}

BOOST_AUTO_TEST_CASE(set_port_changes_port) {
    auto a = addr("::1", 1);
    a.set_port(8600);
    BOOST_TEST(a.port() == 8600);
}

BOOST_AUTO_TEST_CASE(cidr_v4_contains) {
    auto c = cidr("10.0.0.0/8");
    BOOST_TEST(c.contains(addr("10.255.1.2")));
    BOOST_TEST(!c.contains(addr("11.0.0.1")));
    BOOST_TEST(!c.contains(addr("::1")));
    BOOST_TEST(c.to_string() == "10.0.0.0/8");
}

BOOST_AUTO_TEST_CASE(cidr_v4_partial_octet_prefix) {
    auto c = cidr("192.168.1.128/25");
    BOOST_TEST(c.contains(addr("192.168.1.200")));
    BOOST_TEST(!c.contains(addr("192.168.1.127")));
}

BOOST_AUTO_TEST_CASE(cidr_without_prefix_is_host_route) {
    auto c = cidr("127.0.0.1");
    BOOST_TEST(c.contains(addr("127.0.0.1")));
    BOOST_TEST(!c.contains(addr("127.0.0.2")));
    BOOST_TEST(c.to_string() == "127.0.0.1/32");
    BOOST_TEST(cidr("::1").contains(addr("::1")));
    BOOST_TEST(!cidr("::1").contains(addr("::2")));
}

BOOST_AUTO_TEST_CASE(cidr_v6_contains) {
    auto c = cidr("2001:db8::/32");
    BOOST_TEST(c.contains(addr("2001:db8:1::5")));
    BOOST_TEST(!c.contains(addr("2001:db9::1")));
    BOOST_TEST(!c.contains(addr("10.0.0.1")));
}

BOOST_AUTO_TEST_CASE(cidr_v4_matches_v4_mapped_v6_source) {
    auto c = cidr("127.0.0.0/8");
    BOOST_TEST(c.contains(addr("::ffff:127.0.0.1")));
    BOOST_TEST(!c.contains(addr("::ffff:128.0.0.1")));
    BOOST_TEST(!c.contains(addr("::127.0.0.1")));  // v4-compatible, not mapped
}

BOOST_AUTO_TEST_CASE(cidr_prefix_zero_matches_whole_family) {
    BOOST_TEST(cidr("0.0.0.0/0").contains(addr("203.0.113.9")));
    BOOST_TEST(cidr("0.0.0.0/0").contains(addr("::ffff:1.2.3.4")));
    BOOST_TEST(cidr("::/0").contains(addr("2001:db8::1")));
    BOOST_TEST(!cidr("::/0").contains(addr("1.2.3.4")));
}

BOOST_AUTO_TEST_CASE(cidr_rejects_bad_prefix) {
    for (const char* bad :
         {"10.0.0.0/33", "::/129", "10.0.0.0/x", "10.0.0.0/", "10.0.0/8", "host/8"})
        BOOST_TEST(!Cidr::parse(bad).ok(), bad);
}

BOOST_AUTO_TEST_CASE(cidr_rejects_negative_prefix) {
    BOOST_TEST(!Cidr::parse("10.0.0.0/-1").ok());
}

BOOST_AUTO_TEST_SUITE_END()
