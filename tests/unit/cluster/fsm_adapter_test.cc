// Tests for cluster/internal/fsm_adapter.cc (with proposals.cc and raft_shim.c) on libraft's
// deterministic in-memory fixture: elections, crashes, partitions and snapshots in virtual time.
#include "cluster/internal/fsm_adapter.hh"

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <memory>

#include "cluster/internal/proposals.hh"
#include "cluster/internal/raft_shim.h"
#include "fixture_cluster.hh"

namespace muster::cluster::internal {
namespace {

using test::Bytes;
using test::bytes;
using test::RecordingStateMachine;

using test::fixture::Cluster;
using test::fixture::max_ms;
using test::fixture::Outcome;
using test::fixture::Outcomes;

std::vector<Bytes> logs(std::initializer_list<const char*> items) {
    std::vector<Bytes> out;
    for (const char* s : items)
        out.push_back(bytes(s));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fsm_adapter)

BOOST_AUTO_TEST_CASE(three_servers_apply_an_entry_at_the_same_index_with_the_same_results) {
    Cluster cl(3);
    unsigned l = cl.leader();
    auto p = cl.propose(l, logs({"a", "b", "c"}));
    BOOST_REQUIRE(p.index > 0);
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, cl.all(), p.index, max_ms));
    BOOST_REQUIRE_EQUAL(p.outcomes->size(), 3U);
    for (uint64_t i = 0; i < 3; ++i) {
        BOOST_TEST((p.outcomes->at(i).fate == Fate::applied));
        BOOST_TEST(p.outcomes->at(i).value == std::optional<uint64_t>(i + 1));
    }
    auto second = cl.propose(l, logs({"d"}));
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, cl.all(), second.index, max_ms));
    BOOST_TEST(second.outcomes->at(0).value == std::optional<uint64_t>(4));
    for (unsigned s = 0; s < 3; ++s) {
        // The index StateMachine::apply got is the one raft_apply gave the entry: the shim's
        // raft_last_applied() + 1 rule holds across the barrier and configuration entries.
        auto seen = cl.at(s).sm.seen();
        BOOST_REQUIRE_EQUAL(seen.size(), 2U);
        BOOST_TEST(seen[0].index == p.index);
        BOOST_TEST(seen[1].index == second.index);
        BOOST_TEST(seen[0].commands == logs({"a", "b", "c"}));
        BOOST_TEST(seen == cl.at(l).sm.seen());
        BOOST_TEST(mf_cluster_last_applied(cl.c, s) == second.index);
        BOOST_TEST(cl.at(s).sm.applied_index() == second.index);
    }
}

BOOST_AUTO_TEST_CASE(a_killed_server_misses_entries_then_catches_up_after_revive) {
    Cluster cl(3);
    unsigned l = cl.leader();
    unsigned f = (l + 1) % 3;
    mf_cluster_kill(cl.c, f);
    uint64_t last = 0;
    std::vector<Outcomes> outcomes;
    for (int k = 0; k < 5; ++k) {
        auto p = cl.propose(l, {bytes("k" + std::to_string(k))});
        BOOST_REQUIRE(p.index > 0);
        BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, l, p.index, max_ms));
        last = p.index;
        outcomes.push_back(p.outcomes);
    }
    BOOST_TEST(cl.at(f).sm.seen().empty());
    BOOST_TEST(mf_cluster_last_applied(cl.c, f) < last);
    mf_cluster_revive(cl.c, f);
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, f, last, max_ms));
    BOOST_TEST(cl.at(f).sm.seen() == cl.at(l).sm.seen());
    BOOST_TEST(cl.at(f).sm.log() == logs({"k0", "k1", "k2", "k3", "k4"}));
    for (const auto& o : outcomes) {
        BOOST_REQUIRE_EQUAL(o->size(), 1U);
        BOOST_TEST((o->at(0).fate == Fate::applied));
    }
}

BOOST_AUTO_TEST_CASE(a_partitioned_leader_cannot_commit_and_converges_after_reconnect) {
    Cluster cl(3);
    unsigned old = cl.leader();
    auto before = cl.propose(old, logs({"before"}));
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, cl.all(), before.index, max_ms));

    unsigned a = (old + 1) % 3;
    unsigned b = (old + 2) % 3;
    mf_cluster_disconnect(cl.c, old, a);
    mf_cluster_disconnect(cl.c, old, b);
    auto lost = cl.propose(old, logs({"lost"}));
    BOOST_REQUIRE(lost.index > 0);

    BOOST_REQUIRE(mf_cluster_step_until_leader_is_not(cl.c, old, max_ms));
    unsigned fresh = mf_cluster_leader_other_than(cl.c, old);
    BOOST_REQUIRE(fresh < 3U);
    unsigned other = fresh == a ? b : a;
    auto won = cl.propose(fresh, logs({"won"}));
    BOOST_REQUIRE(won.index > 0);
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, fresh, won.index, max_ms));
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, other, won.index, max_ms));
    BOOST_REQUIRE_EQUAL(won.outcomes->size(), 1U);
    BOOST_TEST((won.outcomes->at(0).fate == Fate::applied));

    // The old leader steps down without a quorum; its entry's fate is unknown to it.
    BOOST_REQUIRE(mf_cluster_step_until_follower(cl.c, old, max_ms));
    BOOST_TEST(mf_cluster_commit_index(cl.c, old) < lost.index);
    BOOST_REQUIRE_EQUAL(lost.outcomes->size(), 1U);
    BOOST_TEST((lost.outcomes->at(0).fate == Fate::unknown));
    BOOST_TEST(cl.at(old).sm.log() == logs({"before"}));

    mf_cluster_reconnect(cl.c, old, a);
    mf_cluster_reconnect(cl.c, old, b);
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, cl.all(), won.index, max_ms));
    for (unsigned s = 0; s < 3; ++s) {
        BOOST_TEST(cl.at(s).sm.log() == logs({"before", "won"}));
        BOOST_TEST(cl.at(s).sm.seen() == cl.at(fresh).sm.seen());
    }
}

BOOST_AUTO_TEST_CASE(a_lagging_server_is_brought_up_by_a_snapshot) {
    Cluster cl(3);
    mf_cluster_set_snapshot(cl.c, 3, 1);
    unsigned l = cl.leader();
    unsigned f = (l + 1) % 3;
    mf_cluster_kill(cl.c, f);
    uint64_t last = 0;
    std::vector<Bytes> want;
    for (int k = 0; k < 12; ++k) {
        want.push_back(bytes("s" + std::to_string(k)));
        auto p = cl.propose(l, {want.back()});
        BOOST_REQUIRE(p.index > 0);
        BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, l, p.index, max_ms));
        last = p.index;
    }
    BOOST_TEST(cl.at(l).adapter.snapshots_taken() > 0U);
    BOOST_TEST(cl.at(l).sm.snapshots() > 0U);
    mf_cluster_revive(cl.c, f);
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, f, last, max_ms));
    BOOST_TEST(cl.at(f).adapter.snapshots_restored() > 0U);
    BOOST_TEST(cl.at(f).sm.restores() > 0U);
    BOOST_TEST(cl.at(f).sm.log() == want);
    BOOST_TEST(cl.at(f).sm.applied_index() == last);
    // It applied only what came after the snapshot: fewer entries than the leader did.
    BOOST_TEST(cl.at(f).sm.seen().size() < cl.at(l).sm.seen().size());
}

BOOST_AUTO_TEST_CASE(a_refused_command_gets_its_error_while_the_others_of_its_entry_apply) {
    Cluster cl(3);
    unsigned l = cl.leader();
    Bytes refused = {RecordingStateMachine::refuse_marker, 'x'};
    auto p = cl.propose(l, {bytes("a"), refused, bytes("c")});
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, cl.all(), p.index, max_ms));
    BOOST_REQUIRE_EQUAL(p.outcomes->size(), 3U);
    BOOST_TEST((p.outcomes->at(0).fate == Fate::applied));
    BOOST_TEST(p.outcomes->at(0).value == std::optional<uint64_t>(1));
    BOOST_TEST((p.outcomes->at(1).fate == Fate::applied));
    BOOST_TEST(!p.outcomes->at(1).value.has_value());
    BOOST_TEST(p.outcomes->at(1).error == "refused");
    BOOST_TEST(p.outcomes->at(2).value == std::optional<uint64_t>(2));
    for (unsigned s = 0; s < 3; ++s)
        BOOST_TEST(cl.at(s).sm.log() == logs({"a", "c"}));
}

BOOST_AUTO_TEST_CASE(an_entry_the_state_machine_fails_whole_stops_applying_for_good) {
    Cluster cl(3);
    unsigned l = cl.leader();
    auto ok = cl.propose(l, logs({"ok"}));
    BOOST_REQUIRE(mf_cluster_step_until_applied(cl.c, cl.all(), ok.index, max_ms));
    auto bad = cl.propose(l, {Bytes{RecordingStateMachine::break_marker}});
    BOOST_REQUIRE(bad.index > 0);
    mf_cluster_step_until_elapsed(cl.c, 2000);
    auto after = cl.propose(l, logs({"after"}));
    mf_cluster_step_until_elapsed(cl.c, 2000);
    for (unsigned s = 0; s < 3; ++s) {
        // libraft keeps the entry unapplied (it retries, the adapter refuses at once): nothing
        // after it is applied either; RaftServer stops itself when it sees broken().
        BOOST_TEST(cl.at(s).adapter.broken());
        BOOST_TEST(cl.at(s).adapter.broken_reason().find("break marker") != std::string::npos);
        BOOST_TEST(mf_cluster_last_applied(cl.c, s) == bad.index - 1);
        BOOST_TEST(cl.at(s).sm.log() == logs({"ok"}));
    }
    BOOST_TEST(bad.outcomes->empty());
    BOOST_TEST(after.outcomes->empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
