// test::fixture::Cluster: n servers on libraft's deterministic in-memory fixture (fixture_shim.h),
// each with a RecordingStateMachine behind an FsmAdapter and Proposals, proposing entries as
// internal::Core does. Shared by the tests of the parts that run on a Raft loop.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/internal/fsm_adapter.hh"
#include "cluster/internal/proposals.hh"
#include "cluster/internal/raft_shim.h"
#include "fixture_shim.h"
#include "recording_state_machine.hh"

namespace muster::cluster::test::fixture {

constexpr unsigned max_ms = 20000;  // virtual time

struct Outcome {
    Fate fate;
    std::optional<uint64_t> value;
    std::string error;
};
using Outcomes = std::shared_ptr<std::vector<Outcome>>;

// A fixture server's raft as Core's Status says it (role, leader, configuration, indexes).
inline Status status_of(::raft* r) {
    muster_raft_info info{};
    muster_raft_get_info(r, &info);
    Status st;
    st.id = info.id;
    st.role = info.state == MUSTER_RAFT_LEADER      ? Role::leader
              : info.state == MUSTER_RAFT_CANDIDATE ? Role::candidate
                                                    : Role::follower;
    st.leader_id = info.leader_id;
    st.leader_address = info.leader_address != nullptr ? info.leader_address : "";
    st.term = info.term;
    st.commit_index = info.commit_index;
    st.last_applied = info.last_applied;
    for (unsigned k = 0; k < muster_raft_n_servers(r); ++k) {
        Peer p;
        const char* address = nullptr;
        int role = 0;
        muster_raft_server(r, k, &p.id, &address, &role);
        p.address = address != nullptr ? address : "";
        (role == MUSTER_RAFT_VOTER ? st.voters : st.standbys).push_back(p);
    }
    return st;
}

struct Server {
    explicit Server(uint64_t session)
        : proposals(session, 1 << 20, 1000), adapter(sm, &proposals) {}
    RecordingStateMachine sm;
    internal::Proposals proposals;
    internal::FsmAdapter adapter;
};

class Cluster {
  public:
    explicit Cluster(unsigned n) : n_(n) {
        std::vector<muster_fsm*> fsms;
        for (unsigned i = 0; i < n; ++i) {
            servers_.push_back(std::make_unique<Server>(1000 + i));
            fsms.push_back(servers_.back()->adapter.fsm());
        }
        c = mf_cluster_new(n, fsms.data());
    }
    // The fixture goes first: closing its rafts fails their pending requests into Proposals.
    ~Cluster() { mf_cluster_free(c); }
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    Server& at(unsigned i) { return *servers_.at(i); }
    ::raft* raft(unsigned i) { return mf_cluster_raft(c, i); }
    unsigned all() const { return n_; }

    unsigned leader() {
        BOOST_REQUIRE(mf_cluster_step_until_has_leader(c, max_ms));
        unsigned l = mf_cluster_leader(c);
        BOOST_REQUIRE(l < n_);
        return l;
    }

    // What is queued on server i goes into one entry: its index, or 0 when raft_apply refused
    // it (the commands' Dones then have Fate::not_leader).
    uint64_t append(unsigned i) {
        Server& s = at(i);
        auto e = s.proposals.take_entry();
        void* buf = muster_raft_malloc(e.bytes.size());
        std::memcpy(buf, e.bytes.data(), e.bytes.size());
        uint64_t index = 0;
        int rv = muster_raft_apply(raft(i), buf, e.bytes.size(), &Cluster::done, &s, e.seq, &index);
        if (rv != 0) {
            s.proposals.not_appended(e.seq, Fate::not_leader, muster_raft_strerror(rv));
            return 0;
        }
        s.proposals.appended(e.seq, index);
        return index;
    }

    struct Proposal {
        uint64_t index = 0;  // 0: raft_apply refused it
        Outcomes outcomes = std::make_shared<std::vector<Outcome>>();
    };
    // Queues the commands on server i and proposes them as one entry, as Core does.
    Proposal propose(unsigned i, const std::vector<Bytes>& commands) {
        Proposal p;
        for (const auto& cmd : commands)
            at(i).proposals.enqueue(cmd, [out = p.outcomes](Fate f, Result<uint64_t> r) {
                out->push_back(Outcome{f, r.ok() ? std::optional<uint64_t>(*r) : std::nullopt,
                                       r.ok() ? "" : r.error().message});
            });
        p.index = append(i);
        return p;
    }

    mf_cluster* c = nullptr;

  private:
    static void done(void* arg, uint64_t seq, int status) {
        static_cast<Server*>(arg)->proposals.completed(
            seq, status, status == 0 ? "" : muster_raft_strerror(status));
    }
    unsigned n_;
    std::vector<std::unique_ptr<Server>> servers_;
};

}  // namespace muster::cluster::test::fixture
