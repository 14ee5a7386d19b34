// Tests for src/api/cache_endpoints.cc: ?name= and ?zone= of the flush, and both replies.
#include "api/cache_endpoints.hh"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

using namespace muster;
using namespace muster::api;

namespace {
http::Request with(std::vector<std::pair<std::string, std::string>> query) {
    http::Request r;
    r.method = http::Method::put;
    r.path = "/v1/agent/cache/flush";
    r.query = std::move(query);
    return r;
}

nlohmann::json body_of(const http::Response& r) {
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.content_type == "application/json");
    return nlohmann::json::parse(r.body);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(cache_endpoints)

BOOST_AUTO_TEST_CASE(no_parameter_flushes_everything) {
    auto f = parse_cache_flush(with({}));
    BOOST_TEST_REQUIRE(f.ok());
    BOOST_TEST((f->scope == CacheFlush::Scope::all));
}

BOOST_AUTO_TEST_CASE(name_and_zone_are_read_lowercased) {
    auto name = parse_cache_flush(with({{"name", "WWW.Example.COM"}}));
    BOOST_TEST_REQUIRE(name.ok());
    BOOST_TEST((name->scope == CacheFlush::Scope::name));
    BOOST_TEST(name->name.to_text() == "www.example.com.");
    auto zone = parse_cache_flush(with({{"zone", "Example.com."}}));
    BOOST_TEST_REQUIRE(zone.ok());
    BOOST_TEST((zone->scope == CacheFlush::Scope::zone));
    BOOST_TEST(zone->name.to_text() == "example.com.");
}

BOOST_AUTO_TEST_CASE(malformed_name_is_an_error_naming_the_parameter) {
    auto empty_label = parse_cache_flush(with({{"name", "a..example."}}));
    BOOST_TEST_REQUIRE(!empty_label.ok());
    BOOST_TEST(empty_label.error().message.find("?name=") != std::string::npos);
    BOOST_TEST(empty_label.error().message.find("expected a domain name") != std::string::npos);
    auto empty = parse_cache_flush(with({{"zone", ""}}));
    BOOST_TEST_REQUIRE(!empty.ok());
    BOOST_TEST(empty.error().message.find("?zone=") != std::string::npos);
    auto long_label = parse_cache_flush(with({{"name", std::string(64, 'a') + ".example."}}));
    BOOST_TEST(!long_label.ok());
}

BOOST_AUTO_TEST_CASE(name_and_zone_together_are_refused) {
    auto f = parse_cache_flush(with({{"name", "a.example."}, {"zone", "example."}}));
    BOOST_TEST_REQUIRE(!f.ok());
    BOOST_TEST(f.error().message.find("not both") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(flush_reply_says_what_was_flushed_and_how_many) {
    auto all = body_of(cache_flush_reply(CacheFlush{}, 12, with({})));
    BOOST_TEST(all == nlohmann::json({{"Removed", 12}}));
    auto zone = parse_cache_flush(with({{"zone", "Example."}}));
    BOOST_TEST_REQUIRE(zone.ok());
    auto z = body_of(cache_flush_reply(*zone, 3, with({})));
    BOOST_TEST(z == nlohmann::json({{"Removed", 3}, {"Zone", "example."}}));
    auto name = parse_cache_flush(with({{"name", "www.example"}}));
    BOOST_TEST_REQUIRE(name.ok());
    auto n = body_of(cache_flush_reply(*name, 0, with({})));
    BOOST_TEST(n == nlohmann::json({{"Removed", 0}, {"Name", "www.example."}}));
}

BOOST_AUTO_TEST_CASE(stats_reply_carries_every_counter) {
    CacheStats s{.entries = 1,
                 .capacity = 2,
                 .hits = 3,
                 .misses = 4,
                 .stale_hits = 5,
                 .inserts = 6,
                 .evictions = 7,
                 .prefetches = 8};
    auto body = body_of(cache_stats_reply(s, with({})));
    BOOST_TEST(body == nlohmann::json({{"Entries", 1},
                                       {"Capacity", 2},
                                       {"Hits", 3},
                                       {"Misses", 4},
                                       {"StaleHits", 5},
                                       {"Inserts", 6},
                                       {"Evictions", 7},
                                       {"Prefetches", 8}}));
}

BOOST_AUTO_TEST_SUITE_END()
