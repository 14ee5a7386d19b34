// Tests for cluster/internal/membership.cc: configuration changes run by a Membership on
// libraft's deterministic in-memory fixture (virtual time), with a Host that reads the fixture's
// raft the way Core reads its own.
#include "cluster/internal/membership.hh"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>

#include "cluster/internal/raft_shim.h"
#include "cluster/internal/rpc_messages.hh"
#include "fake_rpc.hh"
#include "fixture_cluster.hh"

namespace muster::cluster::internal {
namespace {

using namespace std::chrono_literals;

using Rafts = test::fixture::Cluster;
using test::fixture::max_ms;

// Server i of the fixture as Membership sees it.
class FixtureHost final : public Membership::Host {
  public:
    FixtureHost(Rafts& rafts, unsigned i) : rafts_(rafts), i_(i) { refresh_status(); }

    const Status& status() const override { return st_; }
    bool closing() const override { return false; }
    const std::string& stop_reason() const override { return reason_; }
    void refresh_status() override {
        std::string waiting = st_.waiting_for;
        st_ = test::fixture::status_of(raft());
        st_.waiting_for = waiting;
    }
    void set_waiting_for(std::string what) override { st_.waiting_for = std::move(what); }
    ::raft* raft() override { return mf_cluster_raft(rafts_.c, i_); }
    bool raft_started() const override { return true; }
    std::string start_raft() override { return "not in these tests"; }
    std::string bootstrap(const std::vector<Peer>&) override { return "not in these tests"; }
    void fail(const std::string& reason) override { failed = reason; }
    void leadership_lost() override {
        ++lost;
        for (auto& c : membership->take_unstarted())
            handed_over.push_back(std::move(c));
    }
    void to_leader(Change change) override { handed_over.push_back(std::move(change)); }
    void observe_transitions() override {
        if (st_.role != Role::leader)
            leadership_lost();
    }
    bool deliver_discovered(std::vector<std::string>) override { return false; }

    Membership* membership = nullptr;
    std::vector<Change> handed_over;
    int lost = 0;
    std::string failed;

  private:
    Rafts& rafts_;
    unsigned i_;
    Status st_;
    std::string reason_ = "stopping";
};

// A Membership on server i, as Core makes it.
struct Member {
    Member(Rafts& rafts, unsigned i) : host(rafts, i), m(host, rpc, options(host)) {
        host.membership = &m;
    }
    static Membership::Options options(const FixtureHost& host) {
        Membership::Options o;
        o.id = host.status().id;
        o.address = "fixture";
        o.bootstrapped = true;
        return o;
    }
    FixtureHost host;
    test::FakeRpc rpc;
    Membership m;
};

struct Outcome {
    std::optional<std::string> error;  // set when done: "" for success
    BarrierDone done() {
        return [this](Result<void> r) { error = r.ok() ? "" : r.error().message; };
    }
};

Change change(Change::Kind kind, uint64_t server, BarrierDone done, std::string address = {}) {
    Change c;
    c.kind = kind;
    c.server = server;
    c.address = std::move(address);
    c.done = std::move(done);
    c.deadline = Clock::now() + 60s;
    return c;
}

// Steps the fixture as Core's loop would run: after every step the status is read again and
// the next step of a change is taken (Core does it on its timer).
bool step_until(Rafts& rafts, Member& member, const std::function<bool()>& done) {
    for (unsigned ms = 0; ms < max_ms; ms += 10) {
        if (done())
            return true;
        mf_cluster_step_until_elapsed(rafts.c, 10);
        member.host.refresh_status();
        member.m.advance();
    }
    return done();
}

bool has_voter(const Status& st, uint64_t id) {
    for (const Peer& p : st.voters)
        if (p.id == id)
            return true;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(membership)

BOOST_AUTO_TEST_CASE(the_leader_removes_a_follower_from_the_configuration) {
    Rafts rafts(3);
    unsigned l = rafts.leader();
    Member leader(rafts, l);
    const uint64_t follower = (l + 1) % 3 + 1;  // fixture IDs are index + 1
    BOOST_REQUIRE(has_voter(leader.host.status(), follower));
    Outcome out;
    leader.m.request(change(Change::Kind::remove, follower, out.done()));
    BOOST_REQUIRE(step_until(rafts, leader, [&] { return out.error.has_value(); }));
    BOOST_TEST(*out.error == "");
    leader.host.refresh_status();
    BOOST_TEST(!has_voter(leader.host.status(), follower));
    BOOST_TEST(leader.host.status().voters.size() == 2U);
    BOOST_TEST(leader.rpc.calls.empty());
}

BOOST_AUTO_TEST_CASE(removing_a_server_that_is_not_there_is_done_at_once) {
    Rafts rafts(3);
    Member leader(rafts, rafts.leader());
    Outcome out;
    leader.m.request(change(Change::Kind::remove, 99, out.done()));
    BOOST_REQUIRE(out.error.has_value());
    BOOST_TEST(*out.error == "");
}

BOOST_AUTO_TEST_CASE(a_leaving_leader_hands_over_and_the_next_leader_removes_it) {
    Rafts rafts(3);
    unsigned l = rafts.leader();
    Member old_leader(rafts, l);
    const uint64_t me = old_leader.host.status().id;
    Outcome out;
    old_leader.m.request(change(Change::Kind::remove, me, out.done()));
    BOOST_REQUIRE(
        step_until(rafts, old_leader, [&] { return !old_leader.host.handed_over.empty(); }));
    BOOST_TEST(!out.error.has_value());  // not failed: it goes to the next leader
    BOOST_TEST(old_leader.host.lost >= 1);
    Change handed = std::move(old_leader.host.handed_over.front());
    BOOST_TEST(handed.server == me);

    unsigned next = mf_cluster_leader_other_than(rafts.c, l);
    BOOST_REQUIRE(next < 3U);
    Member new_leader(rafts, next);
    new_leader.m.request(std::move(handed));
    BOOST_REQUIRE(step_until(rafts, new_leader, [&] { return out.error.has_value(); }));
    BOOST_TEST(*out.error == "");
    new_leader.host.refresh_status();
    BOOST_TEST(!has_voter(new_leader.host.status(), me));
}

BOOST_AUTO_TEST_CASE(the_only_voter_cannot_leave) {
    Rafts rafts(1);
    Member only(rafts, rafts.leader());
    Outcome out;
    only.m.request(change(Change::Kind::remove, only.host.status().id, out.done()));
    BOOST_REQUIRE(out.error.has_value());
    BOOST_TEST(*out.error == "the only voter cannot leave");
}

BOOST_AUTO_TEST_CASE(a_voter_joining_again_at_its_address_is_done_and_elsewhere_is_refused) {
    Rafts rafts(3);
    Member leader(rafts, rafts.leader());
    const Peer voter = leader.host.status().voters.at(0);
    Outcome same, moved;
    leader.m.request(change(Change::Kind::join, voter.id, same.done(), voter.address));
    BOOST_REQUIRE(same.error.has_value());
    BOOST_TEST(*same.error == "");
    leader.m.request(change(Change::Kind::join, voter.id, moved.done(), "127.0.0.9:8300"));
    BOOST_REQUIRE(moved.error.has_value());
    BOOST_TEST(*moved.error == "server " + std::to_string(voter.id) +
                                   " is in the configuration at " + voter.address);
}

BOOST_AUTO_TEST_CASE(a_follower_sends_changes_to_the_leader) {
    Rafts rafts(3);
    unsigned l = rafts.leader();
    Member follower(rafts, (l + 1) % 3);
    Outcome out;
    follower.m.request(change(Change::Kind::remove, l + 1, out.done()));
    BOOST_TEST(follower.host.handed_over.size() == 1U);
    BOOST_TEST(!out.error.has_value());
}

BOOST_AUTO_TEST_CASE(a_change_past_its_deadline_fails_and_says_so) {
    Rafts rafts(3);
    Member leader(rafts, rafts.leader());
    Outcome out;
    Change c = change(Change::Kind::remove, 2, out.done());
    c.deadline = Clock::now() - 1ms;
    leader.m.run(std::move(c));
    BOOST_REQUIRE(out.error.has_value());
    BOOST_TEST(out.error->find("did not complete within") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_malformed_change_request_gets_an_error_reply) {
    Rafts rafts(3);
    Member leader(rafts, rafts.leader());
    std::vector<uint8_t> reply;
    leader.m.handle_change(MessageType::join, {0x01}, [&](std::vector<uint8_t> r) { reply = r; });
    auto ack = decode_ack(reply);
    BOOST_REQUIRE(ack.ok());
    BOOST_TEST(!ack->error.empty());
    BOOST_TEST(leader.host.status().voters.size() == 3U);
}

BOOST_AUTO_TEST_CASE(a_remove_asked_over_the_rpc_is_answered_when_committed) {
    Rafts rafts(3);
    unsigned l = rafts.leader();
    Member leader(rafts, l);
    const uint64_t follower = (l + 1) % 3 + 1;
    std::optional<Ack> ack;
    leader.m.handle_change(MessageType::remove, encode_remove(RemoveRequest{follower}),
                           [&](std::vector<uint8_t> r) {
                               auto a = decode_ack(r);
                               BOOST_REQUIRE(a.ok());
                               ack = *a;
                           });
    BOOST_REQUIRE(step_until(rafts, leader, [&] { return ack.has_value(); }));
    BOOST_TEST(ack->error == "");
    BOOST_TEST(!has_voter(leader.host.status(), follower));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
