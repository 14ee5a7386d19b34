// Tests for src/catalog/definition.cc: Consul service/check definitions, their defaults, key
// spellings, errors and the registration command.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <string>

#include "catalog/definition.hh"

using namespace muster::catalog;
using Json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

Json parse(const char* text) {
    return Json::parse(text);
}

// The error text of a definition that must fail.
std::string service_error(const Json& value, const std::string& where = "web.json: service") {
    auto r = parse_service_definition(value, where);
    BOOST_REQUIRE_MESSAGE(!r.ok(), "expected an error for " + value.dump());
    return r.error().message;
}

std::string check_error(const Json& value, const std::string& where = "c.json: check") {
    auto r = parse_check_definition(value, where);
    BOOST_REQUIRE_MESSAGE(!r.ok(), "expected an error for " + value.dump());
    return r.error().message;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Field-by-field equality of the parts tests compare.
void require_same_check(const CheckDefinition& a, const CheckDefinition& b) {
    BOOST_TEST(a.id == b.id);
    BOOST_TEST(a.name == b.name);
    BOOST_TEST(a.service_id == b.service_id);
    BOOST_TEST(a.notes == b.notes);
    BOOST_TEST((a.initial_status == b.initial_status));
    BOOST_TEST((a.kind == b.kind));
    BOOST_TEST(a.interval.count() == b.interval.count());
    BOOST_TEST(a.timeout.count() == b.timeout.count());
    BOOST_TEST(a.ttl.count() == b.ttl.count());
    BOOST_TEST(a.args == b.args);
    BOOST_TEST(a.http == b.http);
    BOOST_TEST(a.method == b.method);
    BOOST_TEST(a.body == b.body);
    BOOST_TEST(a.tls_server_name == b.tls_server_name);
    BOOST_TEST((a.header == b.header));
    BOOST_TEST(a.tls_skip_verify == b.tls_skip_verify);
    BOOST_TEST(a.disable_redirects == b.disable_redirects);
    BOOST_TEST(a.tcp == b.tcp);
    BOOST_TEST(a.tcp_use_tls == b.tcp_use_tls);
    BOOST_TEST(a.alias_service == b.alias_service);
    BOOST_TEST(a.alias_node == b.alias_node);
    BOOST_TEST(a.success_before_passing == b.success_before_passing);
    BOOST_TEST(a.failures_before_warning == b.failures_before_warning);
    BOOST_TEST(a.failures_before_critical == b.failures_before_critical);
    BOOST_TEST(a.deregister_critical_service_after.count() ==
               b.deregister_critical_service_after.count());
}

constexpr const char* snake_service = R"({
  "id": "web-1", "name": "web", "tags": ["v1", "primary"], "address": "10.0.0.5", "port": 8080,
  "meta": {"version": "1.2"}, "weights": {"passing": 10, "warning": 2},
  "enable_tag_override": true, "kind": "", "tagged_addresses": {}, "token": "x",
  "check": {"id": "web-http", "name": "HTTP", "notes": "front page", "status": "passing",
            "http": "https://10.0.0.5:8080/health", "method": "HEAD",
            "header": {"Host": ["web.example"]}, "body": "", "tls_server_name": "web.example",
            "tls_skip_verify": true, "disable_redirects": true, "interval": "10s",
            "timeout": "2s", "success_before_passing": 2, "failures_before_warning": 1,
            "failures_before_critical": 3, "deregister_critical_service_after": "90m"},
  "checks": [{"args": ["/usr/local/bin/check-web", "-q"], "interval": "1m30s"},
             {"tcp": "10.0.0.5:8080", "tcp_use_tls": true, "interval": "500ms"},
             {"ttl": "30s", "check_id": "web-ttl"},
             {"alias_service": "db", "alias_node": "db-1"}]
})";

constexpr const char* pascal_service = R"({
  "ID": "web-1", "Name": "web", "Tags": ["v1", "primary"], "Address": "10.0.0.5", "Port": 8080,
  "Meta": {"version": "1.2"}, "Weights": {"Passing": 10, "Warning": 2},
  "EnableTagOverride": true, "Kind": "", "TaggedAddresses": {}, "Token": "x",
  "Check": {"CheckID": "web-http", "Name": "HTTP", "Notes": "front page", "Status": "passing",
            "HTTP": "https://10.0.0.5:8080/health", "Method": "HEAD",
            "Header": {"Host": ["web.example"]}, "Body": "", "TLSServerName": "web.example",
            "TLSSkipVerify": true, "DisableRedirects": true, "Interval": "10s",
            "Timeout": "2s", "SuccessBeforePassing": 2, "FailuresBeforeWarning": 1,
            "FailuresBeforeCritical": 3, "DeregisterCriticalServiceAfter": "90m"},
  "Checks": [{"ScriptArgs": ["/usr/local/bin/check-web", "-q"], "Interval": "1m30s"},
             {"TCP": "10.0.0.5:8080", "TCPUseTLS": true, "Interval": "500ms"},
             {"TTL": "30s", "ID": "web-ttl"},
             {"AliasService": "db", "AliasNode": "db-1"}]
})";

}  // namespace

BOOST_AUTO_TEST_SUITE(definition)

BOOST_AUTO_TEST_CASE(snake_case_and_pascal_case_give_the_same_definition) {
    auto snake = parse_service_definition(parse(snake_service), "snake");
    auto pascal = parse_service_definition(parse(pascal_service), "pascal");
    BOOST_REQUIRE_MESSAGE(snake.ok(), (snake.ok() ? "" : snake.error().message));
    BOOST_REQUIRE_MESSAGE(pascal.ok(), (pascal.ok() ? "" : pascal.error().message));
    const Service& a = snake->service;
    const Service& b = pascal->service;
    BOOST_TEST(a.id == "web-1");
    BOOST_TEST(a.name == "web");
    BOOST_TEST(a.tags == b.tags);
    BOOST_TEST(a.address == b.address);
    BOOST_TEST(a.port == 8080);
    BOOST_TEST(b.port == 8080);
    BOOST_TEST((a.meta == b.meta));
    BOOST_TEST(a.weights.passing == 10u);
    BOOST_TEST(b.weights.passing == 10u);
    BOOST_TEST(a.weights.warning == b.weights.warning);
    BOOST_TEST(a.enable_tag_override);
    BOOST_TEST(b.enable_tag_override);
    BOOST_REQUIRE(snake->checks.size() == 5u);
    BOOST_REQUIRE(pascal->checks.size() == 5u);
    for (size_t i = 0; i < 5; ++i) {
        BOOST_TEST_CONTEXT("check " << i) {
            require_same_check(snake->checks[i], pascal->checks[i]);
        }
    }
}

BOOST_AUTO_TEST_CASE(check_fields_are_read_with_consul_durations) {
    auto def = parse_service_definition(parse(snake_service), "");
    BOOST_REQUIRE(def.ok());
    const auto& http = def->checks[0];
    BOOST_TEST((http.kind == CheckKind::http));
    BOOST_TEST(http.id == "web-http");
    BOOST_TEST((http.initial_status == Status::passing));
    BOOST_TEST(http.interval.count() == 10000);
    BOOST_TEST(http.timeout.count() == 2000);
    BOOST_TEST(http.deregister_critical_service_after.count() == 90 * 60 * 1000);
    BOOST_TEST(http.header.at("Host") == std::vector<std::string>{"web.example"});
    BOOST_TEST(http.failures_before_critical == 3u);
    BOOST_TEST((def->checks[1].kind == CheckKind::script));
    BOOST_TEST(def->checks[1].interval.count() == 90000);
    BOOST_TEST((def->checks[1].args == std::vector<std::string>{"/usr/local/bin/check-web", "-q"}));
    BOOST_TEST((def->checks[2].kind == CheckKind::tcp));
    BOOST_TEST(def->checks[2].interval.count() == 500);
    BOOST_TEST((def->checks[3].kind == CheckKind::ttl));
    BOOST_TEST(def->checks[3].ttl.count() == 30000);
    BOOST_TEST((def->checks[4].kind == CheckKind::alias));
}

BOOST_AUTO_TEST_CASE(service_defaults_follow_consul) {
    auto def = parse_service_definition(parse(R"({"name": "redis"})"), "");
    BOOST_REQUIRE(def.ok());
    BOOST_TEST(def->service.id == "redis");  // ID defaults to Name
    BOOST_TEST(def->service.port == 0);
    BOOST_TEST(def->service.address == "");
    BOOST_TEST(def->service.weights.passing == 1u);
    BOOST_TEST(def->service.weights.warning == 1u);
    BOOST_TEST(!def->service.enable_tag_override);
    BOOST_TEST(def->checks.empty());
}

BOOST_AUTO_TEST_CASE(one_service_check_is_named_after_the_service) {
    auto def = parse_service_definition(
        parse(R"({"name": "redis", "id": "redis-a", "check": {"ttl": "10s"}})"), "");
    BOOST_REQUIRE(def.ok());
    BOOST_REQUIRE(def->checks.size() == 1u);
    BOOST_TEST(def->checks[0].id == "service:redis-a");
    BOOST_TEST(def->checks[0].name == "Service 'redis' check");
    BOOST_TEST(def->checks[0].service_id == "redis-a");
    BOOST_TEST((def->checks[0].initial_status == Status::critical));
}

BOOST_AUTO_TEST_CASE(several_service_checks_are_numbered_from_one_and_keep_given_ids) {
    auto def = parse_service_definition(parse(R"({"name": "redis", "checks": [
        {"ttl": "10s"}, {"ttl": "20s", "id": "mine"}, {"ttl": "30s"}]})"),
                                        "");
    BOOST_REQUIRE(def.ok());
    BOOST_REQUIRE(def->checks.size() == 3u);
    BOOST_TEST(def->checks[0].id == "service:redis:1");
    BOOST_TEST(def->checks[1].id == "mine");
    BOOST_TEST(def->checks[2].id == "service:redis:3");
}

BOOST_AUTO_TEST_CASE(standalone_check_id_defaults_to_name_and_kind_none_is_external) {
    auto c = parse_check_definition(parse(R"({"name": "disk", "notes": "set by cron"})"), "");
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->id == "disk");
    BOOST_TEST((c->kind == CheckKind::external));
    auto with_service =
        parse_check_definition(parse(R"({"Name": "mem", "ServiceID": "web", "TTL": "1m"})"), "");
    BOOST_REQUIRE(with_service.ok());
    BOOST_TEST(with_service->service_id == "web");
    BOOST_TEST(with_service->ttl.count() == 60000);
}

BOOST_AUTO_TEST_CASE(consul_durations) {
    auto ms = [](const Json& v) {
        auto d = parse_consul_duration(v, "d");
        BOOST_REQUIRE_MESSAGE(d.ok(), v.dump());
        return d->count();
    };
    BOOST_TEST(ms("10s") == 10000);
    BOOST_TEST(ms("1m30s") == 90000);
    BOOST_TEST(ms("500ms") == 500);
    BOOST_TEST(ms("1.5h") == 5400000);
    BOOST_TEST(ms("0") == 0);
    BOOST_TEST(ms("2500us") == 3);  // rounded up: positive stays positive
    BOOST_TEST(ms("1ns") == 1);
    BOOST_TEST(ms(Json(3000000000ull)) == 3000);  // a JSON number is nanoseconds
    for (const char* bad : {"", "10", "-5s", "s", "1x", "1.s.", "10 s", "1e3s"}) {
        auto d = parse_consul_duration(Json(bad), "services[0].check.interval");
        BOOST_TEST_CONTEXT(bad) {
            BOOST_REQUIRE(!d.ok());
            BOOST_TEST(d.error().message.starts_with("services[0].check.interval: expected"));
        }
    }
    BOOST_TEST(!parse_consul_duration(Json(-1), "d").ok());
    BOOST_TEST(!parse_consul_duration(Json(true), "d").ok());
    BOOST_TEST(!parse_consul_duration(Json("99999999999h"), "d").ok());
}

BOOST_AUTO_TEST_CASE(errors_name_the_field_path_and_the_value) {
    BOOST_TEST(service_error(parse(R"({"name": "web", "port": "http"})")) ==
               "web.json: service.port: expected an integer 0..65535 (got \"http\")");
    BOOST_TEST(service_error(parse(R"({"Name": "web", "Port": 70000})")) ==
               "web.json: service.Port: expected an integer 0..65535 (got 70000)");
    BOOST_TEST(service_error(parse(R"({"name": "web", "tags": ["a", 1]})")) ==
               "web.json: service.tags[1]: expected a string (got 1)");
    BOOST_TEST(service_error(parse(R"({"name": "web", "meta": {"v": 2}})")) ==
               "web.json: service.meta.v: expected a string (got 2)");
    BOOST_TEST(service_error(parse(R"({"name": "web", "weights": {"passing": 0}})")) ==
               "web.json: service.weights.passing: expected an integer 1..4294967295 (got 0)");
    BOOST_TEST(service_error(parse(R"({"name": "web", "enable_tag_override": "yes"})")) ==
               "web.json: service.enable_tag_override: expected true or false (got \"yes\")");
    BOOST_TEST(service_error(parse(R"({"port": 80})")) ==
               "web.json: service.name: expected a non-empty string (got nothing: the key is "
               "required)");
    BOOST_TEST(service_error(parse(R"({"name": ""})")) ==
               "web.json: service.name: expected a non-empty string (got \"\")");
    BOOST_TEST(service_error(parse(R"(["web"])")) ==
               "web.json: service: expected a service definition object (got a list)");
}

BOOST_AUTO_TEST_CASE(check_errors_inside_a_service_name_their_path) {
    BOOST_TEST(
        service_error(parse(
            R"({"name": "web", "checks": [{"ttl": "5s"}, {"http": "x", "interval": "5s"}]})")) ==
        "web.json: service.checks[1].http: expected an http:// or https:// URL (got \"x\")");
    BOOST_TEST(service_error(parse(R"({"name": "web", "check": {"tcp": "10.0.0.1:80"}})")) ==
               "web.json: service.check.interval: expected a positive duration for a script, "
               "http or tcp check (got nothing: the key is required)");
    BOOST_TEST(service_error(parse(R"({"name": "web", "Check": {"TCP": "10.0.0.1"}, "x": 1})")) ==
               "web.json: service.x: unknown key\n"
               "web.json: service.Check.interval: expected a positive duration for a script, "
               "http or tcp check (got nothing: the key is required)\n"
               "web.json: service.Check.TCP: expected \"host:port\" (got \"10.0.0.1\")");
    BOOST_TEST(
        service_error(parse(R"({"name": "web", "check": {"ttl": "5s", "interval": "fast"}})")) ==
        "web.json: service.check.interval: expected a duration like \"10s\", \"1m30s\" or "
        "\"500ms\" (got \"fast\")");
}

BOOST_AUTO_TEST_CASE(check_errors) {
    BOOST_TEST(check_error(
                   parse(R"({"name": "x", "ttl": "5s", "http": "http://a/", "interval": "1s"})")) ==
               "c.json: check: expected exactly one of args, http, tcp, ttl, alias_service (got "
               "http, ttl)");
    BOOST_TEST(check_error(parse(R"({"ttl": "5s"})")) ==
               "c.json: check.name: expected a non-empty string (got nothing: the key is "
               "required)");
    BOOST_TEST(check_error(parse(R"({"name": "x", "status": "ok"})")) ==
               "c.json: check.status: expected one of passing, warning, critical (got \"ok\")");
    BOOST_TEST(check_error(parse(R"({"name": "x", "header": {"A": "b"}})")) ==
               "c.json: check.header.A: expected a list of strings (got \"b\")");
    BOOST_TEST(check_error(parse(R"({"name": "x", "args": [], "interval": "1s"})")) ==
               "c.json: check.args: expected a non-empty list of strings (got [])");
    BOOST_TEST(check_error(parse(R"({"name": "x", "FailuresBeforeCritical": -1})")) ==
               "c.json: check.FailuresBeforeCritical: expected an integer 0..4294967295 (got -1)");
    BOOST_TEST(check_error(parse(R"({"name": "x", "grpc": "127.0.0.1:9000", "interval": "1s"})")) ==
               "c.json: check.grpc: not supported (muster runs script, http, tcp, ttl and alias "
               "checks)");
    BOOST_TEST(check_error(parse(R"({"name": "x", "script": "/bin/true", "interval": "1s"})")) ==
               "c.json: check.script: not supported (use \"args\")");
    BOOST_TEST(check_error(parse(R"({"name": "x", "ttl": "0s"})")) ==
               "c.json: check.ttl: expected a positive duration (got \"0s\")");
    BOOST_TEST(check_error(parse(R"({"name": "x", "id": "a", "CheckID": "b"})")) ==
               "c.json: check.id: duplicate key (already given as \"CheckID\")");
    BOOST_TEST(check_error(parse("42"), "") ==
               "check: expected a check definition object (got 42)");
}

BOOST_AUTO_TEST_CASE(a_bad_duration_is_reported_once) {
    BOOST_TEST(check_error(parse(R"({"name": "x", "ttl": "5"})")) ==
               "c.json: check.ttl: expected a duration like \"10s\", \"1m30s\" or \"500ms\" (got "
               "\"5\")");
    BOOST_TEST(check_error(parse(R"({"name": "x", "tcp": "a:1", "interval": "-1s"})")) ==
               "c.json: check.interval: expected a duration like \"10s\", \"1m30s\" or "
               "\"500ms\" (got \"-1s\")");
}

BOOST_AUTO_TEST_CASE(every_error_is_reported_not_just_the_first) {
    auto message = service_error(parse(R"({"name": 1, "port": -1, "tags": "a"})"));
    BOOST_TEST(contains(message, "service.name: expected a string (got 1)"));
    BOOST_TEST(contains(message, "service.port: expected an integer 0..65535 (got -1)"));
    BOOST_TEST(contains(message, "service.tags: expected a list of strings (got \"a\")"));
}

BOOST_AUTO_TEST_CASE(ignored_consul_fields_are_accepted) {
    auto def = parse_service_definition(parse(R"({"name": "web", "Kind": "typical",
        "TaggedAddresses": {"lan": {"address": "10.0.0.1", "port": 80}}, "Token": "t",
        "Namespace": "default", "Partition": "default", "Connect": {"native": true},
        "Proxy": {}, "Locality": {}, "EnableTagDrift": false,
        "Check": {"TTL": "5s", "Token": "t", "OutputMaxSize": 4096}})"),
                                        "");
    BOOST_TEST(def.ok(), (def.ok() ? "" : def.error().message));
}

BOOST_AUTO_TEST_CASE(registration_puts_service_and_checks_on_the_own_node) {
    auto def = parse_service_definition(parse(R"({"name": "web", "id": "web-2", "port": 80,
        "checks": [{"ttl": "10s", "notes": "heartbeat", "status": "warning"},
                   {"http": "http://127.0.0.1/", "interval": "5s"}]})"),
                                        "");
    BOOST_REQUIRE(def.ok());
    Node self;
    self.name = "node-a";
    self.address = "10.0.0.9";
    self.datacenter = "dc1";
    Register reg = registration(*def, self);
    BOOST_TEST(reg.node.name == "node-a");
    BOOST_TEST(reg.node.address == "10.0.0.9");
    BOOST_REQUIRE(reg.service.has_value());
    BOOST_TEST(reg.service->node == "node-a");
    BOOST_TEST(reg.service->id == "web-2");
    BOOST_TEST(reg.service->port == 80);
    BOOST_REQUIRE(reg.checks.size() == 2u);
    BOOST_TEST(reg.checks[0].node == "node-a");
    BOOST_TEST(reg.checks[0].id == "service:web-2:1");
    BOOST_TEST(reg.checks[0].service_id == "web-2");
    BOOST_TEST((reg.checks[0].status == Status::warning));
    BOOST_TEST(reg.checks[0].type == "ttl");
    BOOST_TEST(reg.checks[0].notes == "heartbeat");
    BOOST_TEST((reg.checks[1].status == Status::critical));
    BOOST_TEST(reg.checks[1].type == "http");
    BOOST_TEST(!reg.skip_node_update);
}

BOOST_AUTO_TEST_CASE(registration_keeps_the_current_status_of_known_checks) {
    auto def = parse_service_definition(parse(R"({"name": "web", "port": 80,
        "checks": [{"id": "old", "ttl": "10s"}, {"id": "new", "ttl": "10s"}]})"),
                                        "");
    BOOST_REQUIRE(def.ok());
    Node self;
    self.name = "node-a";
    CurrentStatus current =
        [](const std::string& id) -> std::optional<std::pair<Status, std::string>> {
        if (id == "old")
            return std::make_pair(Status::passing, std::string("fine"));
        return std::nullopt;
    };
    Register reg = registration(*def, self, current);
    BOOST_REQUIRE(reg.checks.size() == 2u);
    BOOST_TEST((reg.checks[0].status == Status::passing));
    BOOST_TEST(reg.checks[0].output == "fine");
    BOOST_TEST((reg.checks[1].status == Status::critical));
    BOOST_TEST(reg.checks[1].output == "");
}

BOOST_AUTO_TEST_CASE(check_definitions_round_trip_through_consul_json) {
    const char* texts[] = {
        R"({"id": "h", "name": "web health", "service_id": "web", "notes": "n",
            "http": "https://127.0.0.1:8443/health?x=1", "method": "POST",
            "header": {"X-A": ["1", "2"]}, "body": "{}", "tls_server_name": "web.example",
            "tls_skip_verify": true, "disable_redirects": true, "interval": "1500ms",
            "timeout": "2s", "success_before_passing": 2, "failures_before_warning": 1,
            "failures_before_critical": 3, "deregister_critical_service_after": "1m",
            "status": "warning"})",
        R"({"name": "redis", "tcp": "127.0.0.1:6379", "tcp_use_tls": true, "interval": "10s"})",
        R"({"name": "disk", "args": ["/bin/df", "-h"], "interval": "1m", "timeout": "5s"})",
        R"({"name": "beat", "ttl": "30s", "status": "passing"})",
        R"({"name": "mirror", "alias_service": "db", "alias_node": "n2"})",
    };
    for (const char* text : texts) {
        auto def = parse_check_definition(parse(text), "");
        BOOST_REQUIRE_MESSAGE(def.ok(), text);
        auto back = parse_check_definition(to_json(*def), "");
        BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.error().message));
        BOOST_TEST((*back == *def), to_json(*def).dump());
    }
}

BOOST_AUTO_TEST_SUITE_END()
