// Go's duration syntax ("500ms", "10s", "1m30s", "1.5h", "250µs"), as Consul writes durations in
// its configs, check definitions and query parameters: the one parser and formatter for every
// module.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.hh"

namespace muster {

// Largest duration accepted anywhere (config, definitions, query parameters).
constexpr std::chrono::nanoseconds max_go_duration = std::chrono::hours(24 * 365 * 100);

// A sequence of <number>[.<fraction>]<unit> with units ns, us, µs (U+00B5), μs (U+03BC), ms,
// s, m, h, after an optional sign; "0" alone is zero. Exact to the nanosecond (finer
// fractions are dropped, as Go does). Missing or unknown units, garbage and magnitudes over
// max_go_duration are errors saying which; callers that need a positive duration check
// the sign themselves.
Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

// As Go prints a duration, to the millisecond: "500ms", "10s", "1.5s", "1m30s", "1h0m5s", "0s".
// For check output (Consul's texts) and log lines.
std::string go_duration_text(std::chrono::milliseconds d);

}  // namespace muster
