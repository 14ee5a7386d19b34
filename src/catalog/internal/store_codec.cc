// MessagePack encoding of catalog entities: FieldReader and the per-entity write and read.
#include "catalog/internal/store_codec.hh"

#include <limits>
#include <set>

namespace muster::catalog::internal {

std::string Path::str() const {
    std::string s = parent_ != nullptr ? parent_->str() : std::string();
    if (index_ != no_index) {
        s += '[';
        s += std::to_string(index_);
        s += ']';
    } else {
        if (parent_ != nullptr)
            s += '.';
        s += name_;
    }
    return s;
}

// ---- FieldReader

FieldReader::FieldReader(MsgReader& in, const Path& path, std::span<const std::string_view> keys,
                         std::string& error)
    : bytes_(in.bytes()), keys_(keys), path_(path), error_(error) {
    if (in.peek() != MsgType::map) {
        fail(path_, "expected a map");
        if (!in.skip())
            fail(path_, "malformed MessagePack");
        return;
    }
    std::size_t entries = in.map().value_or(0);
    for (std::size_t i = 0; i < entries; ++i) {
        auto key = in.str();
        const std::size_t at = in.offset();
        if (!key || !in.skip()) {
            fail(path_, "malformed MessagePack");
            return;
        }
        for (std::size_t k = 0; k < keys_.size(); ++k) {
            if (keys_[k] == *key) {
                at_[k] = at;
                break;
            }
        }
    }
}

void FieldReader::fail(const Path& where, std::string_view what) {
    if (ok())
        error_ = where.str() + ": " + std::string(what);
}

std::optional<MsgReader> FieldReader::find(std::string_view key) const {
    for (std::size_t k = 0; k < keys_.size(); ++k) {
        if (keys_[k] == key) {
            if (at_[k] == 0)
                return std::nullopt;
            return MsgReader(bytes_, at_[k]);
        }
    }
    MUSTER_PANIC("FieldReader: key " + std::string(key) + " not declared");
}

std::optional<MsgReader> FieldReader::field(std::string_view key) {
    if (!ok())
        return std::nullopt;
    auto v = find(key);
    if (!v)
        fail(path_.field(key), "missing");
    return v;
}

void FieldReader::str(std::string_view key, std::string& out) {
    if (auto v = field(key)) {
        if (auto s = v->str())
            out.assign(*s);
        else
            fail(path_.field(key), "expected a string");
    }
}

void FieldReader::opt_str(std::string_view key, std::optional<std::string>& out) {
    if (!ok())
        return;
    auto v = find(key);
    if (!v || v->nil())
        out.reset();
    else if (auto s = v->str())
        out.emplace(*s);
    else
        fail(path_.field(key), "expected a string or nil");
}

void FieldReader::u64(std::string_view key, uint64_t& out) {
    if (auto v = field(key)) {
        if (auto n = v->uint())
            out = *n;
        else
            fail(path_.field(key), "expected an unsigned integer");
    }
}

void FieldReader::u32(std::string_view key, uint32_t& out) {
    uint64_t v = 0;
    u64(key, v);
    if (v > std::numeric_limits<uint32_t>::max())
        fail(path_.field(key), "out of range (max 4294967295)");
    out = static_cast<uint32_t>(v);
}

void FieldReader::u16(std::string_view key, uint16_t& out) {
    uint64_t v = 0;
    u64(key, v);
    if (v > std::numeric_limits<uint16_t>::max())
        fail(path_.field(key), "out of range (max 65535)");
    out = static_cast<uint16_t>(v);
}

void FieldReader::flag(std::string_view key, bool& out) {
    if (auto v = field(key)) {
        if (auto b = v->boolean())
            out = *b;
        else
            fail(path_.field(key), "expected a boolean");
    }
}

void FieldReader::opt_flag(std::string_view key, bool& out) {
    if (!ok())
        return;
    if (auto v = find(key)) {
        if (auto b = v->boolean())
            out = *b;
        else
            fail(path_.field(key), "expected a boolean");
    }
}

void FieldReader::status(std::string_view key, Status& out) {
    if (auto v = field(key)) {
        std::optional<Status> s;
        if (auto text = v->str())
            s = parse_status(*text);
        if (s)
            out = *s;
        else
            fail(path_.field(key), "expected one of passing, warning, critical");
    }
}

void FieldReader::strings(std::string_view key, std::vector<std::string>& out) {
    std::size_t size = 0;
    auto v = array(key, size);
    if (!v)
        return;
    out.clear();
    out.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
        auto s = v->str();
        if (!s) {
            fail(path_.field(key).element(i), "expected a string");
            return;
        }
        out.emplace_back(*s);
    }
}

// A repeated key keeps its last value, and the error names the first key in sorted order
// whose (last) value is not a string, as reading into a sorted map and then checking did.
void FieldReader::string_map(std::string_view key, std::map<std::string, std::string>& out) {
    auto v = map(key, Nil::rejected);
    if (!v)
        return;
    std::size_t entries = v->map().value_or(0);
    out.clear();
    std::set<std::string_view> not_strings;  // allocates only for a bad map
    for (std::size_t i = 0; i < entries; ++i) {
        auto k = v->str();
        if (!k) {
            fail(path_.field(key), "malformed MessagePack");
            return;
        }
        if (auto s = v->str()) {
            not_strings.erase(*k);
            if (out.empty() || std::string_view(out.rbegin()->first) < *k)
                out.emplace_hint(out.end(), *k, *s);  // the usual case: keys in order
            else
                out.insert_or_assign(std::string(*k), std::string(*s));
        } else if (v->skip()) {
            not_strings.insert(*k);
        } else {
            fail(path_.field(key), "malformed MessagePack");
            return;
        }
    }
    if (!not_strings.empty())
        fail(path_.field(key).field(*not_strings.begin()), "expected a string");
}

std::optional<MsgReader> FieldReader::map(std::string_view key, Nil nil) {
    if (nil == Nil::allowed && ok()) {
        auto v = find(key);
        if (!v || v->peek() == MsgType::nil)
            return std::nullopt;
    }
    auto v = field(key);
    if (v && v->peek() != MsgType::map) {
        fail(path_.field(key), nil == Nil::allowed ? "expected a map or nil" : "expected a map");
        return std::nullopt;
    }
    return v;
}

std::optional<MsgReader> FieldReader::array(std::string_view key, std::size_t& size) {
    auto v = field(key);
    if (!v)
        return std::nullopt;
    auto n = v->array();
    if (!n) {
        fail(path_.field(key), "expected an array");
        return std::nullopt;
    }
    size = *n;
    return v;
}

std::optional<std::string_view> FieldReader::find_str(std::string_view key) const {
    auto v = find(key);
    return v ? v->str() : std::nullopt;
}

// ---- entities. The key tables list the fields in the order read checks them (which decides
// the error reported); write puts keys in sorted order, as nlohmann's std::map-backed objects
// were written.

namespace {

constexpr std::array<std::string_view, 7> node_keys{
    "name", "address", "datacenter", "tagged_addresses", "meta", "create_index", "modify_index"};
constexpr std::array<std::string_view, 11> service_keys{
    "node",         "id",          "name",
    "tags",         "address",     "port",
    "meta",         "weights",     "enable_tag_override",
    "create_index", "modify_index"};
constexpr std::array<std::string_view, 2> weights_keys{"passing", "warning"};
constexpr std::array<std::string_view, 11> check_keys{
    "node",   "id",    "name", "service_id",   "service_name", "status",
    "output", "notes", "type", "create_index", "modify_index"};
constexpr std::array<std::string_view, 3> change_keys{"index", "nodes", "services"};
constexpr std::array<std::string_view, 4> left_member_keys{"address", "index", "name", "server"};

}  // namespace

void write(MsgWriter& w, const Node& n) {
    w.map(node_keys.size());
    w.key("address").str(n.address);
    w.key("create_index").uint(n.index.create);
    w.key("datacenter").str(n.datacenter);
    w.key("meta").string_map(n.meta);
    w.key("modify_index").uint(n.index.modify);
    w.key("name").str(n.name);
    w.key("tagged_addresses").string_map(n.tagged_addresses);
}

void write(MsgWriter& w, const Service& s) {
    w.map(service_keys.size());
    w.key("address").str(s.address);
    w.key("create_index").uint(s.index.create);
    w.key("enable_tag_override").boolean(s.enable_tag_override);
    w.key("id").str(s.id);
    w.key("meta").string_map(s.meta);
    w.key("modify_index").uint(s.index.modify);
    w.key("name").str(s.name);
    w.key("node").str(s.node);
    w.key("port").uint(s.port);
    w.key("tags").strings(s.tags);
    w.key("weights").map(weights_keys.size());
    w.key("passing").uint(s.weights.passing);
    w.key("warning").uint(s.weights.warning);
}

void write(MsgWriter& w, const Check& c) {
    w.map(check_keys.size());
    w.key("create_index").uint(c.index.create);
    w.key("id").str(c.id);
    w.key("modify_index").uint(c.index.modify);
    w.key("name").str(c.name);
    w.key("node").str(c.node);
    w.key("notes").str(c.notes);
    w.key("output").str(c.output);
    w.key("service_id").str(c.service_id);
    w.key("service_name").str(c.service_name);
    w.key("status").str(status_name(c.status));
    w.key("type").str(c.type);
}

void write(MsgWriter& w, const Change& c) {
    w.map(change_keys.size());
    w.key("index").uint(c.index);
    w.key("nodes").strings(c.nodes);
    w.key("services").strings(c.services);
}

void write(MsgWriter& w, const LeftMember& m) {
    w.map(left_member_keys.size());
    w.key("address").str(m.address);
    w.key("index").uint(m.index);
    w.key("name").str(m.name);
    w.key("server").boolean(m.server);
}

bool read(MsgReader& in, const Path& path, Node& out, std::string& error) {
    FieldReader r(in, path, node_keys, error);
    r.str("name", out.name);
    r.str("address", out.address);
    r.str("datacenter", out.datacenter);
    r.string_map("tagged_addresses", out.tagged_addresses);
    r.string_map("meta", out.meta);
    r.u64("create_index", out.index.create);
    r.u64("modify_index", out.index.modify);
    return r.ok();
}

bool read(MsgReader& in, const Path& path, Service& out, std::string& error) {
    FieldReader r(in, path, service_keys, error);
    r.str("node", out.node);
    r.str("id", out.id);
    r.str("name", out.name);
    r.strings("tags", out.tags);
    r.str("address", out.address);
    r.u16("port", out.port);
    r.string_map("meta", out.meta);
    if (auto w = r.map("weights", Nil::rejected)) {
        FieldReader wr(*w, r.path().field("weights"), weights_keys, error);
        wr.u32("passing", out.weights.passing);
        wr.u32("warning", out.weights.warning);
    }
    r.flag("enable_tag_override", out.enable_tag_override);
    r.u64("create_index", out.index.create);
    r.u64("modify_index", out.index.modify);
    return r.ok();
}

bool read(MsgReader& in, const Path& path, Check& out, std::string& error) {
    FieldReader r(in, path, check_keys, error);
    r.str("node", out.node);
    r.str("id", out.id);
    r.str("name", out.name);
    r.str("service_id", out.service_id);
    r.str("service_name", out.service_name);
    r.status("status", out.status);
    r.str("output", out.output);
    r.str("notes", out.notes);
    r.str("type", out.type);
    r.u64("create_index", out.index.create);
    r.u64("modify_index", out.index.modify);
    return r.ok();
}

bool read(MsgReader& in, const Path& path, Change& out, std::string& error) {
    FieldReader r(in, path, change_keys, error);
    r.u64("index", out.index);
    r.strings("nodes", out.nodes);
    r.strings("services", out.services);
    return r.ok();
}

bool read(MsgReader& in, const Path& path, LeftMember& out, std::string& error) {
    FieldReader r(in, path, left_member_keys, error);
    r.str("name", out.name);
    r.str("address", out.address);
    r.flag("server", out.server);
    r.u64("index", out.index);
    return r.ok();
}

}  // namespace muster::catalog::internal
