// Tests for src/checks/probe_tcp.cc: real listeners on loopback, plain and TLS.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

#include "checks/probe.hh"
#include "probe_support.hh"

using namespace std::chrono_literals;
using muster::EventLoop;
using muster::catalog::Status;
using namespace muster::checks;
using muster::checks::test::closed_port;
using muster::checks::test::Listener;
using muster::checks::test::run_probe;
using muster::checks::test::status_of;
using muster::checks::test::TestCertificate;
using muster::checks::test::TlsServer;

BOOST_AUTO_TEST_SUITE(probe_tcp)

BOOST_AUTO_TEST_CASE(an_open_port_is_passing) {
    Listener listener;
    BOOST_REQUIRE(listener.ok());
    EventLoop loop;
    std::string address = "127.0.0.1:" + std::to_string(listener.port());
    auto probe = make_tcp_probe(loop, {.address = address, .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
    BOOST_TEST(out->output == "TCP connect " + address + ": Success");
}

BOOST_AUTO_TEST_CASE(a_closed_port_is_critical) {
    EventLoop loop;
    std::string address = "127.0.0.1:" + std::to_string(closed_port());
    auto probe = make_tcp_probe(loop, {.address = address, .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output == "TCP connect " + address + ": Connection refused");
}

BOOST_AUTO_TEST_CASE(an_ipv6_literal_in_brackets_connects) {
    Listener listener(Listener::Family::ipv6);
    if (!listener.ok()) {
        BOOST_TEST_MESSAGE("no IPv6 loopback here; skipped");
        return;
    }
    EventLoop loop;
    std::string address = "[::1]:" + std::to_string(listener.port());
    auto probe = make_tcp_probe(loop, {.address = address, .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing", out->output);
}

BOOST_AUTO_TEST_CASE(a_host_name_is_resolved) {
    Listener listener;
    BOOST_REQUIRE(listener.ok());
    EventLoop loop;
    auto probe = make_tcp_probe(
        loop, {.address = "localhost:" + std::to_string(listener.port()), .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing", out->output);
}

BOOST_AUTO_TEST_CASE(the_same_probe_follows_the_port_opening_and_closing) {
    EventLoop loop;
    auto listener = std::make_unique<Listener>();
    std::string address = "127.0.0.1:" + std::to_string(listener->port());
    auto probe = make_tcp_probe(loop, {.address = address, .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
    listener.reset();
    out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
}

BOOST_AUTO_TEST_CASE(a_bad_address_is_critical_with_the_reason) {
    EventLoop loop;
    auto probe = make_tcp_probe(loop, {.address = "localhost", .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.find("expected host:port") != std::string::npos, out->output);
}

BOOST_AUTO_TEST_CASE(tls_handshake_passes_with_tls_skip_verify) {
    TestCertificate cert;
    TlsServer server(cert, "");
    EventLoop loop;
    std::string address = "127.0.0.1:" + std::to_string(server.port());
    auto probe = make_tcp_probe(
        loop, {.address = address, .use_tls = true, .tls_skip_verify = true, .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing", out->output);
    BOOST_TEST(out->output == "TCP+TLS connect " + address + ": Success");
}

BOOST_AUTO_TEST_CASE(tls_verifies_the_certificate_unless_told_not_to) {
    TestCertificate cert;
    TlsServer server(cert, "");
    EventLoop loop;
    std::string address = "127.0.0.1:" + std::to_string(server.port());
    auto untrusted = make_tcp_probe(loop, {.address = address, .use_tls = true, .timeout = 3s});
    auto out = run_probe(loop, *untrusted);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.find("certificate verify failed") != std::string::npos, out->output);

    auto trusted = make_tcp_probe(loop, {.address = address,
                                         .use_tls = true,
                                         .tls_server_name = "localhost",
                                         .timeout = 3s,
                                         .ca_file = cert.cert_file()});
    out = run_probe(loop, *trusted);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing", out->output);
}

BOOST_AUTO_TEST_CASE(tls_to_a_silent_listener_times_out) {
    Listener listener;  // accepts into the backlog, never speaks TLS
    EventLoop loop;
    std::string address = "127.0.0.1:" + std::to_string(listener.port());
    auto probe = make_tcp_probe(
        loop, {.address = address, .use_tls = true, .tls_skip_verify = true, .timeout = 300ms});
    auto start = std::chrono::steady_clock::now();
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output == "TCP+TLS connect " + address + ": timed out after 300ms");
}

BOOST_AUTO_TEST_SUITE_END()
