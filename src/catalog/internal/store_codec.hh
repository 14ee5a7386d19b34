// MessagePack (via nlohmann::json) encoding of catalog entities, shared by the command codec
// and the LMDB store. Decoding never throws and names the first bad field.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/model.hh"
#include "catalog/store.hh"
#include "common/result.hh"

namespace muster::catalog::internal {

using json = nlohmann::json;

// Parses one MessagePack value that must span all of `bytes`. Nothing on malformed input,
// nesting deeper than 32, or containers claiming more elements than there are bytes left
// (checked iteratively before nlohmann's recursive parser sees the bytes).
std::optional<json> parse_msgpack(std::span<const uint8_t> bytes);

json to_json(const Node& node);
json to_json(const Service& service);
json to_json(const Check& check);
json to_json(const Change& change);

// Reads the fields of one map; the first error is kept as "<path>.<key>: <what>" and later
// reads become no-ops, so a decoder reads every field and checks ok() once.
class FieldReader {
  public:
    FieldReader(const json& object, std::string path, std::string& error);
    bool ok() const { return error_.empty(); }
    const std::string& path() const { return path_; }

    void str(const char* key, std::string& out);
    void opt_str(const char* key, std::optional<std::string>& out);  // nil/absent = nullopt
    void u64(const char* key, uint64_t& out);
    void u32(const char* key, uint32_t& out);
    void u16(const char* key, uint16_t& out);
    void flag(const char* key, bool& out);
    void status(const char* key, Status& out);
    void strings(const char* key, std::vector<std::string>& out);
    void string_map(const char* key, std::map<std::string, std::string>& out);
    // The map under `key` (nil when absent or nil, an error when not a map).
    const json* object(const char* key, bool nil_allowed);
    const json* array(const char* key);
    void fail(const std::string& where, std::string_view what);

  private:
    const json* field(const char* key);
    const json* object_;
    std::string path_;
    std::string& error_;
};

// Each returns false with `error` set (see FieldReader) when `j` is not a well-formed entity.
bool from_json(const json& j, const std::string& path, Node& out, std::string& error);
bool from_json(const json& j, const std::string& path, Service& out, std::string& error);
bool from_json(const json& j, const std::string& path, Check& out, std::string& error);
bool from_json(const json& j, const std::string& path, Change& out, std::string& error);

// Store-side helpers: encode to MessagePack; decode or panic (a stored entry that does not
// decode is a corrupt store, never served).
template <class T>
std::vector<uint8_t> encode_entity(const T& value) {
    return json::to_msgpack(to_json(value));
}
template <class T>
T decode_entity(std::span<const uint8_t> bytes, const char* what) {
    auto j = parse_msgpack(bytes);
    if (!j)
        MUSTER_PANIC(std::string("corrupt catalog store: ") + what + " is not MessagePack");
    T out;
    std::string error;
    if (!from_json(*j, what, out, error))
        MUSTER_PANIC("corrupt catalog store: " + error);
    return out;
}

}  // namespace muster::catalog::internal
