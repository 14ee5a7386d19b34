// rpc_json: the checked field readers every JSON payload of the cluster RPC decodes with
// (rpc_messages.cc, feed_messages.cc). Untrusted input: sizes, nesting and types are checked,
// nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "cluster/internal/rpc_messages.hh"
#include "common/result.hh"

namespace muster::cluster::internal {

using nlohmann::json;

inline constexpr size_t max_address = 64;

std::vector<uint8_t> dump(const json& j);
// A JSON object of at most `max` bytes and shallow nesting; `what` names it.
Result<json> parse_object(std::span<const uint8_t> bytes, const char* what,
                          size_t max = max_control_payload);
// Optional fields: absent is the default; present with the wrong type is an error.
Result<uint64_t> get_u64(const json& j, const char* key, bool required);
Result<bool> get_bool(const json& j, const char* key);
Result<std::string> get_string(const json& j, const char* key, size_t max);
// An "a.b.c.d:port" server address; "" when absent and not required.
Result<std::string> get_address(const json& j, const char* key, bool required);
// At most max_error_text bytes of `s`.
std::string clip(const std::string& s);

}  // namespace muster::cluster::internal
