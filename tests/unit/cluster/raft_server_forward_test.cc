// Tests for cluster/internal/leader_forwarding.cc through real servers on 127.0.0.1: followers
// forward submit and barrier to the leader over the server port; without a leader they wait up
// to forward_timeout.
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "node_fixture.hh"

namespace muster::cluster {

using namespace test;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(node_forward)

BOOST_AUTO_TEST_CASE(submits_on_every_server_apply_everywhere_in_order) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    std::vector<Bytes> expected;
    for (int round = 0; round < 3; ++round)
        for (size_t i = 0; i < 3; ++i) {
            Bytes cmd = bytes("s" + std::to_string(i) + "-" + std::to_string(round));
            auto o = submit_and_wait(*c.nodes[i], cmd);
            BOOST_REQUIRE_MESSAGE(o.fate == Fate::applied, "server " << i << ": " << o.error);
            expected.push_back(cmd);
            BOOST_TEST(o.value == std::optional<uint64_t>(expected.size()));
        }
    for (size_t i = 0; i < 3; ++i) {
        BOOST_REQUIRE(eventually([&] { return c.sms[i]->log().size() == expected.size(); }, 5s));
        BOOST_TEST(c.sms[i]->log() == expected);
    }
    // A refused command is applied (Fate::applied) with the state machine's error, forwarded too.
    size_t follower = (static_cast<size_t>(leader) + 1) % 3;
    auto refused = submit_and_wait(*c.nodes[follower], Bytes{RecordingStateMachine::refuse_marker});
    BOOST_TEST((refused.fate == Fate::applied));
    BOOST_TEST(refused.error == "refused");
}

BOOST_AUTO_TEST_CASE(a_burst_from_a_follower_joins_the_leaders_group_commit) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    const size_t l = static_cast<size_t>(leader);
    const size_t f = (l + 1) % 3;
    constexpr int n = 6000;  // more than a follower keeps in flight at once
    std::atomic<int> applied{0};
    std::atomic<int> other{0};
    auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < n; ++k)
        c.nodes[f]->submit(bytes("burst-" + std::to_string(k)), [&](Fate fate, Result<uint64_t>) {
            (fate == Fate::applied ? applied : other).fetch_add(1);
        });
    BOOST_REQUIRE(eventually([&] { return applied.load() + other.load() == n; }, 20s));
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    BOOST_TEST(applied.load() == n);
    auto seen = c.sms[l]->seen();
    BOOST_TEST(seen.size() < static_cast<size_t>(n) / 4);  // packed into shared entries
    BOOST_TEST_MESSAGE(n << " forwarded commands in " << ms << " ms, " << seen.size()
                         << " entries");
    BOOST_REQUIRE(
        eventually([&] { return c.sms[f]->log().size() == static_cast<size_t>(n); }, 10s));
    BOOST_TEST(c.sms[f]->log() == c.sms[l]->log());
}

BOOST_AUTO_TEST_CASE(a_follower_barrier_waits_for_what_was_submitted_before_it) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    size_t f = (static_cast<size_t>(leader) + 1) % 3;
    constexpr int n = 200;
    std::atomic<int> applied{0};
    for (int k = 0; k < n; ++k)
        c.nodes[f]->submit(bytes("b" + std::to_string(k)), [&](Fate fate, Result<uint64_t>) {
            applied.fetch_add(fate == Fate::applied ? 1 : 0);
        });
    // Right behind the commands, before their Dones: the barrier covers them all.
    auto seen = std::make_shared<std::atomic<size_t>>(0);
    auto r = wait_for_result(
        [&](auto done) {
            c.nodes[f]->barrier([&, seen, done](Result<void> res) {
                seen->store(c.sms[f]->log().size());
                done(std::move(res));
            });
        },
        10s);
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    BOOST_TEST(seen->load() == static_cast<size_t>(n));
    BOOST_REQUIRE(eventually([&] { return applied.load() == n; }, 5s));
    auto leader_barrier = barrier_and_wait(*c.nodes[leader]);
    BOOST_TEST(leader_barrier.ok());
}

BOOST_AUTO_TEST_CASE(the_survivors_elect_a_new_leader_and_without_quorum_submits_fail_in_time) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    BOOST_REQUIRE(submit_and_wait(*c.nodes[leader], bytes("before")).fate == Fate::applied);

    const uint64_t old = c.nodes[leader]->id();
    auto t0 = std::chrono::steady_clock::now();
    c.nodes[leader].reset();
    int next = -1;
    bool elected = eventually(
        [&] {
            next = -1;
            for (size_t i : c.running())
                if (is_leader(*c.nodes[i]))
                    next = static_cast<int>(i);
            if (next < 0)
                return false;
            for (size_t i : c.running())
                if (c.nodes[i]->status().leader_id != c.nodes[next]->id())
                    return false;
            return true;
        },
        10s);
    BOOST_REQUIRE(elected);
    auto failover =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    BOOST_TEST_MESSAGE("failover: new leader agreed in " << failover
                                                         << " ms (election timeout 300 ms)");
    BOOST_TEST(c.nodes[next]->id() != old);
    for (size_t i : c.running()) {
        auto o = submit_and_wait(*c.nodes[i], bytes("after-" + std::to_string(i)));
        BOOST_REQUIRE_MESSAGE(o.fate == Fate::applied, "server " << i << ": " << o.error);
    }

    // Two of three gone: no quorum. A submit fails within forward_timeout (2 s): not_leader
    // when it never got appended, unknown when the last leader appended it and then stepped down.
    size_t other =
        c.running().front() == static_cast<size_t>(next) ? c.running().back() : c.running().front();
    c.nodes[other].reset();
    size_t last = c.running().front();
    auto t1 = std::chrono::steady_clock::now();
    auto o = submit_and_wait(*c.nodes[last], bytes("no-quorum"), 10s);
    auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t1)
            .count();
    BOOST_TEST_MESSAGE("no quorum: " << (o.fate == Fate::not_leader ? "not_leader" : "unknown")
                                     << " after " << took << " ms: " << o.error);
    BOOST_TEST((o.fate == Fate::not_leader || o.fate == Fate::unknown));
    // forward_timeout, plus the election timeout the last leader needs to notice, plus slack
    // for a loaded machine.
    BOOST_TEST(took < 2000 + 300 + 2000);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster
