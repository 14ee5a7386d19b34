// RaftClusterView: cluster::Status as the HTTP API wants it.
#include "app/raft_cluster_view.hh"

#include <algorithm>
#include <memory>

namespace muster::app {

api::ClusterInfo RaftClusterView::info() const {
    cluster::Status st = node_.status();
    api::ClusterInfo info;
    info.known_leader = st.leader_id != 0;
    info.leader_address = st.leader_address;
    info.index = st.last_applied;
    info.term = st.term;
    info.commit_index = st.commit_index;
    switch (st.role) {
        case cluster::Role::leader:
            info.raft_state = "Leader";
            break;
        case cluster::Role::follower:
            info.raft_state = "Follower";
            break;
        case cluster::Role::candidate:
            info.raft_state = "Candidate";
            break;
        case cluster::Role::unavailable:
            info.raft_state = "Unavailable";
            break;
    }
    if (st.role != cluster::Role::leader &&
        st.last_contact != std::chrono::steady_clock::time_point{})
        info.last_contact = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - st.last_contact);
    auto add = [&](const cluster::Peer& p, bool voter) {
        info.servers.push_back({.id = std::to_string(p.id),
                                .address = p.address,
                                .leader = p.id == st.leader_id,
                                .voter = voter});
    };
    for (const auto& p : st.voters)
        add(p, true);
    for (const auto& p : st.standbys)
        add(p, false);
    std::sort(info.servers.begin(), info.servers.end(),
              [](const auto& a, const auto& b) { return a.address < b.address; });
    return info;
}

void RaftClusterView::barrier(std::function<void(Result<void>)> done) {
    node_.barrier(std::move(done));
}

void RaftClusterView::join(const std::string& address, std::function<void(Result<void>)> done) {
    auto wanted = join_address(address);
    if (!wanted) {
        done(wanted.error());
        return;
    }
    cluster::Status st = node_.status();
    for (const auto& p : st.voters)
        if (p.address == *wanted) {
            done({});
            return;
        }
    done(make_error(st.voters.empty()
                        ? "join: a server joins a cluster through retry_join (set it and "
                          "restart this server)"
                        : "join: this server is in a cluster already, which has no server at " +
                              *wanted));
}

void RaftClusterView::leave(std::function<void(Result<void>)> done) {
    cluster::RaftServer* node = &node_;
    deregister_self([node, done = std::move(done)](Result<void> r) mutable {
        if (!r) {
            done(make_error(r.error().message + " (before leaving)"));
            return;
        }
        node->leave(std::move(done));
    });
}

}  // namespace muster::app
