// Streaming MessagePack for the catalog codecs: a writer appending to a byte vector and a
// bounds-checked reader cursor, with no DOM in between. The writer emits the bytes
// nlohmann::json::to_msgpack wrote before (smallest form of every length and integer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace muster::catalog::internal {

// Containers nest at most this deep in anything the catalog reads.
inline constexpr std::size_t msgpack_max_depth = 32;

// True when `bytes` is exactly one well-formed value: no reserved byte (0xc1), nothing past
// the end, containers nested at most msgpack_max_depth deep, map keys all strings (as
// nlohmann's parser required). Iterative and allocation-free. Decoders run it first, so a
// malformed byte anywhere is reported as such before any field error.
bool msgpack_well_formed(std::span<const uint8_t> bytes);

class MsgWriter {
  public:
    explicit MsgWriter(std::vector<uint8_t>& out) : out_(out) {}

    MsgWriter& map(std::size_t entries);  // then `entries` key, value pairs
    MsgWriter& array(std::size_t size);   // then `size` values
    MsgWriter& str(std::string_view s);
    MsgWriter& key(std::string_view k) { return str(k); }
    MsgWriter& uint(uint64_t v);
    MsgWriter& boolean(bool v);
    MsgWriter& nil();
    MsgWriter& strings(const std::vector<std::string>& v);
    MsgWriter& string_map(const std::map<std::string, std::string>& m);  // in key order

  private:
    // A length or count: `fix` | n when n <= fix_max, else the 8/16/32-bit form from `code`
    // (code8 == 0: no 8-bit form).
    void length(std::size_t n, uint8_t fix, std::size_t fix_max, uint8_t code8, uint8_t code16);
    void big_endian(uint64_t v, std::size_t bytes);
    std::vector<uint8_t>& out_;
};

enum class MsgType : uint8_t {
    nil,
    boolean,
    uint,  // positive fixint, uint 8..64
    int_,  // negative fixint, int 8..64 (even when the value is positive)
    float_,
    str,
    bin,
    ext,
    array,
    map,
    invalid,  // 0xc1, end of input, or a header that runs past the end
};

// A cursor over encoded bytes. Each read takes one value of its type and moves past it, or
// returns nothing and leaves the cursor where it was when the next value is of another type
// or does not fit in the bytes left. Containers never claim more elements than bytes left.
class MsgReader {
  public:
    explicit MsgReader(std::span<const uint8_t> bytes, std::size_t offset = 0)
        : bytes_(bytes), pos_(offset) {}

    std::span<const uint8_t> bytes() const { return bytes_; }
    std::size_t offset() const { return pos_; }
    MsgType peek() const;

    std::optional<std::size_t> map();  // entry count; the entries follow
    std::optional<std::size_t> array();
    std::optional<std::string_view> str();  // a view into the bytes
    std::optional<uint64_t> uint();
    std::optional<bool> boolean();
    bool nil();
    bool skip();  // one whole value, containers included (iteratively); false when malformed

  private:
    std::span<const uint8_t> bytes_;
    std::size_t pos_;
};

}  // namespace muster::catalog::internal
