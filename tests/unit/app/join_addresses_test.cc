// resolve_join_addresses: literals, names, exec: commands (real /bin/sh).
#include "app/join_addresses.hh"

#include <boost/test/unit_test.hpp>

#include <chrono>

using muster::app::JoinOptions;
using muster::app::resolve_join_addresses;
using Strings = std::vector<std::string>;

BOOST_AUTO_TEST_SUITE(join_addresses)

BOOST_AUTO_TEST_CASE(ipv4_literals_get_the_default_port_unless_they_have_one) {
    JoinOptions o{.default_port = 8300};
    BOOST_TEST(resolve_join_addresses({"10.0.0.1", "10.0.0.2:9300"}, o) ==
               (Strings{"10.0.0.1:8300", "10.0.0.2:9300"}));
}

BOOST_AUTO_TEST_CASE(dns_names_resolve_to_their_ipv4_addresses) {
    JoinOptions o{.default_port = 8300};
    BOOST_TEST(resolve_join_addresses({"localhost:7000"}, o) == (Strings{"127.0.0.1:7000"}));
}

BOOST_AUTO_TEST_CASE(unknown_names_are_skipped_and_the_rest_kept) {
    JoinOptions o{.default_port = 8300};
    BOOST_TEST(resolve_join_addresses({"no-such-host.invalid", "10.0.0.3"}, o) ==
               (Strings{"10.0.0.3:8300"}));
}

BOOST_AUTO_TEST_CASE(exec_output_lists_addresses_separated_by_white_space) {
    JoinOptions o{.default_port = 8300};
    auto got = resolve_join_addresses(
        {"exec:printf '10.1.0.1\\n10.1.0.2:9000\\tlocalhost exec:evil\\n'"}, o);
    BOOST_TEST(got == (Strings{"10.1.0.1:8300", "10.1.0.2:9000", "127.0.0.1:8300"}));
}

BOOST_AUTO_TEST_CASE(duplicates_are_dropped_in_order_of_first_appearance) {
    JoinOptions o{.default_port = 8300};
    BOOST_TEST(resolve_join_addresses({"10.0.0.1", "exec:echo 10.0.0.2 10.0.0.1", "10.0.0.2"}, o) ==
               (Strings{"10.0.0.1:8300", "10.0.0.2:8300"}));
}

BOOST_AUTO_TEST_CASE(a_failing_command_gives_nothing) {
    JoinOptions o{.default_port = 8300};
    BOOST_TEST(resolve_join_addresses({"exec:echo 10.0.0.9; exit 3"}, o).empty());
}

BOOST_AUTO_TEST_CASE(a_hung_command_is_killed_at_the_timeout) {
    JoinOptions o{.default_port = 8300, .exec_timeout = std::chrono::milliseconds(200)};
    auto start = std::chrono::steady_clock::now();
    BOOST_TEST(resolve_join_addresses({"exec:echo 10.0.0.9; sleep 30"}, o).empty());
    // bounded: the sleeping shell's whole process group was killed, not waited for
    auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(took < std::chrono::seconds(20));
}

BOOST_AUTO_TEST_SUITE_END()
