// Consul's JSON shapes for nodes, services and checks, and the catalog register bodies.
#include "api/consul_json.hh"

#include <algorithm>
#include <cctype>
#include <limits>

#include "common/ascii.hh"

namespace muster::api {
namespace {

// Consul's field names that clients may send in another case.
constexpr std::string_view known_keys[] = {"Address",
                                           "AliasNode",
                                           "AliasService",
                                           "Args",
                                           "Body",
                                           "Check",
                                           "CheckID",
                                           "Checks",
                                           "Connect",
                                           "Datacenter",
                                           "DeregisterCriticalServiceAfter",
                                           "Definition",
                                           "DisableRedirects",
                                           "DockerContainerID",
                                           "EnableTagOverride",
                                           "FailuresBeforeCritical",
                                           "FailuresBeforeWarning",
                                           "GRPC",
                                           "GRPCUseTLS",
                                           "HTTP",
                                           "Header",
                                           "ID",
                                           "Interval",
                                           "Kind",
                                           "Meta",
                                           "Method",
                                           "Name",
                                           "Namespace",
                                           "Node",
                                           "NodeMeta",
                                           "Notes",
                                           "Output",
                                           "Passing",
                                           "Port",
                                           "Proxy",
                                           "Script",
                                           "ScriptArgs",
                                           "Service",
                                           "ServiceID",
                                           "ServiceName",
                                           "ServiceTags",
                                           "Shell",
                                           "SkipNodeUpdate",
                                           "Status",
                                           "SuccessBeforePassing",
                                           "TCP",
                                           "TCPUseTLS",
                                           "TLSServerName",
                                           "TLSSkipVerify",
                                           "TTL",
                                           "TaggedAddresses",
                                           "Tags",
                                           "Timeout",
                                           "Token",
                                           "Type",
                                           "Warning",
                                           "Weights",
                                           "WriteRequest",
                                           "CreateIndex",
                                           "ModifyIndex",
                                           "Partition",
                                           "OutputMaxSize"};

// Objects whose keys are user data, never renamed.
bool is_user_map(std::string_view key) {
    return key == "Meta" || key == "NodeMeta" || key == "TaggedAddresses" || key == "Header";
}

std::string canonical_name(const std::string& key) {
    for (std::string_view k : known_keys)
        if (ascii::iequals(k, key))
            return std::string(k);
    return key;
}

json string_map(const std::map<std::string, std::string>& m) {
    json out = json::object();
    for (const auto& [k, v] : m)
        out[k] = v;
    return out;
}

json weights_json(const catalog::Weights& w) {
    return json{{"Passing", w.passing}, {"Warning", w.warning}};
}

// Field readers over a canonical-keyed object: absent or null keeps the default.
std::string decode_error(const std::string& path, std::string_view expected, const json& got) {
    return "Request decode failed: " + path + ": expected " + std::string(expected) + " (got " +
           got.type_name() + ")";
}

const json* field(const json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return nullptr;
    return &*it;
}

Result<void> read_string(const json& obj, const char* key, const std::string& path,
                         std::string& out) {
    const json* v = field(obj, key);
    if (v == nullptr)
        return {};
    if (!v->is_string())
        return make_error(decode_error(path + key, "a string", *v));
    out = v->get<std::string>();
    return {};
}

Result<void> read_bool(const json& obj, const char* key, const std::string& path, bool& out) {
    const json* v = field(obj, key);
    if (v == nullptr)
        return {};
    if (!v->is_boolean())
        return make_error(decode_error(path + key, "a boolean", *v));
    out = v->get<bool>();
    return {};
}

template <class Int>
Result<void> read_uint(const json& obj, const char* key, const std::string& path, Int& out) {
    const json* v = field(obj, key);
    if (v == nullptr)
        return {};
    constexpr auto max = std::numeric_limits<Int>::max();
    std::string expected = "an integer 0.." + std::to_string(max);
    if (!v->is_number_integer())
        return make_error(decode_error(path + key, expected, *v));
    if (v->is_number_unsigned() ? v->get<uint64_t>() > max
                                : v->get<int64_t>() < 0 || v->get<int64_t>() > int64_t(max))
        return make_error("Request decode failed: " + path + key + ": expected " + expected +
                          " (got " + v->dump() + ")");
    out = static_cast<Int>(v->get<uint64_t>());
    return {};
}

Result<void> read_string_map(const json& obj, const char* key, const std::string& path,
                             std::map<std::string, std::string>& out) {
    const json* v = field(obj, key);
    if (v == nullptr)
        return {};
    if (!v->is_object())
        return make_error(decode_error(path + key, "an object of strings", *v));
    for (const auto& [k, item] : v->items()) {
        if (!item.is_string())
            return make_error(decode_error(path + key + "." + k, "a string", item));
        out[k] = item.get<std::string>();
    }
    return {};
}

Result<void> read_string_list(const json& obj, const char* key, const std::string& path,
                              std::vector<std::string>& out) {
    const json* v = field(obj, key);
    if (v == nullptr)
        return {};
    if (!v->is_array())
        return make_error(decode_error(path + key, "an array of strings", *v));
    for (size_t i = 0; i < v->size(); ++i) {
        if (!(*v)[i].is_string())
            return make_error(
                decode_error(path + key + "[" + std::to_string(i) + "]", "a string", (*v)[i]));
        out.push_back((*v)[i].get<std::string>());
    }
    return {};
}

Result<void> require_object(const json& v, const std::string& path) {
    if (!v.is_object())
        return make_error(decode_error(path.empty() ? "body" : path, "an object", v));
    return {};
}

#define MUSTER_TRY(expr)              \
    do {                              \
        auto muster_r_ = (expr);      \
        if (!muster_r_)               \
            return muster_r_.error(); \
    } while (0)

Result<catalog::Service> parse_service(const json& v, const std::string& path) {
    MUSTER_TRY(require_object(v, path));
    catalog::Service s;
    std::string p = path + ".";
    MUSTER_TRY(read_string(v, "ID", p, s.id));
    MUSTER_TRY(read_string(v, "Service", p, s.name));
    MUSTER_TRY(read_string_list(v, "Tags", p, s.tags));
    MUSTER_TRY(read_string(v, "Address", p, s.address));
    MUSTER_TRY(read_uint(v, "Port", p, s.port));
    MUSTER_TRY(read_string_map(v, "Meta", p, s.meta));
    MUSTER_TRY(read_bool(v, "EnableTagOverride", p, s.enable_tag_override));
    if (const json* w = field(v, "Weights")) {
        MUSTER_TRY(require_object(*w, p + "Weights"));
        MUSTER_TRY(read_uint(*w, "Passing", p + "Weights.", s.weights.passing));
        MUSTER_TRY(read_uint(*w, "Warning", p + "Weights.", s.weights.warning));
    }
    if (s.name.empty())
        return make_error("Must provide service name (" + p + "Service)");
    if (s.id.empty())
        s.id = s.name;
    return s;
}

Result<catalog::Check> parse_check(const json& v, const std::string& path) {
    MUSTER_TRY(require_object(v, path));
    catalog::Check c;
    std::string p = path + ".";
    std::string status;
    MUSTER_TRY(read_string(v, "Node", p, c.node));
    MUSTER_TRY(read_string(v, "CheckID", p, c.id));
    MUSTER_TRY(read_string(v, "Name", p, c.name));
    MUSTER_TRY(read_string(v, "Status", p, status));
    MUSTER_TRY(read_string(v, "Notes", p, c.notes));
    MUSTER_TRY(read_string(v, "Output", p, c.output));
    MUSTER_TRY(read_string(v, "ServiceID", p, c.service_id));
    MUSTER_TRY(read_string(v, "Type", p, c.type));
    if (c.id.empty())
        c.id = c.name;
    if (c.id.empty())
        return make_error("Missing check ID (" + p + "CheckID or " + p + "Name)");
    if (!status.empty()) {
        auto st = catalog::parse_status(status);
        if (!st)
            return make_error("Invalid check status '" + status + "' (" + p +
                              "Status): expected passing, warning or critical");
        c.status = *st;
    }
    return c;
}

}  // namespace

json canonical_keys(const json& body) {
    if (body.is_array()) {
        json out = json::array();
        for (const auto& item : body)
            out.push_back(canonical_keys(item));
        return out;
    }
    if (!body.is_object())
        return body;
    json out = json::object();
    for (const auto& [key, value] : body.items()) {
        std::string name = canonical_name(key);
        out[name] = is_user_map(name) ? value : canonical_keys(value);
    }
    return out;
}

json node_json(const catalog::Node& node) {
    return json{{"ID", ""},
                {"Node", node.name},
                {"Address", node.address},
                {"Datacenter", node.datacenter},
                {"TaggedAddresses", string_map(node.tagged_addresses)},
                {"Meta", string_map(node.meta)},
                {"CreateIndex", node.index.create},
                {"ModifyIndex", node.index.modify}};
}

json service_json(const catalog::Service& s) {
    return json{{"ID", s.id},
                {"Service", s.name},
                {"Tags", s.tags},
                {"Address", s.address},
                {"TaggedAddresses", json::object()},
                {"Meta", string_map(s.meta)},
                {"Port", s.port},
                {"Weights", weights_json(s.weights)},
                {"EnableTagOverride", s.enable_tag_override},
                {"CreateIndex", s.index.create},
                {"ModifyIndex", s.index.modify}};
}

json agent_service_json(const catalog::Service& s, std::string_view datacenter) {
    return json{{"ID", s.id},
                {"Service", s.name},
                {"Tags", s.tags},
                {"Meta", string_map(s.meta)},
                {"Port", s.port},
                {"Address", s.address},
                {"TaggedAddresses", json::object()},
                {"Weights", weights_json(s.weights)},
                {"EnableTagOverride", s.enable_tag_override},
                {"Datacenter", datacenter}};
}

json catalog_service_json(const catalog::Node& node, const catalog::Service& s) {
    return json{{"ID", ""},
                {"Node", node.name},
                {"Address", node.address},
                {"Datacenter", node.datacenter},
                {"TaggedAddresses", string_map(node.tagged_addresses)},
                {"NodeMeta", string_map(node.meta)},
                {"ServiceKind", ""},
                {"ServiceID", s.id},
                {"ServiceName", s.name},
                {"ServiceTags", s.tags},
                {"ServiceAddress", s.address},
                {"ServiceTaggedAddresses", json::object()},
                {"ServiceWeights", weights_json(s.weights)},
                {"ServiceMeta", string_map(s.meta)},
                {"ServicePort", s.port},
                {"ServiceEnableTagOverride", s.enable_tag_override},
                {"CreateIndex", s.index.create},
                {"ModifyIndex", s.index.modify}};
}

json check_json(const catalog::Check& c, const std::vector<std::string>& service_tags) {
    return json{{"Node", c.node},
                {"CheckID", c.id},
                {"Name", c.name},
                {"Status", std::string(catalog::status_name(c.status))},
                {"Notes", c.notes},
                {"Output", c.output},
                {"ServiceID", c.service_id},
                {"ServiceName", c.service_name},
                {"ServiceTags", service_tags},
                {"Type", c.type},
                {"Definition", json::object()},
                {"CreateIndex", c.index.create},
                {"ModifyIndex", c.index.modify}};
}

json health_entry_json(const catalog::ServiceEntry& e) {
    json checks = json::array();
    for (const auto& c : e.checks)
        checks.push_back(
            check_json(c, c.service_id.empty() ? std::vector<std::string>{} : e.service.tags));
    return json{{"Node", node_json(e.node)},
                {"Service", service_json(e.service)},
                {"Checks", std::move(checks)}};
}

Result<catalog::Register> parse_catalog_register(const json& body) {
    MUSTER_TRY(require_object(body, ""));
    catalog::Register r;
    MUSTER_TRY(read_string(body, "Node", "", r.node.name));
    MUSTER_TRY(read_string(body, "Address", "", r.node.address));
    MUSTER_TRY(read_string(body, "Datacenter", "", r.node.datacenter));
    MUSTER_TRY(read_string_map(body, "TaggedAddresses", "", r.node.tagged_addresses));
    MUSTER_TRY(read_string_map(body, "NodeMeta", "", r.node.meta));
    MUSTER_TRY(read_bool(body, "SkipNodeUpdate", "", r.skip_node_update));
    if (r.node.name.empty())
        return make_error("Must provide node (Node)");
    if (r.node.address.empty() && !r.skip_node_update)
        return make_error("Must provide address (Address)");
    if (const json* s = field(body, "Service")) {
        auto service = parse_service(*s, "Service");
        if (!service)
            return service.error();
        service->node = r.node.name;
        r.service = std::move(*service);
    }
    std::vector<std::pair<const json*, std::string>> checks;
    if (const json* c = field(body, "Check"))
        checks.emplace_back(c, "Check");
    if (const json* cs = field(body, "Checks")) {
        if (!cs->is_array())
            return make_error(decode_error("Checks", "an array of checks", *cs));
        for (size_t i = 0; i < cs->size(); ++i)
            checks.emplace_back(&(*cs)[i], "Checks[" + std::to_string(i) + "]");
    }
    for (const auto& [value, path] : checks) {
        auto check = parse_check(*value, path);
        if (!check)
            return check.error();
        if (check->node.empty())
            check->node = r.node.name;
        if (!ascii::iequals(check->node, r.node.name))
            return make_error("Check node '" + check->node + "' (" + path +
                              ".Node) does not match the registered node '" + r.node.name + "'");
        r.checks.push_back(std::move(*check));
    }
    return r;
}

Result<catalog::Deregister> parse_catalog_deregister(const json& body) {
    MUSTER_TRY(require_object(body, ""));
    catalog::Deregister d;
    std::string service_id, check_id;
    MUSTER_TRY(read_string(body, "Node", "", d.node));
    MUSTER_TRY(read_string(body, "ServiceID", "", service_id));
    MUSTER_TRY(read_string(body, "CheckID", "", check_id));
    if (d.node.empty())
        return make_error("Must provide node (Node)");
    if (!service_id.empty())
        d.service_id = service_id;
    if (!check_id.empty())
        d.check_id = check_id;
    return d;
}

}  // namespace muster::api
