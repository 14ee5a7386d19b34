// Tests for src/catalog/internal/msgpack.cc (MsgWriter, MsgReader, msgpack_well_formed) and the
// entity encoding built on it (store_codec.cc): byte-for-byte equal to what the nlohmann-based
// encoder wrote, which stays here only as the oracle.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "catalog/internal/msgpack.hh"

#include <nlohmann/json.hpp>
#include <tuple>

#include <boost/test/unit_test.hpp>

#include "catalog/internal/store_codec.hh"
#include "model_equal.hh"

using namespace muster::catalog;
using namespace muster::catalog::internal;
using json = nlohmann::json;
using Bytes = std::vector<uint8_t>;

namespace {

using muster::catalog::testing::equal;

// ---- the oracle: the entity encoding as it was before the streaming writer

json string_map_json(const std::map<std::string, std::string>& m) {
    json j = json::object();
    for (const auto& [k, v] : m)
        j[k] = v;
    return j;
}

json oracle_json(const Node& n) {
    return json{{"name", n.name},
                {"address", n.address},
                {"datacenter", n.datacenter},
                {"tagged_addresses", string_map_json(n.tagged_addresses)},
                {"meta", string_map_json(n.meta)},
                {"create_index", n.index.create},
                {"modify_index", n.index.modify}};
}

json oracle_json(const Service& s) {
    return json{{"node", s.node},
                {"id", s.id},
                {"name", s.name},
                {"tags", s.tags},
                {"address", s.address},
                {"port", s.port},
                {"meta", string_map_json(s.meta)},
                {"weights", {{"passing", s.weights.passing}, {"warning", s.weights.warning}}},
                {"enable_tag_override", s.enable_tag_override},
                {"create_index", s.index.create},
                {"modify_index", s.index.modify}};
}

json oracle_json(const Check& c) {
    return json{{"node", c.node},
                {"id", c.id},
                {"name", c.name},
                {"service_id", c.service_id},
                {"service_name", c.service_name},
                {"status", status_name(c.status)},
                {"output", c.output},
                {"notes", c.notes},
                {"type", c.type},
                {"create_index", c.index.create},
                {"modify_index", c.index.modify}};
}

json oracle_json(const Change& c) {
    return json{{"index", c.index}, {"nodes", c.nodes}, {"services", c.services}};
}

template <class T>
Bytes oracle(const T& value) {
    return json::to_msgpack(oracle_json(value));
}

template <class F>
Bytes written(F&& write) {
    Bytes out;
    MsgWriter w(out);
    write(w);
    return out;
}

// Lengths and values on both sides of every size boundary of the format.
const std::vector<std::size_t> lengths = {0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536};
const std::vector<uint64_t> uints = {0,
                                     1,
                                     127,
                                     128,
                                     255,
                                     256,
                                     65535,
                                     65536,
                                     uint64_t{1} << 32 >> 1,
                                     (uint64_t{1} << 32) - 1,
                                     uint64_t{1} << 32,
                                     ~uint64_t{0}};

std::string text(std::size_t n) {
    std::string s(n, 'x');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('a' + i % 26);
    return s;
}

// n keys that sort as they are numbered.
std::map<std::string, std::string> string_map(std::size_t n) {
    std::map<std::string, std::string> m;
    for (std::size_t i = 0; i < n; ++i) {
        std::string digits = std::to_string(i);
        m["k" + std::string(6 - digits.size(), '0') + digits] = text(i % 40);
    }
    return m;
}

std::vector<std::string> strings(std::size_t n) {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < n; ++i)
        v.push_back(text(i % 40));
    return v;
}

Node big_node() {
    return Node{.name = text(31),
                .address = text(32),
                .datacenter = text(255),
                .tagged_addresses = string_map(16),
                .meta = string_map(300),
                .index = {.create = 127, .modify = uint64_t{1} << 32}};
}

Service big_service() {
    return Service{.node = text(256),
                   .id = text(65535),
                   .name = text(65536),
                   .tags = strings(17),
                   .address = "",
                   .port = 65535,
                   .meta = string_map(15),
                   .weights = {.passing = 4294967295u, .warning = 0},
                   .enable_tag_override = true,
                   .index = {.create = 65536, .modify = ~uint64_t{0}}};
}

Check check_with(Status status) {
    return Check{.node = "n\xc3\xa9",
                 .id = text(32),
                 .name = "",
                 .service_id = text(15),
                 .service_name = text(16),
                 .status = status,
                 .output = text(300),
                 .notes = std::string("a\0b", 3),
                 .type = "http",
                 .index = {.create = 128, .modify = 255}};
}

// Encodes like the oracle and decodes back to the same value.
template <class T>
void check_entity(const T& value, const char* what) {
    auto bytes = encode_entity(value);
    BOOST_TEST((bytes == oracle(value)), what << ": bytes differ from the nlohmann encoding");
    BOOST_TEST(equal(decode_entity<T>(bytes, what), value), what << ": round trip differs");
}

// What read() says about `bytes` (a well-formed value), "" when it decodes.
template <class T>
std::string read_error(const Bytes& bytes, const char* what) {
    BOOST_TEST_REQUIRE(msgpack_well_formed(bytes));
    MsgReader in(bytes);
    T out;
    std::string error;
    const bool ok = read(in, Path(what), out, error);
    BOOST_TEST(ok == error.empty());
    return error;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(msgpack_test)

BOOST_AUTO_TEST_CASE(unsigned_integers_take_the_smallest_form_as_nlohmann_wrote_them) {
    for (uint64_t v : uints) {
        auto bytes = written([&](MsgWriter& w) { w.uint(v); });
        BOOST_TEST((bytes == json::to_msgpack(json(v))), "value " << v);
        MsgReader r(bytes);
        BOOST_TEST((r.uint() == std::optional<uint64_t>(v)));
        BOOST_TEST(r.offset() == bytes.size());
    }
}

BOOST_AUTO_TEST_CASE(strings_match_nlohmann_at_every_length_boundary) {
    for (std::size_t n : lengths) {
        std::string s = text(n);
        auto bytes = written([&](MsgWriter& w) { w.str(s); });
        BOOST_TEST((bytes == json::to_msgpack(json(s))), "length " << n);
        MsgReader r(bytes);
        BOOST_TEST((r.str() == std::optional<std::string_view>(s)));
        BOOST_TEST(r.offset() == bytes.size());
    }
}

BOOST_AUTO_TEST_CASE(arrays_and_maps_match_nlohmann_at_every_size_boundary) {
    for (std::size_t n : lengths) {
        auto v = strings(n);
        auto array = written([&](MsgWriter& w) { w.strings(v); });
        BOOST_TEST((array == json::to_msgpack(json(v))), "array of " << n);
        MsgReader a(array);
        BOOST_TEST((a.array() == std::optional<std::size_t>(n)));
        for (std::size_t i = 0; i < n; ++i)
            BOOST_TEST_REQUIRE((a.str() == std::optional<std::string_view>(v[i])));
        BOOST_TEST(a.offset() == array.size());

        auto m = string_map(n);
        auto map = written([&](MsgWriter& w) { w.string_map(m); });
        BOOST_TEST((map == json::to_msgpack(string_map_json(m))), "map of " << n);
        MsgReader r(map);
        BOOST_TEST((r.map() == std::optional<std::size_t>(n)));
        for (const auto& [key, value] : m) {
            BOOST_TEST_REQUIRE((r.str() == std::optional<std::string_view>(key)));
            BOOST_TEST_REQUIRE((r.str() == std::optional<std::string_view>(value)));
        }
        BOOST_TEST(r.offset() == map.size());
    }
}

BOOST_AUTO_TEST_CASE(booleans_and_nil_match_nlohmann) {
    BOOST_TEST((written([](MsgWriter& w) { w.boolean(true); }) == json::to_msgpack(json(true))));
    BOOST_TEST((written([](MsgWriter& w) { w.boolean(false); }) == json::to_msgpack(json(false))));
    BOOST_TEST((written([](MsgWriter& w) { w.nil(); }) == json::to_msgpack(json(nullptr))));
}

BOOST_AUTO_TEST_CASE(entities_encode_as_nlohmann_did_and_round_trip) {
    check_entity(Node{}, "empty node");
    check_entity(big_node(), "big node");
    check_entity(Service{}, "empty service");
    check_entity(big_service(), "big service");
    for (uint16_t port : {0, 1, 127, 128, 255, 256, 8080, 65535}) {
        Service s = big_service();
        s.port = port;
        s.weights = {.passing = port, .warning = uint32_t{port} * 65537u};
        check_entity(s, "service with port");
    }
    for (Status status : {Status::passing, Status::warning, Status::critical})
        check_entity(check_with(status), "check");
    check_entity(Check{}, "empty check");
    check_entity(Change{}, "empty change");
    for (uint64_t index : uints)
        check_entity(Change{.index = index, .nodes = strings(16), .services = strings(65536)},
                     "change");
}

BOOST_AUTO_TEST_CASE(reads_of_another_type_leave_the_cursor) {
    Bytes bytes = {0xd0, 0x05};  // int 8: a signed integer even when positive
    MsgReader r(bytes);
    BOOST_TEST((r.peek() == MsgType::int_));
    BOOST_TEST(!r.uint().has_value());
    BOOST_TEST(!r.str().has_value());
    BOOST_TEST(!r.map().has_value());
    BOOST_TEST(!r.nil());
    BOOST_TEST(r.offset() == 0u);
    BOOST_TEST(r.skip());
    BOOST_TEST(r.offset() == 2u);
    BOOST_TEST((r.peek() == MsgType::invalid));  // at the end
}

BOOST_AUTO_TEST_CASE(signed_integers_are_not_unsigned) {
    for (Bytes bytes : {Bytes{0xe0}, Bytes{0xff}, Bytes{0xd0, 1}, Bytes{0xd1, 0, 1},
                        Bytes{0xd2, 0, 0, 0, 1}, Bytes{0xd3, 0, 0, 0, 0, 0, 0, 0, 1}}) {
        MsgReader r(bytes);
        BOOST_TEST(!r.uint().has_value());
        BOOST_TEST(msgpack_well_formed(bytes));
    }
}

BOOST_AUTO_TEST_CASE(bin_and_ext_are_not_strings) {
    for (Bytes bytes : {Bytes{0xc4, 1, 'a'}, Bytes{0xc7, 1, 5, 'a'}, Bytes{0xd4, 5, 'a'}}) {
        MsgReader r(bytes);
        BOOST_TEST(!r.str().has_value());
        BOOST_TEST(r.skip());
        BOOST_TEST(r.offset() == bytes.size());
    }
}

BOOST_AUTO_TEST_CASE(truncated_values_are_not_read) {
    for (Bytes bytes : {Bytes{0xa2, 'a'}, Bytes{0xd9, 3, 'a', 'b'}, Bytes{0xcd, 1}, Bytes{0x92, 1},
                        Bytes{0xdc, 0}, Bytes{0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0}, Bytes{}}) {
        MsgReader r(bytes);
        BOOST_TEST(!r.str().has_value());
        BOOST_TEST(!r.uint().has_value());
        BOOST_TEST(!r.array().has_value());
        BOOST_TEST(!r.map().has_value());
        BOOST_TEST(!r.skip());
        BOOST_TEST(r.offset() == 0u);
        BOOST_TEST(!msgpack_well_formed(bytes));
    }
}

BOOST_AUTO_TEST_CASE(skip_passes_deep_nesting_without_recursion) {
    Bytes bytes(200000, 0x91);  // 200k nested one-element arrays
    bytes.push_back(0x80);
    MsgReader r(bytes);
    BOOST_TEST(r.skip());
    BOOST_TEST(r.offset() == bytes.size());
    BOOST_TEST(!msgpack_well_formed(bytes));
}

BOOST_AUTO_TEST_CASE(nesting_is_limited_to_32) {
    auto nested = [](std::size_t depth, uint8_t inner) {
        Bytes bytes(depth, 0x91);
        bytes.push_back(inner);
        return bytes;
    };
    BOOST_TEST(msgpack_well_formed(nested(32, 0xc0)));
    BOOST_TEST(msgpack_well_formed(nested(32, 0x90)));  // an empty array opens nothing
    BOOST_TEST(!msgpack_well_formed(nested(33, 0xc0)));
    Bytes maps;
    for (int i = 0; i < 33; ++i)
        maps.insert(maps.end(), {0x81, 0xa1, 'k'});
    maps.push_back(0xc0);
    BOOST_TEST(!msgpack_well_formed(maps));
    maps.erase(maps.begin(), maps.begin() + 3);
    BOOST_TEST(msgpack_well_formed(maps));
}

BOOST_AUTO_TEST_CASE(well_formed_needs_one_value_with_string_keys) {
    BOOST_TEST(msgpack_well_formed(Bytes{0x82, 0xa1, 'a', 0xca, 0, 0, 0, 0, 0xa1, 'b', 0xc4, 0}));
    BOOST_TEST(!msgpack_well_formed(Bytes{0x81, 0x01, 0xc0}));                    // integer key
    BOOST_TEST(!msgpack_well_formed(Bytes{0x81, 0xc4, 1, 'a', 0xc0}));            // bin key
    BOOST_TEST(!msgpack_well_formed(Bytes{0x81, 0xa1, 'a'}));                     // value missing
    BOOST_TEST(!msgpack_well_formed(Bytes{0xc0, 0xc0}));                          // trailing bytes
    BOOST_TEST(!msgpack_well_formed(Bytes{0xc1}));                                // never used
    BOOST_TEST(!msgpack_well_formed(Bytes{0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0}));  // claims 4G
}

BOOST_AUTO_TEST_CASE(entity_keys_decode_in_any_order_and_unknown_keys_are_skipped) {
    Change want{.index = 300, .nodes = {"a", "b"}, .services = {}};
    auto bytes = written([](MsgWriter& w) {
        w.map(5);
        w.key("services").array(0);
        w.key("extra").array(2).map(1).key("k").nil().str("x");
        w.key("nodes").strings({"a", "b"});
        w.key("index").uint(300);
        w.key("").boolean(true);
    });
    BOOST_TEST(read_error<Change>(bytes, "change") == "");
    BOOST_TEST(equal(decode_entity<Change>(bytes, "change"), want));
}

BOOST_AUTO_TEST_CASE(a_repeated_key_keeps_its_last_value) {
    auto last_good = written([](MsgWriter& w) {
        w.map(4).key("index").str("bad").key("nodes").array(0).key("services").array(0);
        w.key("index").uint(7);
    });
    BOOST_TEST(decode_entity<Change>(last_good, "change").index == 7u);
    auto last_bad = written([](MsgWriter& w) {
        w.map(4).key("index").uint(7).key("nodes").array(0).key("services").array(0);
        w.key("index").str("bad");
    });
    BOOST_TEST(read_error<Change>(last_bad, "change") ==
               "change.index: expected an unsigned integer");
}

BOOST_AUTO_TEST_CASE(the_first_error_in_field_order_is_reported_whatever_the_key_order) {
    Node node = big_node();
    auto bytes = written([&](MsgWriter& w) {
        w.map(6);  // "address" before "name" on the wire, and no "datacenter"
        w.key("address").uint(1);
        w.key("name").uint(2);
        w.key("tagged_addresses").string_map(node.tagged_addresses);
        w.key("meta").string_map(node.meta);
        w.key("create_index").uint(1);
        w.key("modify_index").uint(1);
    });
    BOOST_TEST(read_error<Node>(bytes, "node") == "node.name: expected a string");
}

BOOST_AUTO_TEST_CASE(string_map_names_the_first_bad_key_in_sorted_order) {
    auto bytes = [](std::initializer_list<std::pair<std::string_view, int>> meta) {
        return written([&](MsgWriter& w) {
            w.map(7);
            w.key("name").str("n").key("address").str("a").key("datacenter").str("d");
            w.key("tagged_addresses").map(0).key("create_index").uint(1);
            w.key("modify_index").uint(1).key("meta").map(meta.size());
            for (auto [k, v] : meta) {
                w.key(k);
                if (v < 0)
                    w.str("ok");
                else
                    w.uint(static_cast<uint64_t>(v));
            }
        });
    };
    BOOST_TEST(read_error<Node>(bytes({{"z", 1}, {"b", 2}, {"a", -1}}), "node") ==
               "node.meta.b: expected a string");
    // A later string value for the same key makes it good; the last value wins.
    BOOST_TEST(read_error<Node>(bytes({{"b", 1}, {"c", 2}, {"b", -1}}), "node") ==
               "node.meta.c: expected a string");
    auto good = bytes({{"b", 1}, {"a", -1}, {"b", -1}});
    BOOST_TEST(read_error<Node>(good, "node") == "");
    auto meta = decode_entity<Node>(good, "node").meta;
    BOOST_TEST((meta == std::map<std::string, std::string>{{"a", "ok"}, {"b", "ok"}}));
}

BOOST_AUTO_TEST_CASE(an_entity_that_is_not_a_map_is_named) {
    BOOST_TEST(read_error<Check>(Bytes{0x90}, "check") == "check: expected a map");
    BOOST_TEST(read_error<Check>(Bytes{0x80}, "check") == "check.node: missing");
}

BOOST_AUTO_TEST_SUITE_END()
