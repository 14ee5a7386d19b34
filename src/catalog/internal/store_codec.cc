// MessagePack encoding of catalog entities: shape check, to_json and path-naming from_json.
#include "catalog/internal/store_codec.hh"

#include <limits>

namespace muster::catalog::internal {

namespace {

constexpr std::size_t max_depth = 32;

// Big-endian unsigned of n bytes at p.
uint64_t be(const uint8_t* p, std::size_t n) {
    uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v = (v << 8) | p[i];
    return v;
}

// What one MessagePack header says: bytes to skip after the header byte, or a container.
struct Header {
    std::size_t skip = 0;      // fixed bytes after the type byte (before any length-given data)
    std::size_t len_size = 0;  // bytes of a big-endian length that follows
    std::size_t extra = 0;     // bytes between the length and the data (ext type byte)
    uint64_t items = 0;        // container elements (maps count twice)
    bool container = false;
    bool map = false;
    bool valid = true;
};

Header header(uint8_t b) {
    Header h;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return h;
    if (b >= 0x80 && b <= 0x8f)
        return h.container = h.map = true, h.items = b & 0x0fu, h;
    if (b >= 0x90 && b <= 0x9f)
        return h.container = true, h.items = b & 0x0fu, h;
    if (b >= 0xa0 && b <= 0xbf)
        return h.skip = b & 0x1fu, h;
    switch (b) {
        case 0xc4:
        case 0xc5:
        case 0xc6:  // bin 8/16/32
            return h.len_size = std::size_t{1} << (b - 0xc4), h;
        case 0xc7:
        case 0xc8:
        case 0xc9:  // ext 8/16/32
            return h.len_size = std::size_t{1} << (b - 0xc7), h.extra = 1, h;
        case 0xca:
            return h.skip = 4, h;
        case 0xcb:
            return h.skip = 8, h;
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf:
            return h.skip = std::size_t{1} << (b - 0xcc), h;
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3:
            return h.skip = std::size_t{1} << (b - 0xd0), h;
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:  // fixext 1..16
            return h.skip = 1 + (std::size_t{1} << (b - 0xd4)), h;
        case 0xd9:
        case 0xda:
        case 0xdb:  // str 8/16/32
            return h.len_size = std::size_t{1} << (b - 0xd9), h;
        case 0xdc:
        case 0xdd:  // array 16/32
            return h.container = true, h.len_size = b == 0xdc ? 2 : 4, h;
        case 0xde:
        case 0xdf:  // map 16/32
            return h.container = h.map = true, h.len_size = b == 0xde ? 2 : 4, h;
        default:
            return h.valid = false, h;  // 0xc1 is never used
    }
}

// Walks the value iteratively: well-formed, bounded depth, exactly fills `bytes`.
bool shape_ok(std::span<const uint8_t> bytes) {
    std::vector<uint64_t> pending{1};  // values still to read per open container
    std::size_t pos = 0;
    const std::size_t size = bytes.size();
    while (!pending.empty()) {
        if (pending.back() == 0) {
            pending.pop_back();
            continue;
        }
        --pending.back();
        if (pos >= size)
            return false;
        Header h = header(bytes[pos++]);
        if (!h.valid || size - pos < h.skip + h.len_size)
            return false;
        pos += h.skip;
        uint64_t len = be(bytes.data() + pos, h.len_size);
        pos += h.len_size;
        if (h.container) {
            uint64_t items = (h.len_size != 0 ? len : h.items) * (h.map ? 2 : 1);
            if (items > size - pos)  // every element takes at least one byte
                return false;
            if (items > 0) {
                if (pending.size() > max_depth)
                    return false;
                pending.push_back(items);
            }
            continue;
        }
        if (h.len_size != 0) {
            if (len > size - pos || h.extra > size - pos - len)
                return false;
            pos += len + h.extra;
        }
    }
    return pos == size;
}

json string_map_json(const std::map<std::string, std::string>& m) {
    json j = json::object();
    for (const auto& [k, v] : m)
        j[k] = v;
    return j;
}

}  // namespace

std::optional<json> parse_msgpack(std::span<const uint8_t> bytes) {
    if (!shape_ok(bytes))
        return std::nullopt;
    try {
        json j = json::from_msgpack(bytes.begin(), bytes.end(), true, false);
        if (j.is_discarded())
            return std::nullopt;
        return j;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

// ---- encoding

json to_json(const Node& n) {
    return json{{"name", n.name},
                {"address", n.address},
                {"datacenter", n.datacenter},
                {"tagged_addresses", string_map_json(n.tagged_addresses)},
                {"meta", string_map_json(n.meta)},
                {"create_index", n.index.create},
                {"modify_index", n.index.modify}};
}

json to_json(const Service& s) {
    return json{{"node", s.node},
                {"id", s.id},
                {"name", s.name},
                {"tags", s.tags},
                {"address", s.address},
                {"port", s.port},
                {"meta", string_map_json(s.meta)},
                {"weights", {{"passing", s.weights.passing}, {"warning", s.weights.warning}}},
                {"enable_tag_override", s.enable_tag_override},
                {"create_index", s.index.create},
                {"modify_index", s.index.modify}};
}

json to_json(const Check& c) {
    return json{{"node", c.node},
                {"id", c.id},
                {"name", c.name},
                {"service_id", c.service_id},
                {"service_name", c.service_name},
                {"status", status_name(c.status)},
                {"output", c.output},
                {"notes", c.notes},
                {"type", c.type},
                {"create_index", c.index.create},
                {"modify_index", c.index.modify}};
}

json to_json(const Change& c) {
    return json{{"index", c.index}, {"nodes", c.nodes}, {"services", c.services}};
}

// ---- FieldReader

FieldReader::FieldReader(const json& object, std::string path, std::string& error)
    : object_(&object), path_(std::move(path)), error_(error) {
    if (ok() && !object.is_object())
        error_ = path_ + ": expected a map";
}

void FieldReader::fail(const std::string& where, std::string_view what) {
    if (ok())
        error_ = where + ": " + std::string(what);
}

const json* FieldReader::field(const char* key) {
    if (!ok())
        return nullptr;
    auto it = object_->find(key);
    if (it == object_->end()) {
        fail(path_ + "." + key, "missing");
        return nullptr;
    }
    return &*it;
}

void FieldReader::str(const char* key, std::string& out) {
    if (const json* v = field(key)) {
        if (v->is_string())
            out = v->get_ref<const std::string&>();
        else
            fail(path_ + "." + key, "expected a string");
    }
}

void FieldReader::opt_str(const char* key, std::optional<std::string>& out) {
    if (!ok())
        return;
    auto it = object_->find(key);
    if (it == object_->end() || it->is_null())
        out.reset();
    else if (it->is_string())
        out = it->get_ref<const std::string&>();
    else
        fail(path_ + "." + key, "expected a string or nil");
}

void FieldReader::u64(const char* key, uint64_t& out) {
    if (const json* v = field(key)) {
        if (v->is_number_unsigned())
            out = v->get<uint64_t>();
        else
            fail(path_ + "." + key, "expected an unsigned integer");
    }
}

void FieldReader::u32(const char* key, uint32_t& out) {
    uint64_t v = 0;
    u64(key, v);
    if (v > std::numeric_limits<uint32_t>::max())
        fail(path_ + "." + key, "out of range (max 4294967295)");
    out = static_cast<uint32_t>(v);
}

void FieldReader::u16(const char* key, uint16_t& out) {
    uint64_t v = 0;
    u64(key, v);
    if (v > std::numeric_limits<uint16_t>::max())
        fail(path_ + "." + key, "out of range (max 65535)");
    out = static_cast<uint16_t>(v);
}

void FieldReader::flag(const char* key, bool& out) {
    if (const json* v = field(key)) {
        if (v->is_boolean())
            out = v->get<bool>();
        else
            fail(path_ + "." + key, "expected a boolean");
    }
}

void FieldReader::status(const char* key, Status& out) {
    if (const json* v = field(key)) {
        std::optional<Status> s;
        if (v->is_string())
            s = parse_status(v->get_ref<const std::string&>());
        if (s)
            out = *s;
        else
            fail(path_ + "." + key, "expected one of passing, warning, critical");
    }
}

void FieldReader::strings(const char* key, std::vector<std::string>& out) {
    const json* v = array(key);
    if (v == nullptr)
        return;
    out.clear();
    for (std::size_t i = 0; i < v->size(); ++i) {
        const json& e = (*v)[i];
        if (!e.is_string()) {
            fail(path_ + "." + key + "[" + std::to_string(i) + "]", "expected a string");
            return;
        }
        out.push_back(e.get<std::string>());
    }
}

void FieldReader::string_map(const char* key, std::map<std::string, std::string>& out) {
    const json* v = object(key, false);
    if (v == nullptr)
        return;
    out.clear();
    for (const auto& [k, e] : v->items()) {
        if (!e.is_string()) {
            fail(path_ + "." + key + "." + k, "expected a string");
            return;
        }
        out.emplace(k, e.get<std::string>());
    }
}

const json* FieldReader::object(const char* key, bool nil_allowed) {
    if (nil_allowed && ok()) {
        auto it = object_->find(key);
        if (it == object_->end() || it->is_null())
            return nullptr;
    }
    const json* v = field(key);
    if (v != nullptr && !v->is_object()) {
        fail(path_ + "." + key, nil_allowed ? "expected a map or nil" : "expected a map");
        return nullptr;
    }
    return v;
}

const json* FieldReader::array(const char* key) {
    const json* v = field(key);
    if (v != nullptr && !v->is_array()) {
        fail(path_ + "." + key, "expected an array");
        return nullptr;
    }
    return v;
}

// ---- decoding

bool from_json(const json& j, const std::string& path, Node& out, std::string& error) {
    FieldReader r(j, path, error);
    r.str("name", out.name);
    r.str("address", out.address);
    r.str("datacenter", out.datacenter);
    r.string_map("tagged_addresses", out.tagged_addresses);
    r.string_map("meta", out.meta);
    r.u64("create_index", out.index.create);
    r.u64("modify_index", out.index.modify);
    return r.ok();
}

bool from_json(const json& j, const std::string& path, Service& out, std::string& error) {
    FieldReader r(j, path, error);
    r.str("node", out.node);
    r.str("id", out.id);
    r.str("name", out.name);
    r.strings("tags", out.tags);
    r.str("address", out.address);
    r.u16("port", out.port);
    r.string_map("meta", out.meta);
    if (const json* w = r.object("weights", false)) {
        FieldReader wr(*w, path + ".weights", error);
        wr.u32("passing", out.weights.passing);
        wr.u32("warning", out.weights.warning);
    }
    r.flag("enable_tag_override", out.enable_tag_override);
    r.u64("create_index", out.index.create);
    r.u64("modify_index", out.index.modify);
    return r.ok();
}

bool from_json(const json& j, const std::string& path, Check& out, std::string& error) {
    FieldReader r(j, path, error);
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

bool from_json(const json& j, const std::string& path, Change& out, std::string& error) {
    FieldReader r(j, path, error);
    r.u64("index", out.index);
    r.strings("nodes", out.nodes);
    r.strings("services", out.services);
    return r.ok();
}

}  // namespace muster::catalog::internal
