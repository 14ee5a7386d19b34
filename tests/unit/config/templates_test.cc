// Tests for src/config/internal/templates.cc: address lists and interface templates.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "config/internal/templates.hh"

using namespace muster;
using namespace muster::config::internal;

namespace {

InterfaceAddr iface(const char* name, const char* ip, InterfaceState state = InterfaceState::up) {
    return {.name = name, .addr = SockAddr::parse_ip(ip, 0).value(), .state = state};
}

std::vector<std::string> texts(const std::vector<SockAddr>& addrs) {
    std::vector<std::string> out;
    for (const auto& a : addrs)
        out.push_back(a.ip_string());
    return out;
}

const std::vector<InterfaceAddr> fake = {
    iface("lo", "127.0.0.1"),
    iface("lo", "::1"),
    iface("eth0", "2001:db8::5"),
    iface("eth0", "203.0.113.7"),
    iface("eth1", "192.168.1.9", InterfaceState::down),
    iface("eth2", "172.20.0.4"),
    iface("v6only", "fd00::1"),
};

}  // namespace

BOOST_AUTO_TEST_SUITE(templates)

BOOST_AUTO_TEST_CASE(literals_and_templates_expand_in_order) {
    auto r = expand_addresses(R"(10.0.0.1 {{ GetInterfaceIP "eth0" }}  ::1	{{GetPrivateIP}})",
                              fake);
    BOOST_REQUIRE(r.ok());
    std::vector<std::string> want = {"10.0.0.1", "203.0.113.7", "::1", "172.20.0.4"};
    BOOST_TEST(texts(*r) == want, boost::test_tools::per_element());
    for (const auto& a : *r)
        BOOST_TEST(a.port() == 0);
}

BOOST_AUTO_TEST_CASE(get_interface_ip_on_lo_is_loopback) {
    auto r = expand_addresses(R"({{ GetInterfaceIP "lo" }})", system_interfaces());
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->size() == 1u);
    BOOST_TEST((*r)[0].ip_string() == "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(missing_interface_error_names_it) {
    auto r = expand_addresses(R"({{ GetInterfaceIP "nosuch0" }})", system_interfaces());
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("no interface \"nosuch0\"") != std::string::npos);
    BOOST_TEST(r.error().message.starts_with("expected "));
}

BOOST_AUTO_TEST_CASE(interface_without_ipv4_is_an_error_naming_it) {
    auto r = expand_addresses(R"({{ GetInterfaceIP "v6only" }})", fake);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("interface \"v6only\" has no IPv4 address") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(private_ip_is_first_rfc1918_address_of_an_up_interface) {
    auto r = expand_addresses("{{ GetPrivateIP }}", fake);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST((*r)[0].ip_string() == "172.20.0.4");  // 192.168.1.9 is on a down interface
    std::vector<InterfaceAddr> ten = {iface("a", "172.32.0.1"), iface("b", "10.1.2.3")};
    BOOST_TEST(expand_addresses("{{ GetPrivateIP }}", ten)->at(0).ip_string() == "10.1.2.3");
}

BOOST_AUTO_TEST_CASE(no_private_ip_is_an_error) {
    std::vector<InterfaceAddr> none = {iface("lo", "127.0.0.1"), iface("eth0", "203.0.113.7"),
                                       iface("eth1", "172.15.0.1"), iface("eth2", "192.169.0.1")};
    auto r = expand_addresses("{{ GetPrivateIP }}", none);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("RFC 1918") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_lists_and_templates_are_rejected) {
    for (const char* bad :
         {"", "   ", "10.0.0.1 nonsense", "{{ GetInterfaceIP \"lo\"", "{{ GetInterfaceIP lo }}",
          "{{ GetInterfaceIP }}", "{{ GetPrivateIP \"x\" }}", "{{ GetPublicIP }}", "{{}}",
          "10.0.0.1:53"}) {
        BOOST_TEST_CONTEXT(bad) {
            auto r = expand_addresses(bad, fake);
            BOOST_REQUIRE(!r.ok());
            BOOST_TEST(r.error().message.starts_with("expected "));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
