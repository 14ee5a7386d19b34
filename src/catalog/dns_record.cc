// The catalog's flat DNS records: encoders for the store, allocation-free decoders for resolver/.
#include "catalog/dns_record.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "common/ascii.hh"

namespace muster::catalog {

namespace {

constexpr std::size_t max_str = 255;
constexpr std::size_t max_count8 = 255;

void put_u8(std::vector<uint8_t>& out, uint8_t v) {
    out.push_back(v);
}
void put_u16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v & 0xff));
    out.push_back(static_cast<uint8_t>(v >> 8));
}
void put_u32(std::vector<uint8_t>& out, uint32_t v) {
    for (int shift = 0; shift < 32; shift += 8)
        out.push_back(static_cast<uint8_t>((v >> shift) & 0xff));
}
// Callers check the length first; strings longer than 255 bytes are never written.
void put_str(std::vector<uint8_t>& out, std::string_view s) {
    out.push_back(static_cast<uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
}
void put_addr(std::vector<uint8_t>& out, const IpBytes& addr) {
    put_u8(out, addr.family);
    out.insert(out.end(), std::begin(addr.bytes), std::end(addr.bytes));
}
// Weights are u32 in the model but DNS SRV weights are u16 (RFC 2782).
uint16_t clamp16(uint32_t v) {
    return static_cast<uint16_t>(std::min<uint32_t>(v, 0xffff));
}

IpBytes read_addr(internal::ByteCursor& c) {
    IpBytes addr;
    const uint8_t family = c.u8();
    std::span<const uint8_t> b;
    if (!c.take(16, b))
        return addr;
    if (family != 0 && family != 4 && family != 6) {
        c.ok = false;
        return addr;
    }
    addr.family = family;
    std::memcpy(addr.bytes, b.data(), 16);
    return addr;
}

// Skips `count` length-prefixed strings and returns the span they cover.
std::span<const uint8_t> skip_strings(internal::ByteCursor& c, unsigned count) {
    const std::span<const uint8_t> start = c.rest;
    for (unsigned i = 0; i < count && c.ok; ++i)
        c.str();
    if (!c.ok)
        return {};
    return start.first(start.size() - c.rest.size());
}

}  // namespace

IpBytes ip_bytes(std::string_view text) {
    IpBytes out;
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof buf)
        return out;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (inet_pton(AF_INET, buf, out.bytes) == 1) {
        out.family = 4;
    } else if (inet_pton(AF_INET6, buf, out.bytes) == 1) {
        out.family = 6;
    } else {
        out = IpBytes{};
    }
    return out;
}

bool InstanceView::has_tag(std::string_view tag) const {
    internal::ByteCursor c{tags};
    for (unsigned i = 0; i < tag_count; ++i) {
        const std::string_view t = c.str();
        if (!c.ok)
            return false;
        if (ascii::iequals(t, tag))
            return true;
    }
    return false;
}

ServiceRecordReader::ServiceRecordReader(std::span<const uint8_t> bytes) {
    internal::ByteCursor c{bytes};
    const uint8_t version = c.u8();
    count_ = c.u32();
    valid_ = c.ok && version == dns_record_version;
    rest_ = valid_ ? c.rest : std::span<const uint8_t>{};
    if (!valid_)
        count_ = 0;
    remaining_ = count_;
}

bool ServiceRecordReader::next(InstanceView& out) {
    if (!valid_ || remaining_ == 0)
        return false;
    internal::ByteCursor c{rest_};
    const uint8_t health = c.u8();
    out.addr = read_addr(c);
    const uint8_t flags = c.u8();
    out.port = c.u16();
    out.weight_passing = c.u16();
    out.weight_warning = c.u16();
    out.node = c.str();
    out.tag_count = c.u8();
    out.tags = skip_strings(c, out.tag_count);
    if (!c.ok || health > static_cast<uint8_t>(Status::critical)) {
        valid_ = false;
        remaining_ = 0;
        return false;
    }
    out.health = static_cast<Status>(health);
    out.own_address = (flags & 1u) != 0;
    rest_ = c.rest;
    --remaining_;
    return true;
}

std::optional<NodeView> read_node_record(std::span<const uint8_t> bytes) {
    internal::ByteCursor c{bytes};
    if (c.u8() != dns_record_version || !c.ok)
        return std::nullopt;
    NodeView node;
    node.addr = read_addr(c);
    node.name = c.str();
    node.meta_count = c.u8();
    node.meta = skip_strings(c, 2u * node.meta_count);
    if (!c.ok)
        return std::nullopt;
    return node;
}

std::vector<uint8_t> encode_service_record(std::span<const InstanceData> instances) {
    std::vector<uint8_t> out;
    put_u8(out, dns_record_version);
    const std::size_t count_at = out.size();
    put_u32(out, 0);
    uint32_t count = 0;
    for (const InstanceData& inst : instances) {
        // A node name that cannot be a DNS name cannot be an SRV target either.
        if (inst.node.size() > max_str)
            continue;
        put_u8(out, static_cast<uint8_t>(inst.health));
        put_addr(out, inst.addr);
        put_u8(out, inst.own_address ? 1 : 0);
        put_u16(out, inst.port);
        put_u16(out, clamp16(inst.weights.passing));
        put_u16(out, clamp16(inst.weights.warning));
        put_str(out, inst.node);
        const std::size_t ntags_at = out.size();
        put_u8(out, 0);
        std::size_t ntags = 0;
        for (const std::string& tag : inst.tags) {
            if (tag.size() > max_str || ntags == max_count8)
                continue;
            put_str(out, tag);
            ++ntags;
        }
        out[ntags_at] = static_cast<uint8_t>(ntags);
        ++count;
    }
    for (int i = 0; i < 4; ++i)
        out[count_at + i] = static_cast<uint8_t>((count >> (8 * i)) & 0xff);
    return out;
}

std::vector<uint8_t> encode_node_record(const Node& node) {
    // A node whose name is longer than a string can hold has no DNS record (empty = absent).
    if (node.name.size() > max_str)
        return {};
    std::vector<uint8_t> out;
    put_u8(out, dns_record_version);
    put_addr(out, ip_bytes(node.address));
    put_str(out, node.name);
    const std::size_t nmeta_at = out.size();
    put_u8(out, 0);
    std::size_t nmeta = 0;
    for (const auto& [key, value] : node.meta) {
        if (key.size() > max_str || value.size() > max_str || nmeta == max_count8)
            continue;
        put_str(out, key);
        put_str(out, value);
        ++nmeta;
    }
    out[nmeta_at] = static_cast<uint8_t>(nmeta);
    return out;
}

std::vector<uint8_t> encode_ptr_record(std::span<const std::pair<PtrKind, std::string>> entries) {
    std::vector<uint8_t> out;
    put_u8(out, dns_record_version);
    const std::size_t count_at = out.size();
    put_u8(out, 0);
    std::size_t count = 0;
    for (const auto& [kind, name] : entries) {
        if (name.size() > max_str || count == max_count8)
            continue;
        put_u8(out, static_cast<uint8_t>(kind));
        put_str(out, name);
        ++count;
    }
    out[count_at] = static_cast<uint8_t>(count);
    return out;
}

}  // namespace muster::catalog
