// Tests for cluster/internal/leader_forwarding.cc on its own: a fake Raft loop (Host) whose role
// and leader the test sets, and a fake RPC whose calls the test answers.
#include "cluster/internal/leader_forwarding.hh"

#include <boost/test/unit_test.hpp>
#include <thread>

#include "cluster/internal/rpc_messages.hh"
#include "fake_rpc.hh"

namespace muster::cluster::internal {
namespace {

using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;
using test::FakeRpc;

struct FakeHost final : LeaderForwarding::Host {
    Status st;
    bool stopping = false;
    std::string reason = "stopping";
    std::vector<std::pair<Bytes, CommandDone>> proposed;
    std::vector<BarrierDone> barriers;
    std::vector<Change> changes;
    uint64_t applied = 0;

    const Status& status() const override { return st; }
    bool closing() const override { return stopping; }
    const std::string& stop_reason() const override { return reason; }
    std::string not_leader_message() const override { return "not the leader (fake)"; }
    void propose(Bytes command, CommandDone done) override {
        proposed.emplace_back(std::move(command), std::move(done));
    }
    void barrier_here(BarrierDone done) override { barriers.push_back(std::move(done)); }
    void change_here(Change change) override { changes.push_back(std::move(change)); }
    uint64_t applied_now() const override { return applied; }

    void lead() {
        st.id = 1;
        st.role = Role::leader;
        st.leader_id = 1;
        st.leader_address = "127.0.0.1:1";
    }
    void follow(uint64_t leader = 2, std::string address = "127.0.0.2:2") {
        st.id = 1;
        st.role = Role::follower;
        st.leader_id = leader;
        st.leader_address = leader == 0 ? "" : std::move(address);
    }
};

struct Seen {
    int runs = 0;
    Fate fate = Fate::unknown;
    bool ok = false;
    uint64_t value = 0;
    std::string error;
    CommandDone command() {
        return [this](Fate f, Result<uint64_t> r) {
            ++runs;
            fate = f;
            ok = r.ok();
            value = r.ok() ? *r : 0;
            error = r.ok() ? "" : r.error().message;
        };
    }
    BarrierDone barrier() {
        return [this](Result<void> r) {
            ++runs;
            ok = r.ok();
            error = r.ok() ? "" : r.error().message;
        };
    }
};

struct Fixture {
    FakeHost host;
    FakeRpc rpc;
    LeaderForwarding fwd{host, rpc, LeaderForwarding::Limits{200ms, 1 << 16, 2}};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(leader_forwarding)

BOOST_FIXTURE_TEST_CASE(the_leader_proposes_at_once_and_sends_nothing, Fixture) {
    host.lead();
    Seen seen;
    fwd.command(Bytes{1, 2}, seen.command());
    fwd.barrier(seen.barrier());
    fwd.change(Change{});
    BOOST_TEST(host.proposed.size() == 1U);
    BOOST_TEST(host.barriers.size() == 1U);
    BOOST_TEST(host.changes.size() == 1U);
    BOOST_TEST(rpc.calls.empty());
    BOOST_TEST(seen.runs == 0);
}

BOOST_FIXTURE_TEST_CASE(a_follower_sends_a_command_to_the_leader_and_reports_its_answer, Fixture) {
    host.follow();
    Seen seen;
    fwd.command(Bytes{7}, seen.command());
    BOOST_REQUIRE(rpc.calls.size() == 1U);
    BOOST_TEST(rpc.calls[0].address == "127.0.0.2:2");
    BOOST_TEST((rpc.calls[0].type == MessageType::apply));
    BOOST_TEST((rpc.calls[0].payload == Bytes{7}));
    BOOST_TEST(fwd.in_flight() == 1U);
    rpc.answer(RpcCalls::Outcome::replied, encode_apply_reply(ApplyReply{Fate::applied, 42, ""}));
    BOOST_TEST(seen.runs == 1);
    BOOST_TEST((seen.fate == Fate::applied));
    BOOST_TEST(seen.value == 42U);
    BOOST_TEST(fwd.in_flight() == 0U);
}

BOOST_FIXTURE_TEST_CASE(an_applied_command_the_state_machine_refused_keeps_its_error, Fixture) {
    host.follow();
    Seen seen;
    fwd.command(Bytes{7}, seen.command());
    rpc.answer(RpcCalls::Outcome::replied,
               encode_apply_reply(ApplyReply{Fate::applied, 0, "no such node"}));
    BOOST_TEST((seen.fate == Fate::applied));
    BOOST_TEST(!seen.ok);
    BOOST_TEST(seen.error == "no such node");
}

BOOST_FIXTURE_TEST_CASE(without_a_leader_work_waits_then_fails_as_not_leader, Fixture) {
    host.follow(0);
    Seen seen;
    fwd.command(Bytes{1}, seen.command());
    BOOST_TEST(rpc.calls.empty());
    BOOST_TEST(fwd.waiting() == 1U);
    fwd.expire();
    BOOST_TEST(seen.runs == 0);  // not yet due
    std::this_thread::sleep_for(250ms);
    fwd.expire();
    BOOST_TEST(seen.runs == 1);
    BOOST_TEST((seen.fate == Fate::not_leader));
    BOOST_TEST(seen.error == "no cluster leader (waited 200ms)");
}

BOOST_FIXTURE_TEST_CASE(a_leader_that_appears_gets_what_waited, Fixture) {
    host.follow(0);
    Seen seen;
    fwd.command(Bytes{1}, seen.command());
    host.follow(3, "127.0.0.3:3");
    fwd.pump();
    BOOST_REQUIRE(rpc.calls.size() == 1U);
    BOOST_TEST(rpc.calls[0].address == "127.0.0.3:3");
}

BOOST_FIXTURE_TEST_CASE(when_this_server_becomes_leader_what_waited_runs_here, Fixture) {
    host.follow(0);
    Seen seen;
    fwd.command(Bytes{1}, seen.command());
    fwd.barrier(seen.barrier());
    host.lead();
    fwd.pump();
    BOOST_TEST(host.proposed.size() == 1U);
    BOOST_TEST(host.barriers.size() == 1U);
    BOOST_TEST(rpc.calls.empty());
}

BOOST_FIXTURE_TEST_CASE(not_sent_and_not_leader_are_retried_after_a_backoff, Fixture) {
    host.follow();
    Seen seen;
    fwd.command(Bytes{1}, seen.command());
    rpc.answer(RpcCalls::Outcome::not_sent, {}, "connection refused");
    BOOST_TEST(seen.runs == 0);
    BOOST_TEST(fwd.waiting() == 1U);
    fwd.pump();
    BOOST_TEST(rpc.calls.empty());  // backing off
    std::this_thread::sleep_for(120ms);
    fwd.pump();
    BOOST_REQUIRE(rpc.calls.size() == 1U);
    rpc.answer(RpcCalls::Outcome::replied,
               encode_apply_reply(ApplyReply{Fate::not_leader, 0, "not the leader"}));
    BOOST_TEST(seen.runs == 0);
    std::this_thread::sleep_for(60ms);
    fwd.pump();
    BOOST_REQUIRE(rpc.calls.size() == 1U);
    rpc.answer(RpcCalls::Outcome::replied, encode_apply_reply(ApplyReply{Fate::applied, 5, ""}));
    BOOST_TEST(seen.runs == 1);
    BOOST_TEST(seen.value == 5U);
}

BOOST_FIXTURE_TEST_CASE(a_command_lost_after_sending_may_have_applied, Fixture) {
    host.follow();
    Seen seen;
    fwd.command(Bytes{1}, seen.command());
    rpc.answer(RpcCalls::Outcome::lost, {}, "connection reset");
    BOOST_TEST(seen.runs == 1);
    BOOST_TEST((seen.fate == Fate::unknown));
    BOOST_TEST(seen.error.find("connection reset") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_bad_reply_is_an_unknown_outcome_not_a_crash, Fixture) {
    host.follow();
    Seen seen;
    fwd.command(Bytes{1}, seen.command());
    rpc.answer(RpcCalls::Outcome::replied, Bytes{0xff, 0x01});
    BOOST_TEST(seen.runs == 1);
    BOOST_TEST((seen.fate == Fate::unknown));
    BOOST_TEST(seen.error.find("bad reply from the leader") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(no_more_than_max_in_flight_are_sent_at_once, Fixture) {
    host.follow();
    Seen a, b, c;
    fwd.command(Bytes{1}, a.command());
    fwd.command(Bytes{2}, b.command());
    fwd.command(Bytes{3}, c.command());
    BOOST_TEST(rpc.calls.size() == 2U);
    BOOST_TEST(fwd.waiting() == 1U);
    rpc.answer(RpcCalls::Outcome::replied, encode_apply_reply(ApplyReply{Fate::applied, 1, ""}));
    BOOST_TEST(rpc.calls.size() == 2U);  // the third went out as the first came back
    BOOST_TEST(fwd.waiting() == 0U);
}

BOOST_FIXTURE_TEST_CASE(a_follower_barrier_waits_until_it_applied_what_the_leader_had, Fixture) {
    host.follow();
    host.st.last_applied = 5;
    Seen seen;
    fwd.barrier(seen.barrier());
    BOOST_REQUIRE(rpc.calls.size() == 1U);
    BOOST_TEST((rpc.calls[0].type == MessageType::barrier));
    rpc.answer(RpcCalls::Outcome::replied, encode_barrier_reply(BarrierReply{10, "", false}));
    BOOST_TEST(seen.runs == 0);
    fwd.applied(9);
    BOOST_TEST(seen.runs == 0);
    fwd.applied(10);
    BOOST_TEST(seen.runs == 1);
    BOOST_TEST(seen.ok);
}

BOOST_FIXTURE_TEST_CASE(a_change_goes_to_the_leader_as_join_or_remove, Fixture) {
    host.follow();
    Seen seen;
    Change c;
    c.kind = Change::Kind::join;
    c.server = 9;
    c.address = "127.0.0.9:9";
    c.deadline = Clock::now() + 1s;
    c.done = seen.barrier();
    fwd.change(std::move(c));
    BOOST_REQUIRE(rpc.calls.size() == 1U);
    BOOST_TEST((rpc.calls[0].type == MessageType::join));
    auto j = decode_join(rpc.calls[0].payload);
    BOOST_REQUIRE(j.ok());
    BOOST_TEST((*j == JoinRequest{9, "127.0.0.9:9"}));
    rpc.answer(RpcCalls::Outcome::replied, encode_ack(Ack{"refused", false}));
    BOOST_TEST(seen.runs == 1);
    BOOST_TEST(seen.error == "refused");
}

BOOST_FIXTURE_TEST_CASE(fail_all_fails_what_waits_and_what_waits_to_apply, Fixture) {
    host.follow(0);
    Seen command, barrier;
    fwd.command(Bytes{1}, command.command());
    fwd.barrier(barrier.barrier());
    fwd.fail_all("the node is stopping");
    BOOST_TEST(command.runs == 1);
    BOOST_TEST((command.fate == Fate::not_leader));
    BOOST_TEST(command.error == "the node is stopping");
    BOOST_TEST(barrier.runs == 1);
    BOOST_TEST(fwd.waiting() == 0U);
}

BOOST_FIXTURE_TEST_CASE(a_follower_answers_forwarded_work_with_not_leader, Fixture) {
    host.follow();
    Bytes answer;
    fwd.handle_apply(Bytes{1}, [&](Bytes b) { answer = std::move(b); });
    auto a = decode_apply_reply(answer);
    BOOST_REQUIRE(a.ok());
    BOOST_TEST((a->fate == Fate::not_leader));
    BOOST_TEST(a->error == "not the leader (fake)");
    BOOST_TEST(host.proposed.empty());
    fwd.handle_barrier([&](Bytes b) { answer = std::move(b); });
    auto b = decode_barrier_reply(answer);
    BOOST_REQUIRE(b.ok());
    BOOST_TEST(b->not_leader);
}

BOOST_FIXTURE_TEST_CASE(the_leader_answers_forwarded_work_with_its_outcome, Fixture) {
    host.lead();
    Bytes answer;
    fwd.handle_apply(Bytes{1}, [&](Bytes b) { answer = std::move(b); });
    BOOST_REQUIRE(host.proposed.size() == 1U);
    BOOST_TEST(answer.empty());
    host.proposed[0].second(Fate::applied, uint64_t{77});
    auto a = decode_apply_reply(answer);
    BOOST_REQUIRE(a.ok());
    BOOST_TEST((*a == ApplyReply{Fate::applied, 77, ""}));

    host.applied = 31;
    fwd.handle_barrier([&](Bytes b) { answer = std::move(b); });
    BOOST_REQUIRE(host.barriers.size() == 1U);
    host.barriers[0](Result<void>{});
    auto b = decode_barrier_reply(answer);
    BOOST_REQUIRE(b.ok());
    BOOST_TEST((*b == BarrierReply{31, "", false}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
