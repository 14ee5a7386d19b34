// Tests for src/common/duration.cc: Go's duration syntax, parsed and printed.
#include "common/duration.hh"

#include <boost/test/unit_test.hpp>

using namespace muster;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(duration)

BOOST_AUTO_TEST_CASE(go_durations_parse_like_time_ParseDuration) {
    BOOST_TEST(parse_go_duration("10s")->count() == std::chrono::nanoseconds(10s).count());
    BOOST_TEST(parse_go_duration("1m30s")->count() == std::chrono::nanoseconds(90s).count());
    BOOST_TEST(parse_go_duration("500ms")->count() == std::chrono::nanoseconds(500ms).count());
    BOOST_TEST(parse_go_duration("1.5h")->count() == std::chrono::nanoseconds(90min).count());
    BOOST_TEST(parse_go_duration("100us")->count() == 100000);
    BOOST_TEST(parse_go_duration("0")->count() == 0);
    BOOST_TEST(!parse_go_duration("10").ok());
    BOOST_TEST(!parse_go_duration("").ok());
    BOOST_TEST(!parse_go_duration("5x").ok());
    BOOST_TEST(!parse_go_duration("s").ok());
}

BOOST_AUTO_TEST_CASE(every_spelling_of_microseconds_is_accepted) {
    for (const char* text : {"500us", "500\xc2\xb5s", "500\xce\xbcs"}) {
        BOOST_TEST_CONTEXT(text) {
            auto d = parse_go_duration(text);
            BOOST_REQUIRE(d.ok());
            BOOST_TEST(d->count() == 500000);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_sign_is_read_and_fractions_are_exact) {
    BOOST_TEST(parse_go_duration("-1.5s")->count() == -1500000000);
    BOOST_TEST(parse_go_duration("+2ms")->count() == 2000000);
    BOOST_TEST(parse_go_duration("0.000000001s")->count() == 1);
    BOOST_TEST(parse_go_duration("0.0000000001s")->count() == 0);  // below a ns: dropped
    BOOST_TEST(parse_go_duration("1h1m1s1ms1us1ns")->count() == 3661001001001);
}

BOOST_AUTO_TEST_CASE(errors_say_why) {
    BOOST_TEST(parse_go_duration("10").error().message == R"(bad duration "10": missing unit)");
    BOOST_TEST(parse_go_duration("5x").error().message == R"(bad duration "5x": unknown unit)");
    BOOST_TEST(parse_go_duration("1000000h").error().message ==
               R"(bad duration "1000000h": too large)");
    BOOST_TEST(!parse_go_duration("-").ok());
    BOOST_TEST(!parse_go_duration("1s ").ok());
}

BOOST_AUTO_TEST_CASE(text_is_what_go_prints) {
    BOOST_TEST(go_duration_text(0ms) == "0s");
    BOOST_TEST(go_duration_text(500ms) == "500ms");
    BOOST_TEST(go_duration_text(10s) == "10s");
    BOOST_TEST(go_duration_text(1500ms) == "1.5s");
    BOOST_TEST(go_duration_text(90s) == "1m30s");
    BOOST_TEST(go_duration_text(1h + 5s) == "1h0m5s");
    BOOST_TEST(go_duration_text(-250ms) == "-250ms");
}

BOOST_AUTO_TEST_SUITE_END()
