// Tests for src/config/internal/loader.cc: parsing, walking the table, overrides and defaults.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <string>
#include <vector>

#include "config/internal/loader.hh"

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

BOOST_AUTO_TEST_CASE(address_templates_resolve_and_missing_interface_is_an_error) {
    auto r = load_text(R"({"addresses": {"dns": "{{ GetInterfaceIP \"lo\" }}"}})");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->dns_addr[0].to_string() == "127.0.0.1:8600");
    std::string e = errors_of(load_text(R"({"bind_addr": "{{ GetInterfaceIP \"nosuch0\" }}"})"));
    BOOST_TEST(e.starts_with("a.json: bind_addr: expected an interface with an IPv4 address"), e);
    BOOST_TEST(e.find("\"nosuch0\"") != std::string::npos);
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

BOOST_AUTO_TEST_CASE(edit_distance_counts_single_character_edits) {
    BOOST_TEST(internal::edit_distance("cache", "cahce") == 2u);
    BOOST_TEST(internal::edit_distance("", "abc") == 3u);
    BOOST_TEST(internal::edit_distance("size", "size") == 0u);
    BOOST_TEST(internal::edit_distance("ports", "port") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
