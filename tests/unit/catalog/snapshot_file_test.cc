// Tests for src/catalog/snapshot_file.cc: the snapshot file's framing, checksum and errors, and
// a store's state through a file and back.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "catalog/snapshot_file.hh"

#include <boost/test/unit_test.hpp>

#include "catalog/store.hh"
#include "support/temp_dir.hh"

using namespace muster::catalog;

namespace {

using Bytes = std::vector<uint8_t>;

const Bytes image_bytes = {'i', 'm', 'a', 'g', 'e', 0, 1, 2, 3, 255};

Bytes sample() {
    return encode_snapshot_file({.raft_index = 42, .index = 17, .datacenter = "dc-west"},
                                image_bytes);
}

std::string error_of(const Bytes& bytes) {
    auto r = decode_snapshot_file(bytes);
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST(!r.error().message.empty());
    return r.error().message;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::unique_ptr<Store> open_store(const muster::test::TempDir& dir, const std::string& name) {
    auto s = Store::open({.dir = (dir.path() / name).string(),
                          .map_size = uint64_t{1} << 26,
                          .durability = Durability::no_sync,
                          .max_readers = 8});
    if (!s.ok())
        BOOST_FAIL("open: " << s.error().message);
    return std::move(s).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_file_test)

BOOST_AUTO_TEST_CASE(a_file_round_trips_its_header_and_image) {
    const Bytes file = sample();
    auto r = decode_snapshot_file(file);
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST(r->info.raft_index == 42u);
    BOOST_TEST(r->info.index == 17u);
    BOOST_TEST(r->info.datacenter == "dc-west");
    BOOST_TEST(Bytes(r->image.begin(), r->image.end()) == image_bytes);
    BOOST_TEST(Bytes(file.begin(), file.begin() + 10) ==
               Bytes(snapshot_file_magic.begin(), snapshot_file_magic.end()));
}

BOOST_AUTO_TEST_CASE(a_foreign_file_is_not_a_muster_snapshot) {
    const std::string hosts = "127.0.0.1 localhost\n::1 localhost\n";
    BOOST_TEST(contains(error_of(Bytes(hosts.begin(), hosts.end())), "not a muster snapshot"));
    BOOST_TEST(contains(error_of({}), "not a muster snapshot"));
    BOOST_TEST(contains(error_of({'M', 'U', 'S'}), "not a muster snapshot"));
}

BOOST_AUTO_TEST_CASE(every_truncation_is_refused) {
    const Bytes file = sample();
    for (std::size_t size = snapshot_file_magic.size(); size < file.size(); ++size) {
        BOOST_TEST_CONTEXT("size " << size) {
            BOOST_TEST(contains(error_of(Bytes(file.begin(), file.begin() + size)), "truncated"));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_flipped_bit_after_the_magic_is_refused) {
    const Bytes file = sample();
    for (std::size_t i = snapshot_file_magic.size(); i < file.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            Bytes damaged = file;
            damaged[i] ^= static_cast<uint8_t>(1 << bit);
            BOOST_TEST_CONTEXT("byte " << i << " bit " << bit) {
                BOOST_TEST(!decode_snapshot_file(damaged).ok());
            }
        }
    }
    Bytes in_image = file;
    in_image[file.size() - 32 - 3] ^= 0x10;
    BOOST_TEST(contains(error_of(in_image), "damaged snapshot"));
    Bytes in_checksum = file;
    in_checksum.back() ^= 0x80;
    BOOST_TEST(contains(error_of(in_checksum), "checksum"));
}

BOOST_AUTO_TEST_CASE(another_format_version_is_named) {
    Bytes file = sample();
    file[snapshot_file_magic.size()] = 2;  // u16 little-endian after the magic
    BOOST_TEST(contains(error_of(file), "unsupported snapshot format version 2"));
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_refused) {
    Bytes file = sample();
    file.push_back(0);
    BOOST_TEST(contains(error_of(file), "after the checksum"));
}

BOOST_AUTO_TEST_CASE(a_store_saved_to_a_file_reads_back_as_its_restore) {
    muster::test::TempDir dir;
    auto store = open_store(dir, "a");
    Register reg;
    reg.node.name = "db-1";
    reg.node.address = "192.0.2.20";
    Service& pg = reg.service.emplace();
    pg.node = "db-1";
    pg.id = "pg";
    pg.name = "postgres";
    pg.port = 5432;
    if (auto r = store->apply(reg); !r.ok())
        BOOST_FAIL("apply: " << r.error().message);
    auto file = save_snapshot_file(*store, "dc1");
    BOOST_TEST_REQUIRE(file.ok());
    auto read = read_snapshot_file(*file);
    BOOST_TEST_REQUIRE(read.ok());
    BOOST_TEST(read->info.index == store->index());
    BOOST_TEST(read->info.datacenter == "dc1");
    BOOST_TEST(read->command.datacenter == "dc1");
    BOOST_TEST_REQUIRE(read->command.nodes.size() == 1u);
    BOOST_TEST(read->command.nodes[0].address == "192.0.2.20");
    BOOST_TEST_REQUIRE(read->command.services.size() == 1u);
    BOOST_TEST(read->command.services[0].name == "postgres");

    // A valid frame around an image that is not one is damaged, not applied.
    auto framed_garbage =
        encode_snapshot_file({.raft_index = 1, .index = 1, .datacenter = ""}, image_bytes);
    auto refused = read_snapshot_file(framed_garbage);
    BOOST_TEST_REQUIRE(!refused.ok());
    BOOST_TEST(contains(refused.error().message, "damaged snapshot"));

    // And the command makes another store hold the same.
    auto other = open_store(dir, "b");
    if (auto r = other->apply(read->command); !r.ok())
        BOOST_FAIL("restore: " << r.error().message);
    auto snap = other->snapshot();
    BOOST_TEST(snap->service("postgres", std::nullopt, HealthFilter::any).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
