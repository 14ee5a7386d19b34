// Tests for src/checks/probe.cc: validating definitions at registration and making probes.
#include "checks/probe.hh"

#include <boost/test/unit_test.hpp>
#include <string>

#include "probe_support.hh"

using namespace std::chrono_literals;
using muster::EventLoop;
using muster::catalog::CheckDefinition;
using muster::catalog::CheckKind;
using namespace muster::checks;
using muster::checks::test::status_of;

namespace {

CheckDefinition script(std::vector<std::string> args) {
    CheckDefinition d;
    d.kind = CheckKind::script;
    d.args = std::move(args);
    return d;
}

CheckDefinition http(std::string url) {
    CheckDefinition d;
    d.kind = CheckKind::http;
    d.http = std::move(url);
    return d;
}

CheckDefinition tcp(std::string address) {
    CheckDefinition d;
    d.kind = CheckKind::tcp;
    d.tcp = std::move(address);
    return d;
}

std::string error_of(const CheckDefinition& d) {
    auto r = validate_probe(d);
    return r ? "" : r.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(probe)

BOOST_AUTO_TEST_CASE(a_script_needs_args) {
    BOOST_TEST(error_of(script({})).starts_with("args: "));
    BOOST_TEST(error_of(script({""})).starts_with("args: "));
    BOOST_TEST(error_of(script({"/bin/true"})) == "");
}

BOOST_AUTO_TEST_CASE(an_http_check_needs_an_http_or_https_url) {
    BOOST_TEST(error_of(http("ftp://x")) ==
               "http: expected an http:// or https:// URL (got \"ftp://x\")");
    BOOST_TEST(error_of(http("")).starts_with("http: "));
    BOOST_TEST(error_of(http("http://h:99999/")).starts_with("http: "));
    BOOST_TEST(error_of(http("https://[::1]:8443/health?x=1")) == "");
}

BOOST_AUTO_TEST_CASE(an_http_method_and_headers_must_fit_a_request) {
    auto d = http("http://h/");
    d.method = "GET /x";
    BOOST_TEST(error_of(d).starts_with("method: "));
    d.method = "PURGE";
    BOOST_TEST(error_of(d) == "");
    d.header = {{"Bad Name", {"x"}}};
    BOOST_TEST(error_of(d).starts_with("header: "));
    d.header = {{"X-Ok", {"a\r\nInjected: 1"}}};
    BOOST_TEST(error_of(d).starts_with("header: "));
}

BOOST_AUTO_TEST_CASE(a_tcp_check_needs_host_and_port) {
    BOOST_TEST(error_of(tcp("localhost")).starts_with("tcp: "));
    BOOST_TEST(error_of(tcp("::1:80")).starts_with("tcp: "));
    BOOST_TEST(error_of(tcp("[::1]:80")) == "");
    BOOST_TEST(error_of(tcp("db.internal:5432")) == "");
}

BOOST_AUTO_TEST_CASE(other_kinds_need_nothing_here) {
    CheckDefinition ttl;
    ttl.kind = CheckKind::ttl;
    BOOST_TEST(error_of(ttl) == "");
}

BOOST_AUTO_TEST_CASE(make_probe_builds_a_runnable_probe) {
    EventLoop loop;
    auto probe = make_probe(loop, script({"/bin/sh", "-c", "exit 1"}), "");
    auto out = muster::checks::test::run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "warning");
}

BOOST_AUTO_TEST_CASE(make_probe_uses_the_definitions_timeout) {
    EventLoop loop;
    auto d = script({"/bin/sh", "-c", "sleep 5"});
    d.timeout = 200ms;
    auto probe = make_probe(loop, d, "");
    auto out = muster::checks::test::run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(out->output.starts_with("timed out after 200ms"), out->output);
}

BOOST_AUTO_TEST_SUITE_END()
