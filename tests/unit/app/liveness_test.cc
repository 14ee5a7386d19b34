// liveness_changes: the leader's member view as serfHealth checks in a real Store.
#include "app/liveness.hh"

#include <boost/test/unit_test.hpp>

#include "support/temp_dir.hh"

namespace muster::app {
namespace {

using catalog::Status;

struct Catalog {
    test::TempDir dir;
    std::unique_ptr<catalog::Store> store =
        catalog::Store::open({.dir = dir.path(),
                              .map_size = uint64_t{1} << 26,
                              .durability = catalog::Durability::no_sync,
                              .max_readers = 16})
            .value();

    AbsentSince absent;
    std::chrono::steady_clock::time_point now{};

    void add_node(const std::string& name, const std::string& address) {
        catalog::Register r;
        r.node.name = name;
        r.node.address = address;
        BOOST_REQUIRE(store->apply(catalog::Command{r}).ok());
    }
    std::vector<catalog::Command> changes(const std::vector<cluster::MemberState>& m) {
        return liveness_changes(*store->snapshot(), m, absent, now, std::chrono::milliseconds(0));
    }
    void apply(const std::vector<catalog::Command>& batch) {
        BOOST_REQUIRE(store->apply(batch).ok());
    }
    std::optional<catalog::Check> serf(const std::string& node) {
        for (const auto& c : store->snapshot()->node_checks(node))
            if (c.id == "serfHealth")
                return c;
        return std::nullopt;
    }
};

cluster::MemberState member(const std::string& node, bool alive) {
    return {.node = node, .address = "127.0.0.1", .server = false, .alive = alive};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(liveness)

BOOST_AUTO_TEST_CASE(a_live_member_gets_a_passing_serf_check_once) {
    Catalog c;
    c.add_node("web-1", "10.0.0.1");
    auto batch = c.changes({member("web-1", true)});
    BOOST_TEST(batch.size() == 1u);
    c.apply(batch);
    auto serf = c.serf("web-1");
    BOOST_REQUIRE(serf);
    BOOST_TEST((serf->status == Status::passing));
    BOOST_TEST(serf->name == "Serf Health Status");
    BOOST_TEST(serf->output == "Agent alive and reachable");
    BOOST_TEST(c.store->snapshot()->node("web-1")->address == "10.0.0.1");
    BOOST_TEST(c.changes({member("WEB-1", true)}).empty(), "names match case-insensitively");
}

BOOST_AUTO_TEST_CASE(a_member_that_is_gone_or_dead_turns_critical_and_back) {
    Catalog c;
    c.add_node("web-1", "10.0.0.1");
    c.add_node("web-2", "10.0.0.2");
    c.apply(c.changes({member("web-1", true), member("web-2", true)}));
    auto batch = c.changes({member("web-1", false)});  // web-2 not heard of at all
    BOOST_TEST(batch.size() == 2u);
    c.apply(batch);
    BOOST_TEST((c.serf("web-1")->status == Status::critical));
    BOOST_TEST((c.serf("web-2")->status == Status::critical));
    BOOST_TEST(c.serf("web-2")->output == "Agent not live or unreachable");
    BOOST_TEST(c.changes({}).empty(), "critical stays critical without a write");
    c.apply(c.changes({member("web-2", true)}));
    BOOST_TEST((c.serf("web-2")->status == Status::passing));
    BOOST_TEST((c.serf("web-1")->status == Status::critical));
}

BOOST_AUTO_TEST_CASE(external_nodes_and_unregistered_members_are_left_alone) {
    Catalog c;
    c.add_node("external", "192.0.2.1");  // /v1/catalog/register: no agent, no serfHealth
    BOOST_TEST(c.changes({member("not-registered-yet", true)}).empty());
    BOOST_TEST(!c.serf("external"));
}

BOOST_AUTO_TEST_CASE(an_agent_node_nobody_heard_of_turns_critical_after_the_grace) {
    using namespace std::chrono_literals;
    Catalog c;
    c.add_node("web-1", "10.0.0.1");
    c.apply({serf_health_registration(*c.store->snapshot()->node("web-1"))});
    BOOST_TEST((c.serf("web-1")->status == Status::passing), "the agent registered it");
    std::chrono::steady_clock::time_point t0{};
    auto round = [&](std::chrono::milliseconds at, std::vector<cluster::MemberState> m) {
        return liveness_changes(*c.store->snapshot(), m, c.absent, t0 + at, 5000ms);
    };
    BOOST_TEST(round(0ms, {}).empty(), "not heard of yet: no flap");
    BOOST_TEST(round(3000ms, {}).empty());
    auto confirmed = round(3500ms, {member("web-1", true)});
    BOOST_TEST(confirmed.size() == 1u, "its first report: the leader confirms it");
    c.apply(confirmed);
    BOOST_TEST(c.serf("web-1")->output == "Agent alive and reachable");
    BOOST_TEST(round(4000ms, {}).empty(), "absent again: a new grace");
    auto batch = round(9001ms, {});
    BOOST_REQUIRE(batch.size() == 1u);
    c.apply(batch);
    BOOST_TEST((c.serf("web-1")->status == Status::critical));
}

BOOST_AUTO_TEST_CASE(a_confirmation_made_before_a_leave_does_not_bring_the_node_back) {
    Catalog c;
    c.add_node("srv-3", "10.0.0.3");
    c.apply({serf_health_registration(*c.store->snapshot()->node("srv-3"))});
    auto confirmed = c.changes({member("srv-3", true)});  // the leader's snapshot: still there
    BOOST_REQUIRE(confirmed.size() == 1u);
    c.apply({catalog::Leave{"srv-3", true}});  // committed first
    BOOST_TEST(!c.store->apply(confirmed).ok(), "the update finds no node and changes nothing");
    BOOST_TEST(!c.store->snapshot()->node("srv-3"), "the node stays gone");
    BOOST_TEST(c.changes({member("srv-3", true)}).empty(), "the next round has nothing to do");
}

BOOST_AUTO_TEST_CASE(a_first_serf_check_made_before_a_leave_does_not_bring_the_node_back) {
    Catalog c;
    c.add_node("srv-3", "10.0.0.3");                  // registered, no serfHealth yet
    auto first = c.changes({member("srv-3", true)});  // the leader's snapshot: still there
    BOOST_REQUIRE(first.size() == 1u);
    BOOST_REQUIRE(std::holds_alternative<catalog::Register>(first[0]));
    c.apply({catalog::Leave{"srv-3", true}});  // committed first
    c.apply(first);
    BOOST_TEST(!c.store->snapshot()->node("srv-3"), "the node stays gone");
    BOOST_TEST(!c.serf("srv-3"));
    BOOST_TEST(c.changes({member("srv-3", true)}).empty(), "the next round has nothing to do");
}

BOOST_AUTO_TEST_CASE(failed_nodes_are_removed_after_reconnect_timeout) {
    using namespace std::chrono_literals;
    Catalog c;
    c.add_node("web-1", "10.0.0.1");
    c.add_node("web-2", "10.0.0.2");
    c.add_node("external", "192.0.2.1");
    c.apply(c.changes({member("web-1", true), member("web-2", true)}));
    c.apply(c.changes({member("web-2", true)}));  // web-1 failed
    FailedNodeReaper reaper(10s);
    std::chrono::steady_clock::time_point t0{};
    BOOST_TEST(reaper.reap(*c.store->snapshot(), t0).empty());
    BOOST_TEST(reaper.reap(*c.store->snapshot(), t0 + 10s).empty());
    auto batch = reaper.reap(*c.store->snapshot(), t0 + 10001ms);
    BOOST_REQUIRE(batch.size() == 1u);
    c.apply(batch);
    BOOST_TEST(!c.store->snapshot()->node("web-1"));
    BOOST_TEST(c.store->snapshot()->node("web-2").has_value());
    BOOST_TEST(c.store->snapshot()->node("external").has_value());
    // a node that comes back before the timeout starts over when it fails again
    c.apply(c.changes({}));  // web-2 failed
    BOOST_TEST(reaper.reap(*c.store->snapshot(), t0 + 20s).empty());
    c.apply(c.changes({member("web-2", true)}));
    BOOST_TEST(reaper.reap(*c.store->snapshot(), t0 + 25s).empty());
    c.apply(c.changes({}));
    BOOST_TEST(reaper.reap(*c.store->snapshot(), t0 + 31s).empty());
    BOOST_TEST(reaper.reap(*c.store->snapshot(), t0 + 41001ms).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_live_node_keeps_its_name_from_an_agent_at_another_address) {
    Catalog c;
    c.add_node("web-1", "10.0.0.1");
    catalog::Node self{"web-1", "10.0.0.9", "dc1", {}, {}, {}};
    BOOST_TEST(!node_name_in_use(*c.store->snapshot(), self), "no serfHealth: not an agent's");
    c.apply(c.changes({member("web-1", true)}));
    auto in_use = node_name_in_use(*c.store->snapshot(), self);
    BOOST_REQUIRE(in_use);
    BOOST_TEST(in_use->find("already used by a live node at 10.0.0.1") != std::string::npos);
    self.address = "10.0.0.1";
    BOOST_TEST(!node_name_in_use(*c.store->snapshot(), self), "its own entry");
    self.address = "10.0.0.9";
    c.apply(c.changes({}));  // web-1 failed: a restarted host at a new address may take it
    BOOST_TEST(!node_name_in_use(*c.store->snapshot(), self));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::app
