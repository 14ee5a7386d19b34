// Tests for cluster/internal/leader_forwarding.cc on libraft's deterministic fixture: each
// server's LeaderForwarding proposes into its fixture raft, and a loopback RPC hands forwarded
// work to the LeaderForwarding of the server at that address. Raft runs in virtual time; the
// forwarding's own retry backoff is real time, so the loops below also wait a little.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <thread>

#include "cluster/internal/leader_forwarding.hh"
#include "fixture_cluster.hh"

namespace muster::cluster::internal {
namespace {

using test::Bytes;
using test::bytes;
using Response = RpcCalls::Response;
using namespace std::chrono_literals;

// Requests and replies wait in a queue until the test delivers them, as a loop would.
class Loopback final : public RpcCalls {
  public:
    std::map<std::string, LeaderForwarding*> servers;  // by fixture address; erased when dead

    void call(const std::string& address, MessageType type, Bytes payload,
              std::chrono::milliseconds, Callback done) override {
        queue_.push_back([this, address, type, payload = std::move(payload), done]() mutable {
            auto it = servers.find(address);
            if (it == servers.end()) {
                done(Response{Outcome::not_sent, {}, "nobody at " + address});
                return;
            }
            Reply reply = [this, done](Bytes answer) {
                queue_.push_back([done, answer] {
                    done(Response{Outcome::replied, answer, std::string()});
                });
            };
            if (type == MessageType::apply)
                it->second->handle_apply(std::move(payload), reply);
            else
                it->second->handle_barrier(reply);
        });
    }
    void deliver() {
        while (!queue_.empty()) {
            auto next = std::move(queue_.front());
            queue_.pop_front();
            next();
        }
    }

  private:
    std::deque<std::function<void()>> queue_;
};

// Server i's loop as LeaderForwarding sees it: the fixture raft, its Proposals, its barriers.
class FixtureHost final : public LeaderForwarding::Host {
  public:
    FixtureHost(test::fixture::Cluster& cl, unsigned i) : cl_(cl), i_(i) { refresh(); }
    void refresh() { st_ = test::fixture::status_of(cl_.raft(i_)); }

    const Status& status() const override { return st_; }
    bool closing() const override { return false; }
    const std::string& stop_reason() const override { return reason_; }
    std::string not_leader_message() const override { return "not the leader"; }
    void propose(Bytes command, CommandDone done) override {
        cl_.at(i_).proposals.enqueue(std::move(command), std::move(done));
        cl_.append(i_);
    }
    void barrier_here(BarrierDone done) override {
        uint64_t tag = ++tag_;
        barriers_[tag] = std::move(done);
        if (int rv = muster_raft_barrier(cl_.raft(i_), &FixtureHost::barrier_done, this, tag))
            barrier_done(this, tag, rv);
    }
    void change_here(Change) override {}
    uint64_t applied_now() const override {
        return test::fixture::status_of(cl_.raft(i_)).last_applied;
    }

  private:
    static void barrier_done(void* arg, uint64_t tag, int status) {
        auto* self = static_cast<FixtureHost*>(arg);
        auto done = std::move(self->barriers_.at(tag));
        self->barriers_.erase(tag);
        done(status == 0 ? Result<void>{} : make_error(muster_raft_strerror(status)));
    }
    test::fixture::Cluster& cl_;
    unsigned i_;
    Status st_;
    std::string reason_ = "stopping";
    uint64_t tag_ = 0;
    std::map<uint64_t, BarrierDone> barriers_;
};

class Forwarders {
  public:
    explicit Forwarders(unsigned n) : cl(n) {
        for (unsigned i = 0; i < n; ++i) {
            hosts.push_back(std::make_unique<FixtureHost>(cl, i));
            fwd.push_back(
                std::make_unique<LeaderForwarding>(*hosts.back(), rpc, LeaderForwarding::Limits{}));
            rpc.servers[address(i)] = fwd.back().get();
        }
    }
    std::string address(unsigned i) {
        return test::fixture::status_of(cl.raft(i)).voters.at(i).address;
    }
    // One turn of every loop: 10 ms of Raft, then what forwarding does after a turn.
    void turn() {
        mf_cluster_step_until_elapsed(cl.c, 10);
        for (size_t i = 0; i < fwd.size(); ++i) {
            hosts[i]->refresh();
            fwd[i]->pump();
            fwd[i]->applied(hosts[i]->status().last_applied);
        }
        rpc.deliver();
    }
    bool turn_until(const std::function<bool()>& done) {
        for (auto deadline = std::chrono::steady_clock::now() + 5s;
             std::chrono::steady_clock::now() < deadline;) {
            if (done())
                return true;
            turn();
            std::this_thread::sleep_for(1ms);
        }
        return done();
    }

    test::fixture::Cluster cl;
    Loopback rpc;
    std::vector<std::unique_ptr<FixtureHost>> hosts;
    std::vector<std::unique_ptr<LeaderForwarding>> fwd;
};

struct Seen {
    std::optional<Fate> fate;
    std::optional<uint64_t> value;
    std::string error;
    CommandDone done() {
        return [this](Fate f, Result<uint64_t> r) {
            fate = f;
            if (r.ok())
                value = *r;
            else
                error = r.error().message;
        };
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(leader_forwarding_on_the_fixture)

BOOST_AUTO_TEST_CASE(a_command_from_a_follower_commits_through_the_leader) {
    Forwarders s(3);
    unsigned l = s.cl.leader();
    unsigned f = (l + 1) % 3;
    s.turn();
    Seen seen;
    s.fwd[f]->command(bytes("from-a-follower"), seen.done());
    BOOST_REQUIRE(s.turn_until([&] { return seen.fate.has_value(); }));
    BOOST_TEST((*seen.fate == Fate::applied), seen.error);
    BOOST_TEST(seen.value == std::optional<uint64_t>(1));
    BOOST_TEST(s.cl.at(l).sm.log() == std::vector<Bytes>{bytes("from-a-follower")});
    BOOST_REQUIRE(s.turn_until([&] { return s.cl.at(f).sm.log().size() == 1; }));
}

BOOST_AUTO_TEST_CASE(a_follower_barrier_ends_once_the_follower_applied_the_leaders_writes) {
    Forwarders s(3);
    unsigned l = s.cl.leader();
    unsigned f = (l + 1) % 3;
    s.turn();
    Seen write;
    s.fwd[l]->command(bytes("on-the-leader"), write.done());
    std::optional<bool> barrier_ok;
    s.fwd[f]->barrier([&](Result<void> r) { barrier_ok = r.ok(); });
    BOOST_REQUIRE(s.turn_until([&] { return barrier_ok.has_value(); }));
    BOOST_TEST(*barrier_ok);
    // the follower has applied everything the leader had when its barrier applied
    BOOST_TEST(s.cl.at(f).sm.log() == std::vector<Bytes>{bytes("on-the-leader")});
}

BOOST_AUTO_TEST_CASE(work_waiting_when_the_leader_dies_goes_to_the_next_leader) {
    Forwarders s(3);
    unsigned l = s.cl.leader();
    unsigned f = (l + 1) % 3;
    s.turn();
    mf_cluster_kill(s.cl.c, l);
    s.rpc.servers.erase(s.address(l));
    Seen seen;
    s.fwd[f]->command(bytes("after-the-death"), seen.done());
    BOOST_REQUIRE(s.turn_until([&] { return seen.fate.has_value(); }));
    BOOST_TEST((*seen.fate == Fate::applied), seen.error);
    unsigned next = mf_cluster_leader_other_than(s.cl.c, l);
    BOOST_REQUIRE(next < 3U);
    BOOST_TEST(s.cl.at(next).sm.log() == std::vector<Bytes>{bytes("after-the-death")});
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
