// The cache endpoints' parameters and replies (Unbound's flush, flush_zone and stats).
#include "api/cache_endpoints.hh"

#include <optional>
#include <string>

#include "api/endpoints.hh"

namespace muster::api {
namespace {

Result<dns::Name> name_param(const char* param, const std::string& value) {
    auto name = dns::Name::from_text(value);
    if (!name)
        return make_error("Invalid ?" + std::string(param) + "=: expected a domain name (" +
                          name.error().message + ")");
    name->lowercase();
    return name;
}

}  // namespace

Result<CacheFlush> parse_cache_flush(const http::Request& request) {
    std::optional<std::string> name = request.param("name");
    std::optional<std::string> zone = request.param("zone");
    if (name && zone)
        return make_error("Invalid parameters: give ?name= or ?zone=, not both");
    CacheFlush flush;
    if (!name && !zone)
        return flush;
    flush.scope = name ? CacheFlush::Scope::name : CacheFlush::Scope::zone;
    auto parsed = name ? name_param("name", *name) : name_param("zone", *zone);
    if (!parsed)
        return parsed.error();
    flush.name = *parsed;
    return flush;
}

http::Response cache_flush_reply(const CacheFlush& flush, size_t removed,
                                 const http::Request& request) {
    nlohmann::json body = {{"Removed", removed}};
    if (flush.scope == CacheFlush::Scope::name)
        body["Name"] = flush.name.to_text();
    else if (flush.scope == CacheFlush::Scope::zone)
        body["Zone"] = flush.name.to_text();
    return json_response(body, request);
}

http::Response cache_stats_reply(const CacheStats& stats, const http::Request& request) {
    nlohmann::json body = {
        {"Entries", stats.entries},     {"Capacity", stats.capacity},    {"Hits", stats.hits},
        {"Misses", stats.misses},       {"StaleHits", stats.stale_hits}, {"Inserts", stats.inserts},
        {"Evictions", stats.evictions}, {"Prefetches", stats.prefetches}};
    return json_response(body, request);
}

}  // namespace muster::api
