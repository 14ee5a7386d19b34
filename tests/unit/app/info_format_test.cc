// Tests for src/app/info_format.cc: `muster info`'s layout over any Stats object.
#include "app/info_format.hh"

#include <boost/test/unit_test.hpp>

using namespace muster;

BOOST_AUTO_TEST_SUITE(info_format)

BOOST_AUTO_TEST_CASE(sections_and_keys_print_sorted_and_tab_indented) {
    nlohmann::json stats = {{"raft", {{"term", "3"}, {"state", "Leader"}}},
                            {"agent", {{"role", "server"}, {"node_name", "n1"}}}};
    BOOST_TEST(app::format_info(stats) ==
               "agent:\n\tnode_name = n1\n\trole = server\n"
               "raft:\n\tstate = Leader\n\tterm = 3\n");
}

BOOST_AUTO_TEST_CASE(a_new_section_prints_without_a_change) {
    nlohmann::json stats = {{"upstreams", {{"tls://1.1.1.1:853", "up"}, {"count", 2}}},
                            {"feed", nlohmann::json::object()}};
    BOOST_TEST(app::format_info(stats) == "upstreams:\n\tcount = 2\n\ttls://1.1.1.1:853 = up\n");
}

BOOST_AUTO_TEST_CASE(anything_but_an_object_prints_nothing) {
    BOOST_TEST(app::format_info(nlohmann::json::array()).empty());
    BOOST_TEST(app::format_info(nlohmann::json{{"x", "scalar"}}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
