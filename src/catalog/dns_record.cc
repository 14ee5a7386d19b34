// The catalog's flat DNS records: encoders for the store, allocation-free decoders for resolver/.
#include "catalog/dns_record.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "common/ascii.hh"

namespace muster::catalog {

namespace {

constexpr std::size_t max_str = 255;
constexpr std::size_t max_count8 = 255;
// ServiceRecord header: u8 version | u32 size | u32 count | u32 passing | u32 warning
// | u32 addrs_at | u32 tags_at.
constexpr std::size_t service_header_size = 25;

uint32_t load_u32(const uint8_t* p) {
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
void store_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>((v >> (8 * i)) & 0xff);
}

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

bool read_instance(std::span<const uint8_t> bytes, InstanceView& out) {
    internal::ByteCursor c{bytes};
    const uint8_t health = c.u8();
    out.addr = read_addr(c);
    const uint8_t flags = c.u8();
    out.port = c.u16();
    out.weight_passing = c.u16();
    out.weight_warning = c.u16();
    out.node = c.str();
    out.tag_count = c.u8();
    out.tags = skip_strings(c, out.tag_count);
    if (!c.ok || health > static_cast<uint8_t>(Status::critical))
        return false;
    out.health = static_cast<Status>(health);
    out.own_address = (flags & 1u) != 0;
    return true;
}

ServiceRecord::ServiceRecord(std::span<const uint8_t> bytes) {
    internal::ByteCursor c{bytes};
    const uint8_t version = c.u8();
    const uint32_t size = c.u32();
    count_ = c.u32();
    passing_ = c.u32();
    warning_ = c.u32();
    addrs_at_ = c.u32();
    tags_at_ = c.u32();
    const uint64_t table_end = uint64_t{service_header_size} + uint64_t{count_} * 4;
    valid_ = c.ok && version == service_record_version && size == bytes.size() &&
             uint64_t{passing_} + warning_ <= count_ && table_end <= size &&
             addrs_at_ >= table_end && addrs_at_ <= tags_at_ && tags_at_ <= size;
    if (valid_) {
        bytes_ = bytes;
    } else {
        count_ = passing_ = warning_ = 0;
    }
}

bool ServiceRecord::instance(uint32_t i, InstanceView& out) const {
    if (i >= count_)
        return false;
    const uint32_t at = load_u32(bytes_.data() + service_header_size + 4 * std::size_t{i});
    if (at < service_header_size || at >= addrs_at_)
        return false;
    return read_instance(bytes_.subspan(at, addrs_at_ - at), out);
}

ServiceRecord::Addresses ServiceRecord::addresses(uint8_t family) const {
    if (!valid_ || (family != 4 && family != 6))
        return {};
    internal::ByteCursor c{bytes_.subspan(addrs_at_, tags_at_ - addrs_at_)};
    for (uint8_t f : {uint8_t{4}, uint8_t{6}}) {
        const std::size_t width = f == 4 ? 4 : 16;
        Addresses a{.bytes = {}, .family = f, .passing = c.u32(), .warning = c.u32()};
        const uint64_t n = uint64_t{a.passing} + a.warning;
        if (!c.ok || n * width > c.rest.size())
            return {};
        c.take(n * width, a.bytes);
        if (f == family)
            return a;
    }
    return {};
}

IpBytes ServiceRecord::Addresses::at(uint32_t i) const {
    IpBytes out;
    const std::size_t width = family == 4 ? 4 : 16;
    if ((std::size_t{i} + 1) * width > bytes.size())
        return out;
    out.family = family;
    std::memcpy(out.bytes, bytes.data() + i * width, width);
    return out;
}

ServiceRecord::Tagged ServiceRecord::tagged(std::string_view tag) const {
    if (!valid_)
        return {};
    const std::span<const uint8_t> index = bytes_.subspan(tags_at_);
    internal::ByteCursor c{index};
    const uint32_t ntags = c.u32();
    if (!c.ok || uint64_t{ntags} * 4 > c.rest.size())
        return {};
    const uint8_t* table = c.rest.data();
    // Entry k: its tag and the cursor just after it; false when malformed.
    auto entry = [&](uint32_t k, std::string_view& name, internal::ByteCursor& after) {
        const uint32_t at = load_u32(table + 4 * std::size_t{k});
        if (at >= index.size())
            return false;
        after = internal::ByteCursor{index.subspan(at)};
        name = after.str();
        return after.ok;
    };
    uint32_t lo = 0, hi = ntags;
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        std::string_view name;
        internal::ByteCursor after{};
        if (!entry(mid, name, after))
            return {};
        if (name < tag) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    std::string_view name;
    internal::ByteCursor after{};
    if (lo == ntags || !entry(lo, name, after) || name != tag)
        return {};
    Tagged t{.numbers = {}, .passing = after.u32(), .warning = after.u32()};
    const uint64_t n = uint64_t{t.passing} + t.warning;
    if (!after.ok || n * 4 > after.rest.size())
        return {};
    after.take(n * 4, t.numbers);
    return t;
}

uint32_t ServiceRecord::Tagged::at(uint32_t i) const {
    if ((std::size_t{i} + 1) * 4 > numbers.size())
        return UINT32_MAX;
    return load_u32(numbers.data() + 4 * std::size_t{i});
}

bool ServiceRecordReader::next(InstanceView& out) {
    if (!valid_ || next_ >= record_.count())
        return false;
    if (!record_.instance(next_, out)) {
        valid_ = false;
        return false;
    }
    ++next_;
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

std::vector<uint8_t> encode_instance(const InstanceData& inst) {
    std::vector<uint8_t> out;
    // A node name that cannot be a DNS name cannot be an SRV target either.
    if (inst.node.size() > max_str)
        return out;
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
    return out;
}

void build_service_record(std::span<const std::span<const uint8_t>> instances,
                          std::vector<uint8_t>& out) {
    // The well-formed instances in health order (passing, warning, critical), stable.
    struct Item {
        std::span<const uint8_t> bytes;
        InstanceView view;
    };
    std::vector<Item> items;
    items.reserve(instances.size());
    uint32_t by_health[3] = {};
    for (std::span<const uint8_t> bytes : instances) {
        InstanceView v;
        if (!read_instance(bytes, v))
            continue;
        items.push_back({bytes, v});
        ++by_health[static_cast<uint8_t>(v.health)];
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        return static_cast<uint8_t>(a.view.health) < static_cast<uint8_t>(b.view.health);
    });
    const uint32_t count = static_cast<uint32_t>(items.size());

    out.clear();
    out.resize(service_header_size + 4 * std::size_t{count});
    out[0] = service_record_version;
    store_u32(out.data() + 5, count);
    store_u32(out.data() + 9, by_health[static_cast<uint8_t>(Status::passing)]);
    store_u32(out.data() + 13, by_health[static_cast<uint8_t>(Status::warning)]);
    for (uint32_t i = 0; i < count; ++i) {
        store_u32(out.data() + service_header_size + 4 * std::size_t{i},
                  static_cast<uint32_t>(out.size()));
        out.insert(out.end(), items[i].bytes.begin(), items[i].bytes.end());
    }

    store_u32(out.data() + 17, static_cast<uint32_t>(out.size()));  // addrs_at
    for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
        const std::size_t width = family == 4 ? 4 : 16;
        std::set<std::array<uint8_t, 16>> seen;
        uint32_t n[2] = {};  // passing, warning
        const std::size_t counts_at = out.size();
        put_u32(out, 0);
        put_u32(out, 0);
        for (const Item& item : items) {
            const InstanceView& v = item.view;
            if (v.health == Status::critical || v.addr.family != family)
                continue;
            std::array<uint8_t, 16> key;
            std::memcpy(key.data(), v.addr.bytes, 16);
            if (!seen.insert(key).second)
                continue;  // a passing instance's address comes first: the order is by health
            out.insert(out.end(), v.addr.bytes, v.addr.bytes + width);
            ++n[v.health == Status::passing ? 0 : 1];
        }
        store_u32(out.data() + counts_at, n[0]);
        store_u32(out.data() + counts_at + 4, n[1]);
    }

    store_u32(out.data() + 21, static_cast<uint32_t>(out.size()));  // tags_at
    std::map<std::string, std::vector<uint32_t>> tags;  // lowercase tag -> instance numbers
    for (uint32_t i = 0; i < count; ++i) {
        const InstanceView& v = items[i].view;
        if (v.health == Status::critical)
            continue;
        internal::ByteCursor c{v.tags};
        for (unsigned k = 0; k < v.tag_count; ++k) {
            std::string tag(c.str());
            for (char& ch : tag)
                ch = ascii::to_lower(ch);
            std::vector<uint32_t>& numbers = tags[tag];
            if (numbers.empty() || numbers.back() != i)  // a tag given twice counts once
                numbers.push_back(i);
        }
    }
    const std::size_t index_at = out.size();
    put_u32(out, static_cast<uint32_t>(tags.size()));
    const std::size_t table_at = out.size();
    out.resize(out.size() + 4 * tags.size());
    std::size_t k = 0;
    const uint32_t passing = by_health[static_cast<uint8_t>(Status::passing)];
    for (const auto& [tag, numbers] : tags) {
        store_u32(out.data() + table_at + 4 * k++, static_cast<uint32_t>(out.size() - index_at));
        put_str(out, tag);
        const auto first_warning = std::lower_bound(numbers.begin(), numbers.end(), passing);
        put_u32(out, static_cast<uint32_t>(first_warning - numbers.begin()));
        put_u32(out, static_cast<uint32_t>(numbers.end() - first_warning));
        for (uint32_t number : numbers)
            put_u32(out, number);
    }
    store_u32(out.data() + 1, static_cast<uint32_t>(out.size()));  // size
}

std::vector<uint8_t> encode_service_record(std::span<const InstanceData> instances) {
    std::vector<std::vector<uint8_t>> encoded;
    encoded.reserve(instances.size());
    for (const InstanceData& inst : instances)
        encoded.push_back(encode_instance(inst));
    std::vector<std::span<const uint8_t>> spans(encoded.begin(), encoded.end());
    std::vector<uint8_t> out;
    build_service_record(spans, out);
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
