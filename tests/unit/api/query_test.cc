// Tests for src/api/query.cc: ?index, ?wait, ?passing, ?tag.
#include "api/query.hh"

#include <boost/test/unit_test.hpp>

using namespace muster;
using namespace muster::api;
using namespace std::chrono_literals;

namespace {
http::Request with(std::vector<std::pair<std::string, std::string>> query) {
    http::Request r;
    r.query = std::move(query);
    return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(query)

BOOST_AUTO_TEST_CASE(defaults_do_not_block) {
    auto q = parse_query_options(with({}));
    BOOST_TEST_REQUIRE(q.ok());
    BOOST_TEST(q->index == 0u);
    BOOST_TEST(q->wait.count() == std::chrono::milliseconds(5min).count());
    BOOST_TEST(!q->passing);
    BOOST_TEST(q->tags.empty());
}

BOOST_AUTO_TEST_CASE(index_and_wait_are_read_and_wait_is_capped_at_ten_minutes) {
    auto q = parse_query_options(with({{"index", "42"}, {"wait", "30s"}}));
    BOOST_TEST_REQUIRE(q.ok());
    BOOST_TEST(q->index == 42u);
    BOOST_TEST(q->wait.count() == 30000);
    auto capped = parse_query_options(with({{"index", "1"}, {"wait", "1h"}}));
    BOOST_TEST(capped->wait.count() == std::chrono::milliseconds(10min).count());
}

BOOST_AUTO_TEST_CASE(bad_index_or_wait_is_an_error_naming_the_parameter) {
    auto index = parse_query_options(with({{"index", "abc"}}));
    BOOST_TEST_REQUIRE(!index.ok());
    BOOST_TEST(index.error().message.find("index") != std::string::npos);
    BOOST_TEST(!parse_query_options(with({{"index", "-1"}})).ok());
    BOOST_TEST(!parse_query_options(with({{"index", ""}})).ok());
    auto wait = parse_query_options(with({{"wait", "soon"}}));
    BOOST_TEST_REQUIRE(!wait.ok());
    BOOST_TEST(wait.error().message.find("wait") != std::string::npos);
    BOOST_TEST(!parse_query_options(with({{"wait", "-5s"}})).ok());
}

BOOST_AUTO_TEST_CASE(passing_takes_bare_flag_and_go_bools) {
    BOOST_TEST(parse_query_options(with({{"passing", ""}}))->passing);
    BOOST_TEST(parse_query_options(with({{"passing", "1"}}))->passing);
    BOOST_TEST(parse_query_options(with({{"passing", "true"}}))->passing);
    BOOST_TEST(!parse_query_options(with({{"passing", "false"}}))->passing);
    auto bad = parse_query_options(with({{"passing", "yes"}}));
    BOOST_TEST_REQUIRE(!bad.ok());
    BOOST_TEST(bad.error().message.find("passing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_tag_and_the_filter_are_kept) {
    auto q = parse_query_options(
        with({{"tag", "a"}, {"passing", ""}, {"tag", "b"}, {"filter", "Node.Node == x"}}));
    BOOST_TEST_REQUIRE(q.ok());
    BOOST_TEST((q->tags == std::vector<std::string>{"a", "b"}));
    BOOST_TEST(q->filter.value_or("") == "Node.Node == x");
}

BOOST_AUTO_TEST_SUITE_END()
