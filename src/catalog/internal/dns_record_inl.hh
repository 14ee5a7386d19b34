// Inline template parts of dns_record.hh: the byte cursor the decoders share and the
// for_each_* walks (templates, so the callback is inlined and nothing allocates).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace muster::catalog::internal {

// A ServiceRecord's header (dns_record.hh, layout 2): little-endian fields at fixed offsets,
// shared by the builder (dns_record.cc) and the patch (service_record_patch.cc).
namespace service_layout {
inline constexpr std::size_t version_at = 0;  // u8
inline constexpr std::size_t size_at = 1;     // u32, and so on
inline constexpr std::size_t count_at = 5;
inline constexpr std::size_t passing_at = 9;
inline constexpr std::size_t warning_at = 13;
inline constexpr std::size_t addrs_at = 17;
inline constexpr std::size_t tags_at = 21;
inline constexpr std::size_t header_size = 25;  // the offset table follows

inline uint32_t load_u32(const uint8_t* p) {
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
inline void store_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>((v >> (8 * i)) & 0xff);
}
}  // namespace service_layout

// Reads from a span without ever going past its end: a short read sets ok = false and
// returns zero/empty, so a caller checks ok once after a group of reads.
struct ByteCursor {
    std::span<const uint8_t> rest;
    bool ok = true;

    bool take(std::size_t n, std::span<const uint8_t>& out) {
        if (!ok || rest.size() < n) {
            ok = false;
            out = {};
            return false;
        }
        out = rest.first(n);
        rest = rest.subspan(n);
        return true;
    }
    uint8_t u8() {
        std::span<const uint8_t> b;
        return take(1, b) ? b[0] : uint8_t{0};
    }
    uint16_t u16() {
        std::span<const uint8_t> b;
        return take(2, b) ? static_cast<uint16_t>(b[0] | (b[1] << 8)) : uint16_t{0};
    }
    uint32_t u32() {
        std::span<const uint8_t> b;
        if (!take(4, b))
            return 0;
        return uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) |
               (uint32_t{b[3]} << 24);
    }
    std::string_view str() {
        const uint8_t len = u8();
        std::span<const uint8_t> b;
        if (!take(len, b))
            return {};
        return {reinterpret_cast<const char*>(b.data()), b.size()};
    }
};

}  // namespace muster::catalog::internal

namespace muster::catalog {

template <class Fn>
void for_each_meta(const NodeView& node, Fn&& fn) {
    internal::ByteCursor c{node.meta};
    for (unsigned i = 0; i < node.meta_count; ++i) {
        const std::string_view key = c.str();
        const std::string_view value = c.str();
        if (!c.ok)
            return;
        fn(key, value);
    }
}

template <class Fn>
bool for_each_ptr(std::span<const uint8_t> bytes, Fn&& fn) {
    internal::ByteCursor c{bytes};
    if (c.u8() != dns_record_version || !c.ok)
        return false;
    const uint8_t count = c.u8();
    for (unsigned i = 0; i < count; ++i) {
        const uint8_t kind = c.u8();
        const std::string_view name = c.str();
        if (!c.ok || kind > 1)
            return false;
        fn(static_cast<PtrKind>(kind), name);
    }
    return c.ok;
}

}  // namespace muster::catalog
