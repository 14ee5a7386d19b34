// MemberReports on a fake host and RPC: what followers report, and what the leader decides from
// its own report and theirs. Also the report's codec.
#include "cluster/internal/member_reports.hh"

#include <boost/test/unit_test.hpp>

#include "cluster/internal/rpc_messages.hh"
#include "fake_rpc.hh"

namespace muster::cluster::internal {
namespace {

using namespace std::chrono_literals;

struct FakeHost final : MemberReports::Host {
    Status st;
    std::vector<AttachedClient> clients;
    std::optional<std::vector<MemberState>> published;
    int publishes = 0;
    std::string reason = "stopping";
    const Status& status() const override { return st; }
    bool closing() const override { return false; }
    const std::string& stop_reason() const override { return reason; }
    std::vector<AttachedClient> feed_attached() const override { return clients; }
    void publish_members(std::optional<std::vector<MemberState>> d) override {
        published = std::move(d);
        ++publishes;
    }
};

MemberReports::Options options() {
    return {.node = "srv-1",
            .address = "10.0.0.11",
            .interval = 500ms,
            .heartbeat_fresh = 2500ms,
            .detach_kept = 3000ms,
            .timeouts = {.member = 5000ms, .detached = 1500ms, .forget = 3600s}};
}

AttachedClient client(const std::string& node, Clock::time_point heartbeat) {
    return {.node = node,
            .address = "10.0.0.2" + node.substr(node.size() - 1),
            .connection = 1,
            .subscribed = heartbeat,
            .last_heartbeat = heartbeat,
            .applied = 0};
}

bool alive(const std::optional<std::vector<MemberState>>& v, const std::string& node) {
    if (!v)
        return false;
    for (const auto& m : *v)
        if (m.node == node)
            return m.alive;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(member_reports)

BOOST_AUTO_TEST_CASE(the_report_round_trips_and_refuses_bad_shapes) {
    MemberReport r{.node = "srv-2",
                   .address = "10.0.0.12",
                   .attached = {{"cli-1", "10.0.0.21"}, {"cli-2", "10.0.0.22"}},
                   .detached = {"cli-3"}};
    auto back = decode_report(encode_report(r));
    BOOST_REQUIRE(back.ok());
    BOOST_TEST((*back == r));
    auto bytes = encode_report(r);
    for (size_t n = 0; n < bytes.size(); ++n)
        BOOST_TEST(!decode_report(std::span(bytes.data(), n)).ok());
    std::string odd = R"({"node": "srv-2", "attached": ["cli-1"]})";
    auto e = decode_report(std::span(reinterpret_cast<const uint8_t*>(odd.data()), odd.size()));
    BOOST_REQUIRE(!e.ok());
    BOOST_TEST(e.error().message.find("pairs") != std::string::npos);
    std::string nameless = R"({"attached": []})";
    BOOST_TEST(!decode_report(
                    std::span(reinterpret_cast<const uint8_t*>(nameless.data()), nameless.size()))
                    .ok());
}

BOOST_AUTO_TEST_CASE(a_report_of_ten_thousand_clients_goes_through) {
    // Far beyond a control message's 64 KiB: one server's report must not be refused (its
    // clients would all turn failed).
    MemberReport r{.node = "srv-1", .address = "10.0.0.11", .attached = {}, .detached = {}};
    for (int i = 0; i < 10000; ++i)
        r.attached.push_back({"client-node-" + std::to_string(i),
                              "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250)});
    auto bytes = encode_report(r);
    BOOST_TEST(bytes.size() > max_control_payload);
    auto back = decode_report(bytes);
    BOOST_REQUIRE(back.ok());
    BOOST_TEST(back->attached.size() == 10000u);
    std::vector<uint8_t> huge(max_report_payload + 1, ' ');
    BOOST_TEST(!decode_report(huge).ok());
}

BOOST_AUTO_TEST_CASE(a_follower_reports_itself_its_fresh_clients_and_the_ones_that_left) {
    FakeHost host;
    test::FakeRpc rpc;
    MemberReports reports(host, rpc, options());
    host.st.role = Role::follower;
    host.st.leader_address = "10.0.0.12:8300";
    Clock::time_point t0 = Clock::now();
    host.clients = {client("cli-1", t0), client("cli-2", t0 - 3s)};  // cli-2's heartbeat is stale
    reports.tick(t0);
    BOOST_REQUIRE(rpc.calls.size() == 1u);
    BOOST_TEST(rpc.calls[0].address == "10.0.0.12:8300");
    BOOST_TEST((rpc.calls[0].type == MessageType::report));
    auto r = decode_report(rpc.calls[0].payload);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->node == "srv-1");
    BOOST_TEST(r->attached.size() == 1u);
    BOOST_TEST(r->attached[0].node == "cli-1");
    reports.tick(t0 + 600ms);
    BOOST_TEST(rpc.calls.size() == 1u, "one report in flight at a time");
    rpc.answer(RpcCalls::Outcome::replied, encode_ack(Ack{}));
    host.clients.clear();  // cli-1's connection closed
    reports.tick(t0 + 700ms);
    BOOST_TEST(rpc.calls.size() == 0u, "not before the interval");
    reports.tick(t0 + 1200ms);
    BOOST_REQUIRE(rpc.calls.size() == 1u);
    r = decode_report(rpc.calls[0].payload);
    BOOST_TEST(r->attached.empty());
    BOOST_TEST((r->detached == std::vector<std::string>{"cli-1"}));
    rpc.answer(RpcCalls::Outcome::lost);
    reports.tick(t0 + 4300ms);
    r = decode_report(rpc.calls[0].payload);
    BOOST_TEST(r->detached.empty(), "a detach is reported for detach_kept");
    BOOST_TEST(!host.published);
}

BOOST_AUTO_TEST_CASE(the_leader_decides_after_its_grace_period) {
    FakeHost host;
    test::FakeRpc rpc;
    MemberReports reports(host, rpc, options());
    host.st.role = Role::leader;
    Clock::time_point t0 = Clock::now();
    host.clients = {client("cli-1", t0)};
    reports.tick(t0);
    BOOST_TEST(!host.published, "nothing decided in the grace period");
    BOOST_TEST(rpc.calls.empty(), "the leader reports to itself");
    // a follower's report
    MemberReport r{.node = "srv-2",
                   .address = "10.0.0.12",
                   .attached = {{"cli-2", "10.0.0.22"}},
                   .detached = {}};
    std::vector<uint8_t> ack;
    reports.handle_report(encode_report(r), [&](std::vector<uint8_t> p) { ack = std::move(p); });
    BOOST_TEST(decode_ack(ack)->error == "");
    for (auto t = t0 + 500ms; t <= t0 + 5000ms; t += 500ms) {
        host.clients = {client("cli-1", t)};
        reports.tick(t);
    }
    BOOST_TEST(alive(host.published, "srv-1"));
    BOOST_TEST(alive(host.published, "cli-1"));
    // srv-2 and cli-2 were heard only at the start (at Clock::now() inside handle_report)
    reports.tick(t0 + 5500ms);
    BOOST_TEST(alive(host.published, "cli-1"));
    // cli-1 goes away from the leader's own feed: failed after the detach timeout
    host.clients.clear();
    reports.tick(t0 + 6000ms);
    BOOST_TEST(alive(host.published, "cli-1"));
    reports.tick(t0 + 8000ms);
    BOOST_TEST(!alive(host.published, "cli-1"));
    // leadership lost: nothing is decided, and reports are refused
    host.st.role = Role::follower;
    reports.tick(t0 + 8500ms);
    BOOST_TEST(!host.published);
    reports.handle_report(encode_report(r), [&](std::vector<uint8_t> p) { ack = std::move(p); });
    BOOST_TEST(decode_ack(ack)->not_leader);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
