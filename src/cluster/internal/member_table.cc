// MemberTable: who the leader hears from, and what it decides about them.
#include "cluster/internal/member_table.hh"

#include "common/ascii.hh"

namespace muster::cluster::internal {

void MemberTable::lead(Clock::time_point now) {
    leading_ = true;
    since_ = now;
    entries_.clear();
}

void MemberTable::follow() {
    leading_ = false;
    entries_.clear();
}

void MemberTable::heard(const std::string& node, const std::string& address, bool server,
                        Clock::time_point now) {
    if (!leading_ || node.empty())
        return;
    Entry& e = entries_[ascii::to_lower(node)];
    e.state = MemberState{.node = node, .address = address, .server = server, .alive = true};
    e.heard = now;
    e.detached.reset();
}

void MemberTable::detached(const std::string& node, Clock::time_point now) {
    auto it = entries_.find(ascii::to_lower(node));
    if (!leading_ || it == entries_.end() || it->second.detached)
        return;
    it->second.detached = now;
}

std::optional<std::vector<MemberState>> MemberTable::decided(Clock::time_point now) {
    if (!leading_ || now - since_ < t_.member)
        return std::nullopt;
    std::vector<MemberState> out;
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& e = it->second;
        if (now - e.heard > t_.forget) {
            it = entries_.erase(it);
            continue;
        }
        e.state.alive =
            now - e.heard <= t_.member && !(e.detached && now - *e.detached > t_.detached);
        out.push_back(e.state);
        ++it;
    }
    return out;
}

}  // namespace muster::cluster::internal
