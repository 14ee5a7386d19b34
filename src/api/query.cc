// Parsing of Consul's query parameters, with Go's duration and bool syntax.
#include "api/query.hh"

#include "common/duration.hh"

#include <charconv>
#include <cmath>

namespace muster::api {

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
