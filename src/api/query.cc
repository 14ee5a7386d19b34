// Parsing of Consul's query parameters, with Go's duration and bool syntax.
#include "api/query.hh"

#include <charconv>
#include <cmath>

namespace muster::api {
namespace {

struct Unit {
    std::string_view name;
    double ns;
};
constexpr Unit units[] = {{"ns", 1},   {"us", 1e3}, {"µs", 1e3}, {"μs", 1e3},
                          {"ms", 1e6}, {"s", 1e9},  {"m", 60e9}, {"h", 3600e9}};

}  // namespace

Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
    auto bad = [&] { return make_error("bad duration \"" + std::string(text) + "\""); };
    std::string_view s = text;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0")
        return std::chrono::nanoseconds(0);
    if (s.empty())
        return bad();
    double total = 0;
    while (!s.empty()) {
        size_t n = 0;
        while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.'))
            ++n;
        if (n == 0)
            return bad();
        double value = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + n, value);
        if (ec != std::errc() || ptr != s.data() + n)
            return bad();
        s.remove_prefix(n);
        size_t u = 0;
        while (u < s.size() && !((s[u] >= '0' && s[u] <= '9') || s[u] == '.'))
            ++u;
        std::string_view unit = s.substr(0, u);
        s.remove_prefix(u);
        const Unit* found = nullptr;
        for (const auto& candidate : units)
            if (candidate.name == unit)
                found = &candidate;
        if (found == nullptr)
            return make_error(
                "bad duration \"" + std::string(text) + "\": " +
                (unit.empty() ? "missing unit" : "unknown unit \"" + std::string(unit) + "\""));
        total += value * found->ns;
    }
    if (total > 9.2e18)
        return bad();
    auto ns = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
    return negative ? -ns : ns;
}

std::optional<bool> parse_go_bool(std::string_view t) {
    if (t == "1" || t == "t" || t == "T" || t == "TRUE" || t == "true" || t == "True")
        return true;
    if (t == "0" || t == "f" || t == "F" || t == "FALSE" || t == "false" || t == "False")
        return false;
    return std::nullopt;
}

Result<QueryOptions> parse_query_options(const http::Request& request) {
    QueryOptions q;
    if (auto index = request.param("index")) {
        uint64_t n = 0;
        auto [ptr, ec] = std::from_chars(index->data(), index->data() + index->size(), n);
        if (index->empty() || ec != std::errc() || ptr != index->data() + index->size())
            return make_error("Invalid index: \"" + *index + "\" is not an unsigned integer");
        q.index = n;
    }
    if (auto wait = request.param("wait")) {
        auto d = parse_go_duration(*wait);
        if (!d)
            return make_error("Invalid wait time: " + d.error().message);
        if (d->count() < 0)
            return make_error("Invalid wait time: negative duration \"" + *wait + "\"");
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
        q.wait = ms.count() == 0 ? default_wait : std::min(ms, max_wait);
    }
    if (auto passing = request.param("passing")) {
        if (passing->empty()) {
            q.passing = true;
        } else {
            auto b = parse_go_bool(*passing);
            if (!b)
                return make_error("Invalid value for ?passing: \"" + *passing +
                                  "\" (expected true or false)");
            q.passing = *b;
        }
    }
    for (const auto& [k, v] : request.query)
        if (k == "tag")
            q.tags.push_back(v);
    if (auto filter = request.param("filter"); filter && !filter->empty())
        q.filter = *filter;
    if (auto dc = request.param("dc"); dc && !dc->empty())
        q.dc = *dc;
    q.consistent = request.param("consistent").has_value();  // Consul ignores its value
    return q;
}

}  // namespace muster::api
