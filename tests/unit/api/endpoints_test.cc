// Tests for src/api/endpoints.cc: reads and write plans over a fake snapshot, no sockets.
#include "api/endpoints.hh"

#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

using namespace muster;
using namespace muster::api;
using nlohmann::json;

namespace {

catalog::Check check(std::string node, std::string id, std::string service_id,
                     catalog::Status status) {
    catalog::Check c;
    c.node = std::move(node);
    c.id = std::move(id);
    c.service_id = std::move(service_id);
    c.status = status;
    return c;
}

// A catalog snapshot from plain vectors; records the health filter it was asked for.
class FakeSnapshot final : public catalog::Snapshot {
  public:
    uint64_t idx = 0;
    std::vector<catalog::Node> node_list;
    std::vector<catalog::Service> service_list;
    std::vector<catalog::Check> check_list;
    std::vector<catalog::LeftMember> left_list;
    mutable std::optional<catalog::HealthFilter> asked_filter;
    mutable std::optional<std::string> asked_tag;

    uint64_t index() const override { return idx; }
    std::vector<catalog::Node> nodes() const override { return node_list; }
    std::optional<catalog::Node> node(std::string_view name) const override {
        for (const auto& n : node_list)
            if (n.name == name)
                return n;
        return std::nullopt;
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> services() const override {
        std::vector<std::pair<std::string, std::vector<std::string>>> out;
        for (const auto& s : service_list)
            out.emplace_back(s.name, s.tags);
        return out;
    }
    std::vector<catalog::ServiceEntry> service(std::string_view name,
                                               std::optional<std::string_view> tag,
                                               catalog::HealthFilter filter) const override {
        asked_filter = filter;
        if (tag)
            asked_tag = std::string(*tag);
        std::vector<catalog::ServiceEntry> out;
        for (const auto& s : service_list) {
            if (s.name != name)
                continue;
            if (tag && std::find(s.tags.begin(), s.tags.end(), *tag) == s.tags.end())
                continue;
            catalog::ServiceEntry e{*node(s.node), s, {}};
            for (const auto& c : check_list)
                if (c.node == s.node && (c.service_id.empty() || c.service_id == s.id))
                    e.checks.push_back(c);
            out.push_back(e);
        }
        return out;
    }
    std::vector<catalog::Service> node_services(std::string_view n) const override {
        std::vector<catalog::Service> out;
        for (const auto& s : service_list)
            if (s.node == n)
                out.push_back(s);
        return out;
    }
    std::vector<catalog::Check> node_checks(std::string_view n) const override {
        std::vector<catalog::Check> out;
        for (const auto& c : check_list)
            if (c.node == n)
                out.push_back(c);
        return out;
    }
    std::vector<catalog::Check> service_checks(std::string_view name) const override {
        std::vector<catalog::Check> out;
        for (const auto& c : check_list)
            if (c.service_name == name)
                out.push_back(c);
        return out;
    }
    std::vector<catalog::Check> checks(std::optional<catalog::Status> state) const override {
        std::vector<catalog::Check> out;
        for (const auto& c : check_list)
            if (!state || c.status == *state)
                out.push_back(c);
        return out;
    }
    std::vector<catalog::LeftMember> left_members() const override { return left_list; }
};

Options options() {
    Options o;
    o.node_name = "self";
    o.node_address = "127.0.0.1";
    o.datacenter = "dc1";
    o.server_address = "127.0.0.1:8300";
    return o;
}

FakeSnapshot sample() {
    FakeSnapshot s;
    s.idx = 12;
    s.node_list = {{"other", "10.0.0.2", "dc1", {}, {}, {}},
                   {"self", "127.0.0.1", "dc1", {}, {}, {}}};
    catalog::Service web;
    web.node = "self";
    web.id = "web-1";
    web.name = "web";
    web.tags = {"primary", "v1"};
    web.port = 80;
    web.meta = {{"version", "2"}};
    catalog::Service web2 = web;
    web2.node = "other";
    web2.id = "web-2";
    web2.tags = {"v1"};
    web2.meta = {{"version", "1"}};
    s.service_list = {web, web2};
    catalog::Check c;
    c.node = "other";
    c.id = "service:web-2";
    c.name = "web alive";
    c.service_id = "web-2";
    c.service_name = "web";
    c.status = catalog::Status::critical;
    s.check_list = {c};
    return s;
}

http::Request get(std::vector<std::pair<std::string, std::string>> query = {}) {
    http::Request r;
    r.query = std::move(query);
    return r;
}

http::Response do_read(Endpoint e, std::string arg, const http::Request& req,
                       const FakeSnapshot& snap) {
    Route route{RouteStatus::found, e, std::move(arg), ""};
    auto q = parse_query_options(req);
    BOOST_TEST_REQUIRE(q.ok());
    return read(options(), route, req, *q, snap);
}

std::optional<std::string> header(const http::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name)
            return v;
    return std::nullopt;
}

WritePlan do_write(Endpoint e, std::string arg, http::Request req, const FakeSnapshot& snap) {
    req.method = http::Method::put;
    return plan_write(options(), Route{RouteStatus::found, e, std::move(arg), ""}, req, snap);
}

http::Request body(std::string text, std::vector<std::pair<std::string, std::string>> query = {}) {
    http::Request r;
    r.body = std::move(text);
    r.query = std::move(query);
    return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(endpoints)

BOOST_AUTO_TEST_CASE(health_service_reads_carry_consul_index_headers) {
    FakeSnapshot snap = sample();
    auto r = do_read(Endpoint::health_service, "web", get(), snap);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.content_type == "application/json");
    BOOST_TEST(header(r, "X-Consul-Index").value_or("") == "12");
    BOOST_TEST(header(r, "X-Consul-KnownLeader").value_or("") == "true");
    BOOST_TEST(header(r, "X-Consul-LastContact").value_or("") == "0");
    json rows = json::parse(r.body);
    BOOST_TEST(rows.size() == 2u);
    BOOST_TEST((snap.asked_filter == catalog::HealthFilter::any));
}

BOOST_AUTO_TEST_CASE(index_zero_is_reported_as_one) {
    FakeSnapshot snap;
    auto r = do_read(Endpoint::catalog_nodes, "", get(), snap);
    BOOST_TEST(header(r, "X-Consul-Index").value_or("") == "1");
    BOOST_TEST(r.body == "[]");
    auto agent = do_read(Endpoint::agent_services, "", get(), snap);
    BOOST_TEST(!header(agent, "X-Consul-Index").has_value());
}

BOOST_AUTO_TEST_CASE(passing_asks_the_store_for_passing_only) {
    FakeSnapshot snap = sample();
    (void)do_read(Endpoint::health_service, "web", get({{"passing", ""}}), snap);
    BOOST_TEST((snap.asked_filter == catalog::HealthFilter::passing_only));
    (void)do_read(Endpoint::health_service, "web", get({{"passing", "false"}}), snap);
    BOOST_TEST((snap.asked_filter == catalog::HealthFilter::any));
    Options dns_rule = options();
    dns_rule.passing_filter = catalog::HealthFilter::healthy;
    auto req = get({{"passing", "1"}});
    (void)read(dns_rule, Route{RouteStatus::found, Endpoint::health_service, "web", ""}, req,
               *parse_query_options(req), snap);
    BOOST_TEST((snap.asked_filter == catalog::HealthFilter::healthy));
}

BOOST_AUTO_TEST_CASE(every_tag_must_match) {
    FakeSnapshot snap = sample();
    auto one = do_read(Endpoint::catalog_service, "web", get({{"tag", "v1"}}), snap);
    BOOST_TEST(json::parse(one.body).size() == 2u);
    BOOST_TEST(snap.asked_tag.value_or("") == "v1");
    auto two =
        do_read(Endpoint::catalog_service, "web", get({{"tag", "v1"}, {"tag", "primary"}}), snap);
    json rows = json::parse(two.body);
    BOOST_TEST_REQUIRE(rows.size() == 1u);
    BOOST_TEST(rows[0]["ServiceID"] == "web-1");
    BOOST_TEST(rows[0]["Node"] == "self");
}

BOOST_AUTO_TEST_CASE(filter_selects_health_rows) {
    FakeSnapshot snap = sample();
    auto r = do_read(
        Endpoint::health_service, "web",
        get({{"filter", R"(Service.Meta.version == "2" or Checks.Status == "critical")"}}), snap);
    BOOST_TEST(json::parse(r.body).size() == 2u);
    auto only = do_read(Endpoint::health_service, "web",
                        get({{"filter", R"(Checks.Status == "critical")"}}), snap);
    json rows = json::parse(only.body);
    BOOST_TEST_REQUIRE(rows.size() == 1u);
    BOOST_TEST(rows[0]["Node"]["Node"] == "other");
    auto tags = do_read(
        Endpoint::health_service, "web",
        get({{"filter", R"(Service.Tags contains "primary" and Node.Node == "self")"}}), snap);
    BOOST_TEST(json::parse(tags.body).size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_filter_is_400_naming_the_selector) {
    FakeSnapshot snap = sample();
    auto r =
        do_read(Endpoint::health_service, "web", get({{"filter", "Service.Bogus == x"}}), snap);
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.body.find("Service.Bogus") != std::string::npos);
    auto unsupported = do_read(Endpoint::catalog_services, "", get({{"filter", "a == b"}}), snap);
    BOOST_TEST(unsupported.status == 400);
}

BOOST_AUTO_TEST_CASE(agent_services_is_a_map_of_this_nodes_services) {
    FakeSnapshot snap = sample();
    auto r = do_read(Endpoint::agent_services, "", get(), snap);
    json m = json::parse(r.body);
    BOOST_TEST(m.size() == 1u);
    BOOST_TEST(m["web-1"]["Service"] == "web");
    BOOST_TEST(m["web-1"]["Datacenter"] == "dc1");
}

BOOST_AUTO_TEST_CASE(catalog_node_unknown_is_null_and_known_has_services) {
    FakeSnapshot snap = sample();
    auto missing = do_read(Endpoint::catalog_node, "nope", get(), snap);
    BOOST_TEST(missing.status == 200);
    BOOST_TEST(missing.body == "null");
    auto known = do_read(Endpoint::catalog_node, "self", get(), snap);
    json j = json::parse(known.body);
    BOOST_TEST(j["Node"]["Node"] == "self");
    BOOST_TEST(j["Services"]["web-1"]["Port"] == 80);
}

BOOST_AUTO_TEST_CASE(health_state_takes_any_or_a_status) {
    FakeSnapshot snap = sample();
    BOOST_TEST(json::parse(do_read(Endpoint::health_state, "critical", get(), snap).body).size() ==
               1u);
    BOOST_TEST(json::parse(do_read(Endpoint::health_state, "passing", get(), snap).body).empty());
    BOOST_TEST(json::parse(do_read(Endpoint::health_state, "any", get(), snap).body).size() == 1u);
    auto bad = do_read(Endpoint::health_state, "sick", get(), snap);
    BOOST_TEST(bad.status == 400);
    auto checks = json::parse(do_read(Endpoint::health_checks, "web", get(), snap).body);
    BOOST_TEST_REQUIRE(checks.size() == 1u);
    BOOST_TEST(checks[0]["ServiceTags"] == (json{"v1"}));
}

BOOST_AUTO_TEST_CASE(other_datacenter_is_500_no_path) {
    FakeSnapshot snap = sample();
    auto r = do_read(Endpoint::catalog_nodes, "", get({{"dc", "dc9"}}), snap);
    BOOST_TEST(r.status == 500);
    BOOST_TEST(r.body == "No path to datacenter");
    BOOST_TEST(do_read(Endpoint::catalog_nodes, "", get({{"dc", "dc1"}}), snap).status == 200);
}

BOOST_AUTO_TEST_CASE(self_members_and_status) {
    FakeSnapshot snap;
    json self = json::parse(do_read(Endpoint::agent_self, "", get(), snap).body);
    BOOST_TEST(self["Config"]["NodeName"] == "self");
    BOOST_TEST(self["Config"]["Datacenter"] == "dc1");
    BOOST_TEST(self["Member"]["Status"] == 1);
    json members = json::parse(do_read(Endpoint::agent_members, "", get(), snap).body);
    BOOST_TEST(members[0]["Name"] == "self");
    BOOST_TEST(members[0]["Addr"] == "127.0.0.1");
    BOOST_TEST(do_read(Endpoint::status_leader, "", get(), snap).body == "\"127.0.0.1:8300\"");
    BOOST_TEST(do_read(Endpoint::status_peers, "", get(), snap).body == "[\"127.0.0.1:8300\"]");
}

namespace {

// A cluster of one server (srv-1) as a client agent sees it.
class FakeCluster final : public ClusterView {
  public:
    ClusterInfo info() const override {
        ClusterInfo i;
        i.known_leader = true;
        i.leader_address = "10.0.0.11:8300";
        i.servers = {{.id = "1", .address = "10.0.0.11:8300", .leader = true, .voter = true}};
        i.index = 40;
        i.feed_server = "10.0.0.11:8300";
        return i;
    }
    void barrier(std::function<void(Result<void>)> done) override { done({}); }
    void leave(std::function<void(Result<void>)> done) override { done({}); }
    void join(const std::string&, std::function<void(Result<void>)> done) override { done({}); }
};

// srv-1 (a server: its "consul" service), cli-1 alive and cli-2 failed by serfHealth, and
// "external" without serfHealth (written with /v1/catalog/register).
FakeSnapshot members_sample() {
    FakeSnapshot s;
    s.node_list = {{"cli-1", "10.0.0.21", "dc1", {}, {}, {}},
                   {"cli-2", "10.0.0.22", "dc1", {}, {}, {}},
                   {"external", "192.0.2.1", "dc1", {}, {}, {}},
                   {"srv-1", "10.0.0.11", "dc1", {}, {}, {}}};
    catalog::Service muster_svc;
    muster_svc.node = "srv-1";
    muster_svc.id = muster_svc.name = "consul";
    muster_svc.port = 8300;
    s.service_list = {muster_svc};
    s.check_list = {check("cli-1", "serfHealth", "", catalog::Status::passing),
                    check("cli-2", "serfHealth", "", catalog::Status::critical),
                    check("srv-1", "serfHealth", "", catalog::Status::passing)};
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(members_list_servers_and_agents_by_their_serf_check) {
    FakeSnapshot snap = members_sample();
    FakeCluster cluster;
    Options o = options();
    o.node_name = "cli-1";
    o.node_address = "10.0.0.21";
    o.server = false;
    o.server_address = "";
    o.cluster = &cluster;
    Route route{RouteStatus::found, Endpoint::agent_members, "", ""};
    auto q = parse_query_options(get());
    json members = json::parse(read(o, route, get(), *q, snap).body);
    std::map<std::string, json> by_name;
    for (const auto& m : members)
        by_name[m["Name"].get<std::string>()] = m;
    BOOST_TEST(by_name.size() == 3u);  // "external" runs no agent
    BOOST_TEST(by_name["srv-1"]["Tags"]["role"] == "consul");
    BOOST_TEST(by_name["srv-1"]["Status"] == 1);
    BOOST_TEST(by_name["cli-1"]["Tags"]["role"] == "node");
    BOOST_TEST(by_name["cli-1"]["Addr"] == "10.0.0.21");
    BOOST_TEST(by_name["cli-1"]["Status"] == 1);
    BOOST_TEST(by_name["cli-2"]["Status"] == 4);
    json self = json::parse(
        read(o, Route{RouteStatus::found, Endpoint::agent_self, "", ""}, get(), *q, snap).body);
    BOOST_TEST(self["Config"]["Server"] == false);
    BOOST_TEST(self["Stats"]["feed"]["server"] == "10.0.0.11:8300");
    BOOST_TEST(self["Stats"]["consul"]["known_servers"] == "1");
    // serfHealth is the cluster's check, not one of the agent's own (as in Consul)
    json agent_checks = json::parse(
        read(o, Route{RouteStatus::found, Endpoint::agent_checks, "", ""}, get(), *q, snap).body);
    BOOST_TEST(agent_checks.empty());
}

BOOST_AUTO_TEST_CASE(left_members_are_listed_with_serf_status_left) {
    FakeSnapshot snap = members_sample();
    snap.left_list = {{.name = "cli-3", .address = "10.0.0.23", .server = false, .index = 7},
                      {.name = "srv-2", .address = "10.0.0.12", .server = true, .index = 8},
                      // listed already (a stale record): shown once, as the catalog says
                      {.name = "cli-1", .address = "10.0.0.21", .server = false, .index = 3}};
    FakeCluster cluster;
    Options o = options();
    o.cluster = &cluster;
    Route route{RouteStatus::found, Endpoint::agent_members, "", ""};
    auto q = parse_query_options(get());
    json members = json::parse(read(o, route, get(), *q, snap).body);
    std::map<std::string, json> by_name;
    for (const auto& m : members)
        by_name[m["Name"].get<std::string>()] = m;
    BOOST_TEST(members.size() == by_name.size());
    BOOST_TEST(by_name["cli-3"]["Status"] == 3);
    BOOST_TEST(by_name["cli-3"]["Addr"] == "10.0.0.23");
    BOOST_TEST(by_name["cli-3"]["Tags"]["role"] == "node");
    BOOST_TEST(by_name["srv-2"]["Status"] == 3);
    BOOST_TEST(by_name["srv-2"]["Tags"]["role"] == "consul");
    BOOST_TEST(by_name["cli-1"]["Status"] == 1);
    BOOST_TEST(by_name["cli-2"]["Status"] == 4);
}

BOOST_AUTO_TEST_CASE(force_leave_marks_a_failed_node_left_only) {
    FakeSnapshot snap = members_sample();
    auto failed = do_write(Endpoint::agent_force_leave, "cli-2", body(""), snap);
    BOOST_REQUIRE(failed.batch.size() == 1u);
    const auto& d = std::get<catalog::Leave>(failed.batch[0]);
    BOOST_TEST(d.node == "cli-2");
    BOOST_TEST(!d.server);
    snap.check_list.push_back(check("srv-1", "serfHealth", "", catalog::Status::critical));
    snap.check_list.erase(snap.check_list.begin() + 2);  // srv-1's passing serfHealth
    auto server = do_write(Endpoint::agent_force_leave, "srv-1", body(""), snap);
    BOOST_REQUIRE(server.batch.size() == 1u);
    BOOST_TEST(std::get<catalog::Leave>(server.batch[0]).server);
    snap.left_list = {{.name = "gone", .address = "10.0.0.9", .server = false, .index = 3}};
    auto left = do_write(Endpoint::agent_force_leave, "gone", body(""), snap);
    BOOST_TEST(left.batch.empty());
    BOOST_TEST(left.refusal.status == 200);
    auto alive = do_write(Endpoint::agent_force_leave, "cli-1", body(""), snap);
    BOOST_TEST(alive.batch.empty());
    BOOST_TEST(alive.refusal.status == 200);
    auto unknown = do_write(Endpoint::agent_force_leave, "nope", body(""), snap);
    BOOST_TEST(unknown.batch.empty());
    BOOST_TEST(unknown.refusal.status == 500);
    BOOST_TEST(unknown.refusal.body.find("No node found") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(agent_register_plans_the_registration_on_this_node) {
    FakeSnapshot snap = sample();
    auto plan = do_write(
        Endpoint::agent_service_register, "",
        body(R"({"name": "api", "port": 9000, "check": {"name": "ext", "status": "passing"}})"),
        snap);
    BOOST_TEST_REQUIRE(plan.batch.size() == 1u, plan.refusal.body);
    const auto* reg = std::get_if<catalog::Register>(&plan.batch[0]);
    BOOST_TEST_REQUIRE(reg != nullptr);
    BOOST_TEST(reg->node.name == "self");
    BOOST_TEST_REQUIRE(reg->service.has_value());
    BOOST_TEST(reg->service->name == "api");
    BOOST_TEST(reg->service->port == 9000);
    BOOST_TEST_REQUIRE(reg->checks.size() == 1u);
    BOOST_TEST(reg->checks[0].service_id == "api");
}

BOOST_AUTO_TEST_CASE(an_agent_of_a_cluster_registers_serf_health_with_its_first_service) {
    FakeSnapshot snap = sample();
    FakeCluster cluster;
    Options o = options();
    o.cluster = &cluster;
    auto req = body(R"({"name": "api", "port": 9000})");
    req.method = http::Method::put;
    Route route{RouteStatus::found, Endpoint::agent_service_register, "", ""};
    auto plan = plan_write(o, route, req, snap);
    BOOST_TEST_REQUIRE(plan.batch.size() == 2u, plan.refusal.body);
    const auto& serf = std::get<catalog::Register>(plan.batch[0]);
    BOOST_TEST_REQUIRE(serf.checks.size() == 1u);
    BOOST_TEST(serf.checks[0].id == "serfHealth");
    BOOST_TEST(serf.node.name == "self");
    BOOST_TEST(std::get<catalog::Register>(plan.batch[1]).service->name == "api");
    BOOST_TEST(plan.own_service == "api");
    // once the node has it, or outside a cluster, the registration goes alone
    snap.check_list.push_back(check("self", "serfHealth", "", catalog::Status::passing));
    BOOST_TEST(plan_write(o, route, req, snap).batch.size() == 1u);
    o.cluster = nullptr;
    snap.check_list.pop_back();
    BOOST_TEST(plan_write(o, route, req, snap).batch.size() == 1u);
}

BOOST_AUTO_TEST_CASE(agent_register_runs_checks_and_keeps_their_current_status) {
    FakeSnapshot snap = sample();
    catalog::Check known;
    known.node = "self";
    known.id = "service:web-1:1";
    known.service_id = "web-1";
    known.status = catalog::Status::passing;
    known.output = "HTTP GET ...: 200 OK";
    catalog::Check dropped = known;
    dropped.id = "service:web-1:3";
    snap.check_list.push_back(known);
    snap.check_list.push_back(dropped);
    auto plan =
        do_write(Endpoint::agent_service_register, "", body(R"({"Name": "web", "ID": "web-1",
        "Checks": [{"HTTP": "http://127.0.0.1/", "Interval": "10s"}, {"TTL": "10s"}]})"),
                 snap);
    BOOST_TEST_REQUIRE(!plan.batch.empty(), plan.refusal.body);
    const auto* reg = std::get_if<catalog::Register>(&plan.batch.back());
    BOOST_TEST_REQUIRE(reg != nullptr);
    BOOST_TEST_REQUIRE(reg->checks.size() == 2u);
    BOOST_TEST((reg->checks[0].status == catalog::Status::passing));  // kept
    BOOST_TEST(reg->checks[0].output == known.output);
    BOOST_TEST((reg->checks[1].status == catalog::Status::critical));  // new: initial
    BOOST_TEST_REQUIRE(plan.run.size() == 2u);
    BOOST_TEST(plan.run[0].service_id == "web-1");
    BOOST_TEST((plan.run[0].kind == catalog::CheckKind::http));
    BOOST_TEST((plan.run_status[0] == catalog::Status::passing));
    BOOST_TEST((plan.run[1].kind == catalog::CheckKind::ttl));
    BOOST_TEST(plan.stop_checks == std::vector<std::string>{"service:web-1:3"});
}

BOOST_AUTO_TEST_CASE(script_checks_from_the_api_need_enable_script_checks) {
    FakeSnapshot snap = sample();
    const char* svc = R"({"Name": "api", "Check": {"Args": ["/bin/true"], "Interval": "10s"}})";
    auto refused = do_write(Endpoint::agent_service_register, "", body(svc), snap);
    BOOST_TEST(refused.batch.empty());
    BOOST_TEST(refused.refusal.status == 400);
    BOOST_TEST(refused.refusal.body.find("enable_script_checks") != std::string::npos);
    auto check = do_write(Endpoint::agent_check_register, "",
                          body(R"({"Name": "x", "Args": ["/bin/true"], "Interval": "1s"})"), snap);
    BOOST_TEST(check.refusal.status == 400);
    Options allowed = options();
    allowed.script_checks = ScriptChecks::enabled;
    http::Request req = body(svc);
    req.method = http::Method::put;
    auto ok = plan_write(
        allowed, Route{RouteStatus::found, Endpoint::agent_service_register, "", ""}, req, snap);
    BOOST_TEST(!ok.batch.empty(), ok.refusal.body);
}

BOOST_AUTO_TEST_CASE(check_register_and_deregister_on_this_node) {
    FakeSnapshot snap = sample();
    auto plan =
        do_write(Endpoint::agent_check_register, "",
                 body(R"({"Name": "mem", "ID": "mem", "TTL": "30s", "ServiceID": "web-1"})"), snap);
    BOOST_TEST_REQUIRE(plan.batch.size() == 1u, plan.refusal.body);
    const auto* reg = std::get_if<catalog::Register>(&plan.batch[0]);
    BOOST_TEST_REQUIRE(reg != nullptr);
    BOOST_TEST(reg->skip_node_update);
    BOOST_TEST_REQUIRE(reg->checks.size() == 1u);
    BOOST_TEST(reg->checks[0].service_id == "web-1");
    BOOST_TEST(reg->checks[0].service_name == "web");
    BOOST_TEST(reg->checks[0].type == "ttl");
    BOOST_TEST(plan.run.size() == 1u);
    auto other = do_write(Endpoint::agent_check_register, "",
                          body(R"({"Name": "x", "TTL": "30s", "ServiceID": "web-2"})"), snap);
    BOOST_TEST(other.refusal.status == 404);  // web-2 is another node's
    auto bad_url = do_write(Endpoint::agent_check_register, "",
                            body(R"({"Name": "x", "HTTP": "ftp://x/", "Interval": "1s"})"), snap);
    BOOST_TEST(bad_url.refusal.status == 400);
    BOOST_TEST(bad_url.refusal.body.find("http") != std::string::npos);

    snap.check_list.push_back(check("self", "mem", "", catalog::Status::critical));
    auto gone = do_write(Endpoint::agent_check_deregister, "mem", body(""), snap);
    BOOST_TEST_REQUIRE(gone.batch.size() == 1u);
    BOOST_TEST(gone.stop_checks == std::vector<std::string>{"mem"});
    auto unknown = do_write(Endpoint::agent_check_deregister, "nope", body(""), snap);
    BOOST_TEST(unknown.refusal.status == 404);
    BOOST_TEST(unknown.refusal.body == "Unknown check ID \"nope\"");
    auto svc = do_write(Endpoint::agent_service_deregister, "web-1", body(""), snap);
    BOOST_TEST(svc.stop_services == std::vector<std::string>{"web-1"});
}

BOOST_AUTO_TEST_CASE(node_maintenance_adds_and_removes_the_node_check) {
    FakeSnapshot snap = sample();
    auto on = do_write(Endpoint::agent_maintenance, "", body("", {{"enable", "true"}}), snap);
    BOOST_TEST_REQUIRE(on.batch.size() == 1u, on.refusal.body);
    const auto* reg = std::get_if<catalog::Register>(&on.batch[0]);
    BOOST_TEST_REQUIRE(reg != nullptr);
    BOOST_TEST_REQUIRE(reg->checks.size() == 1u);
    BOOST_TEST(reg->checks[0].id == "_node_maintenance");
    BOOST_TEST(reg->checks[0].service_id.empty());
    BOOST_TEST(reg->checks[0].name == "Node Maintenance Mode");
    BOOST_TEST(reg->checks[0].notes.find("for this node") != std::string::npos);
    auto off = do_write(Endpoint::agent_maintenance, "", body("", {{"enable", "false"}}), snap);
    const auto* d = std::get_if<catalog::Deregister>(&off.batch.at(0));
    BOOST_TEST_REQUIRE(d != nullptr);
    BOOST_TEST(d->check_id.value_or("") == "_node_maintenance");
    auto bad = do_write(Endpoint::agent_maintenance, "", body("", {{"enable", "maybe"}}), snap);
    BOOST_TEST(bad.refusal.status == 400);
}

BOOST_AUTO_TEST_CASE(ttl_updates_take_status_and_note) {
    http::Request pass = body("", {{"note", "all good"}});
    auto p =
        plan_ttl_update(Route{RouteStatus::found, Endpoint::agent_check_pass, "beat", ""}, pass);
    BOOST_TEST(!p.refusal);
    BOOST_TEST(p.check_id == "beat");
    BOOST_TEST((p.status == catalog::Status::passing));
    BOOST_TEST(p.output == "all good");
    auto w = plan_ttl_update(Route{RouteStatus::found, Endpoint::agent_check_warn, "beat", ""},
                             body(""));
    BOOST_TEST((w.status == catalog::Status::warning));
    auto u = plan_ttl_update(Route{RouteStatus::found, Endpoint::agent_check_update, "beat", ""},
                             body(R"({"Status": "critical", "Output": "down"})"));
    BOOST_TEST(!u.refusal);
    BOOST_TEST((u.status == catalog::Status::critical));
    BOOST_TEST(u.output == "down");
    auto bad = plan_ttl_update(Route{RouteStatus::found, Endpoint::agent_check_update, "beat", ""},
                               body(R"({"Status": "fine"})"));
    BOOST_TEST_REQUIRE(bad.refusal.has_value());
    BOOST_TEST(bad.refusal->status == 400);
    BOOST_TEST(bad.refusal->body == "Invalid check status: \"fine\"");
    auto big = plan_ttl_update(Route{RouteStatus::found, Endpoint::agent_check_fail, "beat", ""},
                               body("", {{"note", std::string(10000, 'x')}}));
    BOOST_TEST(big.output.size() < 4200u);
    auto none =
        plan_ttl_update(Route{RouteStatus::found, Endpoint::agent_check_fail, "", ""}, body(""));
    BOOST_TEST(none.refusal.has_value());
}

BOOST_AUTO_TEST_CASE(agent_health_codes_follow_the_worst_check) {
    FakeSnapshot snap = sample();
    auto passing = do_read(Endpoint::agent_health_service_id, "web-1", get(), snap);
    BOOST_TEST(passing.status == 200);
    auto doc = json::parse(passing.body);
    BOOST_TEST(doc["AggregatedStatus"] == "passing");
    BOOST_TEST(doc["Service"]["ID"] == "web-1");
    snap.check_list.push_back(check("self", "w", "web-1", catalog::Status::warning));
    auto warning = do_read(Endpoint::agent_health_service_name, "web", get(), snap);
    BOOST_TEST(warning.status == 429);
    BOOST_TEST(json::parse(warning.body).at(0)["AggregatedStatus"] == "warning");
    snap.check_list.push_back(check("self", "_node_maintenance", "", catalog::Status::critical));
    auto maint =
        do_read(Endpoint::agent_health_service_id, "web-1", get({{"format", "text"}}), snap);
    BOOST_TEST(maint.status == 503);
    BOOST_TEST(maint.body == "maintenance");
    auto missing = do_read(Endpoint::agent_health_service_id, "nope", get(), snap);
    BOOST_TEST(missing.status == 404);
    BOOST_TEST(missing.body == "ServiceId nope not found");
    auto missing_name = do_read(Endpoint::agent_health_service_name, "web-2", get(), snap);
    BOOST_TEST(missing_name.status == 404);  // web-2's instance is on another node
}

BOOST_AUTO_TEST_CASE(bad_bodies_are_400_naming_the_problem) {
    FakeSnapshot snap = sample();
    auto garbage = do_write(Endpoint::agent_service_register, "", body("{not json"), snap);
    BOOST_TEST(garbage.refusal.status == 400);
    BOOST_TEST(garbage.refusal.body.find("JSON") != std::string::npos);
    auto empty = do_write(Endpoint::catalog_register, "", body(""), snap);
    BOOST_TEST(empty.refusal.status == 400);
    auto port = do_write(Endpoint::agent_service_register, "",
                         body(R"({"Name": "api", "Port": "eighty"})"), snap);
    BOOST_TEST(port.refusal.status == 400);
    BOOST_TEST(port.refusal.body.find("ort") != std::string::npos);
    auto cat =
        do_write(Endpoint::catalog_register, "", body(R"({"Node": "n", "Address": 5})"), snap);
    BOOST_TEST(cat.refusal.status == 400);
    BOOST_TEST(cat.refusal.body.find("Address") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(deregister_of_unknown_service_is_404) {
    FakeSnapshot snap = sample();
    auto plan = do_write(Endpoint::agent_service_deregister, "web-2", body(""), snap);  // not ours
    BOOST_TEST(plan.batch.empty());
    BOOST_TEST(plan.refusal.status == 404);
    BOOST_TEST(plan.refusal.body.find("Unknown service ID") != std::string::npos);
    auto ok = do_write(Endpoint::agent_service_deregister, "web-1", body(""), snap);
    BOOST_TEST_REQUIRE(ok.batch.size() == 1u);
    const auto* d = std::get_if<catalog::Deregister>(&ok.batch[0]);
    BOOST_TEST_REQUIRE(d != nullptr);
    BOOST_TEST(d->node == "self");
    BOOST_TEST(d->service_id.value_or("") == "web-1");
}

BOOST_AUTO_TEST_CASE(maintenance_adds_and_removes_the_critical_check) {
    FakeSnapshot snap = sample();
    auto on = do_write(Endpoint::agent_service_maintenance, "web-1",
                       body("", {{"enable", "true"}, {"reason", "deploy"}}), snap);
    BOOST_TEST_REQUIRE(on.batch.size() == 1u);
    const auto* reg = std::get_if<catalog::Register>(&on.batch[0]);
    BOOST_TEST_REQUIRE(reg != nullptr);
    BOOST_TEST(!reg->service.has_value());
    BOOST_TEST_REQUIRE(reg->checks.size() == 1u);
    BOOST_TEST(reg->checks[0].id == "_service_maintenance:web-1");
    BOOST_TEST(reg->checks[0].name == "Service Maintenance Mode");
    BOOST_TEST(reg->checks[0].notes == "deploy");
    BOOST_TEST((reg->checks[0].status == catalog::Status::critical));
    auto default_reason = do_write(Endpoint::agent_service_maintenance, "web-1",
                                   body("", {{"enable", "true"}}), snap);
    const auto* reg2 = std::get_if<catalog::Register>(&default_reason.batch.at(0));
    BOOST_TEST(reg2->checks.at(0).notes.find("no reason was provided") != std::string::npos);
    auto off = do_write(Endpoint::agent_service_maintenance, "web-1",
                        body("", {{"enable", "false"}}), snap);
    const auto* d = std::get_if<catalog::Deregister>(&off.batch.at(0));
    BOOST_TEST_REQUIRE(d != nullptr);
    BOOST_TEST(d->check_id.value_or("") == "_service_maintenance:web-1");
    auto missing = do_write(Endpoint::agent_service_maintenance, "web-1", body(""), snap);
    BOOST_TEST(missing.refusal.status == 400);
    BOOST_TEST(missing.refusal.body.find("enable") != std::string::npos);
    auto unknown =
        do_write(Endpoint::agent_service_maintenance, "nope", body("", {{"enable", "true"}}), snap);
    BOOST_TEST(unknown.refusal.status == 404);
}

BOOST_AUTO_TEST_CASE(catalog_writes_answer_true_and_errors_500) {
    Route reg{RouteStatus::found, Endpoint::catalog_register, "", ""};
    auto ok = write_done(reg, Result<uint64_t>(uint64_t{5}));
    BOOST_TEST(ok.status == 200);
    BOOST_TEST(ok.body == "true");
    Route agent{RouteStatus::found, Endpoint::agent_service_register, "", ""};
    BOOST_TEST(write_done(agent, Result<uint64_t>(uint64_t{5})).body.empty());
    auto failed = write_done(reg, Result<uint64_t>(make_error("disk full")));
    BOOST_TEST(failed.status == 500);
    BOOST_TEST(failed.body == "disk full");
}

BOOST_AUTO_TEST_CASE(catalog_register_in_another_datacenter_is_refused) {
    FakeSnapshot snap = sample();
    auto plan = do_write(Endpoint::catalog_register, "",
                         body(R"({"Node": "n", "Address": "a", "Datacenter": "dc2"})"), snap);
    BOOST_TEST(plan.batch.empty());
    BOOST_TEST(plan.refusal.status == 500);
    auto here =
        do_write(Endpoint::catalog_register, "", body(R"({"node": "n", "address": "a"})"), snap);
    BOOST_TEST_REQUIRE(here.batch.size() == 1u);
    BOOST_TEST(std::get<catalog::Register>(here.batch[0]).node.datacenter == "dc1");
}

BOOST_AUTO_TEST_CASE(self_stats_say_role_catalog_counts_and_leader_as_strings) {
    FakeSnapshot snap = sample();
    Options o = options();
    auto q = parse_query_options(get());
    Route self{RouteStatus::found, Endpoint::agent_self, "", ""};
    json stats = json::parse(read(o, self, get(), *q, snap).body)["Stats"];
    BOOST_TEST(stats["agent"]["role"] == "standalone");
    BOOST_TEST(stats["agent"]["node_name"] == "self");
    BOOST_TEST(stats["agent"]["services"] == "1");  // web-1 on "self"
    BOOST_TEST(stats["catalog"]["nodes"] == "2");
    BOOST_TEST(stats["catalog"]["services"] == std::to_string(snap.services().size()));
    BOOST_TEST(stats["catalog"]["checks"] == "1");
    BOOST_TEST(stats["catalog"]["index"] == "12");
    BOOST_TEST(stats["consul"]["leader"] == "true");
    BOOST_TEST(!stats.contains("raft"));
    BOOST_TEST(!stats.contains("cache"));

    FakeCluster cluster;
    o.cluster = &cluster;
    stats = json::parse(read(o, self, get(), *q, snap).body)["Stats"];
    BOOST_TEST(stats["agent"]["role"] == "client");
    BOOST_TEST(stats["consul"]["leader"] == "false");
    BOOST_TEST(stats["consul"]["leader_addr"] == "10.0.0.11:8300");
    o.server = true;
    stats = json::parse(read(o, self, get(), *q, snap).body)["Stats"];
    BOOST_TEST(stats["agent"]["role"] == "server");
    BOOST_TEST(stats["raft"]["applied_index"] == "40");
    BOOST_TEST(stats["raft"]["num_peers"] == "0");
}

BOOST_AUTO_TEST_CASE(self_reply_adds_the_cache_counters) {
    FakeSnapshot snap = sample();
    auto q = parse_query_options(get());
    CacheStats cache{.entries = 3, .capacity = 100, .hits = 3, .misses = 1};
    json stats = json::parse(self_reply(options(), get(), *q, snap, cache).body)["Stats"];
    BOOST_TEST(stats["cache"]["entries"] == "3");
    BOOST_TEST(stats["cache"]["capacity"] == "100");
    BOOST_TEST(stats["cache"]["hit_ratio"] == "0.750");
    BOOST_TEST(stats["agent"]["node_name"] == "self");
}

BOOST_AUTO_TEST_SUITE_END()
