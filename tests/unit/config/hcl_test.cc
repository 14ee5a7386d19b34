// Tests for src/config/internal/hcl.cc: Consul-style HCL configurations give the trees of their
// JSON twins, every key keeps its line, and bad input names the line. The first example follows
// Consul's agent configuration reference; the others are written in the shape of the server,
// client, deployment-guide and multiple-services examples of its documentation (from memory, not
// copied), with JSON twins written by hand.
#include <boost/test/unit_test.hpp>

#include <string>

#include "config/internal/hcl.hh"

using namespace muster;
using namespace muster::config::internal;
using Json = nlohmann::json;

namespace {

const HclShape consul_shape{
    .list_blocks = {"services", "checks", "records", "service.checks", "services.checks"}};

HclDocument parse(std::string_view text) {
    auto r = parse_hcl(text, consul_shape);
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    return *r;
}

Json tree(std::string_view text) {
    return parse(text).tree;
}

std::string error_of(std::string_view text) {
    auto r = parse_hcl(text, consul_shape);
    BOOST_REQUIRE(!r.ok());
    return r.error().message;
}

// Consul's agent configuration reference, "Example Configuration File".
constexpr std::string_view reference_example = R"(datacenter = "east-aws"
data_dir = "/opt/consul"
log_level = "INFO"
node_name = "foobar"
server = true
watches = [
  {
    type = "checks"
    handler = "/usr/bin/health-check-handler.sh"
  }
]

telemetry {
  statsite_address = "127.0.0.1:2180"
}
)";

constexpr std::string_view reference_example_json = R"({
  "datacenter": "east-aws",
  "data_dir": "/opt/consul",
  "log_level": "INFO",
  "node_name": "foobar",
  "server": true,
  "watches": [
    {
      "type": "checks",
      "handler": "/usr/bin/health-check-handler.sh"
    }
  ],
  "telemetry": {
     "statsite_address": "127.0.0.1:2180"
  }
})";

// In the shape of the reference's "Server node with encryption enabled".
constexpr std::string_view server_example = R"(node_name = "consul-server"
server    = true
bootstrap = true
ui_config {
  enabled = true
}
datacenter = "dc1"
data_dir   = "consul/data"
log_level  = "INFO"
addresses {
  http = "0.0.0.0"
}
connect {
  enabled = true
}
verify_incoming        = true
verify_outgoing        = true
verify_server_hostname = true
ca_file                = "/consul/config/certs/consul-agent-ca.pem"
cert_file              = "/consul/config/certs/dc1-server-consul-0.pem"
key_file               = "/consul/config/certs/dc1-server-consul-0-key.pem"
encrypt                = "aPuGh+5UDskRAbkLaXRzFoSOcSM+5vAK+NEYOWHJH7w="
)";

constexpr std::string_view server_example_json = R"({
  "node_name": "consul-server",
  "server": true,
  "bootstrap": true,
  "ui_config": {
    "enabled": true
  },
  "datacenter": "dc1",
  "data_dir": "consul/data",
  "log_level": "INFO",
  "addresses": {
    "http": "0.0.0.0"
  },
  "connect": {
    "enabled": true
  },
  "verify_incoming": true,
  "verify_outgoing": true,
  "verify_server_hostname": true,
  "ca_file": "/consul/config/certs/consul-agent-ca.pem",
  "cert_file": "/consul/config/certs/dc1-server-consul-0.pem",
  "key_file": "/consul/config/certs/dc1-server-consul-0-key.pem",
  "encrypt": "aPuGh+5UDskRAbkLaXRzFoSOcSM+5vAK+NEYOWHJH7w="
})";

// The reference's "Client node with multiple interfaces or IP addresses" neighbour: a client
// registering a service with a check.
constexpr std::string_view client_example = R"(node_name = "consul-client"
server    = false
datacenter = "dc1"
data_dir   = "consul/data"
log_level  = "INFO"
retry_join = ["consul-server"]
service {
  id      = "dns"
  name    = "dns"
  tags    = ["primary"]
  address = "localhost"
  port    = 8600
  check {
    id       = "dns"
    name     = "Consul DNS TCP on port 8600"
    tcp      = "localhost:8600"
    interval = "10s"
    timeout  = "1s"
  }
}
)";

constexpr std::string_view client_example_json = R"({
  "node_name": "consul-client",
  "server": false,
  "datacenter": "dc1",
  "data_dir": "consul/data",
  "log_level": "INFO",
  "retry_join": ["consul-server"],
  "service": {
    "id": "dns",
    "name": "dns",
    "tags": ["primary"],
    "address": "localhost",
    "port": 8600,
    "check": {
      "id": "dns",
      "name": "Consul DNS TCP on port 8600",
      "tcp": "localhost:8600",
      "interval": "10s",
      "timeout": "1s"
    }
  }
})";

// In the shape of the deployment guide's consul.hcl, shared by servers and clients.
constexpr std::string_view deployment_example = R"(datacenter = "dc1"
data_dir = "/opt/consul"
encrypt = "qDOPBEr+/oUVeOFQOnVypxwDaHzLrD+lvjo5vCEBbZ0="
tls {
   defaults {
      ca_file = "/etc/consul.d/consul-agent-ca.pem"
      cert_file = "/etc/consul.d/dc1-server-consul-0.pem"
      key_file = "/etc/consul.d/dc1-server-consul-0-key.pem"

      verify_incoming = true
      verify_outgoing = true
   }
   internal_rpc {
      verify_server_hostname = true
   }
}
retry_join = ["172.16.0.11"]
acl {
  enabled = true
  default_policy = "allow"
  enable_token_persistence = true
}
performance {
  raft_multiplier = 1
}
)";

constexpr std::string_view deployment_example_json = R"({
  "datacenter": "dc1",
  "data_dir": "/opt/consul",
  "encrypt": "qDOPBEr+/oUVeOFQOnVypxwDaHzLrD+lvjo5vCEBbZ0=",
  "tls": {
    "defaults": {
      "ca_file": "/etc/consul.d/consul-agent-ca.pem",
      "cert_file": "/etc/consul.d/dc1-server-consul-0.pem",
      "key_file": "/etc/consul.d/dc1-server-consul-0-key.pem",
      "verify_incoming": true,
      "verify_outgoing": true
    },
    "internal_rpc": {
      "verify_server_hostname": true
    }
  },
  "retry_join": ["172.16.0.11"],
  "acl": {
    "enabled": true,
    "default_policy": "allow",
    "enable_token_persistence": true
  },
  "performance": {
    "raft_multiplier": 1
  }
})";

// In the shape of the services documentation's "multiple services": repeated `services` blocks.
constexpr std::string_view services_example = R"(services {
  id = "red0"
  name = "redis"
  tags = [
    "primary"
  ]
  address = ""
  port = 6000
  checks = [
    {
      args = ["/bin/check_redis", "-p", "6000"]
      interval = "5s"
      timeout = "20s"
    }
  ]
}
services {
  id = "red1"
  name = "redis"
  tags = [
    "delayed",
    "secondary"
  ]
  address = ""
  port = 7000
  checks = [
    {
      args = ["/bin/check_redis", "-p", "7000"]
      interval = "30s"
      timeout = "60s"
    }
  ]
}
)";

constexpr std::string_view services_example_json = R"({
  "services": [
    {
      "id": "red0",
      "name": "redis",
      "tags": ["primary"],
      "address": "",
      "port": 6000,
      "checks": [
        {
          "args": ["/bin/check_redis", "-p", "6000"],
          "interval": "5s",
          "timeout": "20s"
        }
      ]
    },
    {
      "id": "red1",
      "name": "redis",
      "tags": ["delayed", "secondary"],
      "address": "",
      "port": 7000,
      "checks": [
        {
          "args": ["/bin/check_redis", "-p", "7000"],
          "interval": "30s",
          "timeout": "60s"
        }
      ]
    }
  ]
})";

}  // namespace

BOOST_AUTO_TEST_SUITE(hcl)

BOOST_AUTO_TEST_CASE(consul_style_examples_give_their_json_twins) {
    const std::pair<std::string_view, std::string_view> twins[] = {
        {reference_example, reference_example_json}, {server_example, server_example_json},
        {client_example, client_example_json},       {deployment_example, deployment_example_json},
        {services_example, services_example_json},
    };
    for (const auto& [hcl, json] : twins) {
        BOOST_TEST_CONTEXT(hcl.substr(0, 40)) {
            const Json got = tree(hcl);
            const Json want = Json::parse(json);
            BOOST_TEST(got == want, got.dump() + "\n!=\n" + want.dump());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_block_given_once_is_an_object_and_repeated_is_a_list) {
    BOOST_TEST(tree("service { name = \"a\" }") == Json::parse(R"({"service": {"name": "a"}})"));
    BOOST_TEST(tree("service { name = \"a\" }\nservice { name = \"b\" }") ==
               Json::parse(R"({"service": [{"name": "a"}, {"name": "b"}]})"));
}

BOOST_AUTO_TEST_CASE(list_blocks_given_once_are_one_element_lists) {
    BOOST_TEST(tree("services { name = \"a\" }") ==
               Json::parse(R"({"services": [{"name": "a"}]})"));
    BOOST_TEST(tree("service {\n  name = \"a\"\n  checks { ttl = \"5s\" }\n}") ==
               Json::parse(R"({"service": {"name": "a", "checks": [{"ttl": "5s"}]}})"));
    BOOST_TEST(tree("services {\n  checks { ttl = \"5s\" }\n}\nservices { name = \"b\" }") ==
               Json::parse(R"({"services": [{"checks": [{"ttl": "5s"}]}, {"name": "b"}]})"));
}

BOOST_AUTO_TEST_CASE(labelled_blocks_nest_under_their_labels) {
    BOOST_TEST(tree(R"(zone "a" { x = 1 }
zone "b" { x = 2 }
outer "p" "q" { y = true })") == Json::parse(R"({"zone": {"a": {"x": 1}, "b": {"x": 2}},
                               "outer": {"p": {"q": {"y": true}}}})"));
}

BOOST_AUTO_TEST_CASE(object_literals_take_equals_colons_commas_and_quoted_keys) {
    BOOST_TEST(tree(R"(node_meta = { rack = "r1", "instance-type": "m5", "a.b" = "c" }
dns_config {
  service_ttl = {
    "*" = "5s"
    web = "30s"
  }
})") == Json::parse(R"({"node_meta": {"rack": "r1", "instance-type": "m5", "a.b": "c"},
                        "dns_config": {"service_ttl": {"*": "5s", "web": "30s"}}})"));
}

BOOST_AUTO_TEST_CASE(scalars_are_typed_as_the_json_parser_types_them) {
    const Json t = tree(R"(a = 8600
b = -1
c = 1.5
d = 2e3
e = true
f = false
g = []
h = [1, "two", [3], { four = 4 },]
)");
    BOOST_TEST(t == Json::parse(R"({"a": 8600, "b": -1, "c": 1.5, "d": 2e3, "e": true,
                                   "f": false, "g": [], "h": [1, "two", [3], {"four": 4}]})"));
    BOOST_TEST(t["a"].is_number_unsigned());
    BOOST_TEST(t["b"].is_number_integer());
    BOOST_TEST(t["c"].is_number_float());
}

BOOST_AUTO_TEST_CASE(strings_take_escapes) {
    const Json t = tree(R"(s = "tab\there \"q\" back\\slash\nnew \u00e9 \U0001F600 \/")");
    BOOST_TEST(t["s"].get<std::string>() ==
               "tab\there \"q\" back\\slash\nnew \xc3\xa9 \xf0\x9f\x98\x80 /");
}

BOOST_AUTO_TEST_CASE(heredocs_keep_lines_and_the_dash_form_strips_shared_indentation) {
    const Json t = tree(
        "a = <<EOF\n  one\n    two\nEOF\nb = <<-END\n    one\n      two\n    END\n"
        "c = 1\n");
    BOOST_TEST(t["a"].get<std::string>() == "  one\n    two\n");
    BOOST_TEST(t["b"].get<std::string>() == "one\n  two\n");
    BOOST_TEST(t["c"] == 1);
}

BOOST_AUTO_TEST_CASE(comments_of_three_kinds_are_skipped) {
    BOOST_TEST(tree(R"(# hash
// slashes
/* block
   over lines */ a = 1 # after
b = /* inside */ "x" // after
)") == Json::parse(R"({"a": 1, "b": "x"})"));
    BOOST_TEST(tree("").is_object());
    BOOST_TEST(tree("# only a comment\n").empty());
}

BOOST_AUTO_TEST_CASE(every_key_keeps_its_line) {
    const HclDocument doc = parse(R"(datacenter = "dc1"
dns_config {
  udp_answer_limit = 3
}
services {
  name = "a"
}
services {
  name = "b"
  checks = [
    {
      ttl = "5s"
    }
  ]
}
recursors = [
  "10.0.0.1",
  "10.0.0.2",
]
)");
    BOOST_TEST(hcl_line(doc.lines, "datacenter") == 1);
    BOOST_TEST(hcl_line(doc.lines, "dns_config") == 2);
    BOOST_TEST(hcl_line(doc.lines, "dns_config.udp_answer_limit") == 3);
    BOOST_TEST(hcl_line(doc.lines, "services[0]") == 5);
    BOOST_TEST(hcl_line(doc.lines, "services[0].name") == 6);
    BOOST_TEST(hcl_line(doc.lines, "services[1]") == 8);
    BOOST_TEST(hcl_line(doc.lines, "services[1].checks[0]") == 11);
    BOOST_TEST(hcl_line(doc.lines, "services[1].checks[0].ttl") == 12);
    BOOST_TEST(hcl_line(doc.lines, "recursors[1]") == 18);
    // A key the file did not write takes the line of its nearest written parent.
    BOOST_TEST(hcl_line(doc.lines, "services[1].checks[0].interval") == 11);
    BOOST_TEST(hcl_line(doc.lines, "nowhere") == 0);
}

BOOST_AUTO_TEST_CASE(syntax_errors_name_the_line) {
    BOOST_TEST(error_of("a = 1\n\nports 8600\n") ==
               "3: expected '=' or '{' after \"ports\", got '8'");
    BOOST_TEST(error_of("a = \"open\nb = 1\n") == "1: unterminated string");
    BOOST_TEST(error_of("a = 1\nb = \"${var.x}\"\n").starts_with("2: interpolation"));
    BOOST_TEST(error_of("a = <<EOF\n${x}\nEOF\n").starts_with("2: interpolation"));
    BOOST_TEST(error_of("a = 1\na = 2\n") == "2: duplicate key \"a\" (first given on line 1)");
    BOOST_TEST(error_of("ports {\n  dns = 1\n") == "2: expected '}' to close the '{' of line 1");
    BOOST_TEST(error_of("a = [1 2]") == "1: expected ',' or ']' in the list of line 1, got '2'");
    BOOST_TEST(error_of("\ninterval = 10s\n") ==
               "2: invalid number \"10s\" (durations and other text go in quotes)");
    BOOST_TEST(error_of("a = yes\n").starts_with("1: expected a value for \"a\""));
    BOOST_TEST(error_of("a = 1\n/* open\n") == "2: unterminated /* comment");
    BOOST_TEST(error_of("a = <<EOF\ntext\n") == "1: heredoc <<EOF has no closing EOF");
    BOOST_TEST(error_of("a = \"\\q\"").starts_with("1: invalid escape \"\\q\""));
    BOOST_TEST(error_of("a = \"\\ud800\"").starts_with("1: invalid escape"));
    BOOST_TEST(error_of("a = 99999999999999999999") ==
               "1: number out of range: 99999999999999999999");
    BOOST_TEST(error_of("a = 1\nb = \"\xff\"") == "2: invalid UTF-8");
    BOOST_TEST(error_of("= 1") == "1: expected a key (a name or a quoted string), got '='");
    BOOST_TEST(error_of("s \"x\" {}\ns {}\n") ==
               "2: block \"s\" is given both with and without labels (first on line 1)");
}

BOOST_AUTO_TEST_CASE(nesting_is_bounded) {
    std::string deep = "a = " + std::string(100000, '[');
    BOOST_TEST(error_of(deep) == "1: nesting deeper than 64 levels");
    std::string blocks;
    for (int i = 0; i < 100; ++i)
        blocks += "b {\n";
    BOOST_TEST(error_of(blocks).ends_with(": nesting deeper than 64 levels"));
    std::string ok = "a = " + std::string(60, '[') + std::string(60, ']');
    BOOST_TEST(parse(ok).tree["a"].is_array());
}

BOOST_AUTO_TEST_SUITE_END()
