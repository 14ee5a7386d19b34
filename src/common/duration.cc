// Go duration parsing and formatting, in integer nanoseconds so values stay exact.
#include "common/duration.hh"

#include <cstdint>

#include "common/ascii.hh"

namespace muster {
namespace {

struct Unit {
    std::string_view name;
    int64_t ns;
};
// Longer names before their prefixes: "ms" before "m".
constexpr Unit units[] = {
    {"ns", 1},           {"us", 1000},         {"\xc2\xb5s", 1000},  // U+00B5 micro sign
    {"\xce\xbcs", 1000},                                             // U+03BC Greek small mu
    {"ms", 1000000},     {"h", 3600000000000}, {"m", 60000000000},  {"s", 1000000000}};

Error bad(std::string_view text, std::string_view why) {
    return make_error("bad duration \"" + std::string(text) + "\": " + std::string(why));
}

}  // namespace

Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
    std::string_view rest = text;
    bool negative = false;
    if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
        negative = rest.front() == '-';
        rest.remove_prefix(1);
    }
    if (rest == "0")
        return std::chrono::nanoseconds(0);
    if (rest.empty())
        return bad(text, "empty");
    const int64_t limit = max_go_duration.count();
    int64_t total = 0;
    while (!rest.empty()) {
        // <digits>[.<digits>]: whole and fractional parts kept apart to stay exact.
        size_t i = 0;
        int64_t whole = 0;
        bool any_digit = false;
        while (i < rest.size() && ascii::is_digit(rest[i])) {
            if (whole > limit / 10)
                return bad(text, "too large");  // keeps whole * 10 + 9 in range
            whole = whole * 10 + (rest[i] - '0');
            any_digit = true;
            ++i;
        }
        std::string_view frac;
        if (i < rest.size() && rest[i] == '.') {
            size_t start = ++i;
            while (i < rest.size() && ascii::is_digit(rest[i]))
                ++i;
            frac = rest.substr(start, i - start);
            any_digit = any_digit || !frac.empty();
        }
        if (!any_digit)
            return bad(text, "expected a number");
        rest.remove_prefix(i);
        const Unit* unit = nullptr;
        for (const auto& u : units) {
            if (rest.starts_with(u.name)) {
                unit = &u;
                break;
            }
        }
        if (unit == nullptr)
            return bad(text, rest.empty() || ascii::is_digit(rest.front()) || rest.front() == '.'
                                 ? "missing unit"
                                 : "unknown unit");
        rest.remove_prefix(unit->name.size());
        if (whole > limit / unit->ns)
            return bad(text, "too large");
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
            return bad(text, "too large");
    }
    return std::chrono::nanoseconds(negative ? -total : total);
}

std::string go_duration_text(std::chrono::milliseconds d) {
    long long ms = d.count();
    if (ms < 0)
        return "-" + go_duration_text(-d);
    if (ms < 1000)
        return ms == 0 ? "0s" : std::to_string(ms) + "ms";
    // Go's time.Duration.String(): 1h0m5s, 1m30s, 1.5s
    long long hours = ms / 3600000;
    long long minutes = ms / 60000 % 60;
    long long seconds = ms / 1000 % 60;
    long long millis = ms % 1000;
    std::string out;
    if (hours > 0)
        out += std::to_string(hours) + "h";
    if (hours > 0 || minutes > 0)
        out += std::to_string(minutes) + "m";
    out += std::to_string(seconds);
    if (millis > 0) {
        std::string frac = std::to_string(1000 + millis).substr(1);  // zero-padded to 3
        while (frac.back() == '0')
            frac.pop_back();
        out += "." + frac;
    }
    return out + "s";
}

}  // namespace muster
