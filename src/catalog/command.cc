// Catalog commands on the wire: a version byte, then a MessagePack array of command maps.
#include "catalog/command.hh"

#include <string>

#include "catalog/internal/store_codec.hh"

namespace muster::catalog {

namespace {

using internal::FieldReader;
using internal::MsgReader;
using internal::MsgType;
using internal::MsgWriter;
using internal::Nil;

// ---- encoding: keys in sorted order, as nlohmann's std::map-backed objects were written

void write_optional(MsgWriter& w, const std::optional<std::string>& s) {
    if (s)
        w.str(*s);
    else
        w.nil();
}

void write(MsgWriter& w, const Register& c) {
    w.map(c.if_node_exists ? 6 : 5);  // the flag only when set: older entries stay as they were
    w.key("checks").array(c.checks.size());
    for (const auto& check : c.checks)
        internal::write(w, check);
    if (c.if_node_exists)
        w.key("if_node_exists").boolean(true);
    internal::write(w.key("node"), c.node);
    if (c.service)
        internal::write(w.key("service"), *c.service);
    else
        w.key("service").nil();
    w.key("skip_node_update").boolean(c.skip_node_update);
    w.key("type").str("Register");
}

void write(MsgWriter& w, const Deregister& c) {
    w.map(4);
    write_optional(w.key("check_id"), c.check_id);
    w.key("node").str(c.node);
    write_optional(w.key("service_id"), c.service_id);
    w.key("type").str("Deregister");
}

void write(MsgWriter& w, const UpdateCheck& c) {
    w.map(5);
    w.key("check_id").str(c.check_id);
    w.key("node").str(c.node);
    w.key("output").str(c.output);
    w.key("status").str(status_name(c.status));
    w.key("type").str("UpdateCheck");
}

void write(MsgWriter& w, const Leave& c) {
    w.map(3);
    w.key("node").str(c.node);
    w.key("server").boolean(c.server);
    w.key("type").str("Leave");
}

void write(MsgWriter& w, const Restore& c) {
    w.map(5);
    w.key("checks").array(c.checks.size());
    for (const auto& check : c.checks)
        internal::write(w, check);
    w.key("datacenter").str(c.datacenter);
    w.key("nodes").array(c.nodes.size());
    for (const auto& node : c.nodes)
        internal::write(w, node);
    w.key("services").array(c.services.size());
    for (const auto& service : c.services)
        internal::write(w, service);
    w.key("type").str("Restore");
}

// ---- decoding

// Every field of every command type: one pass over a command map finds them all.
constexpr std::array<std::string_view, 14> command_keys{
    "type",           "node",       "service",  "checks",    "skip_node_update",
    "check_id",       "service_id", "status",   "output",    "server",
    "if_node_exists", "nodes",      "services", "datacenter"};

bool read_register(FieldReader& r, Register& out, std::string& error) {
    if (auto node = r.map("node", Nil::rejected))
        internal::read(*node, r.path().field("node"), out.node, error);
    if (auto service = r.map("service", Nil::allowed))
        internal::read(*service, r.path().field("service"), out.service.emplace(), error);
    std::size_t size = 0;
    if (auto checks = r.array("checks", size)) {
        const auto path = r.path().field("checks");
        out.checks.reserve(size);
        for (std::size_t i = 0; i < size && r.ok(); ++i)
            internal::read(*checks, path.element(i), out.checks.emplace_back(), error);
    }
    r.flag("skip_node_update", out.skip_node_update);
    r.opt_flag("if_node_exists", out.if_node_exists);
    return r.ok();
}

// One array field of entities (Node, Service or Check), each read with the store's codec.
template <class Entity>
void read_entities(FieldReader& r, std::string_view key, std::vector<Entity>& out,
                   std::string& error) {
    std::size_t size = 0;
    auto in = r.array(key, size);
    if (!in)
        return;
    const auto path = r.path().field(key);
    out.reserve(size);
    for (std::size_t i = 0; i < size && r.ok(); ++i)
        internal::read(*in, path.element(i), out.emplace_back(), error);
}

bool read_restore(FieldReader& r, Restore& out, std::string& error) {
    r.str("datacenter", out.datacenter);
    read_entities(r, "nodes", out.nodes, error);
    read_entities(r, "services", out.services, error);
    read_entities(r, "checks", out.checks, error);
    return r.ok();
}

bool read_deregister(FieldReader& r, Deregister& out) {
    r.str("node", out.node);
    r.opt_str("service_id", out.service_id);
    r.opt_str("check_id", out.check_id);
    return r.ok();
}

bool read_update_check(FieldReader& r, UpdateCheck& out) {
    r.str("node", out.node);
    r.str("check_id", out.check_id);
    r.status("status", out.status);
    r.str("output", out.output);
    return r.ok();
}

bool read_leave(FieldReader& r, Leave& out) {
    r.str("node", out.node);
    r.flag("server", out.server);
    return r.ok();
}

// One command map; the "type" field picks the alternative and names the path.
bool read_command(MsgReader& in, Command& out, std::string& error) {
    if (in.peek() != MsgType::map) {
        error = "expected a map";
        return false;
    }
    FieldReader r(in, internal::Path("command"), command_keys, error);
    if (!r.ok())
        return false;
    auto type = r.find_str("type");
    if (type == "Register") {
        r.rename("Register");
        return read_register(r, out.emplace<Register>(), error);
    }
    if (type == "Deregister") {
        r.rename("Deregister");
        return read_deregister(r, out.emplace<Deregister>());
    }
    if (type == "UpdateCheck") {
        r.rename("UpdateCheck");
        return read_update_check(r, out.emplace<UpdateCheck>());
    }
    if (type == "Leave") {
        r.rename("Leave");
        return read_leave(r, out.emplace<Leave>());
    }
    if (type == "Restore") {
        r.rename("Restore");
        return read_restore(r, out.emplace<Restore>(), error);
    }
    error = "type: expected Register, Deregister, UpdateCheck, Leave or Restore";
    return false;
}

}  // namespace

std::vector<uint8_t> encode(std::span<const Command> batch) {
    std::vector<uint8_t> out;
    out.reserve(16 + 512 * batch.size());
    out.push_back(command_format_version);
    MsgWriter w(out);
    w.array(batch.size());
    for (const auto& c : batch)
        std::visit([&w](const auto& alt) { write(w, alt); }, c);
    return out;
}

Result<std::vector<Command>> decode(std::span<const uint8_t> bytes) {
    if (bytes.empty())
        return make_error("command batch: empty");
    if (bytes[0] != command_format_version)
        return make_error("command batch: unsupported format version " + std::to_string(bytes[0]) +
                          " (expected " + std::to_string(command_format_version) + ")");
    const auto body = bytes.subspan(1);
    if (!internal::msgpack_well_formed(body))
        return make_error("command batch: malformed MessagePack");
    MsgReader in(body);
    auto size = in.array();
    if (!size)
        return make_error("command batch: expected an array of commands");
    std::vector<Command> out;
    out.reserve(*size);
    for (std::size_t i = 0; i < *size; ++i) {
        std::string error;
        if (!read_command(in, out.emplace_back(), error))
            return make_error("command " + std::to_string(i) + ": " + error);
    }
    return out;
}

}  // namespace muster::catalog
