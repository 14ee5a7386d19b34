// ReplicaWriter and ReplicaClusterView: a client agent's writes and cluster view over its feed.
#include "app/client_replica.hh"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace muster::app {

ReplicaWriter::ReplicaWriter(cluster::ReplicaClient& client, catalog::Store& store,
                             std::chrono::milliseconds max_wait)
    : client_(client), store_(store), max_wait_(max_wait) {
    subscription_ = store_.subscribe([this](uint64_t index) { release(Release::reached, index); });
}

ReplicaWriter::~ReplicaWriter() {
    store_.unsubscribe(subscription_);
    release(Release::every, 0);
}

void ReplicaWriter::submit(std::vector<catalog::Command> batch,
                           std::function<void(Result<uint64_t>)> done) {
    client_.submit(catalog::encode(batch),
                   [this, done = std::move(done)](cluster::Fate, Result<uint64_t> r) mutable {
                       if (!r) {
                           done(std::move(r));
                           return;
                       }
                       committed(*r, std::move(done));
                   });
}

void ReplicaWriter::committed(uint64_t index, std::function<void(Result<uint64_t>)> done) {
    {
        std::lock_guard lock(mu_);
        // Checked under the lock: a listener that runs after this sees the new wait.
        if (store_.index() < index) {
            waiting_.push_back({index, std::chrono::steady_clock::now(), std::move(done)});
            return;
        }
    }
    done(index);
}

void ReplicaWriter::expire() {
    release(Release::expired, 0);
}

void ReplicaWriter::release_all() {
    release(Release::every, 0);
}

void ReplicaWriter::release(Release which, uint64_t applied) {
    std::vector<Waiting> ready;
    {
        std::lock_guard lock(mu_);
        auto old = std::chrono::steady_clock::now() - max_wait_;
        for (auto it = waiting_.begin(); it != waiting_.end();) {
            bool go = which == Release::every ||
                      (which == Release::expired ? it->since <= old : it->index <= applied);
            if (go) {
                ready.push_back(std::move(*it));
                it = waiting_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& w : ready)
        w.done(w.index);
}

api::ClusterInfo ReplicaClusterView::info() const {
    cluster::ReplicaStatus st = client_.status();
    api::ClusterInfo info;
    info.known_leader = st.connected && !st.leader_address.empty();
    info.leader_address = st.leader_address;
    info.index = st.applied;
    info.feed_server = st.server;
    if (st.last_contact != std::chrono::steady_clock::time_point{})
        info.last_contact = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - st.last_contact);
    for (const auto& address : st.servers)
        info.servers.push_back({.id = address,
                                .address = address,
                                .leader = address == st.leader_address,
                                .voter = true});
    std::sort(info.servers.begin(), info.servers.end(),
              [](const auto& a, const auto& b) { return a.address < b.address; });
    return info;
}

void ReplicaClusterView::barrier(std::function<void(Result<void>)> done) {
    client_.barrier(std::move(done));
}

void ReplicaClusterView::join(const std::string& address, std::function<void(Result<void>)> done) {
    auto server = join_address(address);
    if (!server) {
        done(server.error());
        return;
    }
    client_.join({*server}, std::move(done));
}

}  // namespace muster::app
