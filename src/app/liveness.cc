// liveness_changes: the leader's view of its members as serfHealth checks.
#include "app/liveness.hh"

#include <map>
#include <optional>
#include <string>

#include "common/ascii.hh"

namespace muster::app {
namespace {

catalog::Check serf_check(const std::string& node, catalog::Status status) {
    catalog::Check c;
    c.node = node;
    c.id = std::string(serf_check_id);
    c.name = std::string(serf_check_name);
    c.status = status;
    c.output =
        std::string(status == catalog::Status::passing ? serf_alive_output : serf_failed_output);
    c.type = "";
    return c;
}

std::optional<catalog::Check> serf_of(const std::vector<catalog::Check>& checks) {
    for (const auto& c : checks)
        if (c.id == serf_check_id && c.service_id.empty())
            return c;
    return std::nullopt;
}

}  // namespace

std::vector<catalog::Command> liveness_changes(const catalog::Snapshot& snapshot,
                                               const std::vector<cluster::MemberState>& members,
                                               AbsentSince& absent,
                                               std::chrono::steady_clock::time_point now,
                                               std::chrono::milliseconds absent_grace) {
    std::map<std::string, bool> alive;  // lowercase node name -> alive
    for (const auto& m : members) {
        bool& a = alive[ascii::to_lower(m.node)];
        a = a || m.alive;
    }
    AbsentSince still_absent;
    std::vector<catalog::Command> out;
    for (const auto& node : snapshot.nodes()) {
        auto serf = serf_of(snapshot.node_checks(node.name));
        auto it = alive.find(ascii::to_lower(node.name));
        const bool live = it != alive.end() && it->second;
        bool waiting = false;  // not heard of yet, within absent_grace: no write either way
        if (it == alive.end() && serf && serf->status != catalog::Status::critical) {
            auto since = absent.find(node.name);
            auto first = since == absent.end() ? now : since->second;
            still_absent.emplace(node.name, first);
            waiting = now - first < absent_grace;
        }
        if (waiting)
            continue;
        if (live && serf &&
            (serf->status != catalog::Status::passing || serf->output != serf_alive_output)) {
            // An update, never a Register: this snapshot may predate the node's Leave, and a
            // Register applied after it would bring the node back, failed, for good.
            out.emplace_back(catalog::UpdateCheck{node.name, std::string(serf_check_id),
                                                  catalog::Status::passing,
                                                  std::string(serf_alive_output)});
        } else if (live && !serf) {
            catalog::Register reg;
            reg.node = node;
            reg.skip_node_update = true;
            reg.if_node_exists = true;  // as above: never bring back a node that left
            reg.checks.push_back(serf_check(node.name, catalog::Status::passing));
            out.emplace_back(std::move(reg));
        } else if (!live && serf && serf->status != catalog::Status::critical) {
            out.emplace_back(catalog::UpdateCheck{node.name, std::string(serf_check_id),
                                                  catalog::Status::critical,
                                                  std::string(serf_failed_output)});
        }
    }
    absent = std::move(still_absent);
    return out;
}

std::optional<std::string> node_name_in_use(const catalog::Snapshot& snapshot,
                                            const catalog::Node& self) {
    auto node = snapshot.node(self.name);
    if (!node || node->address == self.address)
        return std::nullopt;
    auto serf = serf_of(snapshot.node_checks(node->name));
    if (!serf || serf->status != catalog::Status::passing)
        return std::nullopt;
    return "node name \"" + self.name + "\" is already used by a live node at " + node->address +
           " (this agent is at " + self.address + "): set another node_name, or stop that agent";
}

std::vector<catalog::Command> FailedNodeReaper::reap(const catalog::Snapshot& snapshot,
                                                     std::chrono::steady_clock::time_point now) {
    std::map<std::string, std::chrono::steady_clock::time_point> still;
    std::vector<catalog::Command> out;
    for (const auto& node : snapshot.nodes()) {
        auto serf = serf_of(snapshot.node_checks(node.name));
        if (!serf || serf->status != catalog::Status::critical)
            continue;
        auto it = critical_since_.find(node.name);
        auto since = it == critical_since_.end() ? now : it->second;
        if (now - since > timeout_)
            out.emplace_back(catalog::Deregister{node.name, std::nullopt, std::nullopt});
        else
            still.emplace(node.name, since);
    }
    critical_since_ = std::move(still);
    return out;
}

}  // namespace muster::app
