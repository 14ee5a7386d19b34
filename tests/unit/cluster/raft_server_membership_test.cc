// Tests for cluster/internal/membership.cc through real servers on 127.0.0.1: forming a cluster
// with bootstrap_expect, a server joining it, servers leaving it. Waits poll with deadlines.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>

#include "node_fixture.hh"

namespace muster::cluster {
namespace {

using namespace test;
using namespace std::chrono_literals;

// Every running server applied the same commands, in the same order.
void check_same_logs(Cluster& c, size_t commands) {
    auto r = c.running();
    for (size_t i : r)
        BOOST_REQUIRE_MESSAGE(
            eventually([&] { return c.sms[i]->log().size() == commands; }, 10s),
            "server " << i << " applied " << c.sms[i]->log().size() << " of " << commands);
    for (size_t i : r)
        BOOST_TEST(c.sms[i]->log() == c.sms[r.front()]->log());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(node_membership)

BOOST_AUTO_TEST_CASE(a_server_waits_for_bootstrap_expect_servers_and_answers_meanwhile) {
    Cluster c(3);
    c.start_server(0, 3);
    BOOST_REQUIRE(eventually(
        [&] { return c.nodes[0]->status().waiting_for == "1 of 3 servers for bootstrap_expect"; },
        5s));
    BOOST_TEST((c.nodes[0]->status().role == Role::unavailable));
    BOOST_TEST(c.nodes[0]->status().voters.empty());
    // A submit waits for a leader, then gives up (never appended: not_leader).
    auto o = submit_and_wait(*c.nodes[0], bytes("early"));
    BOOST_TEST((o.fate == Fate::not_leader));
    BOOST_TEST(o.error == "no cluster leader (waited 2s)");
    // The second server reaches the first one's RPC before either raft has started.
    c.start_server(1, 3);
    BOOST_REQUIRE(eventually(
        [&] {
            return c.nodes[0]->status().waiting_for == "2 of 3 servers for bootstrap_expect" &&
                   c.nodes[1]->status().waiting_for == "2 of 3 servers for bootstrap_expect";
        },
        5s));
    c.start_server(2, 3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    for (size_t i = 0; i < 3; ++i)
        BOOST_TEST(c.nodes[i]->status().waiting_for == "");
}

BOOST_AUTO_TEST_CASE(a_server_stopped_while_forming_fails_what_waits_for_a_leader) {
    Cluster c(3);
    c.start_server(0, 3);
    auto submitted = std::make_shared<Slot<Outcome>>();
    submit_async(*c.nodes[0], bytes("never"), submitted);
    auto barrier = std::make_shared<Slot<Result<void>>>();
    c.nodes[0]->barrier([barrier](Result<void> r) { barrier->set(std::move(r)); });
    auto left = std::make_shared<Slot<Result<void>>>();
    c.nodes[0]->leave([left](Result<void> r) { left->set(std::move(r)); });
    BOOST_REQUIRE(eventually([&] { return !c.nodes[0]->status().waiting_for.empty(); }, 5s));
    c.nodes[0].reset();  // its raft never started
    auto o = submitted->wait(1s);
    BOOST_REQUIRE(o.has_value());
    BOOST_TEST((o->fate == Fate::not_leader));
    BOOST_TEST(o->error == "the node is stopping");
    BOOST_REQUIRE(barrier->wait(1s).has_value());
    BOOST_TEST(!barrier->value->ok());
    BOOST_REQUIRE(left->wait(1s).has_value());
    BOOST_TEST(!left->value->ok());
}

BOOST_AUTO_TEST_CASE(three_servers_with_bootstrap_expect_3_form_exactly_one_cluster) {
    // Twice: each start is a fresh race between the three servers.
    for (int round = 0; round < 2; ++round) {
        Cluster c(3);
        auto t0 = std::chrono::steady_clock::now();
        c.start_all(3);
        int leader = c.settled(3);
        BOOST_REQUIRE(leader >= 0);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
        BOOST_TEST_MESSAGE("round " << round << ": formed with a leader in " << ms << " ms");
        std::set<std::vector<uint64_t>> configurations;
        std::vector<uint64_t> ids;
        for (size_t i = 0; i < 3; ++i) {
            auto st = c.nodes[i]->status();
            configurations.insert(voter_ids(st));
            ids.push_back(c.nodes[i]->id());
            BOOST_TEST(st.standbys.empty());
        }
        std::sort(ids.begin(), ids.end());
        BOOST_TEST(configurations.size() == 1U);
        BOOST_TEST(*configurations.begin() == ids);
        int leaders = 0;
        for (size_t i = 0; i < 3; ++i)
            leaders += is_leader(*c.nodes[i]) ? 1 : 0;
        BOOST_TEST(leaders == 1);
    }
}

BOOST_AUTO_TEST_CASE(a_fourth_server_without_bootstrap_expect_joins_as_a_voter_and_catches_up) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    for (int k = 0; k < 5; ++k)
        BOOST_REQUIRE_MESSAGE(
            submit_and_wait(*c.nodes[leader], bytes("before-" + std::to_string(k))).fate ==
                Fate::applied,
            "submit " << k);
    size_t fourth = c.add_slot();
    auto t0 = std::chrono::steady_clock::now();
    c.start_server(fourth, 0);
    leader = c.settled(4);
    BOOST_REQUIRE_MESSAGE(leader >= 0, "waiting_for: " << c.nodes[fourth]->status().waiting_for);
    BOOST_TEST_MESSAGE("joined as a voter in "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - t0)
                              .count()
                       << " ms");
    auto st = c.nodes[fourth]->status();
    BOOST_TEST(st.waiting_for == "");
    auto ids = voter_ids(st);
    BOOST_TEST(std::count(ids.begin(), ids.end(), c.nodes[fourth]->id()) == 1);
    auto o = submit_and_wait(*c.nodes[fourth], bytes("from-the-fourth"));
    BOOST_REQUIRE_MESSAGE(o.fate == Fate::applied, o.error);
    BOOST_TEST(barrier_and_wait(*c.nodes[fourth]).ok());
    check_same_logs(c, 6);
    BOOST_TEST(c.sms[fourth]->log().front() == bytes("before-0"));
}

BOOST_AUTO_TEST_CASE(a_leaving_leader_hands_over_first_and_a_leaving_follower_is_removed) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    BOOST_REQUIRE(submit_and_wait(*c.nodes[leader], bytes("one")).fate == Fate::applied);

    // The leader leaves: leadership moves to another server, which then removes it.
    const uint64_t old_leader = c.nodes[leader]->id();
    auto left = leave_and_wait(*c.nodes[leader]);
    BOOST_REQUIRE_MESSAGE(left.ok(), (left.ok() ? "" : left.error().message));
    BOOST_TEST(!is_leader(*c.nodes[leader]));
    c.nodes[leader].reset();
    int next = c.settled(2);
    BOOST_REQUIRE(next >= 0);
    for (size_t i : c.running()) {
        auto ids = voter_ids(c.nodes[i]->status());
        BOOST_TEST(std::count(ids.begin(), ids.end(), old_leader) == 0);
    }

    // A follower leaves.
    size_t follower =
        c.running().front() == static_cast<size_t>(next) ? c.running().back() : c.running().front();
    const uint64_t gone = c.nodes[follower]->id();
    auto out = leave_and_wait(*c.nodes[follower]);
    BOOST_REQUIRE_MESSAGE(out.ok(), (out.ok() ? "" : out.error().message));
    BOOST_REQUIRE(eventually(
        [&] {
            return voter_ids(c.nodes[next]->status()) == std::vector<uint64_t>{c.nodes[next]->id()};
        },
        5s));
    BOOST_TEST(voter_ids(c.nodes[next]->status()) != std::vector<uint64_t>{gone});
    c.nodes[follower].reset();
    // The last voter cannot leave, and still serves.
    auto last = leave_and_wait(*c.nodes[next]);
    BOOST_REQUIRE(!last.ok());
    BOOST_TEST(last.error().message == "the only voter cannot leave");
    BOOST_TEST((submit_and_wait(*c.nodes[next], bytes("two")).fate == Fate::applied));
}

BOOST_AUTO_TEST_CASE(a_formed_server_restarts_from_its_state_without_forming_again) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    auto before = voter_ids(c.nodes[leader]->status());
    size_t f = (static_cast<size_t>(leader) + 1) % 3;
    const uint64_t id = c.nodes[f]->id();
    c.nodes[f].reset();
    BOOST_REQUIRE(submit_and_wait(*c.nodes[leader], bytes("while-away")).fate == Fate::applied);
    c.start_server(f, 3);
    BOOST_TEST(c.nodes[f]->id() == id);
    BOOST_TEST(c.nodes[f]->status().waiting_for == "");
    BOOST_REQUIRE(c.settled(3) >= 0);
    BOOST_TEST(voter_ids(c.nodes[f]->status()) == before);
    check_same_logs(c, 1);
}

BOOST_AUTO_TEST_CASE(remove_takes_a_dead_server_out_of_the_configuration) {
    Cluster c(3);
    c.start_all(3);
    int leader = c.settled(3);
    BOOST_REQUIRE(leader >= 0);
    size_t dead = (static_cast<size_t>(leader) + 1) % 3;
    size_t asker = (static_cast<size_t>(leader) + 2) % 3;  // a follower: goes through the leader
    const uint64_t dead_id = c.nodes[dead]->id();
    c.nodes[dead].reset();
    auto removed =
        wait_for_result([&](auto done) { c.nodes[asker]->remove(dead_id, std::move(done)); }, 10s);
    BOOST_REQUIRE_MESSAGE(removed.ok(), (removed.ok() ? "" : removed.error().message));
    BOOST_REQUIRE(c.settled(2) >= 0);
    for (size_t i : c.running()) {
        auto ids = voter_ids(c.nodes[i]->status());
        BOOST_TEST(std::count(ids.begin(), ids.end(), dead_id) == 0);
    }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster
