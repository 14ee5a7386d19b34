// The agent's own node, services and checks in the catalog.
#include "app/agent_catalog.hh"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <future>
#include <map>

#include "catalog/definition.hh"

namespace muster::app {
namespace {

bool is_private_v4(uint32_t host_order) {
    return (host_order >> 24) == 10 || (host_order >> 20) == ((172u << 4) | 1u) ||
           (host_order >> 16) == ((192u << 8) | 168u);
}

// Consul's default advertise address: the host's first private IPv4 address.
std::string first_private_ipv4() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return "";
    std::string found;
    for (ifaddrs* i = list; i && found.empty(); i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        if (!is_private_v4(ntohl(sin->sin_addr.s_addr)))
            continue;
        char text[INET_ADDRSTRLEN];
        if (::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text))
            found = text;
    }
    ::freeifaddrs(list);
    return found;
}

Result<uint64_t> apply(api::Writer& writer, std::vector<catalog::Command> batch) {
    std::promise<Result<uint64_t>> done;
    auto future = done.get_future();
    writer.submit(std::move(batch), [&done](Result<uint64_t> r) { done.set_value(std::move(r)); });
    return future.get();
}

}  // namespace

catalog::Node self_node(const config::Settings& settings) {
    catalog::Node node;
    node.name = settings.node_name;
    node.datacenter = settings.datacenter;
    node.meta = settings.node_meta;
    if (settings.advertise_addr) {
        node.address = settings.advertise_addr->ip_string();
        return node;
    }
    for (const auto& a : settings.bind_addr)
        if (!a.is_unspecified()) {
            node.address = a.ip_string();
            break;
        }
    if (node.address.empty() && !settings.dev)
        node.address = first_private_ipv4();
    if (node.address.empty())
        node.address = "127.0.0.1";
    return node;
}

Result<ConfigRegistrations> sync_config_registrations(api::Writer& writer,
                                                      const config::Settings& settings,
                                                      const ConfigRegistrations& previous,
                                                      const catalog::Snapshot& snapshot,
                                                      const RestoredStatus& restored) {
    const catalog::Node self = self_node(settings);
    RestoredStatus known = restored;
    for (const auto& c : snapshot.node_checks(self.name))
        known.emplace(c.id, std::make_pair(c.status, c.output));
    catalog::CurrentStatus current =
        [&known](const std::string& id) -> std::optional<std::pair<catalog::Status, std::string>> {
        auto it = known.find(id);
        if (it == known.end())
            return std::nullopt;
        return it->second;
    };
    std::vector<catalog::Command> batch;
    catalog::Register node_only;
    node_only.node = self;
    batch.push_back(std::move(node_only));
    ConfigRegistrations now;
    for (const auto& def : settings.services) {
        catalog::Register reg = catalog::registration(def, self, current);
        for (size_t i = 0; i < def.checks.size(); ++i) {
            catalog::CheckDefinition check = def.checks[i];
            check.service_id = def.service.id;
            now.checks.push_back(std::move(check));
            now.statuses.push_back(reg.checks[i].status);
        }
        batch.push_back(std::move(reg));
        now.services.insert(def.service.id);
    }
    for (const auto& c : settings.checks) {
        catalog::Register reg;
        reg.node = self;
        reg.skip_node_update = true;
        reg.checks.push_back(catalog::catalog_check(c, self.name, nullptr, current));
        now.checks.push_back(c);
        now.statuses.push_back(reg.checks.front().status);
        batch.push_back(std::move(reg));
    }
    std::set<std::string> check_ids;
    for (const auto& c : now.checks)
        check_ids.insert(c.id);
    // Checks dropped from the config go (removing one whose service goes too is harmless).
    for (const auto& c : previous.checks)
        if (!check_ids.contains(c.id))
            batch.push_back(
                catalog::Deregister{.node = self.name, .service_id = {}, .check_id = c.id});
    for (const auto& id : previous.services)
        if (!now.services.contains(id))
            batch.push_back(
                catalog::Deregister{.node = self.name, .service_id = id, .check_id = {}});
    if (auto r = apply(writer, std::move(batch)); !r)
        return r.error();
    return now;
}

}  // namespace muster::app
