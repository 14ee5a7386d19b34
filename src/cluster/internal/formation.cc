// Formation: bootstrap_expect agreement and the choice of a cluster to join.
#include "cluster/internal/formation.hh"

#include <algorithm>

namespace muster::cluster::internal {

Formation::Formation(uint64_t self_id, std::string self_address, unsigned bootstrap_expect)
    : self_id_(self_id), self_address_(std::move(self_address)), expect_(bootstrap_expect) {}

bool Formation::observe(const Hello& h) {
    if (h.id == self_id_ || h.id == 0)
        return false;
    latest_[h.id] = h;
    if (!h.fresh)
        return false;
    if (h.bootstrap_expect != expect_) {
        mismatched_[h.id] = h.bootstrap_expect;
        return false;
    }
    mismatched_.erase(h.id);
    auto [it, added] = fresh_.try_emplace(h.id, h.address);
    if (!added)
        it->second = h.address;
    return added;
}

std::vector<uint64_t> Formation::view() const {
    std::vector<uint64_t> v;
    v.reserve(fresh_.size() + 1);
    for (const auto& [id, address] : fresh_)
        v.push_back(id);
    v.push_back(self_id_);
    std::sort(v.begin(), v.end());
    return v;
}

std::string Formation::join_target() const {
    for (const auto& [id, h] : latest_)
        if (h.in_cluster && !h.leader_address.empty())
            return h.leader_address;
    for (const auto& [id, h] : latest_)
        if (h.in_cluster)
            return h.address;
    return {};
}

// Servers that bootstrapped together may have done so a moment before this one could: when a
// cluster of bootstrap_expect voters lists this server, bootstrap with exactly them (the same
// first configuration), never join it as an extra server.
std::optional<std::vector<Peer>> Formation::bootstrapped_with_me() const {
    if (expect_ < 2)
        return std::nullopt;
    for (const auto& [id, h] : latest_) {
        if (!h.in_cluster || h.voters.size() != expect_)
            continue;
        bool mine = std::any_of(h.voters.begin(), h.voters.end(),
                                [&](const Peer& p) { return p.id == self_id_; });
        if (!mine)
            continue;
        std::vector<Peer> voters = h.voters;
        for (auto& p : voters)
            if (p.id == self_id_)
                p.address = self_address_;
        return voters;
    }
    return std::nullopt;
}

Formation::Decision Formation::decide() const {
    Decision d;
    if (auto voters = bootstrapped_with_me()) {
        d.kind = Decision::Kind::bootstrap;
        d.voters = std::move(*voters);
        return d;
    }
    if (auto target = join_target(); !target.empty()) {
        d.kind = Decision::Kind::join;
        d.join_via = target;
        return d;
    }
    if (expect_ < 2) {
        d.waiting_for = "a cluster to join";
        return d;
    }
    return decide_fresh(view());
}

// No cluster to join or to bootstrap with: the fresh servers in `v` bootstrap once
// bootstrap_expect of them agree on the same view; the lowest IDs are the voters.
Formation::Decision Formation::decide_fresh(const std::vector<uint64_t>& v) const {
    Decision d;
    const std::string expect = std::to_string(expect_);
    if (v.size() < expect_) {
        d.waiting_for =
            std::to_string(v.size()) + " of " + expect + " servers for bootstrap_expect";
        if (!mismatched_.empty()) {
            const auto& [id, theirs] = *mismatched_.begin();
            d.waiting_for += " (" + latest_.at(id).address + " has bootstrap_expect " +
                             std::to_string(theirs) + ")";
        }
        return d;
    }
    size_t agree = 1;
    for (uint64_t id : v) {
        if (id == self_id_)
            continue;
        auto it = latest_.find(id);
        if (it != latest_.end() && it->second.fresh && it->second.view == v)
            ++agree;
    }
    if (agree < v.size()) {
        d.waiting_for = std::to_string(agree) + " of " + std::to_string(v.size()) +
                        " servers agreeing on the voters for bootstrap_expect " + expect;
        return d;
    }
    std::vector<uint64_t> voters(v.begin(), v.begin() + expect_);
    if (std::find(voters.begin(), voters.end(), self_id_) == voters.end()) {
        d.waiting_for = "a cluster to join (the " + expect + " lowest IDs bootstrap it)";
        return d;
    }
    d.kind = Decision::Kind::bootstrap;
    for (uint64_t id : voters)
        d.voters.push_back(Peer{id, id == self_id_ ? self_address_ : fresh_.at(id)});
    return d;
}

}  // namespace muster::cluster::internal
