// Tests for src/config/internal/loader.cc: parsing, walking the table, overrides and defaults.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/internal/loader.hh"
#include "support/temp_dir.hh"

using namespace muster;
using namespace muster::config;
using internal::Source;

namespace {

Result<Settings> load_texts(std::vector<Source> sources, LoadRequest req = {}) {
    return internal::load_sources(sources, req, {});
}

Result<Settings> load_text(const std::string& text) {
    return load_texts({{"a.json", text}});
}

std::string errors_of(const Result<Settings>& r) {
    BOOST_REQUIRE(!r.ok());
    return r.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(loader)

BOOST_AUTO_TEST_CASE(line_and_block_comments_are_allowed) {
    auto r = load_text(R"(// leading comment
        {
          /* block
             comment */
          "datacenter": "east", // trailing
          "ports": { "dns": 5353 /* inline */ }
        })");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->datacenter == "east");
    BOOST_TEST(r->dns_port == 5353);
}

BOOST_AUTO_TEST_CASE(syntax_error_gives_file_line_and_column) {
    std::string e = errors_of(load_text("{\n  \"datacenter\": \"dc1\",\n  oops\n}"));
    BOOST_TEST(e.starts_with("a.json: line 3, column 3: syntax error"), e);
    BOOST_TEST(e.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(top_level_must_be_an_object) {
    BOOST_TEST(errors_of(load_text("[1, 2]")) ==
               "a.json: expected a JSON object at the top level (got a list)");
}

BOOST_AUTO_TEST_CASE(empty_object_gives_every_default) {
    auto r = load_text("{}");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->datacenter == "dc1");
    BOOST_TEST(r->domain.to_text() == "internal.");
    BOOST_TEST(!r->node_name.empty());
    BOOST_TEST(r->node_name.find('.') == std::string::npos);
    BOOST_TEST((r->log_level == log::Level::info));
    BOOST_TEST(r->data_dir.empty());
    BOOST_TEST(r->dns_port == 8600);
    BOOST_TEST(r->http_port == 8500);
    BOOST_TEST(r->server_port == 8300);
    BOOST_REQUIRE(r->client_addr.size() == 1u);
    BOOST_TEST(r->client_addr[0].ip_string() == "127.0.0.1");
    BOOST_REQUIRE(r->bind_addr.size() == 1u);
    BOOST_TEST(r->bind_addr[0].ip_string() == "0.0.0.0");
    BOOST_REQUIRE(r->dns_addr.size() == 1u);
    BOOST_TEST(r->dns_addr[0].to_string() == "127.0.0.1:8600");
    BOOST_REQUIRE(r->http_addr.size() == 1u);
    BOOST_TEST(r->http_addr[0].to_string() == "127.0.0.1:8500");
    BOOST_REQUIRE(r->dns.allow_recursion.size() == 2u);
    BOOST_TEST(r->dns.allow_recursion[0].to_string() == "127.0.0.0/8");
    BOOST_TEST(r->dns.cache.size == 10000u);
    BOOST_TEST(r->dns.recursor_timeout.count() == 2000);
    BOOST_TEST(r->dns.edns_udp_size == 1232);
    BOOST_TEST(r->recursors.empty());
    BOOST_TEST(r->records.empty());
    BOOST_TEST(r->sources.size() == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_key_names_file_and_suggests) {
    std::string e = errors_of(load_text(R"({"dns_config": {"cahce": {}}})"));
    BOOST_TEST(e == R"(a.json: dns_config.cahce: unknown key (did you mean "cache"?))");
    e = errors_of(load_text(R"({"datacentre": "x"})"));
    BOOST_TEST(e == R"(a.json: datacentre: unknown key (did you mean "datacenter"?))");
}

BOOST_AUTO_TEST_CASE(unknown_key_far_from_any_gets_no_suggestion) {
    BOOST_TEST(errors_of(load_text(R"({"frobnicate": 1})")) == "a.json: frobnicate: unknown key");
    // A dotted key is not a path shortcut.
    BOOST_TEST(
        errors_of(load_text(R"({"ports.dns": 53})")).starts_with("a.json: ports.dns: unknown key"));
}

BOOST_AUTO_TEST_CASE(wrong_type_names_file_key_expectation_and_value) {
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"cache": {"size": "big"}}})")) ==
               R"(a.json: dns_config.cache.size: expected a positive integer (got "big"))");
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"cache": {"size": 0}}})")) ==
               "a.json: dns_config.cache.size: expected a positive integer (got 0)");
    BOOST_TEST(errors_of(load_text(R"({"ports": {"dns": 70000}})")) ==
               "a.json: ports.dns: expected a port number from 1 to 65535 (got 70000)");
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"edns_udp_size": 100}})")) ==
               "a.json: dns_config.edns_udp_size: expected an integer from 512 to 4096 (got 100)");
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"cache": {"prefetch": "yes"}}})")) ==
               R"(a.json: dns_config.cache.prefetch: expected true or false (got "yes"))");
    BOOST_TEST(
        errors_of(load_text(R"({"log_level": "loud"})")) ==
        R"(a.json: log_level: expected one of trace, debug, info, warn, error (got "loud"))");
    BOOST_TEST(errors_of(load_text(R"({"ports": 8600})")) ==
               "a.json: ports: expected an object (got 8600)");
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"workers": -1}})")) ==
               "a.json: dns_config.workers: expected an integer from 0 to 1024 (got -1)");
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"workers": 1.5}})")) ==
               "a.json: dns_config.workers: expected an integer from 0 to 1024 (got 1.5)");
}

BOOST_AUTO_TEST_CASE(every_error_of_a_load_is_reported_one_per_line) {
    std::string e = errors_of(load_texts({
        {"a.json", R"({"ports": {"dns": "x", "http": 0}, "bogus": 1})"},
        {"b.json", "{ nope"},
        {"c.json", R"({"recursors": ["tls://1.1.1.1"]})"},
    }));
    std::vector<std::string> lines;
    for (size_t start = 0; start <= e.size();) {
        size_t nl = e.find('\n', start);
        if (nl == std::string::npos)
            nl = e.size();
        lines.push_back(e.substr(start, nl - start));
        start = nl + 1;
    }
    BOOST_REQUIRE(lines.size() == 5u);
    BOOST_TEST(lines[0] == "a.json: bogus: unknown key");
    BOOST_TEST(lines[1] ==
               R"(a.json: ports.dns: expected a port number from 1 to 65535 (got "x"))");
    BOOST_TEST(lines[2] == "a.json: ports.http: expected a port number from 1 to 65535 (got 0)");
    BOOST_TEST(lines[3].starts_with("b.json: line 1, column 4: "), lines[3]);
    BOOST_TEST(lines[4].starts_with("c.json: recursors[0]: expected "), lines[4]);
}

BOOST_AUTO_TEST_CASE(later_scalars_override_and_lists_append) {
    auto r = load_texts({
        {"1.json", R"({"datacenter": "a", "recursors": ["10.0.0.1"],
                      "dns_config": {"cache": {"size": 5, "max_ttl": "1h"}}})"},
        {"2.json", R"({"datacenter": "b", "recursors": ["10.0.0.2"],
                      "dns_config": {"cache": {"size": 6}}})"},
    });
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->datacenter == "b");
    BOOST_REQUIRE(r->recursors.size() == 2u);
    BOOST_TEST(r->recursors[0].text == "10.0.0.1");
    BOOST_TEST(r->recursors[1].text == "10.0.0.2");
    BOOST_TEST(r->dns.cache.size == 6u);
    BOOST_TEST(r->dns.cache.max_ttl.count() == 3600);  // objects merge key by key
}

BOOST_AUTO_TEST_CASE(allow_recursion_is_replaced_not_appended) {
    auto r = load_texts({{"1.json", R"({"dns_config": {"allow_recursion": ["10.0.0.0/8"]}})"},
                         {"2.json", R"({"dns_config": {"allow_recursion": ["192.168.0.0/16"]}})"}});
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->dns.allow_recursion.size() == 1u);
    BOOST_TEST(r->dns.allow_recursion[0].to_string() == "192.168.0.0/16");
}

BOOST_AUTO_TEST_CASE(overrides_apply_last_and_errors_say_command_line) {
    LoadRequest req;
    req.overrides = {{"ports.dns", "5353"},
                     {"client_addr", "127.0.0.2"},
                     {"recursors", "tls://1.1.1.1#one.one.one.one"},
                     {"recursors", "10.0.0.9"},
                     {"log_level", "warn"},
                     {"data_dir", "/tmp/x"}};
    auto r = load_texts({{"a.json", R"({"ports": {"dns": 53}, "recursors": ["10.0.0.1"]})"}}, req);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->dns_port == 5353);
    BOOST_TEST(r->dns_addr[0].to_string() == "127.0.0.2:5353");
    BOOST_REQUIRE(r->recursors.size() == 3u);
    BOOST_TEST(r->recursors[1].tls_name == "one.one.one.one");
    BOOST_TEST(r->recursors[2].text == "10.0.0.9");
    BOOST_TEST((r->log_level == log::Level::warn));
    BOOST_TEST(r->data_dir == "/tmp/x");

    req.overrides = {{"ports.dns", "fifty"}, {"dns_config.cahce.size", "1"}};
    std::string e = errors_of(load_texts({}, req));
    BOOST_TEST(e ==
               "command line: ports.dns: expected a port number from 1 to 65535 (got \"fifty\")\n"
               "command line: dns_config.cahce.size: unknown key");
    req.overrides = {{"dns_config.cache.serve_stale", "false"},
                     {"dns_config.recursor_timeout", "3"}};
    r = load_texts({}, req);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(!r->dns.cache.serve_stale);
    BOOST_TEST(r->dns.recursor_timeout.count() == 3000);
}

BOOST_AUTO_TEST_CASE(dev_defaults_to_debug_and_a_fresh_temp_dir) {
    LoadRequest req;
    req.dev = true;
    auto r = load_texts({}, req);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->dev);
    BOOST_TEST((r->log_level == log::Level::debug));
    BOOST_TEST(r->data_dir.starts_with("/tmp/muster-dev-"));
    BOOST_TEST(::rmdir(r->data_dir.c_str()) == 0);  // it exists and is empty

    auto set = load_texts({{"a.json", R"({"log_level": "error", "data_dir": "/srv/m"})"}}, req);
    BOOST_REQUIRE(set.ok());
    BOOST_TEST((set->log_level == log::Level::error));
    BOOST_TEST(set->data_dir == "/srv/m");
}

// As Consul: the UI is on in dev mode and off otherwise unless ui_config.enabled (or the
// deprecated top-level ui) says so; an explicit false holds in dev mode too.
BOOST_AUTO_TEST_CASE(ui_is_on_with_dev_only_unless_configured) {
    BOOST_TEST(!load_text("{}")->ui_enabled);
    BOOST_TEST(load_text(R"({"ui_config": {"enabled": true}})")->ui_enabled);
    BOOST_TEST(load_text(R"({"ui": true})")->ui_enabled);
    LoadRequest dev;
    dev.dev = true;
    dev.overrides = {{"data_dir", "/srv/m"}};
    BOOST_TEST(load_texts({}, dev)->ui_enabled);
    BOOST_TEST(!load_texts({{"a.json", R"({"ui_config": {"enabled": false}})"}}, dev)->ui_enabled);
    BOOST_TEST(!load_texts({{"a.json", R"({"ui": false})"}}, dev)->ui_enabled);
    LoadRequest flag;
    flag.overrides = {{"ui_config.enabled", "true"}};
    BOOST_TEST(load_texts({}, flag)->ui_enabled);
}

BOOST_AUTO_TEST_CASE(addresses_default_to_client_addr_with_ports_applied) {
    auto r = load_text(R"({"client_addr": "127.0.0.1 ::1", "addresses": {"http": "0.0.0.0"},
                           "ports": {"dns": 53, "http": 8080}})");
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->dns_addr.size() == 2u);
    BOOST_TEST(r->dns_addr[0].to_string() == "127.0.0.1:53");
    BOOST_TEST(r->dns_addr[1].to_string() == "[::1]:53");
    BOOST_REQUIRE(r->http_addr.size() == 1u);
    BOOST_TEST(r->http_addr[0].to_string() == "0.0.0.0:8080");
    BOOST_TEST(r->client_addr[0].port() == 0);
}

BOOST_AUTO_TEST_CASE(dns_listeners_default_to_addresses_dns_with_recursion) {
    auto r = load_text(R"({"client_addr": "127.0.0.1 ::1", "ports": {"dns": 53}})");
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->dns.listeners.size() == 2u);
    BOOST_TEST(r->dns.listeners[0].addr.to_string() == "127.0.0.1:53");
    BOOST_TEST(r->dns.listeners[1].addr.to_string() == "[::1]:53");
    BOOST_TEST(r->dns.listeners[0].recursion);
    BOOST_TEST(r->dns.listeners[1].recursion);
}

BOOST_AUTO_TEST_CASE(dns_listeners_replace_addresses_dns_and_take_ports_dns_as_default) {
    // ports.dns given in a later source still is the default port of a listener without one.
    auto r =
        load_texts({{"a.json", R"({"addresses": {"dns": "127.0.0.9"}, "dns_config": {"listeners": [
            {"address": "127.0.0.1", "recursion": true},
            {"address": "127.0.0.2 127.0.0.3", "port": 5300, "recursion": false}]}})"},
                    {"b.hcl", "ports {\n  dns = 53\n}\n"}});
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    BOOST_REQUIRE(r->dns.listeners.size() == 3u);
    BOOST_TEST(r->dns.listeners[0].addr.to_string() == "127.0.0.1:53");
    BOOST_TEST(r->dns.listeners[0].recursion);
    BOOST_TEST(r->dns.listeners[1].addr.to_string() == "127.0.0.2:5300");
    BOOST_TEST(!r->dns.listeners[1].recursion);
    BOOST_TEST(r->dns.listeners[2].addr.to_string() == "127.0.0.3:5300");
    BOOST_TEST(!r->dns.listeners[2].recursion);
    // HCL: repeated blocks are the list's entries.
    auto h = load_texts({{"c.hcl",
                          "dns_config {\n  listeners {\n    address = \"127.0.0.1\"\n  }\n"
                          "  listeners {\n    address = \"127.0.0.1\"\n    port = 5301\n"
                          "    recursion = false\n  }\n}\n"}});
    BOOST_REQUIRE_MESSAGE(h.ok(), (h.ok() ? std::string() : h.error().message));
    BOOST_REQUIRE(h->dns.listeners.size() == 2u);
    BOOST_TEST(h->dns.listeners[1].addr.to_string() == "127.0.0.1:5301");
    BOOST_TEST(!h->dns.listeners[1].recursion);
}

BOOST_AUTO_TEST_CASE(bad_dns_listeners_name_the_element_and_field) {
    std::string e = errors_of(load_text(R"({"dns_config": {"listeners": [
        {"address": "127.0.0.1", "port": 0},
        {"port": 53},
        {"address": "127.0.0.1", "recursion": "no", "tls": true},
        "127.0.0.1"]}})"));
    BOOST_TEST(e.find("a.json: dns_config.listeners[0].port: expected a port number from 1 to "
                      "65535 (got 0)") != std::string::npos,
               e);
    BOOST_TEST(e.find("a.json: dns_config.listeners[1].address: expected an IP address or "
                      "template (got nothing: the key is required)") != std::string::npos,
               e);
    BOOST_TEST(e.find("a.json: dns_config.listeners[2].recursion: expected true or false "
                      "(got \"no\")") != std::string::npos,
               e);
    BOOST_TEST(e.find("a.json: dns_config.listeners[2].tls: unknown key") != std::string::npos, e);
    BOOST_TEST(e.find("a.json: dns_config.listeners[3]: expected a listener") != std::string::npos,
               e);
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"listeners": []}})"))
                   .find("dns_config.listeners: expected at least one listener") !=
               std::string::npos);
    std::string twice = errors_of(load_text(R"({"dns_config": {"listeners": [
        {"address": "127.0.0.1", "port": 53}, {"address": "127.0.0.1", "port": 53,
         "recursion": false}]}})"));
    BOOST_TEST(twice ==
                   "a.json: dns_config.listeners: expected each address and port once (got "
                   "127.0.0.1:53 twice)",
               twice);
}

BOOST_AUTO_TEST_CASE(address_templates_resolve_and_missing_interface_is_an_error) {
    auto r = load_text(R"({"addresses": {"dns": "{{ GetInterfaceIP \"lo\" }}"}})");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->dns_addr[0].to_string() == "127.0.0.1:8600");
    std::string e = errors_of(load_text(R"({"bind_addr": "{{ GetInterfaceIP \"nosuch0\" }}"})"));
    BOOST_TEST(e.starts_with("a.json: bind_addr: expected an interface with an IPv4 address"), e);
    BOOST_TEST(e.find("\"nosuch0\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(advertise_addr_is_one_specific_address_and_empty_means_unset) {
    auto unset = load_text("{}");
    BOOST_REQUIRE(unset.ok());
    BOOST_TEST(!unset->advertise_addr.has_value());
    auto empty = load_text(R"({"advertise_addr": ""})");
    BOOST_REQUIRE(empty.ok());
    BOOST_TEST(!empty->advertise_addr.has_value());
    auto set = load_text(R"({"advertise_addr": "203.0.113.7"})");
    BOOST_REQUIRE(set.ok());
    BOOST_REQUIRE(set->advertise_addr.has_value());
    BOOST_TEST(set->advertise_addr->ip_string() == "203.0.113.7");
    auto tmpl = load_text(R"({"advertise_addr": "{{ GetInterfaceIP \"lo\" }}"})");
    BOOST_REQUIRE(tmpl.ok());
    BOOST_TEST(tmpl->advertise_addr->ip_string() == "127.0.0.1");
    std::string e = errors_of(load_text(R"({"advertise_addr": "0.0.0.0"})"));
    BOOST_TEST(e.starts_with("a.json: advertise_addr: expected a specific IP address"), e);
    e = errors_of(load_text(R"({"advertise_addr": "10.0.0.1 10.0.0.2"})"));
    BOOST_TEST(e.starts_with("a.json: advertise_addr: expected exactly one IP address"), e);
    e = errors_of(load_text(R"({"advertise_addr": 7})"));
    BOOST_TEST(e.starts_with("a.json: advertise_addr: expected an IP address or template"), e);
}

BOOST_AUTO_TEST_CASE(start_join_is_appended_to_retry_join) {
    auto r = load_texts({{"a.json", R"({"retry_join": ["10.0.0.11"]})"},
                         {"b.json", R"({"start_join": ["10.0.0.12:8301"]})"}});
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->retry_join.size() == 2u);
    BOOST_TEST(r->retry_join[1] == "10.0.0.12:8301");
    std::string e = errors_of(load_text(R"({"start_join": "10.0.0.12"})"));
    BOOST_TEST(e.starts_with("a.json: start_join: expected"), e);
}

BOOST_AUTO_TEST_CASE(only_servers_may_bootstrap_or_expect_servers) {
    std::string e = errors_of(load_text(R"({"bootstrap_expect": 3, "retry_join": ["10.0.0.1"]})"));
    BOOST_TEST(e.starts_with("a.json: bootstrap_expect: expected server to be true"), e);
    e = errors_of(load_texts(
        {{"server.json", R"({"server": false})"}, {"boot.json", R"({"bootstrap": true})"}}));
    BOOST_TEST(e.starts_with("boot.json: bootstrap: expected server to be true"), e);
    BOOST_TEST(load_text(R"({"server": true, "bootstrap": true})").ok());
    // --dev makes a server that bootstraps: no error
    BOOST_TEST(load_texts({{"a.json", "{}"}},
                          LoadRequest{.files = {}, .dirs = {}, .overrides = {}, .dev = true})
                   .ok());
}

BOOST_AUTO_TEST_CASE(client_agent_keys_take_their_values_and_defaults) {
    auto r = load_text(R"({"retry_max": 5, "reconnect_timeout": "24h",
                           "dns_config": {"max_stale": "10s"}})");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->retry_max == 5u);
    BOOST_TEST(r->reconnect_timeout.count() == 24 * 3600 * 1000);
    BOOST_TEST(r->dns.max_stale.count() == 10000);
    BOOST_TEST(!r->leave_on_terminate.has_value(), "by role unless set");
    BOOST_TEST((load_text(R"({"leave_on_terminate": false})")->leave_on_terminate == false));
    std::string e = errors_of(load_text(R"({"reconnect_timeout": "1h"})"));
    BOOST_TEST(e.starts_with("a.json: reconnect_timeout: expected at least 8h"), e);
    BOOST_TEST(load_texts({{"a.json", R"({"reconnect_timeout": "30s"})"}},
                          LoadRequest{.files = {}, .dirs = {}, .overrides = {}, .dev = true})
                   .ok(),
               "smaller values with --dev");
    e = errors_of(load_text(R"({"retry_max": -1})"));
    BOOST_TEST(e.starts_with("a.json: retry_max: expected"), e);
}

BOOST_AUTO_TEST_CASE(records_are_parsed_via_rdata_and_get_local_ttl_by_default) {
    auto r = load_texts({
        {"1.json", R"({"records": [
            {"name": "db.example", "type": "A", "value": "192.0.2.10", "ttl": 300},
            {"name": "db.example.", "type": "aaaa", "value": "2001:db8::10"},
            {"name": "_x._tcp.example.", "type": "SRV", "value": "10 5 8080 db.example."},
            {"name": "example.", "type": "MX", "value": "10 mail.example."},
            {"name": "example.", "type": "TXT", "value": "\"hello world\""},
            {"name": "www.example.", "type": "CNAME", "value": "db.example."},
            {"name": "10.2.0.192.in-addr.arpa.", "type": "PTR", "value": "db.example."}]})"},
        {"2.json", R"({"dns_config": {"local_ttl": "1m"}})"},
    });
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->records.size() == 7u);
    const auto& a = r->records[0];
    BOOST_TEST(a.name.to_text() == "db.example.");
    BOOST_TEST(a.type == 1);
    std::vector<uint8_t> want = {192, 0, 2, 10};
    BOOST_TEST(a.rdata == want, boost::test_tools::per_element());
    BOOST_TEST(a.ttl == 300u);
    BOOST_TEST(a.text == "db.example. A 192.0.2.10");
    BOOST_TEST(r->records[1].type == 28);
    BOOST_TEST(r->records[1].rdata.size() == 16u);
    BOOST_TEST(r->records[1].ttl == 60u);  // local_ttl from a later file
    BOOST_TEST(r->records[2].type == 33);
    BOOST_TEST(r->records[4].type == 16);
}

BOOST_AUTO_TEST_CASE(bad_records_name_the_element_and_field) {
    std::string e = errors_of(load_text(R"({"records": [
        {"name": "ok.example.", "type": "A", "value": "192.0.2.1"},
        {"name": "x.example.", "type": "A", "value": "not-an-ip"},
        {"name": "y.example.", "type": "NAPTR", "value": "x"},
        {"type": "A", "value": "192.0.2.1", "color": "red"},
        "text"]})"));
    BOOST_TEST(
        e.find("a.json: records[1].value: expected A data (got \"not-an-ip\"") != std::string::npos,
        e);
    BOOST_TEST(
        e.find(
            R"(a.json: records[2].type: expected one of A, AAAA, CNAME, PTR, SRV, TXT, MX (got "NAPTR"))") !=
            std::string::npos,
        e);
    BOOST_TEST(e.find("a.json: records[3].color: unknown key") != std::string::npos, e);
    BOOST_TEST(
        e.find("a.json: records[3].name: expected a string (got nothing") != std::string::npos, e);
    BOOST_TEST(
        e.find(
            R"(a.json: records[4]: expected a record {"name", "type", "value", "ttl"} (got "text"))") !=
            std::string::npos,
        e);
}

BOOST_AUTO_TEST_CASE(forward_zones_map_zone_names_to_recursors) {
    auto r = load_texts({
        {"1.json", R"({"dns_config": {"forward_zones": {
            "corp.example.": ["10.0.0.53", "tls://10.0.0.54#ns.corp.example"],
            "lab.example": ["10.9.0.1"]}}})"},
        {"2.json", R"({"dns_config": {"forward_zones": {"lab.example.": ["10.9.0.2"]}}})"},
    });
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->dns.forward_zones.size() == 2u);
    BOOST_TEST(r->dns.forward_zones[0].zone.to_text() == "corp.example.");
    BOOST_TEST(r->dns.forward_zones[0].recursors.size() == 2u);
    BOOST_TEST(r->dns.forward_zones[1].zone.to_text() == "lab.example.");
    BOOST_TEST(r->dns.forward_zones[1].recursors[0].text == "10.9.0.2");

    std::string e = errors_of(load_text(
        R"({"dns_config": {"forward_zones": {"a..b": ["10.0.0.1"], "c.": [], "d.": ["x"]}}})"));
    BOOST_TEST(
        e.find(
            R"(a.json: dns_config.forward_zones.a..b: expected a zone name as key (got "a..b"))") !=
            std::string::npos,
        e);
    BOOST_TEST(
        e.find(
            "a.json: dns_config.forward_zones.c.: expected at least one recursor URI (got [])") !=
            std::string::npos,
        e);
    BOOST_TEST(e.find("a.json: dns_config.forward_zones.d.[0]: expected a recursor URI") !=
                   std::string::npos,
               e);
}

BOOST_AUTO_TEST_CASE(cache_min_ttl_above_max_ttl_is_an_error) {
    BOOST_TEST(
        errors_of(load_text(R"({"dns_config": {"cache": {"min_ttl": "2h", "max_ttl": "1h"}}})")) ==
        "a.json: dns_config.cache.min_ttl: expected at most dns_config.cache.max_ttl (got 7200s > "
        "3600s)");
}

BOOST_AUTO_TEST_CASE(durations_accept_strings_and_integer_seconds) {
    auto r = load_text(R"({"dns_config": {"recursor_timeout": "1m30s", "tcp_idle_timeout": 5,
                          "cache": {"min_ttl": "0s", "negative_max_ttl": "5m"}, "local_ttl": 30}})");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->dns.recursor_timeout.count() == 90000);
    BOOST_TEST(r->dns.tcp_idle_timeout.count() == 5000);
    BOOST_TEST(r->dns.cache.negative_max_ttl.count() == 300);
    BOOST_TEST(r->dns.local_ttl == 30u);
    std::string e =
        errors_of(load_text(R"({"dns_config": {"recursor_timeout": -1, "tcp_idle_timeout": "soon",
                                            "cache": {"max_ttl": "1500ms"}}})"));
    BOOST_TEST(
        e.find("dns_config.cache.max_ttl: expected a duration in whole seconds (got \"1500ms\")") !=
            std::string::npos,
        e);
    BOOST_TEST(e.find("dns_config.recursor_timeout: expected a duration like \"10s\", \"1m30s\" or "
                      "\"500ms\" (got -1)") != std::string::npos,
               e);
    BOOST_TEST(e.find("dns_config.tcp_idle_timeout: expected a duration like \"10s\", \"1m30s\" or "
                      "\"500ms\" (got \"soon\")") != std::string::npos,
               e);
}

BOOST_AUTO_TEST_CASE(deep_nesting_and_huge_numbers_are_errors_not_crashes) {
    std::string deep(100000, '[');
    BOOST_TEST(!load_text("{\"node_name\": " + deep).ok());
    BOOST_TEST(!load_text("{\"node_name\": " + deep + std::string(100000, ']') + "}").ok());
    BOOST_TEST(!load_text(R"({"dns_config": {"cache": {"size": 1e400}}})").ok());
    BOOST_TEST(!load_text(R"({"dns_config": {"cache": {"size": 184467440737095516150}}})").ok());
    BOOST_TEST(!load_text("{\"node_name\": \"\xff\xfe\"}").ok());
}

BOOST_AUTO_TEST_CASE(alt_domain_is_unset_by_default_and_a_name_when_given) {
    auto none = load_text("{}");
    BOOST_REQUIRE(none.ok());
    BOOST_TEST(!none->alt_domain.has_value());
    auto set = load_text(R"({"alt_domain": "consul"})");
    BOOST_REQUIRE(set.ok());
    BOOST_REQUIRE(set->alt_domain.has_value());
    BOOST_TEST(set->alt_domain->to_text() == "consul.");
    BOOST_TEST(errors_of(load_text(R"({"alt_domain": 5})")) ==
               "a.json: alt_domain: expected a domain name (got 5)");
}

BOOST_AUTO_TEST_CASE(consul_pascal_case_service_file_loads_unchanged) {
    // As written for a Consul agent's -config-dir.
    auto r = load_texts({{"/etc/muster.d/web.json", R"({
      "service": {
        "ID": "web-1", "Name": "web", "Tags": ["rails"], "Address": "10.0.1.7", "Port": 80,
        "Meta": {"team": "shop"}, "EnableTagOverride": false, "TaggedAddresses": {},
        "Checks": [
          {"Name": "HTTP on 80", "HTTP": "http://localhost/health", "Interval": "10s",
           "Timeout": "1s"},
          {"CheckID": "web-ttl", "TTL": "30s", "Status": "passing"}
        ]
      }
    })"}});
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    BOOST_REQUIRE(r->services.size() == 1u);
    const auto& def = r->services[0];
    BOOST_TEST(def.service.id == "web-1");
    BOOST_TEST(def.service.name == "web");
    BOOST_TEST(def.service.port == 80);
    BOOST_TEST(def.service.meta.at("team") == "shop");
    BOOST_REQUIRE(def.checks.size() == 2u);
    BOOST_TEST(def.checks[0].id == "service:web-1:1");
    BOOST_TEST(def.checks[0].interval.count() == 10000);
    BOOST_TEST(def.checks[1].id == "web-ttl");
    BOOST_TEST(def.checks[1].service_id == "web-1");
}

BOOST_AUTO_TEST_CASE(services_and_checks_append_across_sources) {
    auto r = load_texts({{"a.json", R"({"services": [{"name": "db"}], "check": {"name": "disk"}})"},
                         {"b.json", R"({"services": [{"name": "web"}, {"name": "api"}],
                                       "service": {"name": "cache"},
                                       "checks": [{"name": "load", "ttl": "1m"}]})"}});
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    std::vector<std::string> names;
    for (const auto& def : r->services)
        names.push_back(def.service.name);
    // "service" and "services" of one file are applied in key order: service, then services.
    BOOST_TEST(names == (std::vector<std::string>{"db", "cache", "web", "api"}),
               boost::test_tools::per_element());
    BOOST_REQUIRE(r->checks.size() == 2u);
    BOOST_TEST(r->checks[0].id == "disk");
    BOOST_TEST(r->checks[1].id == "load");
    BOOST_TEST(load_text("{}")->services.empty());
}

BOOST_AUTO_TEST_CASE(script_checks_in_config_need_enable_local_script_checks) {
    const std::string def =
        R"("services": [{"name": "db", "check": {"args": ["/bin/true"], "interval": "10s"}}])";
    BOOST_TEST(errors_of(load_text("{" + def + "}")) ==
               "a.json: services[0]: check \"service:db\" is a script check: expected "
               "enable_local_script_checks (or enable_script_checks) set to true to run it");
    BOOST_TEST(load_text("{" + def + R"(, "enable_local_script_checks": true})").ok());
    auto both = load_text("{" + def + R"(, "enable_script_checks": true})");
    BOOST_REQUIRE(both.ok());
    BOOST_TEST(both->enable_script_checks);
    BOOST_TEST(!both->enable_local_script_checks);
}

BOOST_AUTO_TEST_CASE(unrunnable_check_targets_are_config_errors) {
    auto r = load_text(R"({"check": {"name": "web", "http": "ftp://x/", "interval": "1s"}})");
    BOOST_TEST(errors_of(r) ==
               "a.json: check.http: expected an http:// or https:// URL (got \"ftp://x/\")");
    auto tcp = load_text(R"({"check": {"name": "db", "tcp": "127.0.0.1", "interval": "1s"}})");
    BOOST_TEST(errors_of(tcp).starts_with("a.json: check"), errors_of(tcp));
    BOOST_TEST(errors_of(tcp).find("port") != std::string::npos, errors_of(tcp));
    BOOST_TEST(load_text(R"({"check_update_interval": "30s"})")->check_update_interval.count() ==
               30000);
}

BOOST_AUTO_TEST_CASE(definition_errors_name_file_element_and_field) {
    auto r = load_texts({{"a.json", R"({"services": [{"name": "db"}]})"},
                         {"b.json", R"({"services": [{"name": "web"}, {"name": "api",
                                        "port": "http", "checks": [{"tcp": "x:1"}]}]})"}});
    BOOST_TEST(errors_of(r) ==
               "b.json: services[1].port: expected an integer 0..65535 (got \"http\")\n"
               "b.json: services[1].checks[0].interval: expected a positive duration for a "
               "script, http or tcp check (got nothing: the key is required)");
    BOOST_TEST(errors_of(load_text(R"({"services": {"name": "web"}})")) ==
               "a.json: services: expected a list of service definitions (got an object)");
    BOOST_TEST(errors_of(load_text(R"({"check": {"ttl": "5s"}})")) ==
               "a.json: check.name: expected a non-empty string (got nothing: the key is "
               "required)");
    BOOST_TEST(errors_of(load_text(R"({"checks": [{"name": "x", "bogus": 1}]})")) ==
               "a.json: checks[0].bogus: unknown key");
}

BOOST_AUTO_TEST_CASE(duplicate_ids_and_checks_for_unknown_services_are_errors) {
    auto r = load_texts({{"a.json", R"({"service": {"name": "web"}})"},
                         {"b.json", R"({"services": [{"name": "web", "port": 81}],
                                       "checks": [{"name": "mem", "service_id": "nope"},
                                                  {"name": "service:web", "ttl": "5s"}]})"}});
    BOOST_TEST(errors_of(r) ==
               "b.json: services[0].id: expected an ID no other service has (got \"web\", also "
               "the ID of a.json: service)\n"
               "b.json: checks[0].service_id: expected the ID of a service defined in the "
               "configuration (got \"nope\")");
    auto checks = load_text(R"({"service": {"name": "web", "check": {"ttl": "5s"}},
                                "check": {"name": "service:web", "ttl": "5s"}})");
    BOOST_TEST(errors_of(checks) ==
               "a.json: check.id: expected an ID no other check has (got \"service:web\", also a "
               "check of a.json: service)");
}

BOOST_AUTO_TEST_CASE(catalog_dns_options_default_and_load) {
    auto d = load_text("{}");
    BOOST_REQUIRE(d.ok());
    BOOST_TEST(d->dns.node_ttl.count() == 0);
    BOOST_TEST(d->dns.service_ttl.empty());
    BOOST_TEST(!d->dns.only_passing);
    BOOST_TEST(d->dns.a_record_limit == 0u);
    BOOST_TEST(d->dns.forward_unknown_in_domain);
    auto r = load_text(R"({"dns_config": {"node_ttl": "1m", "only_passing": true,
        "a_record_limit": 3, "forward_unknown_in_domain": false,
        "service_ttl": {"*": "5s", "web": 30, "db-*": "0s"}}})");
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    BOOST_TEST(r->dns.node_ttl.count() == 60);
    BOOST_TEST(r->dns.only_passing);
    BOOST_TEST(r->dns.a_record_limit == 3u);
    BOOST_TEST(!r->dns.forward_unknown_in_domain);
    BOOST_REQUIRE(r->dns.service_ttl.size() == 3u);
    // nlohmann keeps object keys sorted.
    BOOST_TEST(r->dns.service_ttl[0].pattern == "*");
    BOOST_TEST(r->dns.service_ttl[0].ttl.count() == 5);
    BOOST_TEST(r->dns.service_ttl[1].pattern == "db-*");
    BOOST_TEST(r->dns.service_ttl[2].pattern == "web");
    BOOST_TEST(r->dns.service_ttl[2].ttl.count() == 30);
}

BOOST_AUTO_TEST_CASE(service_ttl_merges_by_pattern_across_sources) {
    auto r =
        load_texts({{"a.json", R"({"dns_config": {"service_ttl": {"*": "5s", "web": "30s"}}})"},
                    {"b.json", R"({"dns_config": {"service_ttl": {"web": "1m", "db": "2s"}}})"}});
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->dns.service_ttl.size() == 3u);
    BOOST_TEST(r->dns.service_ttl[0].pattern == "*");
    BOOST_TEST(r->dns.service_ttl[0].ttl.count() == 5);
    BOOST_TEST(r->dns.service_ttl[1].pattern == "web");
    BOOST_TEST(r->dns.service_ttl[1].ttl.count() == 60);
    BOOST_TEST(r->dns.service_ttl[2].pattern == "db");
}

BOOST_AUTO_TEST_CASE(catalog_dns_option_errors) {
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"service_ttl": {"a*b": "5s"}}})")) ==
               "a.json: dns_config.service_ttl.a*b: expected a service name, \"prefix*\" or "
               "\"*\" as key (got \"a*b\")");
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"service_ttl": {"web": "soon"}}})"))
                   .starts_with("a.json: dns_config.service_ttl.web: expected"));
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"service_ttl": ["5s"]}})")) ==
               "a.json: dns_config.service_ttl: expected an object mapping service names, "
               "\"prefix*\" or \"*\" to durations (got a list)");
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"a_record_limit": -1}})")) ==
               "a.json: dns_config.a_record_limit: expected an integer from 0 to 65535 (got -1)");
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"only_passing": "yes"}})")) ==
               "a.json: dns_config.only_passing: expected true or false (got \"yes\")");
}

BOOST_AUTO_TEST_CASE(edit_distance_counts_single_character_edits) {
    BOOST_TEST(internal::edit_distance("cache", "cahce") == 2u);
    BOOST_TEST(internal::edit_distance("", "abc") == 3u);
    BOOST_TEST(internal::edit_distance("size", "size") == 0u);
    BOOST_TEST(internal::edit_distance("ports", "port") == 1u);
}

BOOST_AUTO_TEST_CASE(the_cluster_key_comes_from_encrypt_a_file_or_a_credential_and_never_shows) {
    const std::string key = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=";
    auto r = load_text(R"({"encrypt": ")" + key + R"("})");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->encrypt_key.size() == 32u);
    BOOST_TEST(r->encrypt_verify_incoming);
    BOOST_TEST(r->encrypt_verify_outgoing);
    BOOST_TEST(load_text(R"({"encrypt": ""})")->encrypt_key.empty(), "\"\" is no key");

    // A bad key: the file and key are named, the value is not.
    std::string e = errors_of(load_text(R"({"encrypt": "pUqJrVyVRj5jsiYEkM/tFQYfWyJ"})"));
    BOOST_TEST(e.find("a.json: encrypt: expected the base64 of 32 random bytes") == 0u, e);
    BOOST_TEST(e.find("pUqJ") == std::string::npos, e);
    e = errors_of(load_text(R"({"encrypt": 42})"));
    BOOST_TEST(e.find("a.json: encrypt: expected a string") == 0u, e);

    muster::test::TempDir dir;
    const std::string file = (dir.path() / "encrypt.key").string();
    { std::ofstream(file) << "  " << key << "\n"; }
    ::chmod(file.c_str(), 0644);
    r = load_text(R"({"encrypt_file": ")" + file + R"("})");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->encrypt_key.size() == 32u);
    BOOST_REQUIRE(r->warnings.size() == 1u);
    BOOST_TEST(r->warnings[0].find("other users may read it") != std::string::npos);
    ::chmod(file.c_str(), 0600);
    BOOST_TEST(load_text(R"({"encrypt_file": ")" + file + R"("})")->warnings.empty());
    e = errors_of(load_texts({{"a.json", R"({"encrypt": ")" + key + R"("})"},
                              {"b.json", R"({"encrypt_file": ")" + file + R"("})"}}));
    BOOST_TEST(e.find("b.json: encrypt_file: expected one of encrypt and encrypt_file") == 0u, e);
    e = errors_of(load_text(R"({"encrypt_file": "/nonexistent/k"})"));
    BOOST_TEST(e.find("a.json: encrypt_file: cannot read \"/nonexistent/k\"") == 0u, e);

    // The systemd credential "encrypt", when the config sets no key; empty means none.
    const std::string creds = (dir.path() / "creds").string();
    std::filesystem::create_directory(creds);
    { std::ofstream(creds + "/encrypt") << key; }
    ::chmod((creds + "/encrypt").c_str(), 0600);
    ::setenv("CREDENTIALS_DIRECTORY", creds.c_str(), 1);
    BOOST_TEST(load_text("{}")->encrypt_key.size() == 32u);
    BOOST_TEST(load_text(R"({"encrypt": ""})")->encrypt_key.empty(), "the config said: no key");
    { std::ofstream(creds + "/encrypt", std::ios::trunc); }
    BOOST_TEST(load_text("{}")->encrypt_key.empty());
    ::unsetenv("CREDENTIALS_DIRECTORY");
}

// Consul's documented server example, restricted to the keys muster knows, and its JSON twin.
constexpr const char* server_hcl = R"(node_name = "consul-server"
server    = true
bootstrap = true
datacenter = "dc1"
log_level  = "INFO"
addresses {
  http = "127.0.0.1"
}
encrypt = "aPuGh+5UDskRAbkLaXRzFoSOcSM+5vAK+NEYOWHJH7w="
dns_config {
  service_ttl = { "*" = "5s" }
  cache { max_ttl = "1h" }
}
recursors = ["tls://1.1.1.1:853#cloudflare-dns.com", "10.0.0.3"]
records {
  name = "gw.internal."
  type = "A"
  value = "10.0.0.1"
}
records { name = "txt.internal.", type = "TXT", value = "\"hello\"", ttl = 60 }
)";
constexpr const char* server_json = R"({"node_name": "consul-server", "server": true,
  "bootstrap": true, "datacenter": "dc1", "log_level": "INFO",
  "addresses": {"http": "127.0.0.1"},
  "encrypt": "aPuGh+5UDskRAbkLaXRzFoSOcSM+5vAK+NEYOWHJH7w=",
  "dns_config": {"service_ttl": {"*": "5s"}, "cache": {"max_ttl": "1h"}},
  "recursors": ["tls://1.1.1.1:853#cloudflare-dns.com", "10.0.0.3"],
  "records": [{"name": "gw.internal.", "type": "A", "value": "10.0.0.1"},
              {"name": "txt.internal.", "type": "TXT", "value": "\"hello\"", "ttl": 60}]})";

// Consul's documented client example (a service with a TCP check) and its JSON twin.
constexpr const char* client_hcl = R"(node_name = "consul-client"
server    = false
datacenter = "dc1"
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
services {
  name = "web"
  port = 80
  checks { ttl = "30s" }
}
)";
constexpr const char* client_json = R"({"node_name": "consul-client", "server": false,
  "datacenter": "dc1", "log_level": "INFO", "retry_join": ["consul-server"],
  "service": {"id": "dns", "name": "dns", "tags": ["primary"], "address": "localhost",
              "port": 8600, "check": {"id": "dns", "name": "Consul DNS TCP on port 8600",
              "tcp": "localhost:8600", "interval": "10s", "timeout": "1s"}},
  "services": [{"name": "web", "port": 80, "checks": [{"ttl": "30s"}]}]})";

BOOST_AUTO_TEST_CASE(hcl_and_json_twins_load_the_same_settings) {
    for (auto [hcl, json] : {std::pair{server_hcl, server_json}, {client_hcl, client_json}}) {
        auto from_hcl = load_texts({{"a.hcl", hcl}});
        auto from_json = load_texts({{"a.json", json}});
        BOOST_REQUIRE_MESSAGE(from_hcl.ok(), (from_hcl.ok() ? "" : from_hcl.error().message));
        BOOST_REQUIRE_MESSAGE(from_json.ok(), (from_json.ok() ? "" : from_json.error().message));
        from_hcl->sources = from_json->sources;
        BOOST_TEST((*from_hcl == *from_json));
        BOOST_TEST(from_hcl->node_name.starts_with("consul-"));
    }
    auto client = load_texts({{"a.hcl", client_hcl}});
    BOOST_REQUIRE(client.ok());
    BOOST_TEST(client->services.size() == 2u);
    BOOST_TEST(load_texts({{"a.hcl", server_hcl}})->records.size() == 2u);
}

BOOST_AUTO_TEST_CASE(repeated_hcl_service_blocks_each_register) {
    auto r = load_texts({{"a.hcl",
                          "service {\n name = \"a\"\n}\nservice {\n name = \"b\"\n}\n"
                          "check {\n name = \"c\"\n ttl = \"5s\"\n}\n"
                          "check {\n name = \"d\"\n ttl = \"5s\"\n}\n"}});
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    BOOST_TEST(r->services.size() == 2u);
    BOOST_TEST(r->checks.size() == 2u);
}

BOOST_AUTO_TEST_CASE(hcl_errors_name_file_line_and_key) {
    BOOST_TEST(errors_of(load_texts({{"x.hcl", "datacenter = \"dc1\"\n\nports 8600\n"}})) ==
               "x.hcl:3: expected '=' or '{' after \"ports\", got '8'");
    BOOST_TEST(errors_of(load_texts({{"x.hcl", "# c\nportz {\n  dns = 53\n}\n"}})) ==
               "x.hcl:2: portz: unknown key (did you mean \"ports\"?)");
    BOOST_TEST(errors_of(load_texts({{"x.hcl", "ports {\n\n  dns = \"fifty\"\n}\n"}})) ==
               "x.hcl:3: ports.dns: expected a port number from 1 to 65535 (got \"fifty\")");
    auto nested = load_texts({{"a.json", "{}"},
                              {"x.hcl",
                               "services {\n  name = \"db\"\n}\nservices {\n"
                               "  name = \"api\"\n  port = \"http\"\n  checks {\n"
                               "    tcp = \"x:1\"\n  }\n}\n"}});
    BOOST_TEST(errors_of(nested) ==
               "x.hcl:6: services[1].port: expected an integer 0..65535 (got \"http\")\n"
               "x.hcl:7: services[1].checks[0].interval: expected a positive duration for a "
               "script, http or tcp check (got nothing: the key is required)");
    // Checks after every source name the line the key was set on.
    auto late = load_texts({{"x.hcl", "\nbootstrap_expect = 3\n"}});
    BOOST_TEST(errors_of(late).starts_with("x.hcl:2: bootstrap_expect: expected server"),
               errors_of(late));
    // JSON errors stay as they were.
    BOOST_TEST(errors_of(load_texts({{"x.json", R"({"portz": {}})"}})) ==
               "x.json: portz: unknown key (did you mean \"ports\"?)");
}

BOOST_AUTO_TEST_CASE(consul_keys_without_a_meaning_here_warn_once_each_and_typos_stay_errors) {
    auto r = load_texts({{"c.json", R"({
        "connect": {"enabled": true, "ca_provider": "consul"},
        "ui_config": {"enabled": true, "dir": "/opt/consul-ui"},
        "disable_update_check": true,
        "ports": {"grpc": 8502, "serf_lan": 8301},
        "telemetry": {"prometheus_retention_time": "24h"},
        "acl": {"enabled": false, "default_policy": "allow"}
    })"}});
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    const std::vector<std::string> want = {
        "c.json: connect: recognized Consul key, not used by muster (muster has no service mesh "
        "(Connect) and no gRPC/xDS)",
        "c.json: ui_config.dir: recognized Consul key, not used by muster (muster's web UI is "
        "built into the binary: ui_config.enabled turns it on)",
        "c.json: disable_update_check: recognized Consul key, not used by muster (muster never "
        "calls home)",
        "c.json: ports.grpc: recognized Consul key, not used by muster (muster has no service "
        "mesh (Connect) and no gRPC/xDS)",
        "c.json: ports.serf_lan: recognized Consul key, not used by muster (muster has no Serf "
        "gossip: members are tracked over the server port)",
        "c.json: telemetry: recognized Consul key, not used by muster (muster's metrics are "
        "always on (GET /metrics, /v1/agent/metrics?format=prometheus); no sink, retention or "
        "prefix to set)",
        "c.json: acl.default_policy: recognized Consul key, not used by muster (muster has no "
        "ACLs yet)",
    };
    std::vector<std::string> got = r->warnings;
    std::sort(got.begin(), got.end());
    auto sorted = want;
    std::sort(sorted.begin(), sorted.end());
    BOOST_TEST(got == sorted, boost::test_tools::per_element());
    // A key neither muster's nor Consul's is still an error, with a suggestion.
    BOOST_TEST(errors_of(load_text(R"({"disable_update_chek": true})")) ==
               "a.json: disable_update_chek: unknown key");
    BOOST_TEST(errors_of(load_text(R"({"dns_config": {"allow_stlae": true}})"))
                   .starts_with("a.json: dns_config.allow_stlae: unknown key"));
}

BOOST_AUTO_TEST_CASE(consul_keys_that_would_ask_for_what_muster_lacks_are_errors) {
    BOOST_TEST(errors_of(load_text(R"({"acl": {"enabled": true}})"))
                   .starts_with("a.json: acl.enabled: not supported: muster has no ACLs yet"));
    BOOST_TEST(errors_of(load_texts({{"x.hcl",
                                      "tls {\n  internal_rpc {\n    cert_file = "
                                      "\"/etc/s.pem\"\n  }\n}\n"}}))
                   .starts_with("x.hcl:3: tls.internal_rpc.cert_file: not supported: muster "
                                "uses the files and checks of tls.defaults"));
    BOOST_TEST(!load_text(R"({"verify_incoming_rpc": true})").ok());
    // Off, they ask for nothing: accepted without a word.
    auto off = load_text(R"({"acl": {"enabled": false}, "verify_incoming_https": false,
                            "tls": {"https": {"verify_incoming": false}}})");
    BOOST_REQUIRE(off.ok());
    BOOST_TEST(off->warnings.empty());
}

BOOST_AUTO_TEST_CASE(consul_keys_with_a_meaning_here_are_mapped) {
    auto r = load_text(R"({"datacenter": "east", "primary_datacenter": "east",
        "raft_snapshot_threshold": 100, "raft_trailing_logs": 50,
        "dns_config": {"allow_stale": false, "enable_truncate": false},
        "start_join": ["10.0.0.1"]})");
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    BOOST_TEST(r->raft_snapshot_threshold == 100u);
    BOOST_TEST(r->raft_trailing_logs == 50u);
    BOOST_TEST((r->retry_join == std::vector<std::string>{"10.0.0.1"}));
    BOOST_REQUIRE(r->warnings.size() == 2u);
    BOOST_TEST(r->warnings[0].starts_with("a.json: dns_config.allow_stale: muster always answers"));
    BOOST_TEST(
        r->warnings[1].starts_with("a.json: dns_config.enable_truncate: muster always sets TC"));
    BOOST_TEST(errors_of(load_text(R"({"primary_datacenter": "west"})")) ==
               "a.json: primary_datacenter: expected the datacenter, \"dc1\" (muster has one "
               "datacenter; got \"west\")");
}

BOOST_AUTO_TEST_SUITE_END()
