// Tests for src/api/filter.cc: parsing and evaluating Consul's filter expressions.
#include "api/filter.hh"

#include <boost/test/unit_test.hpp>

using namespace muster;
using namespace muster::api;
using nlohmann::json;

namespace {

const json& shape() {
    static const json s = json::parse(R"({
        "Node": {"Node": "", "Address": "", "Meta": {}},
        "Service": {"Service": "", "Tags": [], "Port": 0, "Meta": {}, "EnableTagOverride": false},
        "Checks": [{"CheckID": "", "Status": ""}]})");
    return s;
}

json row(std::string node, std::vector<std::string> tags, std::string version,
         std::vector<std::string> statuses) {
    json checks = json::array();
    for (size_t i = 0; i < statuses.size(); ++i)
        checks.push_back({{"CheckID", "c" + std::to_string(i)}, {"Status", statuses[i]}});
    return json{{"Node", {{"Node", node}, {"Address", "10.0.0.1"}, {"Meta", json::object()}}},
                {"Service",
                 {{"Service", "web"},
                  {"Tags", tags},
                  {"Port", 8080},
                  {"Meta", version.empty() ? json::object() : json{{"version", version}}},
                  {"EnableTagOverride", false}}},
                {"Checks", checks}};
}

bool eval(std::string_view expr, const json& r) {
    auto f = Filter::parse(expr, shape());
    BOOST_TEST_REQUIRE(f.ok(), "parse failed: " << (f.ok() ? "" : f.error().message));
    return f->matches(r);
}

std::string error_of(std::string_view expr) {
    auto f = Filter::parse(expr, shape());
    BOOST_TEST_REQUIRE(!f.ok(), "expected a parse error for " << expr);
    return f.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(filter)

BOOST_AUTO_TEST_CASE(equality_on_fields_and_meta) {
    json r = row("n1", {"v1"}, "2", {"passing"});
    BOOST_TEST(eval(R"(Node.Node == "n1")", r));
    BOOST_TEST(!eval(R"(Node.Node == "n2")", r));
    BOOST_TEST(eval(R"(Node.Node != "n2")", r));
    BOOST_TEST(eval(R"(Service.Meta.version == "2")", r));
    BOOST_TEST(!eval(R"(Service.Meta.version == "3")", r));
    BOOST_TEST(eval(R"(Service.Port == 8080)", r));
    BOOST_TEST(eval("Service.EnableTagOverride == false", r));
    BOOST_TEST(eval("Node.Node == n1", r));  // bare words as in go-bexpr
}

BOOST_AUTO_TEST_CASE(missing_meta_key_matches_nothing) {
    json r = row("n1", {}, "", {"passing"});
    BOOST_TEST(!eval(R"(Service.Meta.version == "2")", r));
    BOOST_TEST(eval(R"(Service.Meta.version != "2")", r));
}

BOOST_AUTO_TEST_CASE(contains_and_in_on_lists_and_maps) {
    json r = row("n1", {"primary", "v1"}, "2", {"passing"});
    BOOST_TEST(eval(R"(Service.Tags contains "primary")", r));
    BOOST_TEST(!eval(R"(Service.Tags contains "prim")", r));
    BOOST_TEST(eval(R"(Service.Tags not contains "secondary")", r));
    BOOST_TEST(!eval(R"(Service.Tags not contains "v1")", r));
    BOOST_TEST(eval(R"("v1" in Service.Tags)", r));
    BOOST_TEST(eval(R"("v2" not in Service.Tags)", r));
    BOOST_TEST(eval(R"(Service.Meta contains "version")", r));
    BOOST_TEST(eval(R"(Node.Address contains "10.0")", r));
}

BOOST_AUTO_TEST_CASE(selectors_through_a_list_match_any_element) {
    json mixed = row("n1", {}, "", {"passing", "critical"});
    json ok = row("n1", {}, "", {"passing", "passing"});
    BOOST_TEST(eval(R"(Checks.Status == "critical")", mixed));
    BOOST_TEST(!eval(R"(Checks.Status == "critical")", ok));
    BOOST_TEST(eval(R"(Checks.Status != "critical")", ok));
    BOOST_TEST(!eval(R"(Checks.Status != "critical")", mixed));
}

BOOST_AUTO_TEST_CASE(and_binds_tighter_than_or_and_parentheses_group) {
    json r = row("n1", {"a"}, "2", {"passing"});
    BOOST_TEST(eval(
        R"(Node.Node == "x" and Service.Tags contains "a" or Service.Meta.version == "2")", r));
    BOOST_TEST(!eval(
        R"(Node.Node == "x" and (Service.Tags contains "a" or Service.Meta.version == "2"))", r));
    BOOST_TEST(eval(R"(not Node.Node == "x")", r));
    BOOST_TEST(!eval(R"(not (Node.Node == "n1" and Service.Port == 8080))", r));
}

BOOST_AUTO_TEST_CASE(is_empty_and_matches) {
    json r = row("web-12", {}, "", {"passing"});
    BOOST_TEST(eval("Service.Tags is empty", r));
    BOOST_TEST(!eval("Service.Tags is not empty", r));
    BOOST_TEST(eval(R"(Node.Node matches "^web-[0-9]+$")", r));
    BOOST_TEST(!eval(R"(Node.Node not matches "web")", r));
}

BOOST_AUTO_TEST_CASE(string_escapes_and_backquotes) {
    json r = row("a\"b", {}, "", {});
    BOOST_TEST(eval(R"(Node.Node == "a\"b")", r));
    BOOST_TEST(eval("Node.Node == `a\"b`", r));
}

BOOST_AUTO_TEST_CASE(invalid_expressions_are_errors_that_say_why) {
    BOOST_TEST(error_of(R"(Service.Nope == "x")").find("Service.Nope") != std::string::npos);
    BOOST_TEST(error_of(R"(Node.Node.Deeper == "x")").find("Node.Node.Deeper") !=
               std::string::npos);
    BOOST_TEST(error_of(R"(Service.Meta.a.b == "x")").find("Service.Meta.a.b") !=
               std::string::npos);
    BOOST_TEST(error_of(R"(Node.Node < "x")").find("'<'") != std::string::npos);
    BOOST_TEST(error_of(R"(Node.Node = "x")").find("operator") != std::string::npos);
    BOOST_TEST(error_of(R"(Node.Node == "x)").find("unterminated") != std::string::npos);
    BOOST_TEST(error_of(R"(Node.Node == "x" Node.Node == "y")").find("unexpected") !=
               std::string::npos);
    BOOST_TEST(error_of(R"((Node.Node == "x")").find("')'") != std::string::npos);
    BOOST_TEST(error_of("").find("selector") != std::string::npos);
    BOOST_TEST(error_of(R"(Node.Node ==)").find("value") != std::string::npos);
    BOOST_TEST(error_of(R"(Node.Node matches "(")").find("regular expression") !=
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
