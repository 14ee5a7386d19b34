// Tests for src/checks/probe_http.cc against real servers on loopback: an evhttp server on the
// test's loop for plain http, and a blocking OpenSSL server thread for https.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "checks/probe.hh"
#include "common/http_server.hh"
#include "probe_support.hh"

using namespace std::chrono_literals;
using muster::EventLoop;
using muster::SockAddr;
using muster::catalog::Status;
using namespace muster::checks;
using muster::checks::test::closed_port;
using muster::checks::test::run_probe;
using muster::checks::test::status_of;
using muster::checks::test::TestCertificate;
using muster::checks::test::TlsServer;
namespace http = muster::http;

namespace {

// An HTTP server on 127.0.0.1 with the routes the tests need; it records every request.
struct TestServer {
    explicit TestServer(EventLoop& loop)
        : server(loop, {}, [this](std::shared_ptr<http::Exchange> ex) { handle(std::move(ex)); }) {
        auto bound = server.listen(*SockAddr::parse_ip("127.0.0.1", 0));
        BOOST_REQUIRE(bound);
        port = bound->port();
    }

    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port) + path;
    }

    void handle(std::shared_ptr<http::Exchange> ex) {
        http::Request req = ex->request();
        requests.push_back(req);
        const std::string& p = req.path;
        if (p == "/ok")
            ex->reply({.status = 200, .body = "fine"});
        else if (p == "/busy")
            ex->reply({.status = 429, .body = "slow down"});
        else if (p == "/broken")
            ex->reply({.status = 500, .body = "boom"});
        else if (p == "/redirect")
            ex->reply({.status = 302, .headers = {{"Location", "/ok"}}});
        else if (p == "/absolute-redirect")
            ex->reply({.status = 301, .headers = {{"Location", url("/ok")}}});
        else if (p == "/loop")
            ex->reply({.status = 307, .headers = {{"Location", "/loop"}}});
        else if (p == "/big")
            ex->reply({.status = 200, .body = big_body()});
        else if (p == "/hang")
            hung.push_back(std::move(ex));  // never answered
        else
            ex->reply({.status = 404, .body = "no route"});
    }

    static std::string big_body() {
        std::string body;
        for (int i = 0; body.size() < (1u << 20); ++i)
            body += std::to_string(i) + ",";
        return body;
    }

    http::HttpServer server;
    uint16_t port = 0;
    std::vector<http::Request> requests;
    std::vector<std::shared_ptr<http::Exchange>> hung;
};

std::unique_ptr<Probe> get(EventLoop& loop, const std::string& url) {
    return make_http_probe(loop, {.url = url, .timeout = 3s});
}

std::string header(const http::Request& req, const std::string& name) {
    return req.header(name).value_or("<none>");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(probe_http)

BOOST_AUTO_TEST_CASE(status_200_is_passing_with_consuls_output) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = get(loop, server.url("/ok"));
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
    BOOST_TEST(out->output == "HTTP GET " + server.url("/ok") + ": 200 OK Output: fine");
}

BOOST_AUTO_TEST_CASE(status_429_is_warning) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = get(loop, server.url("/busy"));
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "warning");
    // The reason phrase is the server's (evhttp's here).
    BOOST_TEST(out->output.starts_with("HTTP GET " + server.url("/busy") + ": 429 "), out->output);
    BOOST_TEST(out->output.ends_with(" Output: slow down"), out->output);
}

BOOST_AUTO_TEST_CASE(status_500_and_404_are_critical) {
    EventLoop loop;
    TestServer server(loop);
    auto broken = get(loop, server.url("/broken"));
    auto out = run_probe(loop, *broken);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.find(": 500 ") != std::string::npos, out->output);
    auto missing = get(loop, server.url("/missing"));
    out = run_probe(loop, *missing);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
}

BOOST_AUTO_TEST_CASE(default_request_has_consuls_user_agent_and_accept) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = get(loop, server.url("/ok?x=1&y=%20"));
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_REQUIRE_EQUAL(server.requests.size(), 1u);
    const auto& req = server.requests.front();
    BOOST_TEST(http::method_name(req.method) == http::method_name(http::Method::get));
    BOOST_TEST(req.param("x").value_or("") == "1");
    BOOST_TEST(req.param("y").value_or("") == " ");
    BOOST_TEST(header(req, "User-Agent") == "Consul Health Check");
    BOOST_TEST(header(req, "Accept") == "text/plain, text/*, */*");
    BOOST_TEST(header(req, "Host") == "127.0.0.1:" + std::to_string(server.port));
}

BOOST_AUTO_TEST_CASE(method_headers_and_body_are_sent) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = make_http_probe(
        loop, {
                  .url = server.url("/ok"),
                  .method = "PUT",
                  .header = {{"X-Check", {"one", "two"}}, {"User-Agent", {"custom"}}},
                  .body = "{\"ping\":1}",
                  .timeout = 3s,
              });
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
    BOOST_TEST(out->output.starts_with("HTTP PUT "), out->output);
    BOOST_REQUIRE_EQUAL(server.requests.size(), 1u);
    const auto& req = server.requests.front();
    BOOST_TEST(http::method_name(req.method) == http::method_name(http::Method::put));
    BOOST_TEST(req.body == "{\"ping\":1}");
    BOOST_TEST(header(req, "User-Agent") == "custom");
    std::vector<std::string> values;
    for (const auto& [name, value] : req.headers)
        if (name == "X-Check")
            values.push_back(value);
    BOOST_TEST(values == (std::vector<std::string>{"one", "two"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(head_gets_no_body) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = make_http_probe(loop, {.url = server.url("/ok"), .method = "HEAD", .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
    BOOST_TEST(out->output.ends_with(": 200 OK Output: "), out->output);
}

BOOST_AUTO_TEST_CASE(redirects_are_followed) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = get(loop, server.url("/redirect"));
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
    // Consul names the configured URL.
    BOOST_TEST(out->output == "HTTP GET " + server.url("/redirect") + ": 200 OK Output: fine");
    BOOST_TEST(server.requests.size() == 2u);

    auto absolute = get(loop, server.url("/absolute-redirect"));
    out = run_probe(loop, *absolute);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
}

BOOST_AUTO_TEST_CASE(a_redirect_is_the_result_when_redirects_are_disabled) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = make_http_probe(
        loop, {.url = server.url("/redirect"), .disable_redirects = true, .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.starts_with("HTTP GET " + server.url("/redirect") + ": 302 "),
               out->output);
    BOOST_TEST(server.requests.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_redirect_loop_stops_after_10) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = make_http_probe(
        loop, {.url = server.url("/loop"), .method = "POST", .body = "kept on 307", .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.ends_with("stopped after 10 redirects"), out->output);
    BOOST_REQUIRE_EQUAL(server.requests.size(), 11u);
    BOOST_TEST(http::method_name(server.requests.back().method) ==
               http::method_name(http::Method::post));
    BOOST_TEST(server.requests.back().body == "kept on 307");
}

BOOST_AUTO_TEST_CASE(a_hang_past_the_timeout_is_critical) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = make_http_probe(loop, {.url = server.url("/hang"), .timeout = 300ms});
    auto start = std::chrono::steady_clock::now();
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output == "HTTP GET " + server.url("/hang") + ": timed out after 300ms");
}

BOOST_AUTO_TEST_CASE(connection_refused_is_critical) {
    EventLoop loop;
    std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
    auto probe = get(loop, url);
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output == "HTTP GET " + url + ": Connection refused");
}

BOOST_AUTO_TEST_CASE(a_big_body_completes_and_keeps_its_first_4_kib) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = get(loop, server.url("/big"));
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
    std::string prefix = "HTTP GET " + server.url("/big") + ": 200 OK Output: ";
    BOOST_REQUIRE(out->output.starts_with(prefix));
    BOOST_TEST(out->output.substr(prefix.size()) ==
               TestServer::big_body().substr(0, max_output_bytes));
}

BOOST_AUTO_TEST_CASE(a_host_name_is_resolved_without_blocking) {
    EventLoop loop;
    TestServer server(loop);  // 127.0.0.1 only: a ::1 first in /etc/hosts is refused, then 127
    auto probe = get(loop, "http://localhost:" + std::to_string(server.port) + "/ok");
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing", out->output);
    BOOST_REQUIRE_EQUAL(server.requests.size(), 1u);
    BOOST_TEST(header(server.requests.front(), "Host") ==
               "localhost:" + std::to_string(server.port));
}

BOOST_AUTO_TEST_CASE(an_unknown_host_is_critical) {
    EventLoop loop;
    auto probe = get(loop, "http://no-such-host.invalid/");
    auto out = run_probe(loop, *probe, 10s);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.find("lookup no-such-host.invalid") != std::string::npos, out->output);
}

BOOST_AUTO_TEST_CASE(a_bad_url_is_critical_with_the_reason) {
    EventLoop loop;
    auto probe = get(loop, "ftp://example.com/");
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.find("expected an http:// or https:// URL") != std::string::npos,
               out->output);
}

BOOST_AUTO_TEST_CASE(destroying_the_probe_mid_run_skips_done) {
    EventLoop loop;
    TestServer server(loop);
    auto probe = get(loop, server.url("/hang"));
    bool called = false;
    probe->run([&](Outcome) { called = true; });
    muster::checks::test::run_for(loop, 100ms);
    BOOST_TEST(server.hung.size() == 1u);
    probe.reset();
    muster::checks::test::run_for(loop, 100ms);
    BOOST_TEST(!called);
}

const std::string https_answer =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nsecure";

BOOST_AUTO_TEST_CASE(https_with_tls_skip_verify_passes) {
    TestCertificate cert;
    TlsServer server(cert, https_answer);
    EventLoop loop;
    std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
    auto probe = make_http_probe(loop, {.url = url, .tls_skip_verify = true, .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing", out->output);
    BOOST_TEST(out->output == "HTTP GET " + url + ": 200 OK Output: secure");
}

BOOST_AUTO_TEST_CASE(https_verifies_the_certificate_by_default) {
    TestCertificate cert;
    TlsServer server(cert, https_answer);
    EventLoop loop;
    std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
    auto probe = make_http_probe(loop, {.url = url, .timeout = 3s});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.find("certificate verify failed") != std::string::npos, out->output);
}

BOOST_AUTO_TEST_CASE(https_passes_with_the_ca_file_and_checks_the_name) {
    TestCertificate cert;
    TlsServer server(cert, https_answer);
    EventLoop loop;
    std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
    auto by_ip = make_http_probe(loop, {.url = url, .timeout = 3s, .ca_file = cert.cert_file()});
    auto out = run_probe(loop, *by_ip);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing", out->output);

    auto by_name = make_http_probe(
        loop,
        {.url = url, .tls_server_name = "localhost", .timeout = 3s, .ca_file = cert.cert_file()});
    out = run_probe(loop, *by_name);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing", out->output);

    auto wrong_name = make_http_probe(loop, {.url = url,
                                             .tls_server_name = "other.example",
                                             .timeout = 3s,
                                             .ca_file = cert.cert_file()});
    out = run_probe(loop, *wrong_name);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.find("certificate verify failed") != std::string::npos, out->output);
}

BOOST_AUTO_TEST_SUITE_END()
