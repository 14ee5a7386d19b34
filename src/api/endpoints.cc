// Consul's agent, catalog, health and status endpoints over one catalog snapshot.
#include "api/endpoints.hh"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "api/consul_json.hh"
#include "api/filter.hh"
#include "catalog/definition.hh"
#include "checks/probe.hh"
#include "common/ascii.hh"
#include "common/duration.hh"

namespace muster::api {
namespace {

using catalog::Check;
using catalog::Node;
using catalog::Service;

constexpr std::string_view maintenance_check_name = "Service Maintenance Mode";
// Consul's text when maintenance is enabled without ?reason.
constexpr std::string_view default_maintenance_reason =
    "Maintenance mode is enabled for this service, but no reason was provided. This is a default "
    "message.";

constexpr std::string_view node_maintenance_check_name = "Node Maintenance Mode";
constexpr std::string_view default_node_maintenance_reason =
    "Maintenance mode is enabled for this node, but no reason was provided. This is a default "
    "message.";
// Consul's CheckBufSize: the most output a check keeps.
constexpr size_t max_check_output = 4096;

// Example rows: every selector of a ?filter must name one of their fields.
const json& health_entry_shape() {
    static const json shape = [] {
        catalog::ServiceEntry e;
        e.checks.emplace_back();
        return health_entry_json(e);
    }();
    return shape;
}
const json& catalog_service_shape() {
    static const json shape = catalog_service_json(Node{}, Service{});
    return shape;
}
const json& node_shape() {
    static const json shape = node_json(Node{});
    return shape;
}
const json& check_shape() {
    static const json shape = check_json(Check{});
    return shape;
}
const json& agent_service_shape() {
    static const json shape = agent_service_json(Service{}, "");
    return shape;
}

// Keeps the rows the ?filter matches. An invalid filter is the 400 message.
Result<json> filtered(json rows, const QueryOptions& q, const json& shape) {
    if (!q.filter)
        return rows;
    auto f = Filter::parse(*q.filter, shape);
    if (!f)
        return f.error();
    if (rows.is_array()) {
        json out = json::array();
        for (auto& row : rows)
            if (f->matches(row))
                out.push_back(std::move(row));
        return out;
    }
    json out = json::object();
    for (auto& [key, row] : rows.items())
        if (f->matches(row))
            out[key] = std::move(row);
    return out;
}

bool has_all_tags(const std::vector<std::string>& have, const std::vector<std::string>& want) {
    // Consul compares tags case-insensitively for ?tag.
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return s;
    };
    for (const auto& w : want) {
        bool found = std::any_of(have.begin(), have.end(),
                                 [&](const std::string& h) { return lower(h) == lower(w); });
        if (!found)
            return false;
    }
    return true;
}

std::vector<catalog::ServiceEntry> service_entries(const catalog::Snapshot& snap,
                                                   const std::string& name, const QueryOptions& q,
                                                   catalog::HealthFilter health) {
    std::optional<std::string_view> tag;
    if (!q.tags.empty())
        tag = q.tags.front();
    auto entries = snap.service(name, tag, health);
    std::erase_if(entries, [&](const catalog::ServiceEntry& e) {
        return !has_all_tags(e.service.tags, q.tags);
    });
    return entries;
}

// The tags of each check's service, reading each node's services once (a node with thousands
// of checks must not cost thousands of service scans).
class ServiceTags {
  public:
    explicit ServiceTags(const catalog::Snapshot& snap) : snap_(snap) {}
    const std::vector<std::string>& of(const Check& c) {
        static const std::vector<std::string> none;
        if (c.service_id.empty())
            return none;
        auto node = nodes_.find(c.node);
        if (node == nodes_.end()) {
            std::map<std::string, std::vector<std::string>> by_id;
            for (auto& s : snap_.node_services(c.node))
                by_id.emplace(s.id, std::move(s.tags));
            node = nodes_.emplace(c.node, std::move(by_id)).first;
        }
        auto it = node->second.find(c.service_id);
        return it == node->second.end() ? none : it->second;
    }

  private:
    const catalog::Snapshot& snap_;
    std::map<std::string, std::map<std::string, std::vector<std::string>>> nodes_;
};

json checks_json(const catalog::Snapshot& snap, const std::vector<Check>& checks) {
    ServiceTags tags(snap);
    json out = json::array();
    for (const auto& c : checks)
        out.push_back(check_json(c, tags.of(c)));
    return out;
}

json member_json(const Options& o) {
    std::string addr = o.node_address;
    uint16_t port = 8301;
    if (!o.server_address.empty())
        if (auto sa = SockAddr::parse(o.server_address, 8300))
            addr = sa->ip_string(), port = sa->port();
    return json{{"Name", o.node_name},
                {"Addr", addr},
                {"Port", port},
                {"Tags",
                 {{"dc", o.datacenter},
                  {"role", o.server ? "consul" : "node"},
                  {"build", o.version},
                  {"id", o.node_id}}},
                {"Status", 1},
                {"ProtocolMin", 1},
                {"ProtocolMax", 5},
                {"ProtocolCur", 2},
                {"DelegateMin", 2},
                {"DelegateMax", 5},
                {"DelegateCur", 4}};
}

// Raft server address -> node name, from the instances of the service every server registers
// at its server port (server_service_name).
std::map<std::string, std::string> server_nodes(const Options& o, const catalog::Snapshot& snap) {
    std::map<std::string, std::string> out;
    for (const auto& e :
         snap.service(o.server_service_name, std::nullopt, catalog::HealthFilter::any)) {
        std::string ip = e.service.address.empty() ? e.node.address : e.service.address;
        out[ip + ":" + std::to_string(e.service.port)] = e.node.name;
    }
    return out;
}

json raft_configuration_json(const Options& o, const catalog::Snapshot& snap) {
    json servers = json::array();
    uint64_t index = 0;
    if (o.cluster == nullptr) {
        servers.push_back({{"ID", o.node_id.empty() ? o.node_name : o.node_id},
                           {"Node", o.node_name},
                           {"Address", o.server_address},
                           {"Leader", true},
                           {"Voter", true},
                           {"ProtocolVersion", "3"}});
    } else {
        auto nodes = server_nodes(o, snap);
        auto info = o.cluster->info();
        index = info.index;
        for (const auto& s : info.servers) {
            auto it = nodes.find(s.address);
            servers.push_back({{"ID", s.id},
                               {"Node", it == nodes.end() ? "" : it->second},
                               {"Address", s.address},
                               {"Leader", s.leader},
                               {"Voter", s.voter},
                               {"ProtocolVersion", "3"}});
        }
    }
    return json{{"Servers", std::move(servers)}, {"Index", index}};
}

// Serf's member status codes, as Consul's /v1/agent/members reports them.
constexpr int member_alive = 1;
constexpr int member_left = 3;
constexpr int member_failed = 4;

// A node's Serf status from its serfHealth check: failed once the leader marked it critical.
int member_status(const catalog::Snapshot& snap, const std::string& node) {
    for (const auto& c : snap.node_checks(node))
        if (c.id == "serfHealth" && c.service_id.empty())
            return c.status == catalog::Status::critical ? member_failed : member_alive;
    return member_alive;
}

bool has_serf_check(const catalog::Snapshot& snap, const std::string& node) {
    for (const auto& c : snap.node_checks(node))
        if (c.id == "serfHealth" && c.service_id.empty())
            return true;
    return false;
}

bool is_server_node(const Options& o, const catalog::Snapshot& snap, const std::string& node) {
    for (const auto& [address, name] : server_nodes(o, snap))
        if (name == node)
            return true;
    return false;
}

// /v1/agent/members: this agent, or every member of the cluster: the servers of the Raft
// configuration and every node the leader keeps a serfHealth check for (client agents), alive
// or failed by that check, then the members that left (the store's left records: leaving
// deregistered their nodes) as Serf's "left".
json members_json(const Options& o, const catalog::Snapshot& snap) {
    if (o.cluster == nullptr)
        return json::array({member_json(o)});
    json out = json::array();
    std::set<std::string> listed;
    auto nodes = server_nodes(o, snap);
    for (const auto& s : o.cluster->info().servers) {
        json m = member_json(o);
        auto it = nodes.find(s.address);
        m["Name"] = it == nodes.end() ? s.address : it->second;
        if (auto sa = SockAddr::parse(s.address, 8300))
            m["Addr"] = sa->ip_string(), m["Port"] = sa->port();
        m["Tags"]["id"] = s.id;
        m["Tags"]["role"] = "consul";
        m["Status"] = it == nodes.end() ? member_alive : member_status(snap, it->second);
        listed.insert(m["Name"].get<std::string>());
        out.push_back(std::move(m));
    }
    for (const auto& node : snap.nodes()) {
        if (listed.count(node.name) || !has_serf_check(snap, node.name))
            continue;
        json m = member_json(o);
        m["Name"] = node.name;
        m["Addr"] = node.address;
        m["Port"] = 8301;
        m["Tags"]["role"] = "node";
        m["Tags"]["id"] = "";
        m["Status"] = member_status(snap, node.name);
        listed.insert(node.name);
        out.push_back(std::move(m));
    }
    for (const auto& left : snap.left_members()) {
        if (listed.count(left.name))
            continue;
        json m = member_json(o);
        m["Name"] = left.name;
        m["Addr"] = left.address;
        m["Port"] = 8301;
        m["Tags"]["role"] = left.server ? "consul" : "node";
        m["Tags"]["id"] = "";
        m["Status"] = member_left;
        listed.insert(left.name);
        out.push_back(std::move(m));
    }
    if (!listed.count(o.node_name))
        out.push_back(member_json(o));
    return out;
}

std::string role_of(const Options& o) {
    if (o.server)
        return "server";
    return o.cluster != nullptr ? "client" : "standalone";
}

json agent_stats(const Options& o, const catalog::Snapshot& snap) {
    auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - o.started);
    return json{{"node_name", o.node_name},
                {"role", role_of(o)},
                {"version", o.version},
                {"datacenter", o.datacenter},
                {"uptime", go_duration_text(uptime / 1000 * 1000)},  // whole seconds
                {"services", std::to_string(snap.node_services(o.node_name).size())},
                {"checks", std::to_string(snap.node_checks(o.node_name).size())}};
}

json catalog_stats(const catalog::Snapshot& snap) {
    return json{{"nodes", std::to_string(snap.nodes().size())},
                {"services", std::to_string(snap.services().size())},
                {"checks", std::to_string(snap.checks(std::nullopt).size())},
                {"index", std::to_string(snap.index())}};
}

json cache_stats(const CacheStats& c) {
    char ratio[32] = "0";
    if (c.hits + c.misses > 0)
        std::snprintf(ratio, sizeof ratio, "%.3f",
                      static_cast<double>(c.hits) / static_cast<double>(c.hits + c.misses));
    return json{{"entries", std::to_string(c.entries)},
                {"capacity", std::to_string(c.capacity)},
                {"hits", std::to_string(c.hits)},
                {"misses", std::to_string(c.misses)},
                {"hit_ratio", ratio},
                {"stale_hits", std::to_string(c.stale_hits)},
                {"inserts", std::to_string(c.inserts)},
                {"evictions", std::to_string(c.evictions)},
                {"prefetches", std::to_string(c.prefetches)}};
}

// Consul's Stats (every value a string, as Consul writes them): agent, consul, raft (servers),
// catalog, feed (client agents) and cache (when given). `muster info` prints every section.
json self_stats(const Options& o, const catalog::Snapshot& snap, const CacheStats* cache) {
    json stats = {{"agent", agent_stats(o, snap)}, {"catalog", catalog_stats(snap)}};
    json consul = {{"server", o.server ? "true" : "false"}};
    json feed = json::object();
    if (o.cluster == nullptr) {
        // Standalone: its own leader.
        consul["leader"] = "true";
        consul["leader_addr"] = o.server_address;
        consul["leader_name"] = o.node_name;
        consul["known_servers"] = "0";
    } else {
        auto info = o.cluster->info();
        auto nodes = server_nodes(o, snap);
        auto leader = nodes.find(info.leader_address);
        consul["known_servers"] = std::to_string(info.servers.size());
        consul["leader"] = o.server && info.raft_state == "Leader" ? "true" : "false";
        consul["leader_addr"] = info.leader_address;
        consul["leader_name"] = leader == nodes.end() ? "" : leader->second;
        consul["last_contact"] = std::to_string(info.last_contact.count()) + "ms";
        if (!o.server)
            feed = {{"server", info.feed_server}, {"applied_index", std::to_string(info.index)}};
        if (o.server) {
            size_t voters = 0;
            for (const auto& s : info.servers)
                voters += s.voter ? 1 : 0;
            stats["raft"] = {{"state", info.raft_state},
                             {"term", std::to_string(info.term)},
                             {"commit_index", std::to_string(info.commit_index)},
                             {"applied_index", std::to_string(info.index)},
                             {"last_contact", std::to_string(info.last_contact.count()) + "ms"},
                             {"num_peers", std::to_string(voters > 0 ? voters - 1 : 0)}};
        }
    }
    stats["consul"] = std::move(consul);
    stats["feed"] = std::move(feed);
    if (cache != nullptr)
        stats["cache"] = cache_stats(*cache);
    return stats;
}

json self_json(const Options& o, const catalog::Snapshot& snap, const CacheStats* cache) {
    return json{{"Config",
                 {{"Datacenter", o.datacenter},
                  {"NodeName", o.node_name},
                  {"NodeID", o.node_id},
                  {"Server", o.server},
                  {"Revision", "muster"},
                  {"Version", o.version}}},
                {"Member", member_json(o)},
                {"Stats", self_stats(o, snap, cache)},
                {"Meta", o.node_meta}};
}

// The body of a read, or the error reply.
struct Body {
    json value;
    std::optional<http::Response> error;
    int status = 200;
};

Body error_body(int status, std::string message) {
    return Body{json(), text_response(status, std::move(message))};
}

Body from(Result<json> r) {
    if (!r)
        return error_body(400, r.error().message);
    return Body{std::move(*r), std::nullopt};
}

Body no_filter(const QueryOptions& q, json value) {
    if (q.filter)
        return error_body(400, "filter is not supported on this endpoint");
    return Body{std::move(value), std::nullopt};
}

// Consul's /v1/agent/health/service reply for one instance: the worst of its checks and its
// node's checks, where a maintenance check outranks everything.
struct AgentHealth {
    std::string status;  // "passing", "warning", "critical", "maintenance"
    int code = 200;      // 200, 429, 503, 503
    json value;
};

AgentHealth agent_health(const Options& o, const catalog::Snapshot& snap, const Service& s) {
    std::vector<Check> checks;
    bool maintenance = false;
    for (const auto& c : snap.node_checks(o.node_name)) {
        if (!c.service_id.empty() && c.service_id != s.id)
            continue;
        if (c.id == catalog::node_maintenance_check_id ||
            c.id == std::string(catalog::service_maintenance_prefix) + s.id)
            maintenance = true;
        checks.push_back(c);
    }
    AgentHealth h;
    catalog::Status worst = catalog::aggregate_status(checks);
    h.status = maintenance ? "maintenance" : std::string(catalog::status_name(worst));
    h.code = maintenance || worst == catalog::Status::critical ? 503
             : worst == catalog::Status::warning               ? 429
                                                               : 200;
    json rows = json::array();
    for (const auto& c : checks)
        rows.push_back(check_json(c, s.tags));
    h.value = json{{"AggregatedStatus", h.status},
                   {"Service", agent_service_json(s, o.datacenter)},
                   {"Checks", std::move(rows)}};
    return h;
}

Body agent_health_body(const Options& o, const Route& route, const http::Request& req,
                       const catalog::Snapshot& snap) {
    const bool by_id = route.endpoint == Endpoint::agent_health_service_id;
    if (route.arg.empty())
        return error_body(400, by_id ? "Missing serviceID" : "Missing service Name");
    std::vector<AgentHealth> found;
    for (const auto& s : snap.node_services(o.node_name))
        if (by_id ? s.id == route.arg : s.name == route.arg)
            found.push_back(agent_health(o, snap, s));
    if (found.empty())
        return error_body(404, by_id ? "ServiceId " + route.arg + " not found"
                                     : "ServiceName " + route.arg + " Not Found");
    // The worst instance decides the code (Consul: critical > warning > passing).
    const AgentHealth* worst = &found.front();
    for (const auto& h : found)
        if (h.code > worst->code || (h.status == "maintenance" && worst->status != h.status))
            worst = &h;
    if (req.param("format").value_or("") == "text")
        return Body{json(), text_response(worst->code, worst->status), 200};
    if (by_id)
        return Body{std::move(found.front().value), std::nullopt, found.front().code};
    json rows = json::array();
    for (auto& h : found)
        rows.push_back(std::move(h.value));
    return Body{std::move(rows), std::nullopt, worst->code};
}

Body agent_services_body(const Options& o, const QueryOptions& q, const catalog::Snapshot& snap) {
    json out = json::object();
    for (const auto& s : snap.node_services(o.node_name))
        out[s.id] = agent_service_json(s, o.datacenter);
    return from(filtered(std::move(out), q, agent_service_shape()));
}

Body agent_checks_body(const Options& o, const QueryOptions& q, const catalog::Snapshot& snap) {
    json out = json::object();
    ServiceTags tags(snap);
    // The agent's own checks, as Consul's: serfHealth is the cluster's, not the agent's.
    for (const auto& c : snap.node_checks(o.node_name))
        if (c.id != "serfHealth" || !c.service_id.empty())
            out[c.id] = check_json(c, tags.of(c));
    return from(filtered(std::move(out), q, check_shape()));
}

Body catalog_services_body(const QueryOptions& q, const catalog::Snapshot& snap) {
    json out = json::object();
    for (const auto& [name, tags] : snap.services())
        out[name] = tags;
    return no_filter(q, std::move(out));
}

Body catalog_service_body(const Route& route, const QueryOptions& q,
                          const catalog::Snapshot& snap) {
    if (route.arg.empty())
        return error_body(400, "Missing service name");
    json rows = json::array();
    for (const auto& e : service_entries(snap, route.arg, q, catalog::HealthFilter::any))
        rows.push_back(catalog_service_json(e.node, e.service));
    return from(filtered(std::move(rows), q, catalog_service_shape()));
}

Body catalog_nodes_body(const QueryOptions& q, const catalog::Snapshot& snap) {
    json rows = json::array();
    for (const auto& n : snap.nodes())
        rows.push_back(node_json(n));
    return from(filtered(std::move(rows), q, node_shape()));
}

Body catalog_node_body(const Route& route, const QueryOptions& q, const catalog::Snapshot& snap) {
    if (route.arg.empty())
        return error_body(400, "Missing node name");
    auto node = snap.node(route.arg);
    if (!node)
        return no_filter(q, nullptr);  // Consul answers 200 null for an unknown node
    json services = json::object();
    for (const auto& s : snap.node_services(node->name))
        services[s.id] = service_json(s);
    auto kept = filtered(std::move(services), q, health_entry_shape()["Service"]);
    if (!kept)
        return error_body(400, kept.error().message);
    return Body{json{{"Node", node_json(*node)}, {"Services", std::move(*kept)}}, std::nullopt};
}

Body health_service_body(const Options& o, const Route& route, const QueryOptions& q,
                         const catalog::Snapshot& snap) {
    if (route.arg.empty())
        return error_body(400, "Missing service name");
    auto health = q.passing ? o.passing_filter : catalog::HealthFilter::any;
    json rows = json::array();
    for (const auto& e : service_entries(snap, route.arg, q, health))
        rows.push_back(health_entry_json(e));
    return from(filtered(std::move(rows), q, health_entry_shape()));
}

// /v1/health/node/<node>, /v1/health/checks/<service>, /v1/health/state/<state>
Body health_checks_body(const Route& route, const QueryOptions& q, const catalog::Snapshot& snap) {
    std::vector<catalog::Check> checks;
    switch (route.endpoint) {
        case Endpoint::health_node:
            if (route.arg.empty())
                return error_body(400, "Missing node name");
            checks = snap.node_checks(route.arg);
            break;
        case Endpoint::health_checks:
            if (route.arg.empty())
                return error_body(400, "Missing service name");
            checks = snap.service_checks(route.arg);
            break;
        default: {
            std::optional<catalog::Status> state;
            if (route.arg != "any") {
                state = catalog::parse_status(route.arg);
                if (!state)
                    return error_body(400, "Invalid check state \"" + route.arg +
                                               "\" (expected any, passing, warning or critical)");
            }
            checks = snap.checks(state);
        }
    }
    return from(filtered(checks_json(snap, checks), q, check_shape()));
}

Body status_body(const Options& o, const Route& route, const QueryOptions& q) {
    if (route.endpoint == Endpoint::status_leader)
        return no_filter(q, o.cluster != nullptr ? json(o.cluster->info().leader_address)
                                                 : json(o.server_address));
    if (o.cluster == nullptr)
        return no_filter(
            q, o.server_address.empty() ? json::array() : json::array({o.server_address}));
    json peers = json::array();
    for (const auto& server : o.cluster->info().servers)
        if (server.voter)
            peers.push_back(server.address);
    return no_filter(q, std::move(peers));
}

Body read_body(const Options& o, const Route& route, const QueryOptions& q,
               const catalog::Snapshot& snap) {
    switch (route.endpoint) {
        case Endpoint::agent_services:
            return agent_services_body(o, q, snap);
        case Endpoint::agent_checks:
            return agent_checks_body(o, q, snap);
        case Endpoint::agent_self:
            return no_filter(q, self_json(o, snap, nullptr));
        case Endpoint::agent_members:
            return no_filter(q, members_json(o, snap));
        case Endpoint::catalog_services:
            return catalog_services_body(q, snap);
        case Endpoint::catalog_service:
            return catalog_service_body(route, q, snap);
        case Endpoint::catalog_nodes:
            return catalog_nodes_body(q, snap);
        case Endpoint::catalog_node:
            return catalog_node_body(route, q, snap);
        case Endpoint::catalog_datacenters:
            return no_filter(q, json::array({o.datacenter}));
        case Endpoint::health_service:
            return health_service_body(o, route, q, snap);
        case Endpoint::health_node:
        case Endpoint::health_checks:
        case Endpoint::health_state:
            return health_checks_body(route, q, snap);
        case Endpoint::status_leader:
        case Endpoint::status_peers:
            return status_body(o, route, q);
        case Endpoint::operator_raft_configuration:
            return no_filter(q, raft_configuration_json(o, snap));
        default:
            return error_body(405, "not a read endpoint");
    }
}

// ---- writes ----

WritePlan refuse(int status, std::string message) {
    WritePlan plan;
    plan.refusal = text_response(status, std::move(message));
    return plan;
}

Result<json> parse_body(const http::Request& request) {
    if (request.body.empty())
        return make_error("Request decode failed: empty body (expected a JSON object)");
    json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded())
        return make_error("Request decode failed: the body is not valid JSON");
    return canonical_keys(body);
}

// This agent's node as stored, or as configured when it is not registered yet.
Node self_node(const Options& o, const catalog::Snapshot& snap) {
    if (auto n = snap.node(o.node_name))
        return *n;
    Node n;
    n.name = o.node_name;
    n.address = o.node_address;
    n.datacenter = o.datacenter;
    return n;
}

std::optional<Service> own_service(const Options& o, const catalog::Snapshot& snap,
                                   const std::string& id) {
    for (auto& s : snap.node_services(o.node_name))
        if (s.id == id)
            return s;
    return std::nullopt;
}

std::string unknown_service(const std::string& id) {
    return "Unknown service ID \"" + id +
           "\". Ensure that the service ID is passed, not the service name.";
}

// What the catalog has now for each check of this agent's node (re-registration keeps it).
catalog::CurrentStatus current_status(const Options& o, const catalog::Snapshot& snap) {
    return catalog::current_status(snap.node_checks(o.node_name));
}

// Whether this agent may run the check: script checks only with enable_script_checks (a
// remote caller must not be able to run commands), and a target the runner can use.
std::optional<std::string> unrunnable(const Options& o, const catalog::CheckDefinition& c) {
    if (c.kind == catalog::CheckKind::script && o.script_checks != ScriptChecks::enabled)
        return "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' "
               "to true";
    if (auto r = checks::validate_probe(c); !r)
        return "check \"" + c.id + "\": " + r.error().message;
    return std::nullopt;
}

WritePlan plan_agent_register(const Options& o, const http::Request& req,
                              const catalog::Snapshot& snap) {
    auto body = parse_body(req);
    if (!body)
        return refuse(400, body.error().message);
    auto def = catalog::parse_service_definition(*body, "");
    if (!def)
        return refuse(400, def.error().message);
    for (auto& c : def->checks) {
        if (auto why = unrunnable(o, c))
            return refuse(400, *why);
        c.service_id = def->service.id;
    }
    Node self = self_node(o, snap);
    catalog::Register reg = catalog::registration(*def, self, current_status(o, snap));
    WritePlan plan;
    // Re-registration replaces the service's checks: drop those the new definition lacks
    // (maintenance stays, as in Consul).
    for (const auto& c : snap.node_checks(o.node_name)) {
        bool kept = c.service_id != reg.service->id ||
                    c.id.starts_with(catalog::service_maintenance_prefix) ||
                    std::any_of(reg.checks.begin(), reg.checks.end(),
                                [&](const Check& n) { return n.id == c.id; });
        if (!kept) {
            plan.batch.push_back(catalog::Deregister{o.node_name, std::nullopt, c.id});
            plan.stop_checks.push_back(c.id);
        }
    }
    for (size_t i = 0; i < def->checks.size(); ++i) {
        plan.run.push_back(def->checks[i]);
        plan.run_status.push_back(reg.checks[i].status);
    }
    plan.own_service = reg.service->id;
    plan.own_definition = body->dump();
    plan.batch.push_back(std::move(reg));
    return plan;
}

WritePlan plan_agent_deregister(const Options& o, const Route& route,
                                const catalog::Snapshot& snap) {
    if (route.arg.empty())
        return refuse(400, "Missing service ID");
    if (!own_service(o, snap, route.arg))
        return refuse(404, unknown_service(route.arg));
    WritePlan plan;
    plan.batch.push_back(catalog::Deregister{o.node_name, route.arg, std::nullopt});
    plan.stop_services.push_back(route.arg);
    return plan;
}

WritePlan plan_check_register(const Options& o, const http::Request& req,
                              const catalog::Snapshot& snap) {
    auto body = parse_body(req);
    if (!body)
        return refuse(400, body.error().message);
    auto def = catalog::parse_check_definition(*body, "");
    if (!def)
        return refuse(400, def.error().message);
    if (auto why = unrunnable(o, *def))
        return refuse(400, *why);
    std::optional<Service> service;
    if (!def->service_id.empty()) {
        service = own_service(o, snap, def->service_id);
        if (!service)
            return refuse(404,
                          "ServiceID \"" + def->service_id + "\" does not exist on this agent");
    }
    catalog::Register reg;
    reg.node = self_node(o, snap);
    reg.skip_node_update = true;
    reg.checks.push_back(catalog::catalog_check(*def, o.node_name, service ? &*service : nullptr,
                                                current_status(o, snap)));
    WritePlan plan;
    plan.run.push_back(*def);
    plan.run_status.push_back(reg.checks.front().status);
    plan.batch.push_back(std::move(reg));
    return plan;
}

WritePlan plan_check_deregister(const Options& o, const Route& route,
                                const catalog::Snapshot& snap) {
    if (route.arg.empty())
        return refuse(400, "Missing check ID");
    auto checks = snap.node_checks(o.node_name);
    if (std::none_of(checks.begin(), checks.end(),
                     [&](const Check& c) { return c.id == route.arg; }))
        return refuse(404, "Unknown check ID \"" + route.arg + "\"");
    WritePlan plan;
    plan.batch.push_back(catalog::Deregister{o.node_name, std::nullopt, route.arg});
    plan.stop_checks.push_back(route.arg);
    return plan;
}

Result<bool> enable_param(const http::Request& req) {
    auto enable_text = req.param("enable");
    if (!enable_text || enable_text->empty())
        return make_error("Missing value for enable");
    auto enable = parse_go_bool(*enable_text);
    if (!enable)
        return make_error("Invalid value for enable: \"" + *enable_text + "\"");
    return *enable;
}

// Maintenance is a critical check with a reserved ID (Consul's): enabling registers it with
// the reason as notes, disabling removes it.
WritePlan maintenance_plan(const Options& o, const http::Request& req,
                           const catalog::Snapshot& snap, bool enable, std::string check_id,
                           std::string_view name, const Service* service,
                           std::string_view default_reason) {
    WritePlan plan;
    if (!enable) {
        plan.batch.push_back(catalog::Deregister{o.node_name, std::nullopt, std::move(check_id)});
        return plan;
    }
    catalog::Register reg;
    reg.node = self_node(o, snap);
    reg.skip_node_update = true;
    Check c;
    c.node = o.node_name;
    c.id = std::move(check_id);
    c.name = std::string(name);
    if (service) {
        c.service_id = service->id;
        c.service_name = service->name;
    }
    c.status = catalog::Status::critical;
    c.type = "maintenance";
    auto reason = req.param("reason");
    c.notes = reason && !reason->empty() ? *reason : std::string(default_reason);
    reg.checks.push_back(std::move(c));
    plan.batch.push_back(std::move(reg));
    return plan;
}

WritePlan plan_node_maintenance(const Options& o, const http::Request& req,
                                const catalog::Snapshot& snap) {
    auto enable = enable_param(req);
    if (!enable)
        return refuse(400, enable.error().message);
    return maintenance_plan(o, req, snap, *enable, std::string(catalog::node_maintenance_check_id),
                            node_maintenance_check_name, nullptr, default_node_maintenance_reason);
}

WritePlan plan_maintenance(const Options& o, const Route& route, const http::Request& req,
                           const catalog::Snapshot& snap) {
    if (route.arg.empty())
        return refuse(400, "Missing service ID");
    auto enable = enable_param(req);
    if (!enable)
        return refuse(400, enable.error().message);
    auto service = own_service(o, snap, route.arg);
    if (!service)
        return refuse(404, unknown_service(route.arg));
    return maintenance_plan(o, req, snap, *enable,
                            std::string(catalog::service_maintenance_prefix) + route.arg,
                            maintenance_check_name, &*service, default_maintenance_reason);
}

WritePlan plan_catalog_register(const Options& o, const http::Request& req) {
    auto body = parse_body(req);
    if (!body)
        return refuse(400, body.error().message);
    auto reg = parse_catalog_register(*body);
    if (!reg)
        return refuse(400, reg.error().message);
    if (!reg->node.datacenter.empty() && reg->node.datacenter != o.datacenter)
        return refuse(500, "No path to datacenter");
    reg->node.datacenter = o.datacenter;
    WritePlan plan;
    plan.batch.push_back(std::move(*reg));
    return plan;
}

bool has_left(const catalog::Snapshot& snap, const std::string& node) {
    auto left = snap.left_members();
    return std::any_of(left.begin(), left.end(),
                       [&](const catalog::LeftMember& m) { return ascii::iequals(m.name, node); });
}

// PUT /v1/agent/force-leave/:node: a failed node (serfHealth critical) leaves at once: its
// node, services and checks are deregistered and it is listed as left (catalog::Leave). A live
// node stays (its agent would refute the leave, as in Serf), and so does one that left already
// (both 200, nothing written); an unknown one is an error, with Consul's text.
WritePlan plan_force_leave(const Options& o, const Route& route, const catalog::Snapshot& snap) {
    if (route.arg.empty())
        return refuse(400, "Missing node name");
    auto node = snap.node(route.arg);
    if (!node && has_left(snap, route.arg))
        return WritePlan{};
    if (!node)
        return refuse(500, "agent: No node found with name '" + route.arg + "'");
    WritePlan plan;  // a live node: nothing to write, and 200
    if (member_status(snap, node->name) == member_failed)
        plan.batch.push_back(
            catalog::Leave{.node = node->name, .server = is_server_node(o, snap, node->name)});
    return plan;
}

WritePlan plan_catalog_deregister(const Options& o, const http::Request& req) {
    auto body = parse_body(req);
    if (!body)
        return refuse(400, body.error().message);
    if (body->is_object()) {
        auto dc = body->find("Datacenter");
        if (dc != body->end() && dc->is_string() && !dc->get<std::string>().empty() &&
            dc->get<std::string>() != o.datacenter)
            return refuse(500, "No path to datacenter");
    }
    auto d = parse_catalog_deregister(*body);
    if (!d)
        return refuse(400, d.error().message);
    WritePlan plan;
    plan.batch.push_back(std::move(*d));
    return plan;
}

}  // namespace

http::Response json_response(const json& body, const http::Request& request) {
    http::Response r;
    r.content_type = "application/json";
    r.body = request.has_param("pretty") ? body.dump(4) : body.dump();
    return r;
}

http::Response text_response(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

http::Response self_reply(const Options& options, const http::Request& request,
                          const QueryOptions& query, const catalog::Snapshot& snapshot,
                          const CacheStats& cache, const nlohmann::json* dns) {
    if (query.dc && *query.dc != options.datacenter)
        return text_response(500, "No path to datacenter");
    json self = self_json(options, snapshot, &cache);
    if (dns != nullptr)
        for (const auto& [section, values] : dns->items())
            self["Stats"][section] = values;
    Body body = no_filter(query, std::move(self));
    if (body.error)
        return std::move(*body.error);
    return json_response(body.value, request);
}

http::Response read(const Options& options, const Route& route, const http::Request& request,
                    const QueryOptions& query, const catalog::Snapshot& snapshot) {
    if (query.dc && *query.dc != options.datacenter)
        return text_response(500, "No path to datacenter");
    Body body = route.endpoint == Endpoint::agent_health_service_id ||
                        route.endpoint == Endpoint::agent_health_service_name
                    ? agent_health_body(options, route, request, snapshot)
                    : read_body(options, route, query, snapshot);
    if (body.error)
        return std::move(*body.error);
    http::Response r = json_response(body.value, request);
    r.status = body.status;
    if (is_blocking(route.endpoint)) {
        // Consul never reports index 0: a client blocking on 0 would not block.
        uint64_t index = std::max<uint64_t>(snapshot.index(), 1);
        r.headers.emplace_back("X-Consul-Index", std::to_string(index));
        bool known_leader = true;
        int64_t last_contact_ms = 0;
        if (options.cluster != nullptr) {
            auto info = options.cluster->info();
            known_leader = info.known_leader;
            last_contact_ms = info.last_contact.count();
        }
        r.headers.emplace_back("X-Consul-KnownLeader", known_leader ? "true" : "false");
        r.headers.emplace_back("X-Consul-LastContact", std::to_string(last_contact_ms));
    }
    return r;
}

namespace {

// A write through the agent API that may create this agent's node in a cluster: serfHealth
// comes with it when the node lacks it (an agent that dies before the leader first heard of it
// still turns failed, and takes its instances out of DNS).
WritePlan with_serf_health(const Options& o, const catalog::Snapshot& snap, WritePlan plan) {
    if (o.cluster == nullptr || plan.batch.empty())
        return plan;
    for (const auto& c : snap.node_checks(o.node_name))
        if (c.id == catalog::serf_check_id && c.service_id.empty())
            return plan;
    plan.batch.insert(plan.batch.begin(), catalog::serf_health_registration(self_node(o, snap)));
    return plan;
}

WritePlan plan_agent_write(const Options& options, const Route& route, const http::Request& request,
                           const catalog::Snapshot& snapshot) {
    switch (route.endpoint) {
        case Endpoint::agent_service_register:
            return plan_agent_register(options, request, snapshot);
        case Endpoint::agent_service_maintenance:
            return plan_maintenance(options, route, request, snapshot);
        case Endpoint::agent_maintenance:
            return plan_node_maintenance(options, request, snapshot);
        case Endpoint::agent_check_register:
            return plan_check_register(options, request, snapshot);
        default:
            return refuse(405, "not a write endpoint");
    }
}

}  // namespace

WritePlan plan_write(const Options& options, const Route& route, const http::Request& request,
                     const catalog::Snapshot& snapshot) {
    if (auto dc = request.param("dc"); dc && !dc->empty() && *dc != options.datacenter)
        return refuse(500, "No path to datacenter");
    switch (route.endpoint) {
        case Endpoint::agent_service_register:
        case Endpoint::agent_service_maintenance:
        case Endpoint::agent_maintenance:
        case Endpoint::agent_check_register:
            return with_serf_health(options, snapshot,
                                    plan_agent_write(options, route, request, snapshot));
        case Endpoint::agent_service_deregister:
            return plan_agent_deregister(options, route, snapshot);
        case Endpoint::agent_check_deregister:
            return plan_check_deregister(options, route, snapshot);
        case Endpoint::catalog_register:
            return plan_catalog_register(options, request);
        case Endpoint::catalog_deregister:
            return plan_catalog_deregister(options, request);
        case Endpoint::agent_force_leave:
            return plan_force_leave(options, route, snapshot);
        default:
            return refuse(405, "not a write endpoint");
    }
}

TtlPlan plan_ttl_update(const Route& route, const http::Request& request) {
    TtlPlan plan;
    plan.check_id = route.arg;
    if (plan.check_id.empty()) {
        plan.refusal = text_response(400, "Missing check ID");
        return plan;
    }
    switch (route.endpoint) {
        case Endpoint::agent_check_pass:
            plan.status = catalog::Status::passing;
            break;
        case Endpoint::agent_check_warn:
            plan.status = catalog::Status::warning;
            break;
        case Endpoint::agent_check_fail:
            plan.status = catalog::Status::critical;
            break;
        default: {
            auto body = parse_body(request);
            if (!body || !body->is_object()) {
                plan.refusal =
                    text_response(400, body ? "Request decode failed: expected a JSON object"
                                            : body.error().message);
                return plan;
            }
            auto st = body->find("Status");
            std::string text = st != body->end() && st->is_string() ? st->get<std::string>() : "";
            auto status = catalog::parse_status(text);
            if (!status) {
                plan.refusal = text_response(400, "Invalid check status: \"" + text + "\"");
                return plan;
            }
            plan.status = *status;
            if (auto out = body->find("Output"); out != body->end() && out->is_string())
                plan.output = out->get<std::string>();
            break;
        }
    }
    if (route.endpoint != Endpoint::agent_check_update)
        plan.output = request.param("note").value_or("");
    if (plan.output.size() > max_check_output) {
        plan.output.resize(max_check_output);
        plan.output += "\n... (captured " + std::to_string(max_check_output) + " of output)";
    }
    return plan;
}

http::Response write_done(const Route& route, const Result<uint64_t>& applied) {
    if (!applied)
        return text_response(500, applied.error().message);
    http::Response r;
    if (route.endpoint == Endpoint::catalog_register ||
        route.endpoint == Endpoint::catalog_deregister) {
        r.content_type = "application/json";
        r.body = "true";
    }
    return r;
}

}  // namespace muster::api
