// The agent's own node, services and checks in the catalog.
#include "app/agent_catalog.hh"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <future>

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

Result<void> refuse_runner_checks(const std::vector<catalog::CheckDefinition>& checks) {
    for (const auto& c : checks)
        if (c.kind != catalog::CheckKind::external)
            return make_error("check \"" + (c.id.empty() ? c.name : c.id) +
                              "\": " + std::string(catalog::check_kind_name(c.kind)) +
                              " checks are not run by this version of muster yet; only checks "
                              "with a status set through the API are supported");
    return {};
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

Result<std::set<std::string>> sync_config_registrations(api::Writer& writer,
                                                        const config::Settings& settings,
                                                        const std::set<std::string>& previous) {
    const catalog::Node self = self_node(settings);
    std::vector<catalog::Command> batch;
    catalog::Register node_only;
    node_only.node = self;
    batch.push_back(std::move(node_only));
    std::set<std::string> ids;
    for (const auto& def : settings.services) {
        if (auto r = refuse_runner_checks(def.checks); !r)
            return make_error("service \"" + def.service.id + "\": " + r.error().message);
        batch.push_back(catalog::registration(def, self));
        ids.insert(def.service.id);
    }
    if (auto r = refuse_runner_checks(settings.checks); !r)
        return r.error();
    for (const auto& c : settings.checks) {
        catalog::Register reg;
        reg.node = self;
        catalog::Check check;
        check.node = self.name;
        check.id = c.id;
        check.name = c.name;
        check.service_id = c.service_id;
        check.status = c.initial_status;
        check.notes = c.notes;
        reg.checks.push_back(std::move(check));
        batch.push_back(std::move(reg));
    }
    for (const auto& id : previous)
        if (!ids.contains(id))
            batch.push_back(
                catalog::Deregister{.node = self.name, .service_id = id, .check_id = {}});
    if (auto r = apply(writer, std::move(batch)); !r)
        return r.error();
    return ids;
}

}  // namespace muster::app
