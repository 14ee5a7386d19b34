// Tests for src/common/ascii.hh: locale-free case folding and trimming.
#include "common/ascii.hh"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(ascii)

BOOST_AUTO_TEST_CASE(iequals_folds_ascii_letters_only) {
    BOOST_TEST(muster::ascii::iequals("Content-Length", "content-LENGTH"));
    BOOST_TEST(!muster::ascii::iequals("Content-Length", "Content-Lengt"));
    BOOST_TEST(!muster::ascii::iequals("a", "b"));
    BOOST_TEST(muster::ascii::iequals("", ""));
    // Bytes outside ASCII compare as they are: no locale folds "\xc3\x89" to "\xc3\xa9".
    BOOST_TEST(!muster::ascii::iequals("\xc3\x89", "\xc3\xa9"));
    BOOST_TEST(!muster::ascii::iequals("[", "{"));  // '[' + 32 is '{': only letters fold
}

BOOST_AUTO_TEST_CASE(trim_takes_the_blanks_it_is_given) {
    BOOST_TEST(muster::ascii::trim("  a b \r\n") == "a b");
    BOOST_TEST(muster::ascii::trim(" \t value\t", muster::ascii::http_blanks) == "value");
    BOOST_TEST(muster::ascii::trim("value\r", muster::ascii::http_blanks) == "value\r");
    BOOST_TEST(muster::ascii::trim(" \t ") == "");
    BOOST_TEST(muster::ascii::trim("") == "");
}

BOOST_AUTO_TEST_CASE(digits_and_lower_case) {
    BOOST_TEST(muster::ascii::is_digit('0'));
    BOOST_TEST(muster::ascii::is_digit('9'));
    BOOST_TEST(!muster::ascii::is_digit('a'));
    BOOST_TEST(muster::ascii::to_lower('Q') == 'q');
    BOOST_TEST(muster::ascii::to_lower('@') == '@');
}

BOOST_AUTO_TEST_CASE(hex_digits_of_either_case) {
    BOOST_TEST(muster::ascii::hex_digit_value('0') == 0);
    BOOST_TEST(muster::ascii::hex_digit_value('9') == 9);
    BOOST_TEST(muster::ascii::hex_digit_value('a') == 10);
    BOOST_TEST(muster::ascii::hex_digit_value('F') == 15);
    BOOST_TEST(muster::ascii::hex_digit_value('g') == -1);
    BOOST_TEST(muster::ascii::hex_digit_value('/') == -1);
    BOOST_TEST(muster::ascii::hex_digit_upper(0xa) == 'A');
    BOOST_TEST(muster::ascii::hex_digit_upper(0x3f) == 'F');
}

BOOST_AUTO_TEST_SUITE_END()
