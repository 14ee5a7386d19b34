// Catalog commands on the wire: a version byte, then a MessagePack array of command maps.
#include "catalog/command.hh"

#include <string>

#include "catalog/internal/store_codec.hh"

namespace muster::catalog {

namespace {

using internal::FieldReader;
using internal::json;

json optional_string(const std::optional<std::string>& s) {
    return s ? json(*s) : json(nullptr);
}

json to_json(const Register& c) {
    json checks = json::array();
    for (const auto& check : c.checks)
        checks.push_back(internal::to_json(check));
    return json{{"type", "Register"},
                {"node", internal::to_json(c.node)},
                {"service", c.service ? internal::to_json(*c.service) : json(nullptr)},
                {"checks", std::move(checks)},
                {"skip_node_update", c.skip_node_update}};
}

json to_json(const Deregister& c) {
    return json{{"type", "Deregister"},
                {"node", c.node},
                {"service_id", optional_string(c.service_id)},
                {"check_id", optional_string(c.check_id)}};
}

json to_json(const UpdateCheck& c) {
    return json{{"type", "UpdateCheck"},
                {"node", c.node},
                {"check_id", c.check_id},
                {"status", std::string(status_name(c.status))},
                {"output", c.output}};
}

bool decode_register(const json& j, Register& out, std::string& error) {
    FieldReader r(j, "Register", error);
    if (const json* node = r.object("node", false))
        internal::from_json(*node, "Register.node", out.node, error);
    if (const json* service = r.object("service", true)) {
        out.service.emplace();
        internal::from_json(*service, "Register.service", *out.service, error);
    }
    if (const json* checks = r.array("checks")) {
        for (std::size_t i = 0; i < checks->size() && r.ok(); ++i) {
            internal::from_json((*checks)[i], "Register.checks[" + std::to_string(i) + "]",
                                out.checks.emplace_back(), error);
        }
    }
    r.flag("skip_node_update", out.skip_node_update);
    return r.ok();
}

bool decode_deregister(const json& j, Deregister& out, std::string& error) {
    FieldReader r(j, "Deregister", error);
    r.str("node", out.node);
    r.opt_str("service_id", out.service_id);
    r.opt_str("check_id", out.check_id);
    return r.ok();
}

bool decode_update_check(const json& j, UpdateCheck& out, std::string& error) {
    FieldReader r(j, "UpdateCheck", error);
    r.str("node", out.node);
    r.str("check_id", out.check_id);
    r.status("status", out.status);
    r.str("output", out.output);
    return r.ok();
}

// One command map; the "type" field picks the alternative.
bool decode_command(const json& j, Command& out, std::string& error) {
    if (!j.is_object()) {
        error = "expected a map";
        return false;
    }
    auto type = j.find("type");
    if (type != j.end() && type->is_string()) {
        const auto& name = type->get_ref<const std::string&>();
        if (name == "Register")
            return decode_register(j, out.emplace<Register>(), error);
        if (name == "Deregister")
            return decode_deregister(j, out.emplace<Deregister>(), error);
        if (name == "UpdateCheck")
            return decode_update_check(j, out.emplace<UpdateCheck>(), error);
    }
    error = "type: expected Register, Deregister or UpdateCheck";
    return false;
}

}  // namespace

std::vector<uint8_t> encode(std::span<const Command> batch) {
    json commands = json::array();
    for (const auto& c : batch)
        commands.push_back(std::visit([](const auto& alt) { return to_json(alt); }, c));
    std::vector<uint8_t> out{command_format_version};
    json::to_msgpack(commands, out);
    return out;
}

Result<std::vector<Command>> decode(std::span<const uint8_t> bytes) {
    if (bytes.empty())
        return make_error("command batch: empty");
    if (bytes[0] != command_format_version)
        return make_error("command batch: unsupported format version " + std::to_string(bytes[0]) +
                          " (expected " + std::to_string(command_format_version) + ")");
    auto j = internal::parse_msgpack(bytes.subspan(1));
    if (!j)
        return make_error("command batch: malformed MessagePack");
    if (!j->is_array())
        return make_error("command batch: expected an array of commands");
    std::vector<Command> out;
    out.reserve(j->size());
    for (std::size_t i = 0; i < j->size(); ++i) {
        std::string error;
        if (!decode_command((*j)[i], out.emplace_back(), error))
            return make_error("command " + std::to_string(i) + ": " + error);
    }
    return out;
}

}  // namespace muster::catalog
