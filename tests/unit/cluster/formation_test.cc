// Tests for cluster/internal/formation.cc: when a server without state bootstraps, joins or
// waits; and, over many random orders of hellos, that servers that see each other never
// bootstrap different voter sets.
#include "cluster/internal/formation.hh"

#include <boost/test/unit_test.hpp>
#include <deque>
#include <random>
#include <set>

namespace muster::cluster::internal {

namespace {

using Kind = Formation::Decision::Kind;

std::string addr(uint64_t id) {
    return "10.0.0." + std::to_string(id) + ":8300";
}

Hello fresh(uint64_t id, std::vector<uint64_t> view, unsigned expect = 3) {
    return Hello{id, addr(id), true, false, "", expect, std::move(view), {}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(formation)

BOOST_AUTO_TEST_CASE(waits_until_bootstrap_expect_servers_agree_on_the_same_view) {
    Formation f(2, addr(2), 3);
    BOOST_TEST(f.decide().waiting_for == "1 of 3 servers for bootstrap_expect");
    BOOST_TEST(f.observe(fresh(1, {1})));
    BOOST_TEST(f.decide().waiting_for == "2 of 3 servers for bootstrap_expect");
    BOOST_TEST(!f.observe(fresh(1, {1, 2})));  // known already: the view does not grow
    BOOST_TEST(f.observe(fresh(3, {2, 3})));
    BOOST_TEST(f.view() == (std::vector<uint64_t>{1, 2, 3}));
    auto d = f.decide();
    BOOST_TEST((d.kind == Kind::wait));
    BOOST_TEST(d.waiting_for == "1 of 3 servers agreeing on the voters for bootstrap_expect 3");
    f.observe(fresh(1, {1, 2, 3}));
    BOOST_TEST((f.decide().kind == Kind::wait));
    f.observe(fresh(3, {1, 2, 3}));
    d = f.decide();
    BOOST_REQUIRE((d.kind == Kind::bootstrap));
    BOOST_REQUIRE(d.voters.size() == 3U);
    for (size_t i = 0; i < 3; ++i)
        BOOST_TEST(d.voters[i].id == i + 1);
    BOOST_TEST(d.voters[1].address == addr(2));
}

BOOST_AUTO_TEST_CASE(with_more_servers_than_expected_the_lowest_ids_bootstrap) {
    const std::vector<uint64_t> all = {1, 2, 3, 4};
    Formation low(1, addr(1), 3);
    Formation high(4, addr(4), 3);
    for (uint64_t id : all) {
        low.observe(fresh(id, all));
        high.observe(fresh(id, all));
    }
    auto d = low.decide();
    BOOST_REQUIRE((d.kind == Kind::bootstrap));
    BOOST_TEST(d.voters.size() == 3U);
    BOOST_TEST(d.voters.back().id == 3U);
    auto h = high.decide();
    BOOST_TEST((h.kind == Kind::wait));
    BOOST_TEST(h.waiting_for.find("a cluster to join") == 0U);
}

BOOST_AUTO_TEST_CASE(a_server_in_a_cluster_means_join_it_through_its_leader) {
    Formation f(5, addr(5), 3);
    f.observe(fresh(1, {1, 5}));
    f.observe(Hello{2, addr(2), false, true, "", 3, {}, {}});
    auto d = f.decide();
    BOOST_REQUIRE((d.kind == Kind::join));
    BOOST_TEST(d.join_via == addr(2));
    f.observe(Hello{3, addr(3), false, true, addr(7), 3, {}, {}});
    BOOST_TEST(f.decide().join_via == addr(7));
    BOOST_TEST(f.join_target() == addr(7));
}

BOOST_AUTO_TEST_CASE(another_bootstrap_expect_is_not_counted_and_is_named) {
    Formation f(1, addr(1), 3);
    BOOST_TEST(!f.observe(fresh(2, {1, 2}, 5)));
    BOOST_TEST(f.observe(fresh(3, {1, 3})));
    BOOST_TEST(f.decide().waiting_for ==
               "2 of 3 servers for bootstrap_expect (" + addr(2) + " has bootstrap_expect 5)");
}

// Servers exchange hellos in random order, each message a snapshot of its sender when sent,
// delivered late, out of order, or twice. A server that decides to bootstrap does so (and says
// so in later hellos); one that decides to join joins. Every bootstrap uses the same voters.
BOOST_AUTO_TEST_CASE(random_hello_orders_never_bootstrap_two_different_voter_sets) {
    std::mt19937_64 rng(2024);
    int formed = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        const size_t n = 3 + trial % 3;  // 3, 4 or 5 servers, bootstrap_expect 3
        struct Server {
            Formation f;
            bool fresh = true;
            bool in_cluster = false;
            bool joined = false;
            std::vector<Peer> voters;  // once bootstrapped
        };
        std::vector<Server> servers;
        for (size_t i = 0; i < n; ++i)
            servers.push_back(Server{Formation(i + 1, addr(i + 1), 3), true, false, false, {}});
        auto hello_of = [&](size_t i) {
            const Server& s = servers[i];
            return Hello{i + 1,
                         addr(i + 1),
                         s.fresh,
                         s.in_cluster,
                         "",
                         3,
                         s.fresh ? s.f.view() : std::vector<uint64_t>{},
                         s.voters};
        };
        std::deque<std::pair<size_t, Hello>> wire;
        std::set<std::vector<uint64_t>> bootstrapped;
        for (int step = 0; step < 400; ++step) {
            if (wire.empty() || rng() % 2 == 0) {
                size_t from = rng() % n;
                size_t to = rng() % n;
                if (from != to)
                    wire.emplace_back(to, hello_of(from));
                continue;
            }
            size_t k = rng() % wire.size();
            auto [to, h] = wire[k];
            if (rng() % 8 != 0)  // sometimes delivered twice
                wire.erase(wire.begin() + static_cast<ptrdiff_t>(k));
            Server& s = servers[to];
            s.f.observe(h);
            if (!s.fresh)
                continue;
            auto d = s.f.decide();
            if (d.kind == Kind::bootstrap) {
                std::vector<uint64_t> ids;
                for (const auto& p : d.voters)
                    ids.push_back(p.id);
                bootstrapped.insert(ids);
                s.fresh = false;
                s.in_cluster = true;
                s.voters = d.voters;
            } else if (d.kind == Kind::join) {
                s.fresh = false;
                s.joined = true;
            }
        }
        BOOST_REQUIRE_MESSAGE(bootstrapped.size() <= 1, "trial " << trial << ": two clusters");
        // A server among the first voters never joins as an extra server instead: the voters
        // that bootstrapped would then wait for it forever (a cluster without quorum).
        if (!bootstrapped.empty())
            for (uint64_t id : *bootstrapped.begin())
                BOOST_REQUIRE_MESSAGE(!servers[id - 1].joined,
                                      "trial " << trial << ": voter " << id << " joined");
        formed += bootstrapped.empty() ? 0 : 1;
    }
    BOOST_TEST_MESSAGE(formed << " of 3000 random runs formed a cluster");
    BOOST_TEST(formed > 1500);  // the random runs do form clusters: the check is not vacuous
}

BOOST_AUTO_TEST_CASE(a_server_listed_as_a_voter_of_a_cluster_just_bootstrapped_bootstraps_too) {
    // servers 1..3 agreed; 1 bootstrapped before 3 heard the last fresh hello of 2
    Formation f(3, addr(3), 3);
    f.observe(fresh(2, {1, 2}));
    std::vector<Peer> voters{{1, addr(1)}, {2, addr(2)}, {3, addr(3)}};
    f.observe(Hello{1, addr(1), false, true, "", 3, {}, voters});
    auto d = f.decide();
    BOOST_REQUIRE((d.kind == Kind::bootstrap));
    BOOST_TEST((d.voters == voters));
}

BOOST_AUTO_TEST_CASE(a_cluster_that_does_not_list_this_server_is_joined) {
    Formation f(4, addr(4), 3);
    std::vector<Peer> voters{{1, addr(1)}, {2, addr(2)}, {3, addr(3)}};
    f.observe(Hello{1, addr(1), false, true, addr(1), 3, {}, voters});
    auto d = f.decide();
    BOOST_REQUIRE((d.kind == Kind::join));
    BOOST_TEST(d.join_via == addr(1));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
