// Go/Consul-style duration parsing.
#include "config/internal/duration.hh"

#include <cstdint>
#include <string>

namespace muster::config::internal {
namespace {

struct Unit {
    std::string_view name;
    int64_t ns;
};
// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr Unit units[] = {{"ns", 1},        {"us", 1000},         {"\xc2\xb5s", 1000},
                          {"ms", 1000000},  {"h", 3600000000000}, {"m", 60000000000},
                          {"s", 1000000000}};

Error bad(std::string_view text) {
    return make_error("expected a duration like \"10s\", \"1m30s\" or \"500ms\" (got \"" +
                      std::string(text) + "\")");
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
    if (text == "0")
        return std::chrono::nanoseconds(0);
    if (text.empty())
        return bad(text);
    const int64_t limit = max_duration.count();
    int64_t total = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        // <digits>[.<digits>]: whole and fractional parts kept apart to stay exact.
        size_t i = 0;
        int64_t whole = 0;
        bool any_digit = false;
        while (i < rest.size() && is_digit(rest[i])) {
            if (whole > limit / 10)
                return bad(text);  // keeps whole * 10 + 9 in range
            whole = whole * 10 + (rest[i] - '0');
            any_digit = true;
            ++i;
        }
        std::string_view frac;
        if (i < rest.size() && rest[i] == '.') {
            size_t start = ++i;
            while (i < rest.size() && is_digit(rest[i]))
                ++i;
            frac = rest.substr(start, i - start);
            any_digit = any_digit || !frac.empty();
        }
        if (!any_digit)
            return bad(text);
        rest.remove_prefix(i);
        const Unit* unit = nullptr;
        for (const auto& u : units) {
            if (rest.starts_with(u.name)) {
                unit = &u;
                break;
            }
        }
        if (unit == nullptr)
            return bad(text);
        rest.remove_prefix(unit->name.size());
        if (whole > limit / unit->ns)
            return bad(text);
        int64_t part = whole * unit->ns;
        int64_t scale = unit->ns;
        for (char c : frac) {
            scale /= 10;
            if (scale == 0)
                break;  // finer than a nanosecond: dropped, as Go does
            part += (c - '0') * scale;
        }
        total += part;
        if (total > limit)
            return bad(text);
    }
    return std::chrono::nanoseconds(total);
}

}  // namespace muster::config::internal
