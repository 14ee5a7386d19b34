// MemberTable: the leader's grace period, timeouts and detaches, on a driven clock.
#include "cluster/internal/member_table.hh"

#include <boost/test/unit_test.hpp>

namespace muster::cluster::internal {
namespace {

using namespace std::chrono_literals;

const MemberTimeouts timeouts{.member = 5000ms, .detached = 1500ms, .forget = 60000ms};

bool alive(const std::vector<MemberState>& v, const std::string& node) {
    for (const auto& m : v)
        if (m.node == node)
            return m.alive;
    return false;
}

bool listed(const std::vector<MemberState>& v, const std::string& node) {
    for (const auto& m : v)
        if (m.node == node)
            return true;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(member_table)

BOOST_AUTO_TEST_CASE(nothing_is_decided_off_the_lead_or_within_the_grace_period) {
    MemberTable t(timeouts);
    Clock::time_point t0{};
    t.heard("web-1", "10.0.0.1", false, t0);
    BOOST_TEST(!t.decided(t0 + 10s), "a follower decides nothing");
    t.lead(t0);
    t.heard("web-1", "10.0.0.1", false, t0 + 1s);
    BOOST_TEST(!t.decided(t0 + 4999ms), "a new leader waits one member timeout");
    auto d = t.decided(t0 + 5s);
    BOOST_REQUIRE(d);
    BOOST_TEST(d->size() == 1u);
    BOOST_TEST(alive(*d, "web-1"));
    t.follow();
    BOOST_TEST(!t.decided(t0 + 6s));
}

BOOST_AUTO_TEST_CASE(a_member_not_heard_from_for_the_timeout_is_not_alive) {
    MemberTable t(timeouts);
    Clock::time_point t0{};
    t.lead(t0);
    t.heard("srv-2", "10.0.0.12", true, t0 + 1s);
    BOOST_TEST(alive(*t.decided(t0 + 6s), "srv-2"));
    BOOST_TEST(!alive(*t.decided(t0 + 6001ms), "srv-2"));
    t.heard("SRV-2", "10.0.0.12", true, t0 + 7s);
    auto d = t.decided(t0 + 7s);
    BOOST_TEST(alive(*d, "SRV-2"), "back, and names match case-insensitively");
    BOOST_TEST(d->size() == 1u);
    BOOST_TEST(d->front().server);
}

BOOST_AUTO_TEST_CASE(a_detached_client_fails_fast_unless_it_attaches_elsewhere) {
    MemberTable t(timeouts);
    Clock::time_point t0{};
    t.lead(t0);
    t.heard("web-1", "10.0.0.1", false, t0 + 5s);
    t.heard("web-2", "10.0.0.2", false, t0 + 5s);
    t.detached("web-1", t0 + 6s);
    t.detached("web-2", t0 + 6s);
    t.heard("web-2", "10.0.0.2", false, t0 + 6200ms);  // moved to another server
    t.detached("web-1", t0 + 7s);                      // a second report moves nothing
    BOOST_TEST(alive(*t.decided(t0 + 7500ms), "web-1"));
    auto d = t.decided(t0 + 7501ms);
    BOOST_TEST(!alive(*d, "web-1"));
    BOOST_TEST(alive(*d, "web-2"));
    t.detached("unknown", t0 + 8s);
    BOOST_TEST(!listed(*t.decided(t0 + 8s), "unknown"));
}

BOOST_AUTO_TEST_CASE(a_new_lead_forgets_and_long_dead_members_are_dropped) {
    MemberTable t(timeouts);
    Clock::time_point t0{};
    t.lead(t0);
    t.heard("web-1", "10.0.0.1", false, t0);
    BOOST_TEST(listed(*t.decided(t0 + 59s), "web-1"));
    BOOST_TEST(!listed(*t.decided(t0 + 61s), "web-1"));
    t.heard("web-1", "10.0.0.1", false, t0 + 61s);
    t.lead(t0 + 62s);
    BOOST_TEST(!t.decided(t0 + 62s));
    BOOST_TEST(t.decided(t0 + 67s)->empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
