// Tests for src/api/health_endpoints.cc: when /readyz says ready, and both probes' replies.
#include "api/health_endpoints.hh"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

using namespace muster;
using namespace muster::api;
using namespace std::chrono_literals;

namespace {
http::Request get(bool verbose) {
    http::Request r;
    r.method = http::Method::get;
    r.path = "/readyz";
    if (verbose)
        r.query = {{"verbose", ""}};
    return r;
}

ClusterInfo led(std::string feed = "") {
    ClusterInfo c;
    c.known_leader = true;
    c.leader_address = "10.0.0.1:8300";
    c.last_contact = 120ms;
    c.index = 42;
    c.feed_server = std::move(feed);
    return c;
}

bool ready(const std::vector<ReadyCheck>& checks) {
    return std::all_of(checks.begin(), checks.end(), [](const auto& c) { return c.ok; });
}
}  // namespace

BOOST_AUTO_TEST_SUITE(health_endpoints)

BOOST_AUTO_TEST_CASE(a_standalone_agent_is_ready_once_dns_serves) {
    BOOST_TEST(!ready(ready_checks({.dns_serving = false})));
    BOOST_TEST(ready(ready_checks({.dns_serving = true})));
}

BOOST_AUTO_TEST_CASE(a_server_needs_a_leader_heard_from_recently) {
    ClusterInfo info = led();
    ReadyState s{.dns_serving = true, .cluster = &info, .server = true, .max_contact = 5s};
    BOOST_TEST(ready(ready_checks(s)));
    info.last_contact = 6s;
    auto checks = ready_checks(s);
    BOOST_TEST(!checks[1].ok);
    BOOST_TEST(checks[1].reason.find("6000 ms ago") != std::string::npos, checks[1].reason);
    info = led();
    info.known_leader = false;
    BOOST_TEST(ready_checks(s)[1].reason == "no known leader");
}

BOOST_AUTO_TEST_CASE(a_client_needs_its_feed_and_a_leader) {
    ClusterInfo info = led();
    ReadyState s{.dns_serving = true, .cluster = &info, .server = false, .max_contact = 5s};
    auto checks = ready_checks(s);
    BOOST_TEST(!checks[1].ok);
    BOOST_TEST(checks[1].reason == "no server reached: the replica is not fed");
    info.feed_server = "10.0.0.2:8300";
    checks = ready_checks(s);
    BOOST_TEST(checks[1].ok);
    BOOST_TEST(checks[1].reason.find("fed by 10.0.0.2:8300") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(readyz_is_200_or_503_and_verbose_gives_each_reason) {
    std::vector<ReadyCheck> ok{{"dns", true, "serving"}, {"catalog", true, "leader"}};
    std::vector<ReadyCheck> bad{{"dns", true, "serving"}, {"catalog", false, "no known leader"}};
    BOOST_TEST(readyz_reply(ok, get(false)).status == 200);
    BOOST_TEST(readyz_reply(ok, get(false)).body == "ok\n");
    auto r = readyz_reply(bad, get(false));
    BOOST_TEST(r.status == 503);
    BOOST_TEST(r.body == "not ready\ncatalog: no known leader\n");
    auto v = readyz_reply(bad, get(true));
    BOOST_TEST(v.status == 503);
    auto body = nlohmann::json::parse(v.body);
    BOOST_TEST(body["Ready"] == false);
    BOOST_TEST(body["Checks"].size() == 2u);
    BOOST_TEST(body["Checks"][1]["Name"] == "catalog");
    BOOST_TEST(body["Checks"][1]["Ok"] == false);
    BOOST_TEST(body["Checks"][1]["Reason"] == "no known leader");
    BOOST_TEST(livez_reply(get(false)).status == 200);
    BOOST_TEST(livez_reply(get(false)).body == "ok\n");
}

BOOST_AUTO_TEST_SUITE_END()
