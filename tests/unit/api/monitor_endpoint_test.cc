// Tests for src/api/monitor_endpoint.cc: what GET /v1/agent/monitor asks for.
#include "api/monitor_endpoint.hh"

#include <boost/test/unit_test.hpp>

using namespace muster;

namespace {

http::Request monitor(std::vector<std::pair<std::string, std::string>> query) {
    http::Request r;
    r.path = "/v1/agent/monitor";
    r.query = std::move(query);
    return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(monitor_endpoint)

BOOST_AUTO_TEST_CASE(the_level_defaults_to_info_and_takes_consul_names) {
    auto r = api::parse_monitor_request(monitor({}));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST((r->level == log::Level::info));
    BOOST_TEST((r->format == log::TapFormat::text));
    r = api::parse_monitor_request(monitor({{"loglevel", "err"}}));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST((r->level == log::Level::error));
    r = api::parse_monitor_request(monitor({{"loglevel", "TRACE"}, {"logjson", ""}}));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST((r->level == log::Level::trace));
    BOOST_TEST((r->format == log::TapFormat::json));
}

BOOST_AUTO_TEST_CASE(an_unknown_level_is_refused_with_the_good_ones) {
    auto r = api::parse_monitor_request(monitor({{"loglevel", "loud"}}));
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("Unknown log level: loud") != std::string::npos);
    BOOST_TEST(r.error().message.find("debug") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
