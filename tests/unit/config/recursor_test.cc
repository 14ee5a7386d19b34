// Tests for src/config/recursor.cc: recursor URI forms.
#include <boost/test/unit_test.hpp>

#include "config/settings.hh"

using muster::config::parse_recursor;
using muster::config::Transport;

BOOST_AUTO_TEST_SUITE(recursor)

BOOST_AUTO_TEST_CASE(tls_uri_carries_port_and_auth_name) {
    auto r = parse_recursor("tls://1.1.1.1:8853#cloudflare-dns.com");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST((r->transport == Transport::tls));
    BOOST_TEST(r->addr.to_string() == "1.1.1.1:8853");
    BOOST_TEST(r->tls_name == "cloudflare-dns.com");
    BOOST_TEST(r->text == "tls://1.1.1.1:8853#cloudflare-dns.com");
}

BOOST_AUTO_TEST_CASE(tls_defaults_to_port_853_and_drops_trailing_dot_of_name) {
    auto r = parse_recursor("tls://9.9.9.9#dns.quad9.net.");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->addr.port() == 853);
    BOOST_TEST(r->tls_name == "dns.quad9.net");
}

BOOST_AUTO_TEST_CASE(tls_without_auth_name_is_rejected) {
    for (const char* bad : {"tls://1.1.1.1", "tls://1.1.1.1:853", "tls://1.1.1.1#"}) {
        auto r = parse_recursor(bad);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_REQUIRE(!r.ok());
            BOOST_TEST(r.error().message.find("auth-name") != std::string::npos);
            BOOST_TEST(r.error().message.find(std::string("(got \"") + bad + "\")") !=
                       std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(tcp_and_udp_default_to_port_53) {
    auto tcp = parse_recursor("tcp://10.0.0.2");
    BOOST_REQUIRE(tcp.ok());
    BOOST_TEST((tcp->transport == Transport::tcp));
    BOOST_TEST(tcp->addr.to_string() == "10.0.0.2:53");
    auto udp = parse_recursor("udp://10.0.0.2:5353");
    BOOST_REQUIRE(udp.ok());
    BOOST_TEST((udp->transport == Transport::udp));
    BOOST_TEST(udp->addr.to_string() == "10.0.0.2:5353");
}

BOOST_AUTO_TEST_CASE(bare_ip_and_ip_port_mean_udp) {
    auto a = parse_recursor("10.0.0.3");
    BOOST_REQUIRE(a.ok());
    BOOST_TEST((a->transport == Transport::udp));
    BOOST_TEST(a->addr.to_string() == "10.0.0.3:53");
    auto b = parse_recursor("10.0.0.3:1053");
    BOOST_REQUIRE(b.ok());
    BOOST_TEST(b->addr.to_string() == "10.0.0.3:1053");
}

BOOST_AUTO_TEST_CASE(ipv6_addresses_use_brackets_with_a_port) {
    auto a = parse_recursor("[::1]:53");
    BOOST_REQUIRE(a.ok());
    BOOST_TEST(a->addr.to_string() == "[::1]:53");
    auto b = parse_recursor("tls://[2606:4700:4700::1111]#one.one.one.one");
    BOOST_REQUIRE(b.ok());
    BOOST_TEST(b->addr.to_string() == "[2606:4700:4700::1111]:853");
    auto c = parse_recursor("2001:db8::53");
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->addr.to_string() == "[2001:db8::53]:53");
}

BOOST_AUTO_TEST_CASE(malformed_uris_are_rejected) {
    for (const char* bad : {"", "https://1.1.1.1", "dns.google", "tls://dns.google#dns.google",
                            "udp://1.1.1.1#name", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:x",
                            "[::1", "udp://", "tls://1.1.1.1#bad..name", "1.2.3.4.5"}) {
        BOOST_TEST_CONTEXT(bad) {
            auto r = parse_recursor(bad);
            BOOST_REQUIRE(!r.ok());
            BOOST_TEST(r.error().message.starts_with("expected "));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
