// Tests for src/catalog/command.cc: batch encoding round trips and decode errors.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "catalog/command.hh"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <tuple>

#include <boost/test/unit_test.hpp>

#include "catalog/internal/store_codec.hh"
#include "model_equal.hh"

using namespace muster::catalog;
using json = nlohmann::json;
using internal::MsgWriter;

namespace {

using muster::catalog::testing::equal;

bool equal(const Register& a, const Register& b) {
    if (!equal(a.node, b.node) || a.skip_node_update != b.skip_node_update ||
        a.if_node_exists != b.if_node_exists || a.service.has_value() != b.service.has_value() ||
        a.checks.size() != b.checks.size())
        return false;
    if (a.service && !equal(*a.service, *b.service))
        return false;
    for (std::size_t i = 0; i < a.checks.size(); ++i)
        if (!equal(a.checks[i], b.checks[i]))
            return false;
    return true;
}
bool equal(const Deregister& a, const Deregister& b) {
    return std::tie(a.node, a.service_id, a.check_id) == std::tie(b.node, b.service_id, b.check_id);
}
bool equal(const UpdateCheck& a, const UpdateCheck& b) {
    return std::tie(a.node, a.check_id, a.status, a.output) ==
           std::tie(b.node, b.check_id, b.status, b.output);
}
bool equal(const Leave& a, const Leave& b) {
    return std::tie(a.node, a.server) == std::tie(b.node, b.server);
}
template <class T>
bool all_equal(const std::vector<T>& a, const std::vector<T>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const T& x, const T& y) { return equal(x, y); });
}
bool equal(const Restore& a, const Restore& b) {
    return a.datacenter == b.datacenter && all_equal(a.nodes, b.nodes) &&
           all_equal(a.services, b.services) && all_equal(a.checks, b.checks);
}
bool equal(const Command& a, const Command& b) {
    if (a.index() != b.index())
        return false;
    return std::visit(
        [&](const auto& x) { return equal(x, std::get<std::decay_t<decltype(x)>>(b)); }, a);
}

Register full_register() {
    Register r;
    r.node = Node{.name = "Web-1",
                  .address = "192.0.2.10",
                  .datacenter = "dc2",
                  .tagged_addresses = {{"lan", "10.0.0.1"}, {"wan", "198.51.100.1"}},
                  .meta = {{"rack", "r1"}, {"zone", "z\xc3\xa9"}},
                  .index = {.create = 7, .modify = 9}};
    r.service = Service{.node = "Web-1",
                        .id = "web-a",
                        .name = "web",
                        .tags = {"v1", "primary", ""},
                        .address = "2001:db8::1",
                        .port = 8080,
                        .meta = {{"version", "1.2"}},
                        .weights = {.passing = 70000, .warning = 3},
                        .enable_tag_override = true,
                        .index = {.create = 1, .modify = 2}};
    r.checks = {Check{.node = "Web-1",
                      .id = "web-http",
                      .name = "HTTP on 8080",
                      .service_id = "web-a",
                      .service_name = "web",
                      .status = Status::warning,
                      .output = "slow\nresponse",
                      .notes = "see runbook",
                      .type = "http",
                      .index = {.create = 3, .modify = 4}},
                Check{.node = "Web-1",
                      .id = "_node_maintenance",
                      .name = "Node maintenance",
                      .service_id = "",
                      .service_name = "",
                      .status = Status::critical,
                      .output = "",
                      .notes = "",
                      .type = "maintenance",
                      .index = {.create = 5, .modify = 6}}};
    r.skip_node_update = true;
    return r;
}

Deregister dereg(std::string node) {
    return Deregister{
        .node = std::move(node), .service_id = std::nullopt, .check_id = std::nullopt};
}

std::vector<Command> round_trip(const std::vector<Command>& batch) {
    auto bytes = encode(batch);
    BOOST_TEST_REQUIRE(bytes.size() >= 1u);
    BOOST_TEST(bytes[0] == command_format_version);
    auto decoded = decode(bytes);
    if (!decoded.ok())
        BOOST_FAIL("decode failed: " << decoded.error().message);
    return *decoded;
}

// Re-encodes a valid batch after `mutate` changed its MessagePack body as JSON.
std::vector<uint8_t> mutated(const std::vector<Command>& batch,
                             const std::function<void(json&)>& mutate) {
    auto bytes = encode(batch);
    json j = json::from_msgpack(bytes.begin() + 1, bytes.end());
    mutate(j);
    std::vector<uint8_t> out{command_format_version};
    json::to_msgpack(j, out);
    return out;
}

std::string decode_error(std::span<const uint8_t> bytes) {
    auto r = decode(bytes);
    BOOST_TEST_REQUIRE(!r.ok());
    return r.error().message;
}

// The oracle: commands as the nlohmann-based encoder wrote them. Entities come from
// encode_entity (checked byte for byte in msgpack_test.cc) through the DOM, which sorts keys.
template <class T>
json entity_json(const T& value) {
    return json::from_msgpack(internal::encode_entity(value));
}
json optional_json(const std::optional<std::string>& s) {
    return s ? json(*s) : json(nullptr);
}
json oracle_json(const Register& c) {
    json checks = json::array();
    for (const auto& check : c.checks)
        checks.push_back(entity_json(check));
    json j{{"type", "Register"},
           {"node", entity_json(c.node)},
           {"service", c.service ? entity_json(*c.service) : json(nullptr)},
           {"checks", std::move(checks)},
           {"skip_node_update", c.skip_node_update}};
    if (c.if_node_exists)
        j["if_node_exists"] = true;
    return j;
}
json oracle_json(const Deregister& c) {
    return json{{"type", "Deregister"},
                {"node", c.node},
                {"service_id", optional_json(c.service_id)},
                {"check_id", optional_json(c.check_id)}};
}
json oracle_json(const UpdateCheck& c) {
    return json{{"type", "UpdateCheck"},
                {"node", c.node},
                {"check_id", c.check_id},
                {"status", std::string(status_name(c.status))},
                {"output", c.output}};
}
json oracle_json(const Leave& c) {
    return json{{"type", "Leave"}, {"node", c.node}, {"server", c.server}};
}
template <class T>
json entities_json(const std::vector<T>& values) {
    json out = json::array();
    for (const auto& v : values)
        out.push_back(entity_json(v));
    return out;
}
json oracle_json(const Restore& c) {
    return json{{"type", "Restore"},
                {"datacenter", c.datacenter},
                {"nodes", entities_json(c.nodes)},
                {"services", entities_json(c.services)},
                {"checks", entities_json(c.checks)}};
}
std::vector<uint8_t> oracle(const std::vector<Command>& batch) {
    json commands = json::array();
    for (const auto& c : batch)
        commands.push_back(std::visit([](const auto& alt) { return oracle_json(alt); }, c));
    std::vector<uint8_t> out{command_format_version};
    json::to_msgpack(commands, out);
    return out;
}

// A batch written by hand (keys in any order, repeated, of any type).
std::vector<uint8_t> handmade(const std::function<void(MsgWriter&)>& write) {
    std::vector<uint8_t> out{command_format_version};
    MsgWriter w(out);
    write(w);
    return out;
}

// `bytes` with the first occurrence of `from` replaced by `to` (same length).
std::vector<uint8_t> patched(std::vector<uint8_t> bytes, const std::vector<uint8_t>& from,
                             const std::vector<uint8_t>& to) {
    auto at = std::search(bytes.begin(), bytes.end(), from.begin(), from.end());
    BOOST_TEST_REQUIRE((at != bytes.end()));
    std::copy(to.begin(), to.end(), at);
    return bytes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(command_test)

BOOST_AUTO_TEST_CASE(register_round_trips_every_field) {
    Command c = full_register();
    auto out = round_trip({c});
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(equal(out[0], c));
}

BOOST_AUTO_TEST_CASE(register_without_service_or_checks_round_trips) {
    Register r;
    r.node.name = "db";
    Command c = r;
    auto out = round_trip({c});
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(equal(out[0], c));
    BOOST_TEST(!std::get<Register>(out[0]).service.has_value());
}

BOOST_AUTO_TEST_CASE(a_register_only_for_an_existing_node_round_trips) {
    Register r = full_register();
    r.if_node_exists = true;
    Command c = r;
    auto out = round_trip({c});
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(equal(out[0], c));
    BOOST_TEST(std::get<Register>(out[0]).if_node_exists);
}

BOOST_AUTO_TEST_CASE(deregister_round_trips_each_shape) {
    std::vector<Command> batch = {
        Deregister{.node = "n1", .service_id = std::nullopt, .check_id = std::nullopt},
        Deregister{.node = "n1", .service_id = "web", .check_id = std::nullopt},
        Deregister{.node = "n1", .service_id = std::nullopt, .check_id = "chk"},
        Deregister{.node = "n1", .service_id = "", .check_id = "chk"},
    };
    auto out = round_trip(batch);
    BOOST_TEST_REQUIRE(out.size() == batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i)
        BOOST_TEST(equal(out[i], batch[i]), "command " << i);
    BOOST_TEST(std::get<Deregister>(out[3]).service_id.has_value());  // "" is not absent
}

BOOST_AUTO_TEST_CASE(update_check_round_trips_every_status) {
    std::vector<Command> batch;
    for (Status s : {Status::passing, Status::warning, Status::critical})
        batch.push_back(UpdateCheck{.node = "n", .check_id = "c", .status = s, .output = "out"});
    auto out = round_trip(batch);
    BOOST_TEST_REQUIRE(out.size() == 3u);
    for (std::size_t i = 0; i < batch.size(); ++i)
        BOOST_TEST(equal(out[i], batch[i]), "command " << i);
}

BOOST_AUTO_TEST_CASE(leave_round_trips_for_clients_and_servers) {
    std::vector<Command> batch = {Leave{.node = "Web-1", .server = false},
                                  Leave{.node = "srv", .server = true}};
    auto out = round_trip(batch);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    for (std::size_t i = 0; i < batch.size(); ++i)
        BOOST_TEST(equal(out[i], batch[i]), "command " << i);
    BOOST_TEST(std::holds_alternative<Leave>(out[0]));
}

BOOST_AUTO_TEST_CASE(malformed_leave_is_an_error_naming_the_field) {
    std::vector<Command> leave = {Leave{.node = "n", .server = true}};
    auto no_server = mutated(leave, [](json& j) { j[0].erase("server"); });
    BOOST_TEST(decode_error(no_server) == "command 0: Leave.server: missing");
    auto node_number = mutated(leave, [](json& j) { j[0]["node"] = 7; });
    BOOST_TEST(decode_error(node_number) == "command 0: Leave.node: expected a string");
    auto server_text = mutated(leave, [](json& j) { j[0]["server"] = "yes"; });
    BOOST_TEST(decode_error(server_text) == "command 0: Leave.server: expected a boolean");
    auto bytes = encode(leave);
    for (std::size_t n = 0; n < bytes.size(); ++n)
        BOOST_TEST(!decode(std::span(bytes.data(), n)).ok(), "prefix of " << n << " bytes");
}

Restore full_restore() {
    Register r = full_register();
    Restore out;
    out.datacenter = "dc2";
    Node other;
    other.name = "db-1";
    other.address = "192.0.2.20";
    out.nodes = {r.node, other};
    out.services = {*r.service};
    out.checks = r.checks;
    return out;
}

BOOST_AUTO_TEST_CASE(restore_round_trips_every_entity) {
    std::vector<Command> batch{full_restore()};
    auto decoded = round_trip(batch);
    BOOST_TEST_REQUIRE(decoded.size() == 1u);
    BOOST_TEST(equal(decoded[0], batch[0]));
    BOOST_TEST(encode(batch) == oracle(batch));
    std::vector<Command> empty{Restore{}};
    BOOST_TEST(equal(round_trip(empty)[0], empty[0]));
}

BOOST_AUTO_TEST_CASE(malformed_restore_is_an_error_naming_the_entity) {
    auto bytes = mutated({full_restore()}, [](json& j) { j[0]["services"][0]["port"] = "x"; });
    BOOST_TEST(decode_error(bytes).find("Restore.services[0]") != std::string::npos,
               decode_error(bytes));
    auto missing = mutated({full_restore()}, [](json& j) { j[0].erase("nodes"); });
    BOOST_TEST(decode_error(missing).find("nodes") != std::string::npos, decode_error(missing));
}

BOOST_AUTO_TEST_CASE(mixed_batch_keeps_order) {
    std::vector<Command> batch = {
        UpdateCheck{.node = "a", .check_id = "x", .status = Status::passing, .output = ""},
        full_register(),
        Deregister{.node = "b", .service_id = std::nullopt, .check_id = std::nullopt},
        Leave{.node = "c", .server = false},
    };
    auto out = round_trip(batch);
    BOOST_TEST_REQUIRE(out.size() == 4u);
    for (std::size_t i = 0; i < batch.size(); ++i)
        BOOST_TEST(equal(out[i], batch[i]), "command " << i);
}

BOOST_AUTO_TEST_CASE(empty_batch_round_trips) {
    BOOST_TEST(round_trip({}).empty());
}

BOOST_AUTO_TEST_CASE(empty_input_and_wrong_version_are_errors) {
    BOOST_TEST(decode_error({}).find("empty") != std::string::npos);
    auto bytes = encode(std::vector<Command>{full_register()});
    bytes[0] = 2;
    BOOST_TEST(decode_error(bytes).find("version 2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error) {
    auto bytes = encode(std::vector<Command>{full_register(), dereg("n")});
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        auto r = decode(std::span(bytes.data(), n));
        BOOST_TEST(!r.ok(), "prefix of " << n << " bytes decoded");
    }
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_an_error) {
    auto bytes = encode(std::vector<Command>{dereg("n")});
    bytes.push_back(0xc0);
    BOOST_TEST(decode_error(bytes).find("MessagePack") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mistyped_field_is_named_with_command_number) {
    std::vector<Command> batch = {dereg("a"), dereg("b"), full_register()};
    auto bytes = mutated(batch, [](json& j) { j[2]["node"]["name"] = 5; });
    BOOST_TEST(decode_error(bytes) == "command 2: Register.node.name: expected a string");
}

BOOST_AUTO_TEST_CASE(missing_field_is_named) {
    auto bytes = mutated({full_register()}, [](json& j) { j[0]["service"].erase("port"); });
    BOOST_TEST(decode_error(bytes) == "command 0: Register.service.port: missing");
}

BOOST_AUTO_TEST_CASE(nested_errors_name_the_path) {
    auto check = mutated({full_register()}, [](json& j) { j[0]["checks"][1]["status"] = "ok"; });
    BOOST_TEST(decode_error(check) ==
               "command 0: Register.checks[1].status: expected one of passing, warning, critical");
    auto tag = mutated({full_register()}, [](json& j) { j[0]["service"]["tags"][1] = true; });
    BOOST_TEST(decode_error(tag) == "command 0: Register.service.tags[1]: expected a string");
    auto meta = mutated({full_register()}, [](json& j) { j[0]["node"]["meta"]["rack"] = 1; });
    BOOST_TEST(decode_error(meta) == "command 0: Register.node.meta.rack: expected a string");
    auto weight =
        mutated({full_register()}, [](json& j) { j[0]["service"]["weights"]["warning"] = -1; });
    BOOST_TEST(decode_error(weight) ==
               "command 0: Register.service.weights.warning: expected an unsigned integer");
}

BOOST_AUTO_TEST_CASE(out_of_range_port_is_an_error) {
    auto bytes = mutated({full_register()}, [](json& j) { j[0]["service"]["port"] = 65536; });
    BOOST_TEST(decode_error(bytes) == "command 0: Register.service.port: out of range (max 65535)");
}

BOOST_AUTO_TEST_CASE(unknown_type_and_non_map_command_are_errors) {
    auto unknown = mutated({dereg("a")}, [](json& j) { j[0]["type"] = "Drop"; });
    BOOST_TEST(decode_error(unknown) ==
               "command 0: type: expected Register, Deregister, UpdateCheck, Leave or Restore");
    auto scalar = mutated({dereg("a")}, [](json& j) { j[1] = 3; });
    BOOST_TEST(decode_error(scalar) == "command 1: expected a map");
    auto not_array = mutated({}, [](json& j) { j = json::object(); });
    BOOST_TEST(decode_error(not_array) == "command batch: expected an array of commands");
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_rejected_without_recursion) {
    std::vector<uint8_t> bytes{command_format_version};
    bytes.insert(bytes.end(), 200000, 0x91);  // 200k nested one-element arrays
    bytes.push_back(0xc0);
    BOOST_TEST(decode_error(bytes).find("MessagePack") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(container_claiming_more_elements_than_bytes_is_rejected) {
    std::vector<uint8_t> bytes{command_format_version, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
    BOOST_TEST(decode_error(bytes).find("MessagePack") != std::string::npos);
    std::vector<uint8_t> str{command_format_version, 0x91, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'};
    BOOST_TEST(decode_error(str).find("MessagePack") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(encoding_matches_the_nlohmann_encoder_byte_for_byte) {
    Register many_checks = full_register();
    many_checks.service.reset();
    for (int i = 0; i < 16; ++i)  // 18 checks: an array 16
        many_checks.checks.push_back(full_register().checks[static_cast<std::size_t>(i % 2)]);
    std::vector<Command> big_batch;
    for (int i = 0; i < 17; ++i)
        big_batch.push_back(
            UpdateCheck{.node = "n", .check_id = "c", .status = Status::passing, .output = ""});
    std::vector<std::vector<Command>> batches = {
        {},
        {full_register()},
        {Register{}},
        {[] {
            Register r = full_register();
            r.if_node_exists = true;
            return r;
        }()},
        {many_checks},
        {Deregister{.node = "n", .service_id = std::nullopt, .check_id = std::nullopt},
         Deregister{.node = std::string(40, 'n'), .service_id = "", .check_id = "c"}},
        {UpdateCheck{.node = "n",
                     .check_id = "c",
                     .status = Status::warning,
                     .output = std::string(300, 'o')}},
        big_batch,
        {Leave{.node = "n", .server = true}, Leave{.node = std::string(40, 'n'), .server = false}},
    };
    for (std::size_t i = 0; i < batches.size(); ++i)
        BOOST_TEST((encode(batches[i]) == oracle(batches[i])), "batch " << i);
}

BOOST_AUTO_TEST_CASE(keys_decode_in_any_order_and_unknown_keys_are_skipped) {
    auto bytes = handmade([](MsgWriter& w) {
        w.array(2);
        w.map(6).key("type").str("UpdateCheck").key("output").str("o").key("status");
        w.str("passing").key("x").array(1).map(0).key("check_id").str("c");
        w.key("node").str("n");
        w.map(3).key("service_id").nil().key("node").str("m").key("type").str("Deregister");
    });
    std::vector<Command> want = {
        UpdateCheck{.node = "n", .check_id = "c", .status = Status::passing, .output = "o"},
        dereg("m")};
    auto out = decode(bytes);
    BOOST_TEST_REQUIRE(out.ok());
    BOOST_TEST_REQUIRE(out->size() == 2u);
    for (std::size_t i = 0; i < want.size(); ++i)
        BOOST_TEST(equal((*out)[i], want[i]), "command " << i);
    auto unknown = mutated({full_register()}, [](json& j) {
        j[0]["zzz"] = json{{"a", json::array({1, -2, 1.5})}};
        j[0]["node"]["aaa"] = json::binary({1, 2});
        j[0]["service"]["weights"]["other"] = nullptr;
    });
    auto decoded = decode(unknown);
    BOOST_TEST_REQUIRE(decoded.ok());
    BOOST_TEST(equal((*decoded)[0], Command(full_register())));
}

BOOST_AUTO_TEST_CASE(a_repeated_key_keeps_its_last_value) {
    auto bytes = handmade([](MsgWriter& w) {
        w.array(1).map(3).key("type").str("Register").key("node").str("n");
        w.key("type").str("Deregister");
    });
    auto out = decode(bytes);
    BOOST_TEST_REQUIRE(out.ok());
    BOOST_TEST(equal((*out)[0], Command(dereg("n"))));
    auto bad = handmade([](MsgWriter& w) {
        w.array(1).map(3).key("type").str("Deregister").key("node").str("n");
        w.key("node").uint(1);
    });
    BOOST_TEST(decode_error(bad) == "command 0: Deregister.node: expected a string");
}

BOOST_AUTO_TEST_CASE(the_first_error_follows_field_order_not_key_order) {
    // "address" comes before "name" on the wire; both are wrong; name is read first.
    auto bytes = mutated({full_register()}, [](json& j) {
        j[0]["node"]["address"] = 1;
        j[0]["node"]["name"] = 2;
        j[0]["checks"] = 3;
    });
    BOOST_TEST(decode_error(bytes) == "command 0: Register.node.name: expected a string");
    auto later = mutated({full_register()}, [](json& j) {
        j[0]["checks"][0]["id"] = 1;
        j[0]["skip_node_update"] = 1;
    });
    BOOST_TEST(decode_error(later) == "command 0: Register.checks[0].id: expected a string");
}

BOOST_AUTO_TEST_CASE(signed_integers_are_not_unsigned) {
    Register r = full_register();
    r.service->port = 0x1234;  // uint 16: cd 12 34
    auto bytes = encode(std::vector<Command>{r});
    auto int16 = patched(bytes, {'p', 'o', 'r', 't', 0xcd}, {'p', 'o', 'r', 't', 0xd1});
    BOOST_TEST(decode_error(int16) ==
               "command 0: Register.service.port: expected an unsigned integer");
    r.service->port = 1;
    auto fixint = patched(encode(std::vector<Command>{r}), {'p', 'o', 'r', 't', 0x01},
                          {'p', 'o', 'r', 't', 0xff});
    BOOST_TEST(decode_error(fixint) ==
               "command 0: Register.service.port: expected an unsigned integer");
}

BOOST_AUTO_TEST_CASE(binary_is_not_a_string) {
    Register r = full_register();
    r.node.name = std::string(40, 'n');  // str 8: d9 28
    auto bytes = patched(encode(std::vector<Command>{r}), {0xd9, 40, 'n'}, {0xc4, 40, 'n'});
    BOOST_TEST(decode_error(bytes) == "command 0: Register.node.name: expected a string");
}

BOOST_AUTO_TEST_CASE(a_key_that_is_not_a_string_is_malformed) {
    // The key "port" becomes a four-element array of the same bytes.
    auto bytes = patched(encode(std::vector<Command>{full_register()}), {0xa4, 'p', 'o', 'r', 't'},
                         {0x94, 'p', 'o', 'r', 't'});
    BOOST_TEST(decode_error(bytes) == "command batch: malformed MessagePack");
}

BOOST_AUTO_TEST_CASE(optional_parts_accept_nil_or_absence_and_nothing_else) {
    auto absent = mutated({full_register()}, [](json& j) { j[0].erase("service"); });
    auto out = decode(absent);
    BOOST_TEST_REQUIRE(out.ok());
    BOOST_TEST(!std::get<Register>((*out)[0]).service.has_value());
    auto scalar = mutated({full_register()}, [](json& j) { j[0]["service"] = "web"; });
    BOOST_TEST(decode_error(scalar) == "command 0: Register.service: expected a map or nil");
    auto node = mutated({full_register()}, [](json& j) { j[0]["node"] = nullptr; });
    BOOST_TEST(decode_error(node) == "command 0: Register.node: expected a map");
    auto check = mutated({full_register()}, [](json& j) { j[0]["checks"][1] = nullptr; });
    BOOST_TEST(decode_error(check) == "command 0: Register.checks[1]: expected a map");
    auto id = mutated({dereg("n")}, [](json& j) { j[0]["check_id"] = 5; });
    BOOST_TEST(decode_error(id) == "command 0: Deregister.check_id: expected a string or nil");
    auto gone = mutated({dereg("n")}, [](json& j) { j[0].erase("service_id"); });
    BOOST_TEST(decode(gone).ok());
}

BOOST_AUTO_TEST_CASE(weights_out_of_range_are_errors) {
    auto bytes = mutated({full_register()}, [](json& j) {
        j[0]["service"]["weights"]["passing"] = uint64_t{1} << 32;
    });
    BOOST_TEST(decode_error(bytes) ==
               "command 0: Register.service.weights.passing: out of range (max 4294967295)");
}

BOOST_AUTO_TEST_SUITE_END()
