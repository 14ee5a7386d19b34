// Tests for src/api/snapshot_endpoint.cc: GET /v1/snapshot's reply and PUT's checks before a
// Restore is written.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "api/snapshot_endpoint.hh"

#include <boost/test/unit_test.hpp>

#include "catalog/snapshot_file.hh"
#include "support/temp_dir.hh"

using namespace muster;
using namespace muster::api;

namespace {

std::unique_ptr<catalog::Store> open_store(const test::TempDir& dir) {
    auto s = catalog::Store::open({.dir = (dir.path() / "data").string(),
                                   .map_size = uint64_t{1} << 28,
                                   .durability = catalog::Durability::no_sync,
                                   .max_readers = 8});
    if (!s.ok())
        BOOST_FAIL("open: " << s.error().message);
    return std::move(s).value();
}

void register_services(catalog::Store& store, int count, std::size_t meta_bytes = 0) {
    std::vector<catalog::Command> batch;
    for (int i = 0; i < count; ++i) {
        catalog::Register reg;
        reg.node.name = "n" + std::to_string(i);
        reg.node.address = "10.0.0.1";
        catalog::Service& s = reg.service.emplace();
        s.node = reg.node.name;
        s.id = "s";
        s.name = "svc";
        s.port = 1;
        if (meta_bytes > 0)
            reg.service->meta["pad"] = std::string(meta_bytes, 'x');
        batch.push_back(std::move(reg));
    }
    if (auto r = store.apply(batch); !r.ok())
        BOOST_FAIL("apply: " << r.error().message);
}

std::string header(const http::Response& r, std::string_view name) {
    for (const auto& [key, value] : r.headers)
        if (key == name)
            return value;
    return "(absent)";
}

http::Request put(std::string body) {
    http::Request req;
    req.method = http::Method::put;
    req.path = "/v1/snapshot";
    req.body = std::move(body);
    return req;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_endpoint_test)

BOOST_AUTO_TEST_CASE(get_replies_the_file_with_its_catalog_index) {
    test::TempDir dir;
    auto store = open_store(dir);
    register_services(*store, 2);
    Options options;
    options.datacenter = "dc9";
    auto r = snapshot_response(options, *store);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.content_type == "application/octet-stream");
    BOOST_TEST(header(r, "X-Consul-Index") == std::to_string(store->index()));
    auto file = catalog::read_snapshot_file(
        {reinterpret_cast<const uint8_t*>(r.body.data()), r.body.size()});
    BOOST_TEST_REQUIRE(file.ok());
    BOOST_TEST(file->info.datacenter == "dc9");
    BOOST_TEST(file->command.nodes.size() == 2u);

    // PUT takes that body back as one Restore.
    auto plan = plan_restore(put(r.body));
    BOOST_TEST_REQUIRE(plan.batch.size() == 1u);
    BOOST_TEST(std::get<catalog::Restore>(plan.batch[0]).services.size() == 2u);
}

BOOST_AUTO_TEST_CASE(put_refuses_foreign_and_damaged_bodies_with_400) {
    test::TempDir dir;
    auto store = open_store(dir);
    register_services(*store, 1);
    auto good = snapshot_response(Options{}, *store).body;
    auto foreign = plan_restore(put("127.0.0.1 localhost\n"));
    BOOST_TEST(foreign.batch.empty());
    BOOST_TEST(foreign.refusal.status == 400);
    BOOST_TEST(foreign.refusal.body.find("not a muster snapshot") != std::string::npos);
    std::string damaged = good;
    damaged[damaged.size() / 2] ^= 0x01;
    auto refused = plan_restore(put(damaged));
    BOOST_TEST(refused.batch.empty());
    BOOST_TEST(refused.refusal.status == 400);
    BOOST_TEST(refused.refusal.body.find("damaged snapshot") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(put_refuses_a_restore_too_big_for_one_raft_entry_with_413) {
    test::TempDir dir;
    auto store = open_store(dir);
    register_services(*store, 1800, 4000);  // about 7.2 MB of services, over 6 MiB
    auto plan = plan_restore(put(snapshot_response(Options{}, *store).body));
    BOOST_TEST(plan.batch.empty());
    BOOST_TEST(plan.refusal.status == 413);
    BOOST_TEST(plan.refusal.body.find("too large") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
