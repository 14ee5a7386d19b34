// rpc_messages: JSON payloads of the cluster RPC, decoded defensively (untrusted input), and
// the checked JSON field readers (rpc_json.hh) the feed's payloads share.
#include "cluster/internal/rpc_messages.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "cluster/internal/rpc_json.hh"

namespace muster::cluster::internal {
namespace {

constexpr size_t max_nesting = 8;

// Refuses deep nesting before the parser sees it (a payload of 64 KiB of '[' is valid JSON).
bool shallow(std::span<const uint8_t> bytes) {
    size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (uint8_t c : bytes) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_nesting)
                return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return true;
}

}  // namespace

std::vector<uint8_t> dump(const json& j) {
    std::string s = j.dump();
    return std::vector<uint8_t>(s.begin(), s.end());
}

Result<json> parse_object(std::span<const uint8_t> bytes, const char* what, size_t max) {
    if (bytes.size() > max)
        return make_error(std::string(what) + ": payload too large");
    if (!shallow(bytes))
        return make_error(std::string(what) + ": nested too deeply");
    json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(std::string(what) + ": not a JSON object");
    return j;
}

Result<uint64_t> get_u64(const json& j, const char* key, bool required) {
    auto it = j.find(key);
    if (it == j.end()) {
        if (required)
            return make_error(std::string("missing \"") + key + "\"");
        return uint64_t{0};
    }
    if (!it->is_number_unsigned())
        return make_error(std::string("\"") + key + "\" is not an unsigned integer");
    return it->get<uint64_t>();
}

Result<bool> get_bool(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end())
        return false;
    if (!it->is_boolean())
        return make_error(std::string("\"") + key + "\" is not a boolean");
    return it->get<bool>();
}

Result<std::string> get_string(const json& j, const char* key, size_t max) {
    auto it = j.find(key);
    if (it == j.end())
        return std::string();
    if (!it->is_string())
        return make_error(std::string("\"") + key + "\" is not a string");
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > max)
        return make_error(std::string("\"") + key + "\" is too long");
    return s;
}

Result<std::string> get_address(const json& j, const char* key, bool required) {
    auto s = get_string(j, key, max_address);
    if (!s)
        return s.error();
    if (s->empty() && !required)
        return std::string();
    if (!is_server_address(*s))
        return make_error(std::string("\"") + key + "\" is not an a.b.c.d:port address");
    return s;
}

std::string clip(const std::string& s) {
    return s.size() <= max_error_text ? s : s.substr(0, max_error_text);
}

namespace {

const char* fate_name(Fate f) {
    switch (f) {
        case Fate::applied:
            return "applied";
        case Fate::not_leader:
            return "not_leader";
        case Fate::unknown:
            return "unknown";
    }
    return "unknown";
}

}  // namespace

bool is_server_address(const std::string& address) {
    auto colon = address.rfind(':');
    if (colon == std::string::npos || address.size() > max_address)
        return false;
    in_addr a{};
    if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &a) != 1)
        return false;
    unsigned port = 0;
    const char* b = address.data() + colon + 1;
    const char* e = address.data() + address.size();
    auto [end, ec] = std::from_chars(b, e, port);
    return ec == std::errc() && end == e && b != e && port > 0 && port < 65536;
}

std::vector<uint8_t> encode_hello(const Hello& h) {
    json j = {{"id", h.id},
              {"address", h.address},
              {"fresh", h.fresh},
              {"in_cluster", h.in_cluster},
              {"bootstrap_expect", h.bootstrap_expect},
              {"view", h.view}};
    if (!h.leader_address.empty())
        j["leader"] = h.leader_address;
    if (!h.voters.empty()) {
        json voters = json::array();
        for (const auto& p : h.voters)
            voters.push_back({{"id", p.id}, {"address", p.address}});
        j["voters"] = std::move(voters);
    }
    return dump(j);
}

Result<Hello> decode_hello(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "hello");
    if (!j)
        return j.error();
    Hello h;
    auto id = get_u64(*j, "id", true);
    auto address = get_address(*j, "address", true);
    auto fresh = get_bool(*j, "fresh");
    auto in_cluster = get_bool(*j, "in_cluster");
    auto leader = get_address(*j, "leader", false);
    auto expect = get_u64(*j, "bootstrap_expect", false);
    for (const Error* e :
         {id.ok() ? nullptr : &id.error(), address.ok() ? nullptr : &address.error(),
          fresh.ok() ? nullptr : &fresh.error(), in_cluster.ok() ? nullptr : &in_cluster.error(),
          leader.ok() ? nullptr : &leader.error(), expect.ok() ? nullptr : &expect.error()})
        if (e != nullptr)
            return make_error("hello: " + e->message);
    if (*id == 0)
        return make_error("hello: id 0");
    if (*expect > 1024)
        return make_error("hello: bootstrap_expect out of range");
    h.id = *id;
    h.address = *address;
    h.fresh = *fresh;
    h.in_cluster = *in_cluster;
    h.leader_address = *leader;
    h.bootstrap_expect = static_cast<unsigned>(*expect);
    if (auto it = j->find("view"); it != j->end()) {
        if (!it->is_array() || it->size() > max_view)
            return make_error("hello: \"view\" is not an array of at most " +
                              std::to_string(max_view) + " IDs");
        for (const auto& v : *it) {
            if (!v.is_number_unsigned() || v.get<uint64_t>() == 0)
                return make_error("hello: \"view\" holds something other than server IDs");
            h.view.push_back(v.get<uint64_t>());
        }
        std::sort(h.view.begin(), h.view.end());
        h.view.erase(std::unique(h.view.begin(), h.view.end()), h.view.end());
    }
    if (auto it = j->find("voters"); it != j->end()) {
        if (!it->is_array() || it->size() > max_view)
            return make_error("hello: \"voters\" is not an array of at most " +
                              std::to_string(max_view) + " servers");
        for (const auto& v : *it) {
            if (!v.is_object())
                return make_error("hello: \"voters\" holds something other than servers");
            auto vid = get_u64(v, "id", true);
            auto vaddress = get_address(v, "address", true);
            if (!vid || !vaddress || *vid == 0)
                return make_error("hello: a voter without a valid id and address");
            h.voters.push_back(Peer{*vid, *vaddress});
        }
        std::sort(h.voters.begin(), h.voters.end(),
                  [](const Peer& a, const Peer& b) { return a.id < b.id; });
    }
    return h;
}

std::vector<uint8_t> encode_apply_reply(const ApplyReply& r) {
    json j = {{"fate", fate_name(r.fate)}};
    if (r.fate == Fate::applied && r.error.empty())
        j["value"] = r.value;
    if (!r.error.empty())
        j["error"] = clip(r.error);
    return dump(j);
}

Result<ApplyReply> decode_apply_reply(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "apply reply");
    if (!j)
        return j.error();
    auto fate = get_string(*j, "fate", 16);
    auto value = get_u64(*j, "value", false);
    auto error = get_string(*j, "error", max_error_text);
    if (!fate || !value || !error)
        return make_error("apply reply: mistyped field");
    ApplyReply r;
    if (*fate == "applied")
        r.fate = Fate::applied;
    else if (*fate == "not_leader")
        r.fate = Fate::not_leader;
    else if (*fate == "unknown")
        r.fate = Fate::unknown;
    else
        return make_error("apply reply: unknown fate \"" + *fate + "\"");
    r.value = *value;
    r.error = *error;
    if (r.fate != Fate::applied && r.error.empty())
        r.error = std::string("the leader said ") + fate_name(r.fate);
    return r;
}

std::vector<uint8_t> encode_barrier_reply(const BarrierReply& r) {
    json j = json::object();
    if (r.error.empty())
        j["index"] = r.index;
    else
        j["error"] = clip(r.error);
    if (r.not_leader)
        j["not_leader"] = true;
    return dump(j);
}

Result<BarrierReply> decode_barrier_reply(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "barrier reply");
    if (!j)
        return j.error();
    auto index = get_u64(*j, "index", false);
    auto error = get_string(*j, "error", max_error_text);
    auto not_leader = get_bool(*j, "not_leader");
    if (!index || !error || !not_leader)
        return make_error("barrier reply: mistyped field");
    if (error->empty() && j->find("index") == j->end())
        return make_error("barrier reply: neither index nor error");
    return BarrierReply{*index, *error, *not_leader};
}

std::vector<uint8_t> encode_join(const JoinRequest& r) {
    return dump(json{{"id", r.id}, {"address", r.address}});
}

Result<JoinRequest> decode_join(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "join");
    if (!j)
        return j.error();
    auto id = get_u64(*j, "id", true);
    if (!id)
        return make_error("join: " + id.error().message);
    auto address = get_address(*j, "address", true);
    if (!address)
        return make_error("join: " + address.error().message);
    if (*id == 0)
        return make_error("join: id 0");
    return JoinRequest{*id, *address};
}

std::vector<uint8_t> encode_remove(const RemoveRequest& r) {
    return dump(json{{"id", r.id}});
}

Result<RemoveRequest> decode_remove(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "remove");
    if (!j)
        return j.error();
    auto id = get_u64(*j, "id", true);
    if (!id)
        return make_error("remove: " + id.error().message);
    if (*id == 0)
        return make_error("remove: id 0");
    return RemoveRequest{*id};
}

std::vector<uint8_t> encode_ack(const Ack& r) {
    json j = json::object();
    if (!r.error.empty())
        j["error"] = clip(r.error);
    if (r.not_leader)
        j["not_leader"] = true;
    return dump(j);
}

Result<Ack> decode_ack(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "reply");
    if (!j)
        return j.error();
    auto error = get_string(*j, "error", max_error_text);
    auto not_leader = get_bool(*j, "not_leader");
    if (!error || !not_leader)
        return make_error("reply: mistyped field");
    return Ack{*error, *not_leader};
}

}  // namespace muster::cluster::internal
