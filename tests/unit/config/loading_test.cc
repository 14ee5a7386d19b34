// Tests for src/config/internal/loading.cc: value rendering and typed setters.
#include <boost/test/unit_test.hpp>

#include <string>

#include "config/internal/loading.hh"

using namespace muster::config::internal;

namespace {

Loading at(const char* key) {
    Loading c;
    c.file = "f.json";
    c.key = key;
    return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(loading)

BOOST_AUTO_TEST_CASE(describe_quotes_strings_and_summarises_containers) {
    BOOST_TEST(describe(Json("big")) == R"("big")");
    BOOST_TEST(describe(Json(42)) == "42");
    BOOST_TEST(describe(Json(-1)) == "-1");
    BOOST_TEST(describe(Json(true)) == "true");
    BOOST_TEST(describe(Json(nullptr)) == "null");
    BOOST_TEST(describe(Json::array()) == "[]");
    BOOST_TEST(describe(Json::array({1, 2})) == "a list");
    BOOST_TEST(describe(Json::object()) == "{}");
    BOOST_TEST(describe(Json{{"a", 1}}) == "an object");
}

BOOST_AUTO_TEST_CASE(describe_shortens_long_values_and_survives_bad_utf8) {
    std::string shown = describe(Json(std::string(500, 'x')));
    BOOST_TEST(shown.size() < 80u);
    BOOST_TEST(shown.ends_with("..."));
    BOOST_TEST(!describe(Json(std::string("\xff\xfe"))).empty());
}

BOOST_AUTO_TEST_CASE(expected_formats_file_key_what_and_value) {
    Loading c = at("dns_config.cache.size");
    c.expected("a positive integer", Json("big"));
    BOOST_REQUIRE(c.errors.size() == 1u);
    BOOST_TEST(c.errors[0] ==
               R"(f.json: dns_config.cache.size: expected a positive integer (got "big"))");
}

BOOST_AUTO_TEST_CASE(unreadable_path_is_an_error_with_the_reason) {
    Loading c = at("tls.ca_file");
    std::string out = "unchanged";
    set_path(Json("/nonexistent/ca.pem"), c, out);
    BOOST_REQUIRE(c.errors.size() == 1u);
    BOOST_TEST(
        c.errors[0] ==
        R"(f.json: tls.ca_file: expected a readable file (got "/nonexistent/ca.pem": No such file or directory))");
    BOOST_TEST(out == "unchanged");
    set_path(Json("/etc/hosts"), c, out);
    BOOST_TEST(c.errors.size() == 1u);
    BOOST_TEST(out == "/etc/hosts");
}

BOOST_AUTO_TEST_CASE(uint_range_decides_the_message) {
    Loading c = at("k");
    uint64_t x = 7;
    BOOST_TEST(!get_uint(Json(5), c, 10, 20, x));
    BOOST_TEST(get_uint(Json(15), c, 10, 20, x));
    BOOST_TEST(x == 15u);
    BOOST_TEST(!get_uint(Json("15"), c, 0, UINT64_MAX, x));
    BOOST_REQUIRE(c.errors.size() == 2u);
    BOOST_TEST(c.errors[0] == "f.json: k: expected an integer from 10 to 20 (got 5)");
    BOOST_TEST(c.errors[1] == R"(f.json: k: expected a non-negative integer (got "15"))");
}

BOOST_AUTO_TEST_CASE(ttl_is_limited_to_31_bits) {
    Loading c = at("dns_config.local_ttl");
    uint32_t ttl = 0;
    set_ttl(Json(2147483647u), c, ttl);
    BOOST_TEST(ttl == 2147483647u);
    set_ttl(Json(2147483648u), c, ttl);
    BOOST_TEST(c.errors.size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_cidr_keeps_previous_list_and_names_the_element) {
    Loading c = at("dns_config.allow_recursion");
    std::vector<muster::Cidr> out;
    set_cidrs(Json::array({"10.0.0.0/8", "10.0.0.0/33", 5}), c, out);
    BOOST_TEST(out.empty());
    BOOST_REQUIRE(c.errors.size() == 2u);
    BOOST_TEST(c.errors[0].starts_with(
        R"(f.json: dns_config.allow_recursion[1]: expected a CIDR prefix like "10.0.0.0/8" or "::1/128" (got "10.0.0.0/33"))"));
    BOOST_TEST(c.errors[1].starts_with("f.json: dns_config.allow_recursion[2]: "));
    BOOST_TEST(c.key == "dns_config.allow_recursion");  // restored after the elements
}

BOOST_AUTO_TEST_SUITE_END()
