// MessagePack encoding of catalog entities, shared by the command codec and the LMDB store:
// written and read straight from and to the bytes, no DOM. Decoding never throws and names
// the first bad field.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/internal/msgpack.hh"
#include "catalog/model.hh"
#include "catalog/store.hh"
#include "common/result.hh"

namespace muster::catalog::internal {

// Where a value sits, for error messages only: kept on the stack as a chain of names and
// spelled out ("Register.checks[1].status") when an error names it.
class Path {
  public:
    explicit Path(std::string_view root) : name_(root) {}
    Path field(std::string_view key) const { return Path(this, key, no_index); }
    Path element(std::size_t index) const { return Path(this, {}, index); }
    std::string str() const;

  private:
    static constexpr std::size_t no_index = static_cast<std::size_t>(-1);
    Path(const Path* parent, std::string_view name, std::size_t index)
        : parent_(parent), name_(name), index_(index) {}
    const Path* parent_ = nullptr;
    std::string_view name_;
    std::size_t index_ = no_index;
};

enum class Nil { rejected, allowed };

// Reads the fields of one map, given the keys a decoder may ask for. The constructor passes
// over the map once, moving `in` past it, and notes where each wanted key's value is (the
// last one when a key repeats; other keys are skipped). The first error is kept as
// "<path>.<key>: <what>" and later reads become no-ops, so a decoder reads every field in a
// fixed order and checks ok() once: which error is reported does not depend on key order.
class FieldReader {
  public:
    static constexpr std::size_t max_keys = 16;

    template <std::size_t N>
    FieldReader(MsgReader& in, const Path& path, const std::array<std::string_view, N>& keys,
                std::string& error)
        : FieldReader(in, path, std::span<const std::string_view>(keys), error) {
        static_assert(N <= max_keys);
    }
    FieldReader(const FieldReader&) = delete;
    FieldReader& operator=(const FieldReader&) = delete;

    bool ok() const { return error_.empty(); }
    const Path& path() const { return path_; }
    void rename(std::string_view root) { path_ = Path(root); }  // the map's name, once known

    void str(std::string_view key, std::string& out);
    void opt_str(std::string_view key, std::optional<std::string>& out);  // nil/absent = nullopt
    void u64(std::string_view key, uint64_t& out);
    void u32(std::string_view key, uint32_t& out);
    void u16(std::string_view key, uint16_t& out);
    void flag(std::string_view key, bool& out);
    void opt_flag(std::string_view key, bool& out);  // absent: `out` is left as it is
    void status(std::string_view key, Status& out);
    void strings(std::string_view key, std::vector<std::string>& out);
    void string_map(std::string_view key, std::map<std::string, std::string>& out);
    // A cursor on the map under `key`; nothing when absent or nil (Nil::allowed) or on error.
    std::optional<MsgReader> map(std::string_view key, Nil nil);
    // A cursor on the first element of the array under `key`, with `size` set.
    std::optional<MsgReader> array(std::string_view key, std::size_t& size);
    // The string under `key`, without an error when it is absent or not a string.
    std::optional<std::string_view> find_str(std::string_view key) const;
    void fail(const Path& where, std::string_view what);

  private:
    FieldReader(MsgReader& in, const Path& path, std::span<const std::string_view> keys,
                std::string& error);
    std::optional<MsgReader> find(std::string_view key) const;  // nothing when absent
    std::optional<MsgReader> field(std::string_view key);       // an error when absent

    std::span<const uint8_t> bytes_;
    std::span<const std::string_view> keys_;
    std::array<std::size_t, max_keys> at_{};  // offset of each key's value; 0 = absent
    Path path_;
    std::string& error_;
};

// Entities: write appends one map; read takes one value from `in` and returns false with
// `error` set (see FieldReader) when it is not a well-formed entity.
void write(MsgWriter& w, const Node& node);
void write(MsgWriter& w, const Service& service);
void write(MsgWriter& w, const Check& check);
void write(MsgWriter& w, const Change& change);
void write(MsgWriter& w, const LeftMember& member);
bool read(MsgReader& in, const Path& path, Node& out, std::string& error);
bool read(MsgReader& in, const Path& path, Service& out, std::string& error);
bool read(MsgReader& in, const Path& path, Check& out, std::string& error);
bool read(MsgReader& in, const Path& path, Change& out, std::string& error);
bool read(MsgReader& in, const Path& path, LeftMember& out, std::string& error);

// Store-side helpers: encode to MessagePack; decode or panic (a stored entry that does not
// decode is a corrupt store, never served).
template <class T>
std::vector<uint8_t> encode_entity(const T& value) {
    std::vector<uint8_t> out;
    out.reserve(256);
    MsgWriter w(out);
    write(w, value);
    return out;
}
template <class T>
T decode_entity(std::span<const uint8_t> bytes, const char* what) {
    if (!msgpack_well_formed(bytes))
        MUSTER_PANIC(std::string("corrupt catalog store: ") + what + " is not MessagePack");
    MsgReader in(bytes);
    T out;
    std::string error;
    if (!read(in, Path(what), out, error))
        MUSTER_PANIC("corrupt catalog store: " + error);
    return out;
}

}  // namespace muster::catalog::internal
