// Tests for src/dns/hosts_file.cc: hosts(5) lines, comments, canonical names, warnings.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "dns/hosts_file.hh"

#include <arpa/inet.h>

#include <boost/test/unit_test.hpp>

using namespace muster::dns;

BOOST_AUTO_TEST_SUITE(hosts_file_test)

BOOST_AUTO_TEST_CASE(parses_ipv4_and_ipv6_lines) {
    auto r = parse_hosts("127.0.0.1 localhost\n::1 ip6-localhost ip6-loopback\n");
    BOOST_TEST(r.warnings.empty());
    BOOST_TEST_REQUIRE(r.entries.size() == 3u);
    BOOST_TEST(r.entries[0].addr.family() == AF_INET);
    BOOST_TEST(r.entries[0].addr.ip_string() == "127.0.0.1");
    BOOST_TEST(r.entries[0].addr.port() == 0);
    BOOST_TEST(r.entries[0].name.to_text() == "localhost.");
    BOOST_TEST(r.entries[1].addr.family() == AF_INET6);
    BOOST_TEST(r.entries[1].name.to_text() == "ip6-localhost.");
    BOOST_TEST(r.entries[2].name.to_text() == "ip6-loopback.");
}

BOOST_AUTO_TEST_CASE(first_name_on_a_line_is_canonical) {
    auto r = parse_hosts("10.0.0.1 web.lan web www\n10.0.0.2 db\n");
    BOOST_TEST_REQUIRE(r.entries.size() == 4u);
    BOOST_TEST(r.entries[0].canonical);
    BOOST_TEST(!r.entries[1].canonical);
    BOOST_TEST(!r.entries[2].canonical);
    BOOST_TEST(r.entries[3].canonical);
}

BOOST_AUTO_TEST_CASE(names_are_lowercased) {
    auto r = parse_hosts("10.0.0.1 Web.LAN.\n");
    BOOST_TEST_REQUIRE(r.entries.size() == 1u);
    BOOST_TEST(r.entries[0].name.to_text() == "web.lan.");
}

BOOST_AUTO_TEST_CASE(comments_and_blank_lines_are_ignored) {
    auto r = parse_hosts("# header\n\n   \t\n10.0.0.1 a # b c\n10.0.0.2 d#e\n#10.0.0.3 x\n");
    BOOST_TEST(r.warnings.empty());
    BOOST_TEST_REQUIRE(r.entries.size() == 2u);
    BOOST_TEST(r.entries[0].name.to_text() == "a.");
    BOOST_TEST(r.entries[1].name.to_text() == "d.");
}

BOOST_AUTO_TEST_CASE(crlf_and_tabs_are_whitespace) {
    auto r = parse_hosts("10.0.0.1\tmail\t smtp\r\n");
    BOOST_TEST(r.warnings.empty());
    BOOST_TEST_REQUIRE(r.entries.size() == 2u);
    BOOST_TEST(r.entries[1].name.to_text() == "smtp.");
}

BOOST_AUTO_TEST_CASE(bad_address_skips_line_with_warning) {
    auto r = parse_hosts("10.0.0.1 ok\n300.1.1.1 bad\nfe80::1%eth0 scoped\n10.0.0.2 fine\n");
    BOOST_TEST_REQUIRE(r.entries.size() == 2u);
    BOOST_TEST_REQUIRE(r.warnings.size() == 2u);
    BOOST_TEST(r.warnings[0].rfind("line 2: bad address \"300.1.1.1\"", 0) == 0);
    BOOST_TEST(r.warnings[1].rfind("line 3: ", 0) == 0);
}

BOOST_AUTO_TEST_CASE(bad_name_skips_whole_line_with_warning) {
    std::string longlabel(64, 'a');
    auto r = parse_hosts("10.0.0.1 good " + longlabel + "\n10.0.0.2 a..b\n10.0.0.3 x\\y\n");
    BOOST_TEST(r.entries.empty());
    BOOST_TEST_REQUIRE(r.warnings.size() == 3u);
    BOOST_TEST(r.warnings[0].rfind("line 1: bad name", 0) == 0);
    BOOST_TEST(r.warnings[1].rfind("line 2: bad name", 0) == 0);
    BOOST_TEST(r.warnings[2].rfind("line 3: bad name", 0) == 0);
}

BOOST_AUTO_TEST_CASE(address_without_name_is_warned) {
    auto r = parse_hosts("10.0.0.1\n10.0.0.2   # only a comment\n");
    BOOST_TEST(r.entries.empty());
    BOOST_TEST_REQUIRE(r.warnings.size() == 2u);
    BOOST_TEST(r.warnings[0].find("no host name") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(root_name_is_refused) {
    auto r = parse_hosts("10.0.0.1 .\n");
    BOOST_TEST(r.entries.empty());
    BOOST_TEST(r.warnings.size() == 1u);
}

BOOST_AUTO_TEST_CASE(last_line_without_newline_is_parsed) {
    auto r = parse_hosts("10.0.0.1 a\n10.0.0.2 b");
    BOOST_TEST(r.entries.size() == 2u);
}

BOOST_AUTO_TEST_CASE(empty_input_gives_nothing) {
    auto r = parse_hosts("");
    BOOST_TEST(r.entries.empty());
    BOOST_TEST(r.warnings.empty());
}

BOOST_AUTO_TEST_SUITE_END()
