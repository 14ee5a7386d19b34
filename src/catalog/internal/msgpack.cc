// Streaming MessagePack writer and reader (the format: github.com/msgpack/msgpack/spec.md).
#include "catalog/internal/msgpack.hh"

#include <array>
#include <limits>

#include "common/result.hh"

namespace muster::catalog::internal {

namespace {

// Big-endian unsigned of n bytes at p.
uint64_t be(const uint8_t* p, std::size_t n) {
    uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v = (v << 8) | p[i];
    return v;
}

// One value's header as found at some position.
struct Head {
    MsgType type = MsgType::invalid;
    std::size_t size = 1;  // the type byte and any length field
    uint64_t data = 0;     // bytes after the header: a scalar's value, a string's text
    uint64_t count = 0;    // container elements (a map's keys and values both count)
};

// The type and the fixed bytes after the type byte (scalars) or the size of the length that
// follows (str, bin, ext, array 16/32, map 16/32).
struct Code {
    MsgType type;
    uint8_t fixed;
    uint8_t length;
};

Code code(uint8_t b) {
    if (b <= 0x7f)
        return {MsgType::uint, 0, 0};
    if (b <= 0x8f)
        return {MsgType::map, 0, 0};
    if (b <= 0x9f)
        return {MsgType::array, 0, 0};
    if (b <= 0xbf)
        return {MsgType::str, 0, 0};
    if (b >= 0xe0)
        return {MsgType::int_, 0, 0};
    auto pow2 = [](int e) { return static_cast<uint8_t>(1u << e); };
    switch (b) {
        case 0xc0:
            return {MsgType::nil, 0, 0};
        case 0xc2:
        case 0xc3:
            return {MsgType::boolean, 0, 0};
        case 0xc4:
        case 0xc5:
        case 0xc6:
            return {MsgType::bin, 0, pow2(b - 0xc4)};
        case 0xc7:
        case 0xc8:
        case 0xc9:  // ext 8/16/32: the length, then a type byte counted with the data
            return {MsgType::ext, 0, pow2(b - 0xc7)};
        case 0xca:
            return {MsgType::float_, 4, 0};
        case 0xcb:
            return {MsgType::float_, 8, 0};
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf:
            return {MsgType::uint, pow2(b - 0xcc), 0};
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3:
            return {MsgType::int_, pow2(b - 0xd0), 0};
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:  // fixext 1..16 and its type byte
            return {MsgType::ext, static_cast<uint8_t>(1 + pow2(b - 0xd4)), 0};
        case 0xd9:
        case 0xda:
        case 0xdb:
            return {MsgType::str, 0, pow2(b - 0xd9)};
        case 0xdc:
        case 0xdd:
            return {MsgType::array, 0, pow2(b - 0xdc + 1)};
        case 0xde:
        case 0xdf:
            return {MsgType::map, 0, pow2(b - 0xde + 1)};
        default:  // 0xc1 is never used
            return {MsgType::invalid, 0, 0};
    }
}

// The header at `pos`, or nothing when it is invalid or claims more than the bytes left
// (every container element takes at least one byte).
std::optional<Head> head(std::span<const uint8_t> bytes, std::size_t pos) {
    if (pos >= bytes.size())
        return std::nullopt;
    const uint8_t b = bytes[pos];
    const Code c = code(b);
    const std::size_t left = bytes.size() - pos - 1;
    if (c.type == MsgType::invalid || left < c.length)
        return std::nullopt;
    Head h{.type = c.type, .size = 1u + c.length, .data = c.fixed, .count = 0};
    const uint64_t n = be(bytes.data() + pos + 1, c.length);
    if (c.type == MsgType::map || c.type == MsgType::array) {
        const uint64_t fix = c.length != 0 ? n : (b & 0x0fu);
        h.count = c.type == MsgType::map ? 2 * fix : fix;
    } else if (c.type == MsgType::str && c.length == 0) {
        h.data = b & 0x1fu;
    } else if (c.length != 0) {
        h.data = n + (c.type == MsgType::ext ? 1 : 0);
    }
    if (h.data > left - c.length || h.count > left - c.length)
        return std::nullopt;
    return h;
}

}  // namespace

bool msgpack_well_formed(std::span<const uint8_t> bytes) {
    struct Open {
        uint64_t left;  // elements still to read
        bool map;       // then every other element, starting with the first, is a key
    };
    std::array<Open, msgpack_max_depth + 1> open{};
    std::size_t depth = 0;
    open[depth++] = {1, false};
    std::size_t pos = 0;
    while (depth > 0) {
        Open& top = open[depth - 1];
        if (top.left == 0) {
            --depth;
            continue;
        }
        const bool key = top.map && top.left % 2 == 0;
        --top.left;
        auto h = head(bytes, pos);
        if (!h || (key && h->type != MsgType::str))
            return false;
        pos += h->size + h->data;
        if (h->count > 0) {
            if (depth > msgpack_max_depth)
                return false;
            open[depth++] = {h->count, h->type == MsgType::map};
        }
    }
    return pos == bytes.size();
}

// ---- MsgWriter

void MsgWriter::big_endian(uint64_t v, std::size_t bytes) {
    for (std::size_t i = bytes; i > 0; --i)
        out_.push_back(static_cast<uint8_t>(v >> (8 * (i - 1))));
}

void MsgWriter::length(std::size_t n, uint8_t fix, std::size_t fix_max, uint8_t code8,
                       uint8_t code16) {
    if (n <= fix_max) {
        out_.push_back(static_cast<uint8_t>(fix | n));
    } else if (code8 != 0 && n <= std::numeric_limits<uint8_t>::max()) {
        out_.push_back(code8);
        big_endian(n, 1);
    } else if (n <= std::numeric_limits<uint16_t>::max()) {
        out_.push_back(code16);
        big_endian(n, 2);
    } else if (n <= std::numeric_limits<uint32_t>::max()) {
        out_.push_back(static_cast<uint8_t>(code16 + 1));
        big_endian(n, 4);
    } else {
        MUSTER_PANIC("MessagePack: length " + std::to_string(n) + " exceeds 32 bits");
    }
}

MsgWriter& MsgWriter::map(std::size_t entries) {
    length(entries, 0x80, 15, 0, 0xde);
    return *this;
}

MsgWriter& MsgWriter::array(std::size_t size) {
    length(size, 0x90, 15, 0, 0xdc);
    return *this;
}

MsgWriter& MsgWriter::str(std::string_view s) {
    length(s.size(), 0xa0, 31, 0xd9, 0xda);
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
}

MsgWriter& MsgWriter::uint(uint64_t v) {
    if (v <= 0x7f) {
        out_.push_back(static_cast<uint8_t>(v));
    } else if (v <= std::numeric_limits<uint8_t>::max()) {
        out_.push_back(0xcc);
        big_endian(v, 1);
    } else if (v <= std::numeric_limits<uint16_t>::max()) {
        out_.push_back(0xcd);
        big_endian(v, 2);
    } else if (v <= std::numeric_limits<uint32_t>::max()) {
        out_.push_back(0xce);
        big_endian(v, 4);
    } else {
        out_.push_back(0xcf);
        big_endian(v, 8);
    }
    return *this;
}

MsgWriter& MsgWriter::boolean(bool v) {
    out_.push_back(v ? 0xc3 : 0xc2);
    return *this;
}

MsgWriter& MsgWriter::nil() {
    out_.push_back(0xc0);
    return *this;
}

MsgWriter& MsgWriter::strings(const std::vector<std::string>& v) {
    array(v.size());
    for (const auto& s : v)
        str(s);
    return *this;
}

MsgWriter& MsgWriter::string_map(const std::map<std::string, std::string>& m) {
    map(m.size());
    for (const auto& [k, v] : m)
        str(k).str(v);
    return *this;
}

// ---- MsgReader

MsgType MsgReader::peek() const {
    auto h = head(bytes_, pos_);
    return h ? h->type : MsgType::invalid;
}

std::optional<std::size_t> MsgReader::map() {
    auto h = head(bytes_, pos_);
    if (!h || h->type != MsgType::map)
        return std::nullopt;
    pos_ += h->size;
    return h->count / 2;
}

std::optional<std::size_t> MsgReader::array() {
    auto h = head(bytes_, pos_);
    if (!h || h->type != MsgType::array)
        return std::nullopt;
    pos_ += h->size;
    return h->count;
}

std::optional<std::string_view> MsgReader::str() {
    auto h = head(bytes_, pos_);
    if (!h || h->type != MsgType::str)
        return std::nullopt;
    std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_ + h->size), h->data);
    pos_ += h->size + h->data;
    return s;
}

std::optional<uint64_t> MsgReader::uint() {
    auto h = head(bytes_, pos_);
    if (!h || h->type != MsgType::uint)
        return std::nullopt;
    const uint8_t b = bytes_[pos_];
    uint64_t v = h->data == 0 ? b : be(bytes_.data() + pos_ + 1, h->data);
    pos_ += h->size + h->data;
    return v;
}

std::optional<bool> MsgReader::boolean() {
    auto h = head(bytes_, pos_);
    if (!h || h->type != MsgType::boolean)
        return std::nullopt;
    return bytes_[pos_++] == 0xc3;
}

bool MsgReader::nil() {
    auto h = head(bytes_, pos_);
    if (!h || h->type != MsgType::nil)
        return false;
    ++pos_;
    return true;
}

bool MsgReader::skip() {
    std::size_t pos = pos_;
    uint64_t left = 1;  // values still to pass; each takes at least one byte, so this ends
    while (left > 0) {
        --left;
        auto h = head(bytes_, pos);
        if (!h)
            return false;
        pos += h->size + h->data;
        left += h->count;
    }
    pos_ = pos;
    return true;
}

}  // namespace muster::catalog::internal
