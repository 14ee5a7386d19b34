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
using internal::service_layout::load_u32;
using internal::service_layout::store_u32;
namespace layout = internal::service_layout;

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

// Read at fixed offsets with one bounds check per variable field (the builder decodes every
// instance of a service on each rebuild): health | family | addr[16] | flags | port | weight
// passing | weight warning (offset 25:) str node | u8 ntags | ntags × str.
bool read_instance(std::span<const uint8_t> bytes, InstanceView& out) {
    constexpr std::size_t node_at = 25;
    const std::size_t size = bytes.size();
    const uint8_t* p = bytes.data();
    if (size < node_at + 2 || p[0] > static_cast<uint8_t>(Status::critical) ||
        (p[1] != 0 && p[1] != 4 && p[1] != 6))
        return false;
    std::size_t at = node_at + 1 + p[node_at];  // the tag count
    if (at >= size)
        return false;
    const unsigned ntags = p[at++];
    const std::size_t tags_at = at;
    for (unsigned k = 0; k < ntags; ++k) {
        if (at >= size)
            return false;
        at += 1 + std::size_t{p[at]};
    }
    if (at > size)
        return false;
    out.health = static_cast<Status>(p[0]);
    out.addr.family = p[1];
    std::memcpy(out.addr.bytes, p + 2, 16);
    out.own_address = (p[18] & 1u) != 0;
    out.port = static_cast<uint16_t>(p[19] | (p[20] << 8));
    out.weight_passing = static_cast<uint16_t>(p[21] | (p[22] << 8));
    out.weight_warning = static_cast<uint16_t>(p[23] | (p[24] << 8));
    out.node = {reinterpret_cast<const char*>(p + node_at + 1), p[node_at]};
    out.tag_count = static_cast<uint8_t>(ntags);
    out.tags = bytes.subspan(tags_at, at - tags_at);
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
    const uint64_t table_end = uint64_t{layout::header_size} + uint64_t{count_} * 4;
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
    const uint32_t at = load_u32(bytes_.data() + layout::header_size + 4 * std::size_t{i});
    if (at < layout::header_size || at >= addrs_at_)
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
    // Sized once (this also keeps GCC 12's -O3 -Warray-bounds from a false report on growth).
    std::size_t size = 27 + inst.node.size();
    for (const std::string& tag : inst.tags)
        size += 1 + std::min(tag.size(), max_str);
    out.reserve(size);
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

namespace {

// An open-addressing table of item numbers for the build's two "seen before" questions (an
// address, a tag), reused from build to build.
class BuildTable {
  public:
    // Empties the table for up to `capacity` numbers (keeping its memory).
    void reset(std::size_t capacity) {
        std::size_t slots = 16;
        while (slots < 2 * capacity)
            slots <<= 1;
        slot_.assign(slots, empty);
    }
    // The number stored under an equal key, or `number` after storing it there.
    template <class Same>
    uint32_t find_or_add(uint64_t hash, uint32_t number, Same&& same) {
        const std::size_t mask = slot_.size() - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            if (slot_[i] == empty) {
                slot_[i] = number;
                return number;
            }
            if (same(slot_[i]))
                return slot_[i];
        }
    }

  private:
    static constexpr uint32_t empty = UINT32_MAX;
    std::vector<uint32_t> slot_;
};

uint64_t mix(uint64_t h) {  // the finaliser of MurmurHash3
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

// Eight bytes with ASCII 'A'-'Z' made lowercase, all at once (SWAR): bytes >= 0x80 are left
// alone, as ascii::to_lower leaves them.
uint64_t lower8(uint64_t x) {
    constexpr uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    const uint64_t low7 = x & ~high;
    const uint64_t ge_a = low7 + (0x80 - 'A') * ones;  // high bit set where byte >= 'A'
    const uint64_t gt_z = low7 + (0x7f - 'Z') * ones;  // high bit set where byte > 'Z'
    const uint64_t upper = ge_a & ~gt_z & ~x & high;
    return x | (upper >> 2);  // 0x80 >> 2 = 0x20, the case bit
}

// A hash of the ASCII-lowercase bytes, eight at a time: tags are hashed for every healthy
// instance on every build. Only equal within one process run matters.
uint64_t hash_lower(std::string_view s) {
    uint64_t h = s.size();
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        uint64_t w = 0;
        std::memcpy(&w, s.data() + i, 8);
        h = mix(h ^ lower8(w));
    }
    uint64_t w = 0;
    if (i < s.size())  // (no memcpy from the null data() of an empty view)
        std::memcpy(&w, s.data() + i, s.size() - i);
    return mix(h ^ lower8(w) ^ 0x9e3779b97f4a7c15ULL);
}

// Equal but for ASCII case; the common case (the same spelling) without folding.
bool same_tag(std::string_view a, std::string_view b) {
    return a == b || ascii::iequals(a, b);
}

bool less_lower(std::string_view a, std::string_view b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = static_cast<uint8_t>(ascii::to_lower(a[i]));
        const auto y = static_cast<uint8_t>(ascii::to_lower(b[i]));
        if (x != y)
            return x < y;
    }
    return a.size() < b.size();
}

}  // namespace

// A write that changes several instances (or that the patch in internal/service_record_patch.cc
// declines) rebuilds its service's record, so this is linear in the instances with a few
// allocations per build (none per instance): bench/store_big_service.cc.
void build_service_record(std::span<const std::span<const uint8_t>> instances,
                          std::vector<uint8_t>& out) {
    // What the build needs of one well-formed instance: 48 bytes, not a whole InstanceView, so
    // the walks below stay in cache.
    struct Item {
        const uint8_t* bytes;
        uint32_t size;
        uint32_t tags_at;  // where its tags start in `bytes`
        uint32_t tags_size;
        uint8_t health, family, tag_count;
        uint64_t addr[2];
        std::span<const uint8_t> tags() const { return {bytes + tags_at, tags_size}; }
    };
    // Scratch kept by the thread between builds: a big service is rebuilt on every write to it,
    // and fresh vectors of its size would cost page faults each time.
    thread_local std::vector<Item> decoded;    // the well-formed instances, in the given order
    thread_local std::vector<uint32_t> order;  // decoded's indexes by health, stable
    decoded.clear();
    decoded.reserve(instances.size());
    uint32_t by_health[3] = {};
    uint32_t families[7] = {};  // healthy instances by address family
    std::size_t instance_bytes = 0;
    for (std::span<const uint8_t> bytes : instances) {
        InstanceView v;
        if (!read_instance(bytes, v))
            continue;
        Item item{.bytes = bytes.data(),
                  .size = static_cast<uint32_t>(bytes.size()),
                  .tags_at = static_cast<uint32_t>(v.tags.data() - bytes.data()),
                  .tags_size = static_cast<uint32_t>(v.tags.size()),
                  .health = static_cast<uint8_t>(v.health),
                  .family = v.addr.family,
                  .tag_count = v.tag_count,
                  .addr = {}};
        std::memcpy(item.addr, v.addr.bytes, 16);
        decoded.push_back(item);
        instance_bytes += bytes.size();
        ++by_health[item.health];
        families[item.family] += v.health == Status::critical ? 0 : 1;
    }
    const auto count = static_cast<uint32_t>(decoded.size());
    const uint32_t passing = by_health[0], warning = by_health[1];
    const uint32_t healthy = passing + warning;
    order.resize(count);
    uint32_t next[3] = {0, passing, healthy};
    for (uint32_t k = 0; k < count; ++k)
        order[next[decoded[k].health]++] = k;
    auto item = [&](uint32_t i) -> const Item& { return decoded[order[i]]; };

    // Header, offsets and instances, sized once and copied.
    const std::size_t instances_at = layout::header_size + 4 * std::size_t{count};
    out.clear();
    out.reserve(instances_at + instance_bytes + 16 * std::size_t{healthy} + 64);
    out.resize(instances_at + instance_bytes);
    out[0] = service_record_version;
    store_u32(out.data() + layout::count_at, count);
    store_u32(out.data() + layout::passing_at, passing);
    store_u32(out.data() + layout::warning_at, warning);
    std::size_t at = instances_at;
    for (uint32_t i = 0; i < count; ++i) {
        const Item& d = item(i);
        store_u32(out.data() + layout::header_size + 4 * std::size_t{i}, static_cast<uint32_t>(at));
        std::memcpy(out.data() + at, d.bytes, d.size);
        at += d.size;
    }

    // The distinct addresses of each family; the order is by health, so an address that a
    // passing instance has is written among the passing ones.
    store_u32(out.data() + layout::addrs_at, static_cast<uint32_t>(out.size()));
    for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
        const std::size_t width = family == 4 ? 4 : 16;
        thread_local BuildTable seen;
        seen.reset(families[family]);
        uint32_t n[2] = {};  // passing, warning
        const std::size_t counts_at = out.size();
        put_u32(out, 0);
        put_u32(out, 0);
        for (uint32_t i = 0; i < healthy && families[family] > 0; ++i) {
            const Item& d = item(i);
            if (d.family != family)
                continue;
            const uint32_t first =
                seen.find_or_add(mix(d.addr[0] ^ mix(d.addr[1])), i, [&](uint32_t j) {
                    const Item& other = item(j);
                    return other.addr[0] == d.addr[0] && other.addr[1] == d.addr[1];
                });
            if (first != i)
                continue;
            const auto* bytes = reinterpret_cast<const uint8_t*>(d.addr);
            out.insert(out.end(), bytes, bytes + width);
            ++n[i < passing ? 0 : 1];
        }
        store_u32(out.data() + counts_at, n[0]);
        store_u32(out.data() + counts_at + 4, n[1]);
    }

    // The tag index: each healthy instance's tags grouped (ASCII case-insensitively), the
    // groups sorted by lowercase tag, each group's instance numbers ascending.
    store_u32(out.data() + layout::tags_at, static_cast<uint32_t>(out.size()));
    struct Group {
        std::string_view tag;  // as the first instance with it spells it
        uint32_t size = 0;
        uint32_t passing = 0;
        uint32_t last = UINT32_MAX;  // the last instance added (a tag given twice counts once)
        uint32_t start = 0;          // where its numbers begin in `numbers`
    };
    thread_local std::vector<Group> groups;
    thread_local std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (group, instance)
    // The previous instance's tags and their groups, position by position: instances of one
    // service mostly carry the same tags, or some of them at the same place.
    thread_local std::vector<std::pair<std::string_view, uint32_t>> previous;
    groups.clear();
    pairs.clear();
    previous.clear();
    std::size_t occurrences = 0;
    for (uint32_t i = 0; i < healthy; ++i)
        occurrences += item(i).tag_count;
    pairs.reserve(occurrences);
    thread_local BuildTable by_tag;
    by_tag.reset(occurrences);
    std::span<const uint8_t> previous_tags;
    auto add = [&](uint32_t g, uint32_t i) {
        Group& group = groups[g];
        if (group.last == i)
            return;
        group.last = i;
        ++group.size;
        group.passing += i < passing ? 1 : 0;
        pairs.emplace_back(g, i);
    };
    for (uint32_t i = 0; i < healthy; ++i) {
        const Item& d = item(i);
        const std::span<const uint8_t> tags = d.tags();
        if (!previous_tags.empty() && tags.size() == previous_tags.size() &&
            std::memcmp(tags.data(), previous_tags.data(), tags.size()) == 0) {
            for (const auto& [tag, g] : previous)
                add(g, i);
            continue;
        }
        previous_tags = tags;
        internal::ByteCursor c{tags};
        for (unsigned k = 0; k < d.tag_count; ++k) {
            const std::string_view tag = c.str();
            uint32_t g = 0;
            if (k < previous.size() && previous[k].first == tag) {
                g = previous[k].second;
            } else {
                const auto fresh = static_cast<uint32_t>(groups.size());
                g = by_tag.find_or_add(hash_lower(tag), fresh, [&](uint32_t other) {
                    return same_tag(groups[other].tag, tag);
                });
                if (g == fresh)
                    groups.push_back({.tag = tag});
            }
            if (k < previous.size()) {
                previous[k] = {tag, g};
            } else {
                previous.emplace_back(tag, g);
            }
            add(g, i);
        }
        previous.resize(d.tag_count);
    }
    thread_local std::vector<uint32_t> numbers;
    numbers.resize(pairs.size());
    uint32_t number_at = 0;
    for (Group& group : groups) {
        group.start = number_at;
        number_at += group.size;
        group.size = 0;  // refilled below
    }
    for (const auto& [g, i] : pairs)
        numbers[groups[g].start + groups[g].size++] = i;
    thread_local std::vector<uint32_t> sorted;
    sorted.resize(groups.size());
    for (uint32_t g = 0; g < sorted.size(); ++g)
        sorted[g] = g;
    std::sort(sorted.begin(), sorted.end(),
              [&](uint32_t a, uint32_t b) { return less_lower(groups[a].tag, groups[b].tag); });
    // Sized once: count, offsets, and per group its tag, two counts and its numbers.
    const std::size_t index_at = out.size();
    std::size_t index_size = 4 + 4 * groups.size() + 4 * pairs.size();
    for (const Group& group : groups)
        index_size += 1 + group.tag.size() + 8;
    out.resize(index_at + index_size);
    uint8_t* const index = out.data() + index_at;
    store_u32(index, static_cast<uint32_t>(groups.size()));
    std::size_t w = 4 + 4 * groups.size();  // where the next entry goes
    for (std::size_t k = 0; k < sorted.size(); ++k) {
        const Group& group = groups[sorted[k]];
        store_u32(index + 4 + 4 * k, static_cast<uint32_t>(w));
        index[w++] = static_cast<uint8_t>(group.tag.size());
        for (char ch : group.tag)
            index[w++] = static_cast<uint8_t>(ascii::to_lower(ch));
        store_u32(index + w, group.passing);
        store_u32(index + w + 4, group.size - group.passing);
        w += 8;
        for (uint32_t j = 0; j < group.size; ++j, w += 4)
            store_u32(index + w, numbers[group.start + j]);
    }
    store_u32(out.data() + layout::size_at, static_cast<uint32_t>(out.size()));
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
