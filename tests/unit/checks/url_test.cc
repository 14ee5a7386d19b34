// Tests for src/checks/internal/url.cc: check URLs, Location resolution, host:port.
#include "checks/internal/url.hh"

#include <boost/test/unit_test.hpp>

using namespace muster::checks::internal;

namespace {

std::string resolved(const std::string& base, const std::string& ref) {
    auto b = parse_url(base);
    BOOST_REQUIRE(b);
    auto r = resolve_reference(*b, ref);
    return r ? r->to_string() : "error: " + r.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(url)

BOOST_AUTO_TEST_CASE(parses_host_port_path_and_query) {
    auto u = parse_url("HTTP://Example.COM:8080/a/b?x=1#frag");
    BOOST_REQUIRE(u);
    BOOST_TEST((u->scheme == Scheme::http));
    BOOST_TEST(u->host == "example.com");
    BOOST_TEST(u->port == 8080);
    BOOST_TEST(u->target == "/a/b?x=1");
    BOOST_TEST(u->authority() == "example.com:8080");
}

BOOST_AUTO_TEST_CASE(defaults_the_port_and_path) {
    auto u = parse_url("https://10.0.0.1");
    BOOST_REQUIRE(u);
    BOOST_TEST(u->port == 443);
    BOOST_TEST(u->target == "/");
    BOOST_TEST(u->authority() == "10.0.0.1");
    auto q = parse_url("http://h?x");
    BOOST_REQUIRE(q);
    BOOST_TEST(q->target == "/?x");
}

BOOST_AUTO_TEST_CASE(ipv6_literals_need_brackets) {
    auto u = parse_url("http://[::1]:8500/v1");
    BOOST_REQUIRE(u);
    BOOST_TEST(u->host == "::1");
    BOOST_TEST(u->authority() == "[::1]:8500");
    BOOST_TEST(!parse_url("http://::1:8500/"));
    BOOST_TEST(!parse_url("http://[::1/"));
    BOOST_TEST(!parse_url("http://[nothex]/"));
}

BOOST_AUTO_TEST_CASE(spaces_are_encoded_and_controls_refused) {
    auto u = parse_url("http://h/a b?c d");
    BOOST_REQUIRE(u);
    BOOST_TEST(u->target == "/a%20b?c%20d");
    BOOST_TEST(!parse_url("http://h/a\r\nX: y"));
}

BOOST_AUTO_TEST_CASE(refuses_what_a_check_cannot_use) {
    BOOST_TEST(parse_url("ftp://h/").error().message ==
               "expected an http:// or https:// URL (got \"ftp://h/\")");
    BOOST_TEST(!parse_url("h:80/"));
    BOOST_TEST(!parse_url("http:///path"));
    BOOST_TEST(!parse_url("http://user:pw@h/"));
    BOOST_TEST(!parse_url("http://h:0/"));
    BOOST_TEST(!parse_url("http://h:65536/"));
    BOOST_TEST(!parse_url("http://h:8o/"));
    BOOST_TEST(!parse_url("http://bad_host!/"));
    BOOST_TEST(!parse_url("http://a..b/"));
    BOOST_TEST(!parse_url("http://a../"));
}

BOOST_AUTO_TEST_CASE(location_references_resolve_as_rfc_3986_section_5_4) {
    std::string base = "http://a/b/c/d;p?q";
    BOOST_TEST(resolved(base, "g") == "http://a/b/c/g");
    BOOST_TEST(resolved(base, "./g") == "http://a/b/c/g");
    BOOST_TEST(resolved(base, "g/") == "http://a/b/c/g/");
    BOOST_TEST(resolved(base, "/g") == "http://a/g");
    BOOST_TEST(resolved(base, "//g") == "http://g/");
    BOOST_TEST(resolved(base, "?y") == "http://a/b/c/d;p?y");
    BOOST_TEST(resolved(base, "g?y") == "http://a/b/c/g?y");
    BOOST_TEST(resolved(base, "#s") == "http://a/b/c/d;p?q");
    BOOST_TEST(resolved(base, "") == "http://a/b/c/d;p?q");
    BOOST_TEST(resolved(base, "..") == "http://a/b/");
    BOOST_TEST(resolved(base, "../g") == "http://a/b/g");
    BOOST_TEST(resolved(base, "../../../g") == "http://a/g");
    BOOST_TEST(resolved(base, "/./g") == "http://a/g");
    BOOST_TEST(resolved(base, "g/../h") == "http://a/b/c/h");
    BOOST_TEST(resolved(base, "https://other:8443/x") == "https://other:8443/x");
    BOOST_TEST(resolved(base, "mailto:x@y").starts_with("error: "));
}

BOOST_AUTO_TEST_CASE(host_port_needs_a_port) {
    auto hp = parse_host_port("DB.internal:5432");
    BOOST_REQUIRE(hp);
    BOOST_TEST(hp->host == "db.internal");
    BOOST_TEST(hp->port == 5432);
    auto v6 = parse_host_port("[fe80::1]:22");
    BOOST_REQUIRE(v6);
    BOOST_TEST(v6->host == "fe80::1");
    BOOST_TEST(parse_host_port("db").error().message == "expected host:port (got \"db\")");
    BOOST_TEST(!parse_host_port("db:"));
    BOOST_TEST(!parse_host_port(":80"));
    BOOST_TEST(!parse_host_port("[::1]"));
    BOOST_TEST(!parse_host_port("::1:80"));
}

BOOST_AUTO_TEST_SUITE_END()
