// member_report: the liveness report's JSON, decoded defensively.
#include "cluster/internal/member_report.hh"

#include "cluster/internal/rpc_json.hh"

namespace muster::cluster::internal {
namespace {

// A JSON array of strings of at most `max` bytes each, or an Error naming `key`.
Result<std::vector<std::string>> get_strings(const json& j, const char* key, size_t max) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end())
        return out;
    if (!it->is_array())
        return make_error(std::string("\"") + key + "\" is not an array");
    out.reserve(it->size());
    for (const auto& v : *it) {
        if (!v.is_string() || v.get_ref<const std::string&>().size() > max)
            return make_error(std::string("\"") + key + "\" holds a value that is not a name");
        out.push_back(v.get<std::string>());
    }
    return out;
}

}  // namespace

std::vector<uint8_t> encode_report(const MemberReport& r) {
    json attached = json::array();
    for (const auto& c : r.attached) {
        attached.push_back(c.node);
        attached.push_back(c.address);
    }
    return dump(json{{"node", r.node},
                     {"address", r.address},
                     {"attached", std::move(attached)},
                     {"detached", r.detached}});
}

Result<MemberReport> decode_report(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "report", max_report_payload);
    if (!j)
        return j.error();
    auto fail = [](const Error& e) { return make_error("report: " + e.message); };
    MemberReport r;
    auto node = get_string(*j, "node", max_node_name);
    if (!node)
        return fail(node.error());
    auto address = get_string(*j, "address", max_address);
    if (!address)
        return fail(address.error());
    if (node->empty())
        return make_error("report: missing \"node\"");
    r.node = std::move(*node);
    r.address = std::move(*address);
    auto attached = get_strings(*j, "attached", std::max(max_node_name, max_address));
    if (!attached)
        return fail(attached.error());
    if (attached->size() % 2 != 0)
        return make_error("report: \"attached\" is not a list of node, address pairs");
    for (size_t i = 0; i < attached->size(); i += 2)
        r.attached.push_back({std::move((*attached)[i]), std::move((*attached)[i + 1])});
    auto detached = get_strings(*j, "detached", max_node_name);
    if (!detached)
        return fail(detached.error());
    r.detached = std::move(*detached);
    return r;
}

}  // namespace muster::cluster::internal
