// Go/Consul-style duration strings ("500ms", "10s", "1m30s", "1.5h") for config values.
#pragma once

#include <chrono>
#include <string_view>

#include "common/result.hh"

namespace muster::config::internal {

// Parses a sequence of <number><unit> with units ns, us, µs, ms, s, m, h; "0" alone is zero.
// Negative values, missing units, garbage and values over 100 years are errors whose message
// is "expected ... (got "text")".
Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

// Largest duration accepted anywhere in the configuration.
constexpr std::chrono::nanoseconds max_duration = std::chrono::hours(24 * 365 * 100);

}  // namespace muster::config::internal
