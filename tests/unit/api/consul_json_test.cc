// Tests for src/api/consul_json.cc: Consul's field names and the register bodies.
#include "api/consul_json.hh"

#include <boost/test/unit_test.hpp>

#include <set>

using namespace muster;
using namespace muster::api;

namespace {

std::set<std::string> keys(const json& j) {
    std::set<std::string> out;
    for (const auto& [k, v] : j.items())
        out.insert(k);
    return out;
}

catalog::Node sample_node() {
    catalog::Node n;
    n.name = "web-1";
    n.address = "10.0.0.5";
    n.datacenter = "dc1";
    n.tagged_addresses = {{"lan", "10.0.0.5"}};
    n.meta = {{"rack", "r1"}};
    n.index = {3, 7};
    return n;
}

catalog::Service sample_service() {
    catalog::Service s;
    s.node = "web-1";
    s.id = "web-a";
    s.name = "web";
    s.tags = {"v1", "primary"};
    s.address = "10.0.0.6";
    s.port = 8080;
    s.meta = {{"version", "2"}};
    s.weights = {10, 2};
    s.enable_tag_override = true;
    s.index = {4, 9};
    return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(consul_json)

BOOST_AUTO_TEST_CASE(catalog_service_row_has_consuls_field_names) {
    json row = catalog_service_json(sample_node(), sample_service());
    std::set<std::string> want = {"ID",
                                  "Node",
                                  "Address",
                                  "Datacenter",
                                  "TaggedAddresses",
                                  "NodeMeta",
                                  "ServiceKind",
                                  "ServiceID",
                                  "ServiceName",
                                  "ServiceTags",
                                  "ServiceAddress",
                                  "ServiceTaggedAddresses",
                                  "ServiceWeights",
                                  "ServiceMeta",
                                  "ServicePort",
                                  "ServiceEnableTagOverride",
                                  "CreateIndex",
                                  "ModifyIndex"};
    BOOST_TEST(keys(row) == want);
    BOOST_TEST(row["ServicePort"] == 8080);
    BOOST_TEST(row["ServiceWeights"] == (json{{"Passing", 10}, {"Warning", 2}}));
    BOOST_TEST(row["NodeMeta"]["rack"] == "r1");
    BOOST_TEST(row["ServiceEnableTagOverride"] == true);
    BOOST_TEST(row["CreateIndex"] == 4);
    BOOST_TEST(row["ModifyIndex"] == 9);
}

BOOST_AUTO_TEST_CASE(agent_service_carries_datacenter_and_no_indexes) {
    json s = agent_service_json(sample_service(), "dc7");
    std::set<std::string> want = {
        "ID",      "Service",           "Tags",      "Meta", "Port", "Address", "TaggedAddresses",
        "Weights", "EnableTagOverride", "Datacenter"};
    BOOST_TEST(keys(s) == want);
    BOOST_TEST(s["Datacenter"] == "dc7");
    BOOST_TEST(s["Service"] == "web");
}

BOOST_AUTO_TEST_CASE(health_entry_gives_service_tags_only_to_service_checks) {
    catalog::ServiceEntry e{sample_node(), sample_service(), {}};
    catalog::Check node_check;
    node_check.node = "web-1";
    node_check.id = "serfHealth";
    node_check.status = catalog::Status::passing;
    catalog::Check svc_check = node_check;
    svc_check.id = "service:web-a";
    svc_check.service_id = "web-a";
    svc_check.service_name = "web";
    svc_check.status = catalog::Status::warning;
    e.checks = {node_check, svc_check};
    json j = health_entry_json(e);
    BOOST_TEST(keys(j) == (std::set<std::string>{"Node", "Service", "Checks"}));
    BOOST_TEST(j["Node"]["Node"] == "web-1");
    BOOST_TEST(j["Node"]["Meta"]["rack"] == "r1");
    BOOST_TEST(j["Service"]["ID"] == "web-a");
    BOOST_TEST(j["Checks"][0]["ServiceTags"] == json::array());
    BOOST_TEST(j["Checks"][1]["ServiceTags"] == (json{"v1", "primary"}));
    BOOST_TEST(j["Checks"][1]["Status"] == "warning");
    BOOST_TEST(j["Checks"][1]["CheckID"] == "service:web-a");
    std::set<std::string> check_keys = {"Node",        "CheckID", "Name",       "Status",
                                        "Notes",       "Output",  "ServiceID",  "ServiceName",
                                        "ServiceTags", "Type",    "Definition", "CreateIndex",
                                        "ModifyIndex"};
    BOOST_TEST(keys(j["Checks"][0]) == check_keys);
}

BOOST_AUTO_TEST_CASE(canonical_keys_renames_fields_but_not_user_map_keys) {
    json body = json::parse(
        R"({"node": "n1", "serviceid": "x", "service": {"enabletagoverride": true,
            "meta": {"port": "1"}}, "nodemeta": {"name": "v"}, "unknown_key": 1})");
    json c = canonical_keys(body);
    BOOST_TEST(c.contains("Node"));
    BOOST_TEST(c.contains("ServiceID"));
    BOOST_TEST(c["Service"].contains("EnableTagOverride"));
    BOOST_TEST(c["Service"]["Meta"].contains("port"));
    BOOST_TEST(!c["Service"]["Meta"].contains("Port"));
    BOOST_TEST(c["NodeMeta"].contains("name"));
    BOOST_TEST(c.contains("unknown_key"));
}

BOOST_AUTO_TEST_CASE(catalog_register_round_trips_the_rows_it_serves) {
    catalog::Node node = sample_node();
    catalog::Service service = sample_service();
    json row = catalog_service_json(node, service);
    json body = {{"Node", row["Node"]},
                 {"Address", row["Address"]},
                 {"TaggedAddresses", row["TaggedAddresses"]},
                 {"NodeMeta", row["NodeMeta"]},
                 {"Service", service_json(service)}};
    auto reg = parse_catalog_register(canonical_keys(body));
    BOOST_TEST_REQUIRE(reg.ok());
    BOOST_TEST(reg->node.name == node.name);
    BOOST_TEST(reg->node.address == node.address);
    BOOST_TEST((reg->node.meta == node.meta));
    BOOST_TEST((reg->node.tagged_addresses == node.tagged_addresses));
    BOOST_TEST_REQUIRE(reg->service.has_value());
    BOOST_TEST(reg->service->node == "web-1");
    BOOST_TEST(reg->service->id == service.id);
    BOOST_TEST(reg->service->name == service.name);
    BOOST_TEST((reg->service->tags == service.tags));
    BOOST_TEST(reg->service->port == service.port);
    BOOST_TEST(reg->service->address == service.address);
    BOOST_TEST((reg->service->meta == service.meta));
    BOOST_TEST(reg->service->weights.passing == 10u);
    BOOST_TEST(reg->service->enable_tag_override == true);
}

BOOST_AUTO_TEST_CASE(catalog_register_takes_python_consul_lowercase_body) {
    json body = json::parse(R"({"node": "ext", "address": "192.0.2.1", "datacenter": "dc1",
        "service": {"service": "db", "port": 5432},
        "check": {"name": "db alive", "status": "passing", "serviceid": "db"}})");
    auto reg = parse_catalog_register(canonical_keys(body));
    BOOST_TEST_REQUIRE(reg.ok());
    BOOST_TEST(reg->service->id == "db");  // defaults to the name
    BOOST_TEST_REQUIRE(reg->checks.size() == 1u);
    BOOST_TEST(reg->checks[0].id == "db alive");  // defaults to the name
    BOOST_TEST(reg->checks[0].node == "ext");
    BOOST_TEST(reg->checks[0].service_id == "db");
    BOOST_TEST((reg->checks[0].status == catalog::Status::passing));
}

BOOST_AUTO_TEST_CASE(catalog_register_errors_name_the_field) {
    auto port = parse_catalog_register(json::parse(
        R"({"Node": "n", "Address": "a", "Service": {"Service": "s", "Port": "http"}})"));
    BOOST_TEST_REQUIRE(!port.ok());
    BOOST_TEST(port.error().message.find("Service.Port") != std::string::npos);
    auto big = parse_catalog_register(json::parse(
        R"({"Node": "n", "Address": "a", "Service": {"Service": "s", "Port": 70000}})"));
    BOOST_TEST_REQUIRE(!big.ok());
    BOOST_TEST(big.error().message.find("Service.Port") != std::string::npos);
    auto node = parse_catalog_register(json::parse(R"({"Address": "a"})"));
    BOOST_TEST_REQUIRE(!node.ok());
    BOOST_TEST(node.error().message.find("Node") != std::string::npos);
    auto tag = parse_catalog_register(json::parse(
        R"({"Node": "n", "Address": "a", "Service": {"Service": "s", "Tags": ["a", 1]}})"));
    BOOST_TEST_REQUIRE(!tag.ok());
    BOOST_TEST(tag.error().message.find("Service.Tags[1]") != std::string::npos);
    auto status = parse_catalog_register(json::parse(
        R"({"Node": "n", "Address": "a", "Checks": [{"CheckID": "c"}, {"CheckID": "d", "Status": "bad"}]})"));
    BOOST_TEST_REQUIRE(!status.ok());
    BOOST_TEST(status.error().message.find("Checks[1].Status") != std::string::npos);
    auto other_node = parse_catalog_register(
        json::parse(R"({"Node": "n", "Address": "a", "Check": {"CheckID": "c", "Node": "m"}})"));
    BOOST_TEST(!other_node.ok());
    auto meta = parse_catalog_register(
        json::parse(R"({"Node": "n", "Address": "a", "NodeMeta": {"k": 1}})"));
    BOOST_TEST_REQUIRE(!meta.ok());
    BOOST_TEST(meta.error().message.find("NodeMeta.k") != std::string::npos);
    BOOST_TEST(!parse_catalog_register(json::array()).ok());
}

BOOST_AUTO_TEST_CASE(catalog_deregister_reads_service_or_check) {
    auto d =
        parse_catalog_deregister(canonical_keys(json::parse(R"({"node": "n", "serviceid": "s"})")));
    BOOST_TEST_REQUIRE(d.ok());
    BOOST_TEST(d->node == "n");
    BOOST_TEST(d->service_id.value_or("") == "s");
    BOOST_TEST(!d->check_id.has_value());
    auto whole = parse_catalog_deregister(json::parse(R"({"Node": "n"})"));
    BOOST_TEST_REQUIRE(whole.ok());
    BOOST_TEST(!whole->service_id.has_value());
    auto bad = parse_catalog_deregister(json::parse(R"({"Node": 5})"));
    BOOST_TEST_REQUIRE(!bad.ok());
    BOOST_TEST(bad.error().message.find("Node") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
