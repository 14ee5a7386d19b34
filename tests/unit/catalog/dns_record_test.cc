// Tests for src/catalog/dns_record.cc: encode/decode round trips of the service, node and PTR
// records, the 255-byte string rule, and that malformed or truncated bytes end every walk
// without reading past the end.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "catalog/dns_record.hh"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace muster::catalog;

namespace {

InstanceData instance(std::string node, std::string addr, uint16_t port,
                      std::vector<std::string> tags, Status health = Status::passing) {
    InstanceData d;
    d.health = health;
    d.addr = ip_bytes(addr);
    d.port = port;
    d.node = std::move(node);
    d.tags = std::move(tags);
    return d;
}

std::vector<InstanceView> read_all(std::span<const uint8_t> bytes, bool* valid_after = nullptr) {
    std::vector<InstanceView> out;
    ServiceRecordReader reader(bytes);
    InstanceView v;
    while (reader.next(v))
        out.push_back(v);
    if (valid_after)
        *valid_after = reader.valid();
    return out;
}

// Copies `bytes` into an exactly-sized heap block so ASan flags any read past its end.
std::unique_ptr<uint8_t[]> exact_copy(std::span<const uint8_t> bytes) {
    auto copy = std::make_unique<uint8_t[]>(bytes.size() + 1);
    std::copy(bytes.begin(), bytes.end(), copy.get());
    return copy;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dns_record)

BOOST_AUTO_TEST_CASE(ip_bytes_parses_v4_v6_and_rejects_names) {
    const IpBytes v4 = ip_bytes("10.1.2.3");
    BOOST_TEST(v4.family == 4);
    BOOST_TEST(v4.span().size() == 4u);
    BOOST_TEST(v4.bytes[0] == 10);
    BOOST_TEST(v4.bytes[3] == 3);
    const IpBytes v6 = ip_bytes("2001:db8::1");
    BOOST_TEST(v6.family == 6);
    BOOST_TEST(v6.span().size() == 16u);
    BOOST_TEST(v6.bytes[0] == 0x20);
    BOOST_TEST(v6.bytes[15] == 1);
    BOOST_TEST(ip_bytes("host.example").family == 0);
    BOOST_TEST(ip_bytes("").family == 0);
    BOOST_TEST(ip_bytes("10.1.2.3 ").family == 0);
    BOOST_TEST(ip_bytes(std::string(200, '1')).family == 0);
    BOOST_TEST(ip_bytes("host").span().empty());
}

BOOST_AUTO_TEST_CASE(service_record_round_trips_every_field) {
    std::vector<InstanceData> in;
    in.push_back(instance("alpha", "10.0.0.1", 8080, {"primary", "v1"}));
    in.push_back(instance("Beta.Example", "2001:db8::2", 443, {}, Status::warning));
    in.back().own_address = true;
    in.back().weights = Weights{.passing = 7, .warning = 3};
    in.push_back(instance("gamma", "not-an-ip", 1, {"x"}, Status::critical));
    const auto bytes = encode_service_record(in);

    bool valid = false;
    const auto out = read_all(bytes, &valid);
    BOOST_TEST(valid);
    BOOST_REQUIRE(out.size() == 3u);
    ServiceRecordReader walked(bytes);
    for (InstanceView v; walked.next(v);) {
    }
    BOOST_TEST(walked.count() == 3u);  // the declared count, not what is left
    BOOST_TEST(out[0].node == "alpha");
    BOOST_TEST(out[0].port == 8080);
    BOOST_TEST(out[0].addr.family == 4);
    BOOST_TEST(out[0].addr.bytes[3] == 1);
    BOOST_TEST(!out[0].own_address);
    BOOST_TEST(out[0].tag_count == 2);
    BOOST_TEST(out[0].weight_passing == 1);
    BOOST_TEST((out[0].health == Status::passing));
    BOOST_TEST(out[1].node == "Beta.Example");
    BOOST_TEST(out[1].addr.family == 6);
    BOOST_TEST(out[1].own_address);
    BOOST_TEST(out[1].weight_passing == 7);
    BOOST_TEST(out[1].weight_warning == 3);
    BOOST_TEST((out[1].health == Status::warning));
    BOOST_TEST(out[1].tag_count == 0);
    BOOST_TEST(out[2].addr.family == 0);
    BOOST_TEST((out[2].health == Status::critical));
}

BOOST_AUTO_TEST_CASE(has_tag_is_case_insensitive_and_exact) {
    std::vector<InstanceData> in{instance("n", "10.0.0.1", 1, {"Primary", "v1"})};
    const auto bytes = encode_service_record(in);
    const auto out = read_all(bytes);
    BOOST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].has_tag("primary"));
    BOOST_TEST(out[0].has_tag("PRIMARY"));
    BOOST_TEST(out[0].has_tag("v1"));
    BOOST_TEST(!out[0].has_tag("prim"));
    BOOST_TEST(!out[0].has_tag("primary2"));
    BOOST_TEST(!out[0].has_tag(""));
}

BOOST_AUTO_TEST_CASE(weights_above_u16_are_clamped) {
    std::vector<InstanceData> in{instance("n", "10.0.0.1", 1, {})};
    in[0].weights = Weights{.passing = 100000, .warning = 65535};
    const auto out = read_all(encode_service_record(in));
    BOOST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].weight_passing == 65535);
    BOOST_TEST(out[0].weight_warning == 65535);
}

BOOST_AUTO_TEST_CASE(long_node_name_skips_instance_and_long_tag_is_skipped) {
    std::vector<InstanceData> in;
    in.push_back(instance(std::string(256, 'n'), "10.0.0.1", 1, {}));
    in.push_back(instance(std::string(255, 'm'), "10.0.0.2", 2, {std::string(256, 't'), "ok"}));
    const auto bytes = encode_service_record(in);
    ServiceRecordReader reader(bytes);
    BOOST_TEST(reader.count() == 1u);
    const auto out = read_all(bytes);
    BOOST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].node.size() == 255u);
    BOOST_TEST(out[0].tag_count == 1);
    BOOST_TEST(out[0].has_tag("ok"));
}

BOOST_AUTO_TEST_CASE(empty_service_record_is_valid_with_no_instances) {
    const auto bytes = encode_service_record({});
    ServiceRecordReader reader(bytes);
    BOOST_TEST(reader.valid());
    BOOST_TEST(reader.count() == 0u);
    InstanceView v;
    BOOST_TEST(!reader.next(v));
}

BOOST_AUTO_TEST_CASE(truncated_service_record_ends_walk_invalid_at_every_length) {
    std::vector<InstanceData> in{instance("alpha", "10.0.0.1", 80, {"a", "bb"}),
                                 instance("beta", "10.0.0.2", 81, {"c"})};
    const auto bytes = encode_service_record(in);
    for (std::size_t len = 0; len < bytes.size(); ++len) {
        auto copy = exact_copy(std::span(bytes).first(len));
        bool valid = true;
        const auto out = read_all(std::span<const uint8_t>(copy.get(), len), &valid);
        BOOST_TEST(!valid, "length " << len);
        BOOST_TEST(out.size() < 2u, "length " << len);
    }
}

BOOST_AUTO_TEST_CASE(bad_version_size_health_or_family_is_invalid) {
    std::vector<InstanceData> in{instance("alpha", "10.0.0.1", 80, {})};
    auto bytes = encode_service_record(in);
    constexpr std::size_t first_instance = 25 + 4;  // after the header and one offset
    auto bad_version = bytes;
    bad_version[0] = 1;  // the layout before issue 18
    BOOST_TEST(!ServiceRecordReader(bad_version).valid());
    BOOST_TEST(read_all(bad_version).empty());

    auto longer = bytes;
    longer.push_back(0);  // the size in the header no longer matches
    BOOST_TEST(!ServiceRecord(longer).valid());

    auto bad_health = bytes;
    bad_health[first_instance] = 3;
    bool valid = true;
    BOOST_TEST(read_all(bad_health, &valid).empty());
    BOOST_TEST(!valid);

    auto bad_family = bytes;
    bad_family[first_instance + 1] = 5;
    BOOST_TEST(read_all(bad_family, &valid).empty());
    BOOST_TEST(!valid);

    // A count whose offset table runs past the record: invalid, nothing read.
    auto big_count = bytes;
    big_count[6] = 9;  // count = 9 * 256 + 1
    BOOST_TEST(!ServiceRecord(big_count).valid());
    BOOST_TEST(read_all(big_count, &valid).empty());

    // An offset that points outside the instances gives no instance.
    auto bad_offset = bytes;
    bad_offset[25] = 0xff;
    bad_offset[26] = 0xff;
    const ServiceRecord record(bad_offset);
    BOOST_TEST(record.valid());
    InstanceView v;
    BOOST_TEST(!record.instance(0, v));
    BOOST_TEST(!record.instance(1, v));  // out of range
}

BOOST_AUTO_TEST_CASE(service_record_keeps_instances_by_health_in_given_order) {
    std::vector<InstanceData> in{
        instance("c1", "10.0.0.1", 1, {}, Status::critical),
        instance("w1", "10.0.0.2", 2, {}, Status::warning),
        instance("p1", "10.0.0.3", 3, {}),
        instance("w2", "10.0.0.4", 4, {}, Status::warning),
        instance("p2", "10.0.0.5", 5, {}),
    };
    const auto bytes = encode_service_record(in);
    const ServiceRecord record(bytes);
    BOOST_TEST_REQUIRE(record.valid());
    BOOST_TEST(record.count() == 5u);
    BOOST_TEST(record.passing() == 2u);
    BOOST_TEST(record.warning() == 2u);
    BOOST_TEST(record.eligible(true) == 2u);
    BOOST_TEST(record.eligible(false) == 4u);
    std::vector<std::string> order;
    for (const InstanceView& v : read_all(bytes))
        order.emplace_back(v.node);
    BOOST_TEST((order == std::vector<std::string>{"p1", "p2", "w1", "w2", "c1"}));
}

BOOST_AUTO_TEST_CASE(service_record_addresses_are_distinct_passing_first) {
    std::vector<InstanceData> in{
        instance("a", "10.0.0.1", 1, {}, Status::warning),     // also on a passing one below
        instance("b", "10.0.0.2", 1, {}, Status::warning),     // only warning
        instance("c", "10.0.0.3", 1, {}, Status::critical),    // never answered
        instance("d", "10.0.0.1", 2, {}),                      // passing
        instance("e", "10.0.0.4", 1, {}),                      // passing
        instance("f", "10.0.0.4", 2, {}),                      // a repeat
        instance("g", "2001:db8::1", 1, {}, Status::warning),  // v6, only warning
        instance("h", "host.example", 1, {}),                  // no address
    };
    const auto bytes = encode_service_record(in);
    const ServiceRecord record(bytes);
    BOOST_TEST_REQUIRE(record.valid());
    const auto v4 = record.addresses(4);
    BOOST_TEST(v4.passing == 2u);
    BOOST_TEST(v4.warning == 1u);
    BOOST_TEST(v4.eligible(true) == 2u);
    std::vector<std::string> got;
    for (uint32_t i = 0; i < v4.eligible(false); ++i) {
        const IpBytes a = v4.at(i);
        BOOST_TEST(a.family == 4);
        got.push_back(std::to_string(a.bytes[3]));
    }
    BOOST_TEST((got == std::vector<std::string>{"1", "4", "2"}));
    const auto v6 = record.addresses(6);
    BOOST_TEST(v6.passing == 0u);
    BOOST_TEST(v6.warning == 1u);
    BOOST_TEST(v6.at(0).bytes[15] == 1);
    BOOST_TEST(record.addresses(0).eligible(false) == 0u);
}

BOOST_AUTO_TEST_CASE(service_record_tag_index_finds_each_tag_by_health) {
    std::vector<InstanceData> in{
        instance("w", "10.0.0.1", 1, {"Primary", "x"}, Status::warning),
        instance("p1", "10.0.0.2", 1, {"primary", "PRIMARY"}),  // the same tag twice
        instance("c", "10.0.0.3", 1, {"primary", "crit-only"}, Status::critical),
        instance("p2", "10.0.0.4", 1, {"y"}),
    };
    // Many distinct tags, so the search has more than a handful of entries.
    for (int i = 0; i < 300; ++i)
        in.push_back(instance("t" + std::to_string(i), "10.1.0.1", 1, {"tag-" + std::to_string(i)},
                              Status::passing));
    const auto bytes = encode_service_record(in);
    const ServiceRecord record(bytes);
    BOOST_TEST_REQUIRE(record.valid());
    const auto primary = record.tagged("primary");
    BOOST_TEST(primary.passing == 1u);
    BOOST_TEST(primary.warning == 1u);
    InstanceView v;
    BOOST_TEST_REQUIRE(record.instance(primary.at(0), v));
    BOOST_TEST(v.node == "p1");
    BOOST_TEST_REQUIRE(record.instance(primary.at(1), v));
    BOOST_TEST(v.node == "w");
    BOOST_TEST(record.tagged("crit-only").eligible(false) == 0u);
    BOOST_TEST(record.tagged("x").eligible(true) == 0u);
    BOOST_TEST(record.tagged("x").eligible(false) == 1u);
    BOOST_TEST(record.tagged("nosuch").eligible(false) == 0u);
    BOOST_TEST(record.tagged("").eligible(false) == 0u);
    for (int i = 0; i < 300; i += 37) {
        const auto t = record.tagged("tag-" + std::to_string(i));
        BOOST_TEST_REQUIRE(t.passing == 1u);
        BOOST_TEST_REQUIRE(record.instance(t.at(0), v));
        BOOST_TEST(v.node == "t" + std::to_string(i));
    }
}

// The build groups tags by a hash that folds case eight bytes at a time: only 'A'-'Z' fold,
// in long tags too, and their neighbours ('@', '[') and bytes >= 0x80 keep their groups.
BOOST_AUTO_TEST_CASE(tag_index_folds_only_ascii_letters_in_tags_of_any_length) {
    const std::vector<InstanceData> in{
        instance("a", "10.0.0.1", 1, {"Zone-Europe-West-1", "@x", "[", "\xC3\x89t\xC3\xA9"}),
        instance("b", "10.0.0.2", 1, {"zone-europe-WEST-1", "`x", "{", "\xE3\x89t\xC3\xA9"}),
    };
    const auto bytes = encode_service_record(in);
    const ServiceRecord record(bytes);
    BOOST_TEST_REQUIRE(record.valid());
    BOOST_TEST(record.tagged("zone-europe-west-1").passing == 2u);
    for (const char* tag : {"@x", "`x", "[", "{", "\xC3\x89t\xC3\xA9", "\xE3\x89t\xC3\xA9"})
        BOOST_TEST(record.tagged(tag).passing == 1u, tag);
}

BOOST_AUTO_TEST_CASE(node_record_round_trips_address_name_and_meta) {
    Node node;
    node.name = "Harpsichord.mooncarrot.space";
    node.address = "192.168.1.20";
    node.meta = {{"rack", "r1"},
                 {"env", "prod"},
                 {std::string(256, 'k'), "skipped"},
                 {"v", std::string(256, 'x')}};
    const auto bytes = encode_node_record(node);
    const auto view = read_node_record(bytes);
    BOOST_REQUIRE(view.has_value());
    BOOST_TEST(view->name == "Harpsichord.mooncarrot.space");
    BOOST_TEST(view->addr.family == 4);
    BOOST_TEST(view->addr.bytes[3] == 20);
    BOOST_TEST(view->meta_count == 2);
    std::vector<std::pair<std::string, std::string>> meta;
    for_each_meta(*view, [&](std::string_view k, std::string_view v) { meta.emplace_back(k, v); });
    BOOST_REQUIRE(meta.size() == 2u);
    BOOST_TEST(meta[0].first == "env");  // std::map order
    BOOST_TEST(meta[0].second == "prod");
    BOOST_TEST(meta[1].first == "rack");
    BOOST_TEST(meta[1].second == "r1");
}

BOOST_AUTO_TEST_CASE(node_with_host_name_address_has_family_zero) {
    Node node;
    node.name = "n1";
    node.address = "n1.example.com";
    const auto view = read_node_record(encode_node_record(node));
    BOOST_REQUIRE(view.has_value());
    BOOST_TEST(view->addr.family == 0);
    BOOST_TEST(view->meta_count == 0);
}

BOOST_AUTO_TEST_CASE(node_name_over_255_has_no_record) {
    Node node;
    node.name = std::string(256, 'n');
    node.address = "10.0.0.1";
    const auto bytes = encode_node_record(node);
    BOOST_TEST(bytes.empty());
    BOOST_TEST(!read_node_record(bytes).has_value());
}

BOOST_AUTO_TEST_CASE(truncated_node_record_is_rejected_at_every_length) {
    Node node;
    node.name = "n1";
    node.address = "2001:db8::9";
    node.meta = {{"a", "b"}, {"cc", "dd"}};
    const auto bytes = encode_node_record(node);
    BOOST_TEST(read_node_record(bytes).has_value());
    for (std::size_t len = 0; len < bytes.size(); ++len) {
        auto copy = exact_copy(std::span(bytes).first(len));
        BOOST_TEST(!read_node_record(std::span<const uint8_t>(copy.get(), len)).has_value(),
                   "length " << len);
    }
}

BOOST_AUTO_TEST_CASE(ptr_record_round_trips_and_skips_long_names) {
    const std::vector<std::pair<PtrKind, std::string>> entries{
        {PtrKind::node, "alpha"},
        {PtrKind::service, "web"},
        {PtrKind::service, std::string(256, 's')}};
    const auto bytes = encode_ptr_record(entries);
    std::vector<std::pair<PtrKind, std::string>> out;
    BOOST_TEST(for_each_ptr(bytes, [&](PtrKind k, std::string_view n) { out.emplace_back(k, n); }));
    BOOST_REQUIRE(out.size() == 2u);
    BOOST_TEST((out[0].first == PtrKind::node));
    BOOST_TEST(out[0].second == "alpha");
    BOOST_TEST((out[1].first == PtrKind::service));
    BOOST_TEST(out[1].second == "web");
}

BOOST_AUTO_TEST_CASE(malformed_ptr_record_returns_false) {
    const std::vector<std::pair<PtrKind, std::string>> entries{{PtrKind::node, "alpha"},
                                                               {PtrKind::node, "beta"}};
    const auto bytes = encode_ptr_record(entries);
    for (std::size_t len = 0; len < bytes.size(); ++len) {
        auto copy = exact_copy(std::span(bytes).first(len));
        int calls = 0;
        BOOST_TEST(!for_each_ptr(std::span<const uint8_t>(copy.get(), len),
                                 [&](PtrKind, std::string_view) { ++calls; }),
                   "length " << len);
        BOOST_TEST(calls < 2);
    }
    auto bad_kind = bytes;
    bad_kind[2] = 7;
    BOOST_TEST(!for_each_ptr(bad_kind, [](PtrKind, std::string_view) {}));
}

BOOST_AUTO_TEST_SUITE_END()
