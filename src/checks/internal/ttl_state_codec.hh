// The TTL state file's JSON form, apart from the file I/O so that the parser is fuzzed alone.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "checks/monitor.hh"

namespace muster::checks::internal {

// {"version": 1, "checks": {"<check id>": {"status": "passing", "output": "...",
//  "expires_ms": <milliseconds since the Unix epoch>}}}
inline constexpr int ttl_state_format_version = 1;

// Expiries are kept to the millisecond; text that cannot be invalid UTF-8 in JSON is replaced.
std::string encode_ttl_state(const std::map<std::string, TtlState>& states);

// The states, or an error saying what is wrong (any bad part rejects the whole file). Never
// throws or crashes on any input.
Result<std::map<std::string, TtlState>> decode_ttl_state(std::string_view text);

}  // namespace muster::checks::internal
