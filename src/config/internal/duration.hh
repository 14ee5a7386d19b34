// Go/Consul-style duration strings ("500ms", "10s", "1m30s", "1.5h") for config values.
#pragma once

#include <chrono>
#include <string_view>

#include "common/duration.hh"
#include "common/result.hh"

namespace muster::config::internal {

// Parses Go's duration syntax (parse_go_duration: units ns, us, µs, μs, ms, s, m, h; "0" alone
// is zero), without a sign.
// Negative values, missing units, garbage and values over 100 years are errors whose message
// is "expected ... (got "text")".
Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

// Largest duration accepted anywhere in the configuration.
constexpr std::chrono::nanoseconds max_duration = max_go_duration;

}  // namespace muster::config::internal
