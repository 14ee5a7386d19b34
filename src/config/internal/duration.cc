// Config durations: Go's syntax (common/duration.hh), positive, with the config's error text.
#include "config/internal/duration.hh"

#include <string>

#include "common/duration.hh"

namespace muster::config::internal {

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
    auto d = parse_go_duration(text);
    if (!d || text.starts_with('+') || text.starts_with('-'))
        return make_error("expected a duration like \"10s\", \"1m30s\" or \"500ms\" (got \"" +
                          std::string(text) + "\")");
    return *d;
}

}  // namespace muster::config::internal
