// Tests for src/config/internal/duration.cc: Go/Consul duration strings.
#include <boost/test/unit_test.hpp>

#include "config/internal/duration.hh"

using namespace std::chrono_literals;
using muster::config::internal::parse_duration;

BOOST_AUTO_TEST_SUITE(duration)

BOOST_AUTO_TEST_CASE(single_units_parse_to_their_length) {
    BOOST_TEST(parse_duration("500ms").value() == 500ms);
    BOOST_TEST(parse_duration("10s").value() == 10s);
    BOOST_TEST(parse_duration("5m").value() == 5min);
    BOOST_TEST(parse_duration("1h").value() == 1h);
    BOOST_TEST(parse_duration("250us").value() == 250us);
    BOOST_TEST(parse_duration("7ns").value() == 7ns);
    BOOST_TEST(parse_duration("0").value() == 0ns);
    BOOST_TEST(parse_duration("0s").value() == 0ns);
}

BOOST_AUTO_TEST_CASE(combinations_and_fractions_add_up) {
    BOOST_TEST(parse_duration("1m30s").value() == 90s);
    BOOST_TEST(parse_duration("2h45m10s").value() == 2h + 45min + 10s);
    BOOST_TEST(parse_duration("1.5s").value() == 1500ms);
    BOOST_TEST(parse_duration("0.25h").value() == 15min);
    BOOST_TEST(parse_duration("1s500ms").value() == 1500ms);
}

BOOST_AUTO_TEST_CASE(micro_is_spelled_as_in_check_definitions) {
    // One parser for config, check definitions and query parameters: what a check takes, a
    // config duration such as dns_config.recursor_timeout takes too.
    BOOST_TEST(parse_duration("500\xce\xbcs").value() == 500us);
    BOOST_TEST(parse_duration("500\xc2\xb5s").value() == 500us);
}

BOOST_AUTO_TEST_CASE(garbage_negative_and_unitless_are_rejected) {
    for (const char* bad : {"", "-1s", "10", "s", "1x", "1m30", "abc", " 1s", "1s ", "1.s.", ".s",
                            "1 s", "+1s", "1S", "1sec"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!parse_duration(bad).ok());
        }
    }
}

BOOST_AUTO_TEST_CASE(overflow_is_rejected_not_wrapped) {
    BOOST_TEST(!parse_duration("99999999999999999999999h").ok());
    BOOST_TEST(!parse_duration("1000000h").ok());  // over 100 years
    BOOST_TEST(!parse_duration("876000h1s").ok());
    BOOST_TEST(parse_duration("876000h").ok());
}

BOOST_AUTO_TEST_CASE(error_says_what_was_expected_and_shows_the_text) {
    auto r = parse_duration("soon");
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message ==
               R"(expected a duration like "10s", "1m30s" or "500ms" (got "soon"))");
}

BOOST_AUTO_TEST_SUITE_END()
