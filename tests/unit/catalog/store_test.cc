// Tests for src/catalog/store.cc: apply, cascades, health, DNS records, change log, listeners,
// Raft entries, images and restore.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "catalog/store.hh"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <thread>
#include <tuple>

#include <lmdb.h>
#include <boost/test/unit_test.hpp>

#include "catalog/dns_record.hh"
#include "catalog/internal/store_fragment.hh"
#include "catalog/internal/store_image.hh"
#include "common/lmdb.hh"
#include "support/temp_dir.hh"

using namespace muster::catalog;

using muster::test::TempDir;

namespace {

// A store in a fresh directory (a subdirectory that does not exist yet, so open creates it).
struct Fixture {
    Fixture() { open(); }
    void open() {
        auto s = Store::open({.dir = (dir.path() / "data").string(),
                              .map_size = uint64_t{1} << 28,
                              .durability = Durability::no_sync,
                              .max_readers = 64});
        if (!s.ok())
            BOOST_FAIL("open: " << s.error().message);
        store = std::move(s).value();
    }
    void reopen() {
        store.reset();
        open();
    }
    uint64_t apply(const Command& c) { return apply(std::vector<Command>{c}); }
    uint64_t apply(const std::vector<Command>& batch) {
        auto r = store->apply(batch);
        if (!r.ok())
            BOOST_FAIL("apply: " << r.error().message);
        return *r;
    }
    std::string apply_error(const std::vector<Command>& batch) {
        auto r = store->apply(batch);
        BOOST_TEST_REQUIRE(!r.ok());
        return r.error().message;
    }
    TempDir dir;
    std::unique_ptr<Store> store;
};

Node node(std::string name, std::string address) {
    Node n;
    n.name = std::move(name);
    n.address = std::move(address);
    n.datacenter = "dc1";
    return n;
}

Service service(std::string name, std::string id = "", uint16_t port = 80) {
    Service s;
    s.name = std::move(name);
    s.id = std::move(id);
    s.port = port;
    return s;
}

Check check(std::string id, std::string service_id, Status status) {
    Check c;
    c.id = std::move(id);
    c.name = c.id;
    c.service_id = std::move(service_id);
    c.status = status;
    return c;
}

Register reg(Node n, std::optional<Service> s = std::nullopt, std::vector<Check> checks = {}) {
    return Register{.node = std::move(n), .service = std::move(s), .checks = std::move(checks)};
}

Deregister dereg_node(std::string n) {
    return Deregister{.node = std::move(n), .service_id = std::nullopt, .check_id = std::nullopt};
}

UpdateCheck update(std::string n, std::string id, Status s, std::string output = "") {
    return UpdateCheck{
        .node = std::move(n), .check_id = std::move(id), .status = s, .output = std::move(output)};
}

// An instance of a ServiceRecord, copied out of the reader's views.
struct Instance {
    Status health;
    uint8_t family;
    std::string addr;  // the address bytes
    bool own_address;
    uint16_t port;
    uint16_t weight_passing;
    uint16_t weight_warning;
    std::string node;
    std::vector<std::string> tags;
};

std::vector<Instance> dns_service(const Store& store, std::string_view name) {
    auto reader = store.reader();
    reader->begin();
    auto bytes = reader->service(name);
    std::vector<Instance> out;
    if (bytes.empty()) {
        reader->end();
        return out;
    }
    ServiceRecordReader r(bytes);
    BOOST_TEST_REQUIRE(r.valid());
    InstanceView v;
    while (r.next(v)) {
        Instance i{
            v.health,         v.addr.family,       {}, v.own_address, v.port, v.weight_passing,
            v.weight_warning, std::string(v.node), {}};
        auto a = v.addr.span();
        i.addr.assign(a.begin(), a.end());
        auto t = v.tags;
        for (uint8_t n = 0; n < v.tag_count; ++n) {
            i.tags.emplace_back(reinterpret_cast<const char*>(t.data() + 1), t[0]);
            t = t.subspan(1u + t[0]);
        }
        out.push_back(std::move(i));
    }
    BOOST_TEST(out.size() == r.count());
    reader->end();
    // The record keeps its instances by health; these tests look at them by node and port.
    std::stable_sort(out.begin(), out.end(), [](const Instance& a, const Instance& b) {
        return std::tie(a.node, a.port) < std::tie(b.node, b.port);
    });
    return out;
}

std::string ip(std::string_view text) {
    auto b = ip_bytes(text);
    auto s = b.span();
    return std::string(s.begin(), s.end());
}

std::vector<std::pair<PtrKind, std::string>> dns_ptr(const Store& store, std::string_view addr) {
    auto reader = store.reader();
    reader->begin();
    std::vector<std::pair<PtrKind, std::string>> out;
    auto b = ip_bytes(addr);
    bool ok = for_each_ptr(reader->ptr(b.span()), [&](PtrKind k, std::string_view name) {
        out.emplace_back(k, std::string(name));
    });
    if (!reader->ptr(b.span()).empty())
        BOOST_TEST(ok);
    reader->end();
    return out;
}

std::vector<std::string> entry_nodes(const std::vector<ServiceEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries)
        out.push_back(e.node.name + "/" + e.service.id);
    return out;
}

using Names = std::vector<std::string>;

// The raw bytes of a ServiceRecord (empty when absent).
std::vector<uint8_t> record_bytes(const Store& store, std::string_view name) {
    auto reader = store.reader();
    reader->begin();
    auto bytes = reader->service(name);
    std::vector<uint8_t> out(bytes.begin(), bytes.end());
    reader->end();
    return out;
}

// One instance as the reference encoder (encode_service_record) takes it.
InstanceData instance(Status health, std::string_view addr, bool own_address, uint16_t port,
                      std::string node, std::vector<std::string> tags = {}, Weights weights = {}) {
    InstanceData d;
    d.health = health;
    d.addr = ip_bytes(addr);
    d.own_address = own_address;
    d.port = port;
    d.weights = weights;
    d.node = std::move(node);
    d.tags = std::move(tags);
    return d;
}

using Bytes = std::vector<uint8_t>;

// Applies one Raft entry, failing the test when the entry as a whole fails.
std::vector<muster::Result<uint64_t>> apply_entry(
    Store& store, uint64_t raft_index, const std::vector<std::vector<Command>>& batches) {
    auto r = store.apply_entry(raft_index, batches);
    if (!r.ok())
        BOOST_FAIL("apply_entry: " << r.error().message);
    return std::move(r).value();
}

std::string text(const Check& c) {
    return c.node + "/" + c.id + ":" + c.service_id + ":" + c.service_name + ":" +
           std::to_string(static_cast<int>(c.status)) + ":" + c.output + ":" +
           std::to_string(c.index.create) + "-" + std::to_string(c.index.modify);
}

// What a reader sees of a store through snapshot() and reader(): every node, service instance
// and check with its indexes, the raw DNS records and PTRs of `addrs`, and the change log.
std::vector<std::string> contents(const Store& store, const std::vector<std::string>& addrs) {
    std::vector<std::string> out;
    auto snap = store.snapshot();
    out.push_back("index " + std::to_string(snap->index()));
    for (const auto& n : snap->nodes()) {
        out.push_back("node " + n.name + " " + n.address + " " + std::to_string(n.index.create) +
                      "-" + std::to_string(n.index.modify));
        for (const auto& c : snap->node_checks(n.name))
            out.push_back("check " + text(c));
        auto reader = store.reader();
        reader->begin();
        auto record = reader->node(n.name);
        out.push_back("dns node " + std::to_string(record.size()) + " " +
                      std::string(record.begin(), record.end()));
        reader->end();
    }
    for (const auto& [name, tags] : snap->services()) {
        for (const auto& e : snap->service(name, std::nullopt, HealthFilter::any)) {
            std::string line = "instance " + e.node.name + "/" + e.service.id + " " +
                               e.service.name + ":" + std::to_string(e.service.port) + " " +
                               std::to_string(e.service.index.create) + "-" +
                               std::to_string(e.service.index.modify);
            for (const auto& t : e.service.tags)
                line += " #" + t;
            for (const auto& c : e.checks)
                line += " " + text(c);
            out.push_back(line);
        }
        auto record = record_bytes(store, name);
        out.push_back("dns service " + name + " " + std::string(record.begin(), record.end()));
    }
    for (const auto& a : addrs)
        for (const auto& [kind, name] : dns_ptr(store, a))
            out.push_back("ptr " + a + " " + std::to_string(static_cast<int>(kind)) + " " + name);
    for (const auto& m : snap->left_members())
        out.push_back("left " + m.name + " " + m.address + " " + (m.server ? "server" : "client") +
                      " " + std::to_string(m.index));
    for (const auto& c : store.changes_since(0)) {
        std::string line = "change " + std::to_string(c.index);
        for (const auto& n : c.nodes)
            line += " n:" + n;
        for (const auto& n : c.services)
            line += " s:" + n;
        out.push_back(line);
    }
    return out;
}

const std::vector<std::string> small_addrs = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"};

// A small catalog under Raft: two entries, one with a refused batch in the middle.
void fill_small(Store& store) {
    Service web = service("web", "web-1", 8080);
    web.tags = {"v1", "primary"};
    Service db = service("db", "db-1", 5432);
    db.address = "10.0.0.9";
    apply_entry(store, 3,
                {{reg(node("a", "10.0.0.1"), web, {check("web-http", "web-1", Status::passing)})},
                 {dereg_node("")},
                 {reg(node("b", "10.0.0.2"), db, {check("serf", "", Status::warning)})}});
    apply_entry(store, 4,
                {{update("a", "web-http", Status::critical, "down")},
                 {reg(node("c", "10.0.0.3"), service("web", "web-2", 8081)),
                  reg(node("gone", "10.0.0.8")), Leave{.node = "gone", .server = true}}});
}

// Opens the LMDB file `path`, runs `edit` in one write transaction and commits it; with `copy`,
// then writes a compacted copy of the result there.
void edit_lmdb(const std::string& path, const std::function<void(MDB_txn*)>& edit,
               const std::string& copy = "") {
    MDB_env* env = nullptr;
    BOOST_TEST_REQUIRE(mdb_env_create(&env) == 0);
    BOOST_TEST_REQUIRE(mdb_env_set_maxdbs(env, 32) == 0);
    BOOST_TEST_REQUIRE(mdb_env_set_mapsize(env, size_t{1} << 28) == 0);
    BOOST_TEST_REQUIRE(mdb_env_open(env, path.c_str(), MDB_NOSUBDIR | MDB_NOLOCK, 0600) == 0);
    MDB_txn* txn = nullptr;
    BOOST_TEST_REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    edit(txn);
    BOOST_TEST_REQUIRE(mdb_txn_commit(txn) == 0);
    if (!copy.empty())
        BOOST_TEST_REQUIRE(mdb_env_copy2(env, copy.c_str(), MDB_CP_COMPACT) == 0);
    mdb_env_close(env);
}

// `image` with its LMDB file changed by `edit` (edit_lmdb), compacted and framed again.
Bytes edit_image(const Bytes& image, const muster::test::TempDir& dir,
                 const std::function<void(MDB_txn*)>& edit) {
    auto header = internal::parse_image_header(image);
    BOOST_TEST_REQUIRE(header.ok());
    auto path = (dir.path() / "old.mdb").string();
    auto copy = (dir.path() / "old-copy.mdb").string();
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(image.data() + internal::image_header_size),
                  static_cast<std::streamsize>(image.size() - internal::image_header_size));
    }
    edit_lmdb(path, edit, copy);
    std::ifstream in(copy, std::ios::binary);
    Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto framed = internal::encode_image_header({.raft_index = header->raft_index,
                                                 .index = header->index,
                                                 .file_size = file.size(),
                                                 .checksum = internal::image_checksum(file)});
    Bytes out(framed.begin(), framed.end());
    out.insert(out.end(), file.begin(), file.end());
    return out;
}

// `image` as a build from before the left_members database wrote it: the same LMDB file
// without that database, framed again.
Bytes without_left_members(const Bytes& image, const muster::test::TempDir& dir) {
    return edit_image(image, dir, [](MDB_txn* txn) {
        MDB_dbi dbi = 0;
        BOOST_TEST_REQUIRE(mdb_dbi_open(txn, "left_members", 0, &dbi) == 0);
        BOOST_TEST_REQUIRE(mdb_drop(txn, dbi, 1) == 0);
    });
}

Bytes image_of(const Store& store) {
    auto d = store.image();
    if (!d.ok())
        BOOST_FAIL("image: " << d.error().message);
    return std::move(d).value();
}

// Every entry of every database of an image, as text (images of the same contents may differ
// in page layout, so tests compare these).
std::vector<std::string> raw_entries(const Bytes& image) {
    auto opened = internal::open_image(image);
    if (!opened.ok())
        BOOST_FAIL("open image: " << opened.error().message);
    std::vector<std::string> out;
    auto list = internal::db_list((*opened)->dbs());
    for (std::size_t i = 0; i < internal::db_count; ++i) {
        if (list[i].handle == internal::absent_dbi)
            continue;  // an image from before this database
        muster::lmdb::Cursor c((*opened)->txn(), list[i]);
        for (auto e = c.first(); e; e = c.next())
            out.push_back(std::string(internal::db_names[i]) + " " +
                          std::string(muster::lmdb::text(e->key)) + " = " +
                          std::string(muster::lmdb::text(e->value)));
    }
    return out;
}

// An image whose LMDB file is `file`, with a header that matches it (checksum included).
Bytes frame_image(const Bytes& file, uint64_t raft_index, uint64_t index) {
    auto header = internal::encode_image_header({.raft_index = raft_index,
                                                 .index = index,
                                                 .file_size = file.size(),
                                                 .checksum = internal::image_checksum(file)});
    Bytes out(header.size() + file.size());  // no insert: GCC 12 warns falsely on an empty file
    std::copy(header.begin(), header.end(), out.begin());
    std::copy(file.begin(), file.end(), out.begin() + header.size());
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_test)

// ---- open, index, batches

BOOST_AUTO_TEST_CASE(open_creates_directory_and_starts_at_index_zero) {
    Fixture f;
    BOOST_TEST(std::filesystem::exists(f.dir.path() / "data" / "catalog.mdb"));
    BOOST_TEST(f.store->index() == 0u);
    BOOST_TEST(f.store->snapshot()->index() == 0u);
    BOOST_TEST(f.store->snapshot()->nodes().empty());
    BOOST_TEST(f.store->changes_since(0).empty());
}

BOOST_AUTO_TEST_CASE(index_bumps_once_per_batch) {
    Fixture f;
    uint64_t i = f.apply(
        {reg(node("a", "10.0.0.1")), reg(node("b", "10.0.0.2")), reg(node("c", "10.0.0.3"))});
    BOOST_TEST(i == 1u);
    BOOST_TEST(f.store->index() == 1u);
    BOOST_TEST(f.apply(reg(node("d", "10.0.0.4"))) == 2u);
    BOOST_TEST(f.store->snapshot()->index() == 2u);
    BOOST_TEST(f.store->snapshot()->nodes().size() == 4u);
}

BOOST_AUTO_TEST_CASE(register_stores_node_service_and_checks_with_indexes) {
    Fixture f;
    Service s = service("web", "web-1", 8080);
    s.tags = {"v1"};
    s.node = "ignored";  // the store takes the node from the command
    f.apply(reg(node("Node-A", "10.0.0.1"), s, {check("web-http", "web-1", Status::passing)}));
    auto snap = f.store->snapshot();
    auto n = snap->node("node-a");  // case-insensitive
    BOOST_TEST_REQUIRE(n.has_value());
    BOOST_TEST(n->name == "Node-A");
    BOOST_TEST(n->address == "10.0.0.1");
    BOOST_TEST(n->index.create == 1u);
    BOOST_TEST(n->index.modify == 1u);
    auto services = snap->node_services("NODE-A");
    BOOST_TEST_REQUIRE(services.size() == 1u);
    BOOST_TEST(services[0].node == "Node-A");
    BOOST_TEST(services[0].port == 8080);
    BOOST_TEST(services[0].index.create == 1u);
    auto checks = snap->node_checks("node-a");
    BOOST_TEST_REQUIRE(checks.size() == 1u);
    BOOST_TEST(checks[0].service_name == "web");  // filled from the service
    BOOST_TEST(checks[0].node == "Node-A");
}

BOOST_AUTO_TEST_CASE(service_id_defaults_to_name) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("redis")));
    auto services = f.store->snapshot()->node_services("a");
    BOOST_TEST_REQUIRE(services.size() == 1u);
    BOOST_TEST(services[0].id == "redis");
}

BOOST_AUTO_TEST_CASE(upsert_keeps_create_index_and_moves_modify_index) {
    Fixture f;
    f.apply(
        reg(node("a", "10.0.0.1"), service("web", "", 80), {check("c1", "web", Status::passing)}));
    f.apply(reg(node("other", "10.0.0.9")));
    f.apply(
        reg(node("a", "10.0.0.2"), service("web", "", 81), {check("c1", "web", Status::warning)}));
    auto snap = f.store->snapshot();
    auto n = snap->node("a");
    BOOST_TEST(n->index.create == 1u);
    BOOST_TEST(n->index.modify == 3u);
    BOOST_TEST(n->address == "10.0.0.2");
    auto s = snap->node_services("a").at(0);
    BOOST_TEST(s.index.create == 1u);
    BOOST_TEST(s.index.modify == 3u);
    BOOST_TEST(s.port == 81);
    auto c = snap->node_checks("a").at(0);
    BOOST_TEST(c.index.create == 1u);
    BOOST_TEST(c.index.modify == 3u);
}

BOOST_AUTO_TEST_CASE(unchanged_upsert_keeps_modify_index) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web")));
    f.apply(reg(node("a", "10.0.0.1"), service("web")));
    auto snap = f.store->snapshot();
    BOOST_TEST(snap->index() == 2u);
    BOOST_TEST(snap->node("a")->index.modify == 1u);
    BOOST_TEST(snap->node_services("a").at(0).index.modify == 1u);
}

BOOST_AUTO_TEST_CASE(skip_node_update_keeps_existing_node_but_creates_missing_one) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1")));
    Register r = reg(node("a", "10.9.9.9"), service("web"));
    r.skip_node_update = true;
    f.apply(r);
    auto snap = f.store->snapshot();
    BOOST_TEST(snap->node("a")->address == "10.0.0.1");
    BOOST_TEST(snap->node_services("a").size() == 1u);
    Register fresh = reg(node("b", "10.0.0.2"));
    fresh.skip_node_update = true;
    f.apply(fresh);
    BOOST_TEST(f.store->snapshot()->node("b")->address == "10.0.0.2");
}

// ---- validation: the whole batch fails, nothing changes

BOOST_AUTO_TEST_CASE(failed_batch_changes_nothing) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web")));
    auto before = f.store->changes_since(0);
    auto error = f.apply_error({
        reg(node("b", "10.0.0.2"), service("db")),
        update("a", "nope", Status::critical),
    });
    BOOST_TEST(error.find("nope") != std::string::npos);
    BOOST_TEST(f.store->index() == 1u);
    auto snap = f.store->snapshot();
    BOOST_TEST(snap->index() == 1u);
    BOOST_TEST(!snap->node("b").has_value());
    BOOST_TEST(snap->service("db", std::nullopt, HealthFilter::any).empty());
    BOOST_TEST(dns_service(*f.store, "db").empty());
    BOOST_TEST(f.store->changes_since(0).size() == before.size());
}

BOOST_AUTO_TEST_CASE(invalid_commands_are_errors_naming_the_problem) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1")));
    BOOST_TEST(f.apply_error({reg(node("", "10.0.0.1"))}).find("node.name: empty") !=
               std::string::npos);
    BOOST_TEST(
        f.apply_error({reg(node("a", "10.0.0.1"), service(""))}).find("service.name: empty") !=
        std::string::npos);
    BOOST_TEST(f.apply_error({reg(node("a", "10.0.0.1"), std::nullopt,
                                  {check("c", "missing-svc", Status::passing)})})
                   .find("missing-svc") != std::string::npos);
    BOOST_TEST(f.apply_error({update("a", "c", Status::passing)}).find("not found") !=
               std::string::npos);
    BOOST_TEST(f.apply_error({dereg_node("")}).find("empty") != std::string::npos);
    BOOST_TEST(f.apply_error({reg(node(std::string("a\0b", 3), "10.0.0.1"))}).find("NUL") !=
               std::string::npos);
    BOOST_TEST(f.store->index() == 1u);
}

BOOST_AUTO_TEST_CASE(check_may_name_a_service_registered_earlier_in_the_batch) {
    Fixture f;
    f.apply({reg(node("a", "10.0.0.1"), service("web")),
             reg(node("a", "10.0.0.1"), std::nullopt, {check("c", "web", Status::passing)})});
    BOOST_TEST(f.store->snapshot()->service_checks("web").size() == 1u);
}

// ---- deregistration cascades

BOOST_AUTO_TEST_CASE(deregister_node_removes_its_services_checks_and_records) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web"),
                {check("c1", "web", Status::passing), check("n1", "", Status::passing)}));
    f.apply(reg(node("b", "10.0.0.2"), service("web")));
    f.apply(dereg_node("A"));
    auto snap = f.store->snapshot();
    BOOST_TEST(!snap->node("a").has_value());
    BOOST_TEST(snap->node_services("a").empty());
    BOOST_TEST(snap->node_checks("a").empty());
    BOOST_TEST(snap->checks(std::nullopt).empty());
    BOOST_TEST(entry_nodes(snap->service("web", std::nullopt, HealthFilter::any)) ==
               (Names{"b/web"}));
    auto reader = f.store->reader();
    reader->begin();
    BOOST_TEST(reader->node("a").empty());
    BOOST_TEST(!reader->node("b").empty());
    reader->end();
    BOOST_TEST(dns_ptr(*f.store, "10.0.0.1").empty());
}

BOOST_AUTO_TEST_CASE(leave_removes_the_node_as_deregister_does_and_records_it_left) {
    Fixture f;
    f.apply(reg(node("Cli-1", "10.0.0.1"), service("web"),
                {check("c1", "web", Status::passing), check("serfHealth", "", Status::passing)}));
    f.apply(reg(node("b", "10.0.0.2"), service("web")));
    uint64_t at = f.apply(Leave{.node = "cli-1", .server = false});
    auto snap = f.store->snapshot();
    BOOST_TEST(!snap->node("cli-1").has_value());
    BOOST_TEST(snap->node_services("cli-1").empty());
    BOOST_TEST(snap->checks(std::nullopt).empty());
    BOOST_TEST(entry_nodes(snap->service("web", std::nullopt, HealthFilter::any)) ==
               (Names{"b/web"}));
    BOOST_TEST(dns_ptr(*f.store, "10.0.0.1").empty());
    auto left = snap->left_members();
    BOOST_TEST_REQUIRE(left.size() == 1u);
    BOOST_TEST((left[0] ==
                LeftMember{.name = "Cli-1", .address = "10.0.0.1", .server = false, .index = at}));
    auto changes = f.store->changes_since(at - 1);
    BOOST_TEST_REQUIRE(changes.size() == 1u);
    BOOST_TEST(changes[0].nodes == (std::vector<std::string>{"Cli-1"}));
}

BOOST_AUTO_TEST_CASE(leave_of_an_unknown_node_records_nothing) {
    Fixture f;
    f.apply(Leave{.node = "nobody", .server = false});
    BOOST_TEST(f.store->snapshot()->left_members().empty());
    BOOST_TEST(f.apply_error({Leave{.node = "", .server = false}}).find("Leave.node: empty") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(register_of_a_left_node_brings_it_back) {
    Fixture f;
    f.apply(reg(node("srv-2", "10.0.0.2")));
    f.apply(reg(node("cli-3", "10.0.0.3")));
    f.apply(std::vector<Command>{Leave{.node = "srv-2", .server = true},
                                 Leave{.node = "cli-3", .server = false}});
    BOOST_TEST(f.store->snapshot()->left_members().size() == 2u);
    f.apply(reg(node("SRV-2", "10.0.0.12")));
    auto snap = f.store->snapshot();
    auto left = snap->left_members();
    BOOST_TEST_REQUIRE(left.size() == 1u);
    BOOST_TEST(left[0].name == "cli-3");
    BOOST_TEST(snap->node("srv-2")->address == "10.0.0.12");
    // Left again: the record follows the newest leave.
    uint64_t at = f.apply(Leave{.node = "srv-2", .server = true});
    left = f.store->snapshot()->left_members();
    BOOST_TEST_REQUIRE(left.size() == 2u);
    BOOST_TEST((left[1] ==
                LeftMember{.name = "SRV-2", .address = "10.0.0.12", .server = true, .index = at}));
}

BOOST_AUTO_TEST_CASE(only_the_newest_left_records_are_kept) {
    Fixture f;
    const std::size_t kept = internal::left_members_kept;
    std::vector<Command> registers, first, rest;
    for (std::size_t i = 0; i < kept + 2; ++i) {
        std::string name = "n" + std::to_string(i);
        registers.push_back(reg(node(name, "10.1.0.1")));
        (i < 2 ? first : rest).push_back(Leave{.node = name, .server = false});
    }
    f.apply(registers);
    f.apply(first);
    f.apply(rest);
    auto left = f.store->snapshot()->left_members();
    BOOST_TEST(left.size() == kept);
    for (const auto& m : left)
        BOOST_TEST((m.name != "n0" && m.name != "n1"), m.name << " kept");
}

BOOST_AUTO_TEST_CASE(deregister_service_removes_only_its_checks) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web"), {check("c1", "web", Status::passing)}));
    f.apply(reg(node("a", "10.0.0.1"), service("db"),
                {check("c2", "db", Status::passing), check("n1", "", Status::passing)}));
    f.apply(Deregister{.node = "a", .service_id = "web", .check_id = std::nullopt});
    auto snap = f.store->snapshot();
    BOOST_TEST(snap->node("a").has_value());
    auto services = snap->node_services("a");
    BOOST_TEST_REQUIRE(services.size() == 1u);
    BOOST_TEST(services[0].id == "db");
    Names ids;
    for (const auto& c : snap->node_checks("a"))
        ids.push_back(c.id);
    BOOST_TEST(ids == (Names{"c2", "n1"}));
    BOOST_TEST(dns_service(*f.store, "web").empty());
}

BOOST_AUTO_TEST_CASE(deregister_check_removes_one_check) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web"),
                {check("c1", "web", Status::critical), check("c2", "web", Status::passing)}));
    f.apply(Deregister{.node = "a", .service_id = std::nullopt, .check_id = "c1"});
    auto checks = f.store->snapshot()->node_checks("a");
    BOOST_TEST_REQUIRE(checks.size() == 1u);
    BOOST_TEST(checks[0].id == "c2");
    BOOST_TEST(f.store->snapshot()->node_services("a").size() == 1u);
    BOOST_TEST((dns_service(*f.store, "web").at(0).health == Status::passing));
}

BOOST_AUTO_TEST_CASE(deregister_of_absent_things_is_not_an_error) {
    Fixture f;
    BOOST_TEST(f.apply(dereg_node("ghost")) == 1u);
    BOOST_TEST(f.apply(Deregister{.node = "ghost", .service_id = "s", .check_id = "c"}) == 2u);
}

// ---- health

BOOST_AUTO_TEST_CASE(node_critical_check_hides_all_its_instances) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web")));
    f.apply(reg(node("a", "10.0.0.1"), service("db")));
    f.apply(reg(node("b", "10.0.0.2"), service("web")));
    f.apply(reg(node("a", "10.0.0.1"), std::nullopt, {check("serf", "", Status::critical)}));
    auto snap = f.store->snapshot();
    BOOST_TEST(entry_nodes(snap->service("web", std::nullopt, HealthFilter::healthy)) ==
               (Names{"b/web"}));
    BOOST_TEST(snap->service("db", std::nullopt, HealthFilter::healthy).empty());
    BOOST_TEST(snap->service("web", std::nullopt, HealthFilter::any).size() == 2u);
    auto web = dns_service(*f.store, "web");
    BOOST_TEST_REQUIRE(web.size() == 2u);
    BOOST_TEST((web[0].health == Status::critical));
    BOOST_TEST((web[1].health == Status::passing));
    BOOST_TEST((dns_service(*f.store, "db").at(0).health == Status::critical));
    // Recovery through UpdateCheck re-materialises every service on the node.
    f.apply(update("a", "serf", Status::passing));
    BOOST_TEST((dns_service(*f.store, "db").at(0).health == Status::passing));
    BOOST_TEST(f.store->snapshot()->service("web", std::nullopt, HealthFilter::healthy).size() ==
               2u);
}

BOOST_AUTO_TEST_CASE(warning_passes_healthy_but_not_passing_only) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web"), {check("c", "web", Status::warning)}));
    auto snap = f.store->snapshot();
    BOOST_TEST(snap->service("web", std::nullopt, HealthFilter::healthy).size() == 1u);
    BOOST_TEST(snap->service("web", std::nullopt, HealthFilter::passing_only).empty());
    auto entries = snap->service("web", std::nullopt, HealthFilter::any);
    BOOST_TEST_REQUIRE(entries.size() == 1u);
    BOOST_TEST(entries[0].checks.size() == 1u);
    BOOST_TEST((dns_service(*f.store, "web").at(0).health == Status::warning));
}

BOOST_AUTO_TEST_CASE(maintenance_checks_hide_instances) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web", "web-1")));
    f.apply(reg(node("a", "10.0.0.1"), service("web", "web-2")));
    Check service_maint =
        check(std::string(service_maintenance_prefix) + "web-1", "web-1", Status::critical);
    service_maint.type = "maintenance";
    f.apply(reg(node("a", "10.0.0.1"), std::nullopt, {service_maint}));
    BOOST_TEST(entry_nodes(f.store->snapshot()->service(
                   "web", std::nullopt, HealthFilter::healthy)) == (Names{"a/web-2"}));
    f.apply(reg(node("a", "10.0.0.1"), std::nullopt,
                {check(std::string(node_maintenance_check_id), "", Status::critical)}));
    BOOST_TEST(f.store->snapshot()->service("web", std::nullopt, HealthFilter::healthy).empty());
    for (const auto& i : dns_service(*f.store, "web"))
        BOOST_TEST((i.health == Status::critical));
}

BOOST_AUTO_TEST_CASE(other_instances_checks_do_not_affect_an_instance) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web", "web-1"),
                {check("c1", "web-1", Status::critical)}));
    f.apply(reg(node("a", "10.0.0.1"), service("web", "web-2")));
    BOOST_TEST(entry_nodes(f.store->snapshot()->service(
                   "web", std::nullopt, HealthFilter::healthy)) == (Names{"a/web-2"}));
}

// ---- snapshot queries

BOOST_AUTO_TEST_CASE(service_query_is_case_insensitive_and_filters_tags) {
    Fixture f;
    Service v1 = service("Web", "w1");
    v1.tags = {"Primary", "v1"};
    Service v2 = service("web", "w2");
    v2.tags = {"v2"};
    f.apply(reg(node("b", "10.0.0.2"), v1));
    f.apply(reg(node("a", "10.0.0.1"), v2));
    auto snap = f.store->snapshot();
    BOOST_TEST(entry_nodes(snap->service("WEB", std::nullopt, HealthFilter::any)) ==
               (Names{"a/w2", "b/w1"}));
    BOOST_TEST(entry_nodes(snap->service("web", "primary", HealthFilter::any)) == (Names{"b/w1"}));
    BOOST_TEST(snap->service("web", "v3", HealthFilter::any).empty());
}

BOOST_AUTO_TEST_CASE(catalog_listings_are_sorted_and_complete) {
    Fixture f;
    Service web = service("web", "w1");
    web.tags = {"b", "a"};
    Service web2 = service("web", "w2");
    web2.tags = {"c", "a"};
    f.apply(reg(node("zeta", "10.0.0.3"), web, {check("c1", "w1", Status::critical)}));
    f.apply(reg(node("alpha", "10.0.0.1"), web2, {check("c2", "", Status::passing)}));
    f.apply(reg(node("alpha", "10.0.0.1"), service("db")));
    auto snap = f.store->snapshot();
    Names nodes;
    for (const auto& n : snap->nodes())
        nodes.push_back(n.name);
    BOOST_TEST(nodes == (Names{"alpha", "zeta"}));
    auto services = snap->services();
    BOOST_TEST_REQUIRE(services.size() == 2u);
    BOOST_TEST(services[0].first == "db");
    BOOST_TEST(services[1].first == "web");
    BOOST_TEST(services[1].second == (Names{"a", "b", "c"}));
    BOOST_TEST(snap->checks(std::nullopt).size() == 2u);
    auto critical = snap->checks(Status::critical);
    BOOST_TEST_REQUIRE(critical.size() == 1u);
    BOOST_TEST(critical[0].id == "c1");
    BOOST_TEST(snap->checks(Status::warning).empty());
    auto web_checks = snap->service_checks("web");
    BOOST_TEST_REQUIRE(web_checks.size() == 1u);  // node-level c2 is not a service check
    BOOST_TEST(web_checks[0].id == "c1");
}

BOOST_AUTO_TEST_CASE(service_rename_updates_checks_and_both_records) {
    Fixture f;
    f.apply(
        reg(node("a", "10.0.0.1"), service("old", "svc"), {check("c", "svc", Status::passing)}));
    f.apply(reg(node("a", "10.0.0.1"), service("new", "svc")));
    auto snap = f.store->snapshot();
    BOOST_TEST(snap->node_checks("a").at(0).service_name == "new");
    BOOST_TEST(snap->service("old", std::nullopt, HealthFilter::any).empty());
    BOOST_TEST(snap->service("new", std::nullopt, HealthFilter::any).size() == 1u);
    BOOST_TEST(dns_service(*f.store, "old").empty());
    BOOST_TEST(dns_service(*f.store, "new").size() == 1u);
    auto changes = f.store->changes_since(1);
    BOOST_TEST_REQUIRE(changes.size() == 1u);
    BOOST_TEST(changes[0].services == (Names{"new", "old"}));
}

// ---- DNS records

BOOST_AUTO_TEST_CASE(service_record_lists_instances_by_node_then_id) {
    Fixture f;
    Service own = service("web", "w2", 8443);
    own.address = "192.0.2.7";
    own.tags = {"tls", "v2"};
    own.weights = {.passing = 100000, .warning = 5};
    f.apply(reg(node("b", "10.0.0.2"), own));
    f.apply(reg(node("b", "10.0.0.2"), service("web", "w1", 8080)));
    f.apply(reg(node("a", "2001:db8::a"), service("web", "w9", 80)));
    f.apply(reg(node("c", "c.example.org"), service("web", "w3", 80)));
    auto web = dns_service(*f.store, "web");
    BOOST_TEST_REQUIRE(web.size() == 4u);
    BOOST_TEST(web[0].node == "a");
    BOOST_TEST(web[0].family == 6);
    BOOST_TEST(web[0].addr == ip("2001:db8::a"));
    BOOST_TEST(web[1].node == "b");
    BOOST_TEST(web[1].port == 8080);  // w1 before w2
    BOOST_TEST(!web[1].own_address);
    BOOST_TEST(web[1].addr == ip("10.0.0.2"));
    BOOST_TEST(web[2].port == 8443);
    BOOST_TEST(web[2].own_address);
    BOOST_TEST(web[2].addr == ip("192.0.2.7"));
    BOOST_TEST(web[2].weight_passing == 65535);  // clamped to u16
    BOOST_TEST(web[2].weight_warning == 5);
    BOOST_TEST(web[2].tags == (Names{"tls", "v2"}));
    BOOST_TEST(web[3].node == "c");
    BOOST_TEST(web[3].family == 0);  // a host name: kept, DNS skips it
}

BOOST_AUTO_TEST_CASE(service_record_is_keyed_lowercase_and_deleted_with_last_instance) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("Web")));
    f.apply(reg(node("b", "10.0.0.2"), service("web")));
    BOOST_TEST(dns_service(*f.store, "web").size() == 2u);
    BOOST_TEST(dns_service(*f.store, "Web").empty());  // readers pass lowercase keys
    f.apply(dereg_node("a"));
    BOOST_TEST(dns_service(*f.store, "web").size() == 1u);
    f.apply(Deregister{.node = "b", .service_id = "web", .check_id = std::nullopt});
    BOOST_TEST(dns_service(*f.store, "web").empty());
}

BOOST_AUTO_TEST_CASE(node_address_change_updates_service_and_node_records) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web")));
    f.apply(reg(node("A", "10.0.0.5")));
    BOOST_TEST(dns_service(*f.store, "web").at(0).addr == ip("10.0.0.5"));
    BOOST_TEST(dns_service(*f.store, "web").at(0).node == "A");
    auto reader = f.store->reader();
    reader->begin();
    auto rec = read_node_record(reader->node("a"));
    BOOST_TEST_REQUIRE(rec.has_value());
    BOOST_TEST(rec->name == "A");
    BOOST_TEST(rec->addr.family == 4);
    BOOST_TEST(std::string(rec->addr.span().begin(), rec->addr.span().end()) == ip("10.0.0.5"));
    reader->end();
}

BOOST_AUTO_TEST_CASE(ptr_records_follow_node_and_service_addresses) {
    Fixture f;
    Service own = service("api", "api-1");
    own.address = "192.0.2.50";
    f.apply(reg(node("a", "10.0.0.1"), own));
    f.apply(reg(node("b", "10.0.0.1")));  // two nodes share an address
    using Ptrs = std::vector<std::pair<PtrKind, std::string>>;
    BOOST_TEST((dns_ptr(*f.store, "10.0.0.1") == Ptrs{{PtrKind::node, "a"}, {PtrKind::node, "b"}}));
    BOOST_TEST((dns_ptr(*f.store, "192.0.2.50") == Ptrs{{PtrKind::service, "api"}}));
    f.apply(reg(node("a", "10.0.0.2"), own));
    BOOST_TEST((dns_ptr(*f.store, "10.0.0.1") == Ptrs{{PtrKind::node, "b"}}));
    BOOST_TEST((dns_ptr(*f.store, "10.0.0.2") == Ptrs{{PtrKind::node, "a"}}));
    own.address = "";
    f.apply(reg(node("a", "10.0.0.2"), own));
    BOOST_TEST(dns_ptr(*f.store, "192.0.2.50").empty());
    f.apply(dereg_node("b"));
    BOOST_TEST(dns_ptr(*f.store, "10.0.0.1").empty());
}

BOOST_AUTO_TEST_CASE(service_records_do_not_depend_on_registration_order_or_batching) {
    Service w2 = service("web", "w2", 8443);
    w2.address = "192.0.2.7";
    w2.tags = {"tls", "v2"};
    w2.weights = {.passing = 100000, .warning = 5};
    Service w9 = service("web", "w9", 80);
    w9.tags = {"v1"};
    const std::vector<Command> initial = {
        reg(node("b", "10.0.0.2"), w2, {check("w2-http", "w2", Status::passing)}),
        reg(node("b", "10.0.0.2"), service("web", "w1", 8080),
            {check("w1-http", "w1", Status::warning)}),
        reg(node("A", "10.0.0.1"), w9),
        reg(node("A", "10.0.0.1"), service("db", "db-1", 5432),
            {check("db-tcp", "db-1", Status::critical)}),
        reg(node("c", "2001:db8::c"), service("web", "w3", 80),
            {check("c-serf", "", Status::warning)}),
        reg(node("c", "2001:db8::c"), service("db", "db-2", 5432)),
        reg(node("d", "d.example.org"), service("web", "w4", 80)),
    };
    // What the reference encoder writes for that state: by node (case-insensitively), then ID.
    const InstanceData web_w2 =
        instance(Status::passing, "192.0.2.7", true, 8443, "b", {"tls", "v2"}, {65535, 5});
    const Bytes web_initial = encode_service_record(std::vector<InstanceData>{
        instance(Status::passing, "10.0.0.1", false, 80, "A", {"v1"}),
        instance(Status::warning, "10.0.0.2", false, 8080, "b"),
        web_w2,
        instance(Status::warning, "2001:db8::c", false, 80, "c"),
        instance(Status::passing, "", false, 80, "d"),
    });
    const Bytes db_initial = encode_service_record(std::vector<InstanceData>{
        instance(Status::critical, "10.0.0.1", false, 5432, "A"),
        instance(Status::warning, "2001:db8::c", false, 5432, "c"),
    });

    Fixture in_order, reversed, interleaved, batch;
    for (const auto& c : initial)
        in_order.apply(c);
    for (auto it = initial.rbegin(); it != initial.rend(); ++it)
        reversed.apply(*it);
    for (std::size_t i : {3u, 0u, 6u, 2u, 5u, 1u, 4u})
        interleaved.apply(initial[i]);
    batch.apply(initial);
    for (Fixture* f : {&in_order, &reversed, &interleaved, &batch}) {
        BOOST_TEST(record_bytes(*f->store, "web") == web_initial);
        BOOST_TEST(record_bytes(*f->store, "db") == db_initial);
    }

    const std::vector<Command> changes = {
        reg(node("b", "10.0.0.2"), std::nullopt, {check("b-serf", "", Status::critical)}),
        reg(node("A", "10.0.0.9")),  // the node's instances carry its address
        Deregister{.node = "b", .service_id = "w1", .check_id = std::nullopt},
        dereg_node("c"),
        update("A", "db-tcp", Status::passing),
        update("b", "b-serf", Status::warning),
    };
    for (Fixture* f : {&in_order, &reversed, &interleaved}) {
        for (const auto& c : changes)
            f->apply(c);
    }
    Fixture fresh;
    fresh.apply({
        reg(node("d", "d.example.org"), service("web", "w4", 80)),
        reg(node("A", "10.0.0.9"), service("db", "db-1", 5432),
            {check("db-tcp", "db-1", Status::passing)}),
        reg(node("b", "10.0.0.2"), w2,
            {check("w2-http", "w2", Status::passing), check("b-serf", "", Status::warning)}),
        reg(node("A", "10.0.0.9"), w9),
    });
    const Bytes web_final = encode_service_record(std::vector<InstanceData>{
        instance(Status::passing, "10.0.0.9", false, 80, "A", {"v1"}),
        instance(Status::warning, "192.0.2.7", true, 8443, "b", {"tls", "v2"}, {65535, 5}),
        instance(Status::passing, "", false, 80, "d"),
    });
    const Bytes db_final = encode_service_record(std::vector<InstanceData>{
        instance(Status::passing, "10.0.0.9", false, 5432, "A"),
    });
    for (Fixture* f : {&in_order, &reversed, &interleaved, &fresh}) {
        BOOST_TEST(record_bytes(*f->store, "web") == web_final);
        BOOST_TEST(record_bytes(*f->store, "db") == db_final);
    }
    // The last instance leaving deletes the record, and it comes back whole.
    for (Fixture* f : {&in_order, &fresh}) {
        f->apply(dereg_node("A"));
        BOOST_TEST(record_bytes(*f->store, "db").empty());
        f->apply(reg(node("a", "10.0.0.9"), service("db", "db-1", 5432)));
        BOOST_TEST(record_bytes(*f->store, "db") ==
                   encode_service_record(std::vector<InstanceData>{
                       instance(Status::passing, "10.0.0.9", false, 5432, "a")}));
    }
}

BOOST_AUTO_TEST_CASE(node_check_change_reencodes_the_nodes_instances_in_every_service) {
    Fixture f;
    f.apply({
        reg(node("a", "10.0.0.1"), service("web", "w1", 80)),
        reg(node("a", "10.0.0.1"), service("web", "w2", 81)),
        reg(node("a", "10.0.0.1"), service("db", "db", 5432)),
        reg(node("a", "10.0.0.1"), service("cache", "cache", 6379),
            {check("cache-tcp", "cache", Status::passing)}),
        reg(node("b", "10.0.0.2"), service("web", "wb", 80)),
        reg(node("b", "10.0.0.2"), service("db", "db", 5432)),
    });
    auto healths = [&](std::string_view name) {
        std::vector<std::pair<std::string, Status>> out;
        for (const auto& i : dns_service(*f.store, name))
            out.emplace_back(i.node + ":" + std::to_string(i.port), i.health);
        return out;
    };
    using Healths = std::vector<std::pair<std::string, Status>>;
    const auto p = Status::passing;
    const auto w = Status::warning;
    const auto c = Status::critical;

    uint64_t index =
        f.apply(reg(node("a", "10.0.0.1"), std::nullopt, {check("serf", "", Status::critical)}));
    BOOST_TEST((healths("web") == Healths{{"a:80", c}, {"a:81", c}, {"b:80", p}}));
    BOOST_TEST((healths("db") == Healths{{"a:5432", c}, {"b:5432", p}}));
    BOOST_TEST((healths("cache") == Healths{{"a:6379", c}}));
    auto change = f.store->changes_since(index - 1).at(0);
    BOOST_TEST(change.nodes == (Names{"a"}));
    BOOST_TEST(change.services == (Names{"cache", "db", "web"}));

    f.apply(update("a", "serf", Status::warning));
    BOOST_TEST((healths("web") == Healths{{"a:80", w}, {"a:81", w}, {"b:80", p}}));
    BOOST_TEST((healths("db") == Healths{{"a:5432", w}, {"b:5432", p}}));
    BOOST_TEST((healths("cache") == Healths{{"a:6379", w}}));

    // A check on node b changes b's instances only.
    f.apply(reg(node("b", "10.0.0.2"), std::nullopt, {check("serf", "", Status::critical)}));
    BOOST_TEST((healths("web") == Healths{{"a:80", w}, {"a:81", w}, {"b:80", c}}));
    BOOST_TEST((healths("db") == Healths{{"a:5432", w}, {"b:5432", c}}));
    BOOST_TEST((healths("cache") == Healths{{"a:6379", w}}));

    f.apply(Deregister{.node = "a", .service_id = std::nullopt, .check_id = "serf"});
    BOOST_TEST((healths("web") == Healths{{"a:80", p}, {"a:81", p}, {"b:80", c}}));
    BOOST_TEST((healths("db") == Healths{{"a:5432", p}, {"b:5432", c}}));
    BOOST_TEST((healths("cache") == Healths{{"a:6379", p}}));
}

BOOST_AUTO_TEST_CASE(reader_sees_a_commit_only_after_the_next_begin) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web")));
    auto reader = f.store->reader();
    reader->begin();
    BOOST_TEST(reader->index() == 1u);
    BOOST_TEST(reader->service("db").empty());
    f.apply(reg(node("a", "10.0.0.1"), service("db")));
    BOOST_TEST(reader->service("db").empty());
    BOOST_TEST(reader->index() == 1u);
    reader->end();
    reader->begin();
    BOOST_TEST(!reader->service("db").empty());
    BOOST_TEST(reader->index() == 2u);
    reader->end();
}

BOOST_AUTO_TEST_CASE(snapshot_is_isolated_from_later_applies) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1")));
    auto snap = f.store->snapshot();
    f.apply(dereg_node("a"));
    BOOST_TEST(snap->index() == 1u);
    BOOST_TEST(snap->node("a").has_value());
    BOOST_TEST(!f.store->snapshot()->node("a").has_value());
}

// ---- change log and listeners

BOOST_AUTO_TEST_CASE(changes_since_lists_touched_names_oldest_first) {
    Fixture f;
    f.apply(
        {reg(node("a", "10.0.0.1"), service("web")), reg(node("a", "10.0.0.1"), service("db"))});
    f.apply(reg(node("b", "10.0.0.2"), service("cache")));
    f.apply(reg(node("a", "10.0.0.1"), std::nullopt, {check("n", "", Status::warning)}));
    auto all = f.store->changes_since(0);
    BOOST_TEST_REQUIRE(all.size() == 3u);
    BOOST_TEST(all[0].index == 1u);
    BOOST_TEST(all[0].nodes == (Names{"a"}));
    BOOST_TEST(all[0].services == (Names{"db", "web"}));
    BOOST_TEST(all[1].nodes == (Names{"b"}));
    BOOST_TEST(all[1].services == (Names{"cache"}));
    BOOST_TEST(all[2].services == (Names{"db", "web"}));  // a node check touches its services
    auto later = f.store->changes_since(2);
    BOOST_TEST_REQUIRE(later.size() == 1u);
    BOOST_TEST(later[0].index == 3u);
    BOOST_TEST(f.store->changes_since(3).empty());
}

BOOST_AUTO_TEST_CASE(changes_older_than_the_log_are_summarised_as_anything) {
    Fixture f;
    for (int i = 0; i < 4100; ++i)
        f.apply(reg(node("n" + std::to_string(i % 7), "10.0.0.1")));
    BOOST_TEST(f.store->index() == 4100u);
    auto old = f.store->changes_since(2);
    BOOST_TEST_REQUIRE(old.size() == 1u);
    BOOST_TEST(old[0].index == 4100u);
    BOOST_TEST(old[0].nodes.empty());
    BOOST_TEST(old[0].services.empty());
    auto kept = f.store->changes_since(4100 - 4096);  // the oldest kept is 4100 - 4095
    BOOST_TEST_REQUIRE(kept.size() == 4096u);
    BOOST_TEST(kept.front().index == 4100u - 4095u);
    BOOST_TEST(kept.back().index == 4100u);
    BOOST_TEST(f.store->changes_since(4100 - 4097).size() == 1u);  // 4100 - 4096 was trimmed
}

BOOST_AUTO_TEST_CASE(listeners_get_the_new_index_until_unsubscribed) {
    Fixture f;
    std::vector<uint64_t> seen;
    uint64_t id = f.store->subscribe([&](uint64_t index) {
        seen.push_back(index);
        BOOST_TEST(f.store->index() == index);  // committed before listeners run
    });
    f.apply(reg(node("a", "10.0.0.1")));
    f.apply({reg(node("b", "10.0.0.2")), reg(node("c", "10.0.0.3"))});
    BOOST_TEST(f.apply_error({dereg_node("")}).size() > 0u);  // a failed batch notifies nobody
    f.store->unsubscribe(id);
    f.apply(reg(node("d", "10.0.0.4")));
    BOOST_TEST(seen == (std::vector<uint64_t>{1, 2}));
}

BOOST_AUTO_TEST_CASE(listener_may_read_and_apply_without_deadlock) {
    Fixture f;
    std::vector<uint64_t> seen;
    f.store->subscribe([&](uint64_t index) {
        seen.push_back(index);
        if (index == 1)  // re-entrant apply: no store lock is held while listeners run
            BOOST_TEST(f.store->apply(reg(node("b", "10.0.0.2"))).ok());
        BOOST_TEST(f.store->snapshot()->index() >= index);
    });
    f.apply(reg(node("a", "10.0.0.1")));
    BOOST_TEST(seen == (std::vector<uint64_t>{1, 2}));
}

BOOST_AUTO_TEST_CASE(reopening_keeps_data_and_index) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web"), {check("c", "web", Status::warning)}));
    f.apply(reg(node("b", "10.0.0.2")));
    f.reopen();
    BOOST_TEST(f.store->index() == 2u);
    auto snap = f.store->snapshot();
    BOOST_TEST(snap->nodes().size() == 2u);
    BOOST_TEST(snap->service_checks("web").size() == 1u);
    BOOST_TEST(dns_service(*f.store, "web").size() == 1u);
    BOOST_TEST(f.apply(reg(node("c", "10.0.0.3"))) == 3u);
    BOOST_TEST(f.store->changes_since(0).size() == 3u);
}

BOOST_AUTO_TEST_CASE(concurrent_applies_each_get_their_own_index) {
    Fixture f;
    constexpr int threads = 4;
    constexpr int per_thread = 50;
    std::vector<std::vector<uint64_t>> got(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                auto r = f.store->apply(
                    reg(node("t" + std::to_string(t), "10.0.0.1"),
                        service("s" + std::to_string(i), "", static_cast<uint16_t>(i))));
                got[static_cast<std::size_t>(t)].push_back(r.ok() ? *r : 0);
            }
        });
    }
    for (auto& w : workers)
        w.join();
    std::vector<uint64_t> all;
    for (const auto& g : got)
        all.insert(all.end(), g.begin(), g.end());
    std::sort(all.begin(), all.end());
    BOOST_TEST_REQUIRE(all.size() == static_cast<std::size_t>(threads * per_thread));
    for (std::size_t i = 0; i < all.size(); ++i)
        BOOST_TEST_REQUIRE(all[i] == i + 1);
    BOOST_TEST(f.store->index() == static_cast<uint64_t>(threads * per_thread));
    BOOST_TEST(f.store->snapshot()->services().size() == static_cast<std::size_t>(per_thread));
}

// ---- under Raft: entries of several batches, the applied index

BOOST_AUTO_TEST_CASE(apply_entry_gives_each_batch_its_own_index) {
    Fixture f;
    f.apply(reg(node("x", "10.0.0.9")));  // catalog index 1, before Raft
    auto results = apply_entry(*f.store, 7,
                               {{reg(node("a", "10.0.0.1")), reg(node("b", "10.0.0.2"))},
                                {reg(node("c", "10.0.0.3"))},
                                {reg(node("a", "10.0.0.1"), service("web"))}});
    BOOST_TEST_REQUIRE(results.size() == 3u);
    for (std::size_t i = 0; i < results.size(); ++i) {
        BOOST_TEST_REQUIRE(results[i].ok());
        BOOST_TEST(*results[i] == i + 2);
    }
    BOOST_TEST(f.store->index() == 4u);
    BOOST_TEST(f.store->applied_index() == 7u);
    auto snap = f.store->snapshot();
    BOOST_TEST(snap->index() == 4u);
    BOOST_TEST(snap->node("c")->index.create == 3u);
    BOOST_TEST(snap->node_services("a").at(0).index.create == 4u);
    auto changes = f.store->changes_since(1);
    BOOST_TEST_REQUIRE(changes.size() == 3u);
    BOOST_TEST(changes[0].nodes == (Names{"a", "b"}));
    BOOST_TEST(changes[2].services == (Names{"web"}));
    BOOST_TEST(dns_service(*f.store, "web").size() == 1u);
}

BOOST_AUTO_TEST_CASE(apply_entry_refuses_an_invalid_batch_and_applies_the_others) {
    Fixture f;
    auto results = apply_entry(
        *f.store, 1,
        {{reg(node("a", "10.0.0.1"), service("web"))},
         {reg(node("b", "10.0.0.2"), service("db")), update("a", "nope", Status::critical)},
         {reg(node("c", "10.0.0.3"))}});
    BOOST_TEST_REQUIRE(results.size() == 3u);
    BOOST_TEST_REQUIRE(results[0].ok());
    BOOST_TEST(*results[0] == 1u);
    BOOST_TEST_REQUIRE(!results[1].ok());
    BOOST_TEST(results[1].error().message.find("nope") != std::string::npos);
    BOOST_TEST_REQUIRE(results[2].ok());
    BOOST_TEST(*results[2] == 2u);  // the refused batch used up no index
    BOOST_TEST(f.store->index() == 2u);
    auto snap = f.store->snapshot();
    BOOST_TEST(snap->node("a").has_value());
    BOOST_TEST(!snap->node("b").has_value());  // nothing of the refused batch is kept
    BOOST_TEST(snap->service("db", std::nullopt, HealthFilter::any).empty());
    BOOST_TEST(dns_service(*f.store, "db").empty());
    BOOST_TEST(snap->node("c").has_value());
    BOOST_TEST(f.store->changes_since(0).size() == 2u);
}

BOOST_AUTO_TEST_CASE(refused_batches_among_many_leave_no_trace_and_use_no_index) {
    Fixture f;
    auto results = apply_entry(*f.store, 3,
                               {{reg(node("a", "10.0.0.1"))},
                                {update("a", "nope", Status::critical)},
                                {reg(node("b", "10.0.0.2"))},
                                {reg(node("x", "10.0.0.9")), dereg_node("")},
                                {reg(node("c", "10.0.0.3"))}});
    BOOST_TEST_REQUIRE(results.size() == 5u);
    BOOST_TEST(*results[0] == 1u);
    BOOST_TEST(!results[1].ok());
    BOOST_TEST(*results[2] == 2u);
    BOOST_TEST(!results[3].ok());
    BOOST_TEST(*results[4] == 3u);
    BOOST_TEST(f.store->index() == 3u);
    BOOST_TEST(f.store->applied_index() == 3u);
    BOOST_TEST(!f.store->snapshot()->node("x").has_value());
    BOOST_TEST(f.store->changes_since(0).size() == 3u);
    auto next = apply_entry(*f.store, 4, {{reg(node("d", "10.0.0.4"))}});
    BOOST_TEST_REQUIRE(next.size() == 1u);
    BOOST_TEST(*next[0] == 4u);
}

// A crash between the commit of the batches before a refused one and the end of the entry
// leaves the "raft_partial" mark; the replayed entry resumes after it instead of applying
// those batches twice.
BOOST_AUTO_TEST_CASE(half_applied_entry_resumes_at_its_mark_after_a_restart) {
    Fixture f;
    apply_entry(*f.store, 6, {{reg(node("a", "10.0.0.1"))}});
    f.store.reset();
    {
        auto env =
            muster::lmdb::Env::open({.path = (f.dir.path() / "data" / "catalog.mdb").string(),
                                     .map_size = uint64_t{1} << 28,
                                     .max_dbs = 32});
        BOOST_TEST_REQUIRE(env.ok());
        auto txn = muster::lmdb::Txn::begin_write(*env);
        BOOST_TEST_REQUIRE(txn.ok());
        auto meta = txn->open_db("meta", muster::lmdb::DbCreate::no);
        BOOST_TEST_REQUIRE(meta.ok());
        uint64_t mark[2] = {7, 2};  // entry 7: batches 0 and 1 done
        uint8_t bytes[sizeof mark];
        std::memcpy(bytes, mark, sizeof mark);
        BOOST_TEST_REQUIRE(txn->put(*meta, "raft_partial", bytes).ok());
        BOOST_TEST_REQUIRE(txn->commit().ok());
    }
    f.open();
    auto results =
        apply_entry(*f.store, 7,
                    {{reg(node("a", "10.0.0.1"))}, {dereg_node("")}, {reg(node("c", "10.0.0.3"))}});
    BOOST_TEST_REQUIRE(results.size() == 3u);
    BOOST_TEST(!results[0].ok());  // applied before the restart: no index to report
    BOOST_TEST(!results[1].ok());
    BOOST_TEST(*results[2] == 2u);
    BOOST_TEST(f.store->applied_index() == 7u);
    BOOST_TEST(f.store->index() == 2u);
    // The mark is gone: the next entry starts from its first batch.
    auto next = apply_entry(*f.store, 8, {{reg(node("d", "10.0.0.4"))}});
    BOOST_TEST_REQUIRE(next.size() == 1u);
    BOOST_TEST(*next[0] == 3u);
}

BOOST_AUTO_TEST_CASE(entry_whose_every_batch_fails_still_advances_the_applied_index) {
    Fixture f;
    auto results = apply_entry(*f.store, 5, {{dereg_node("")}, {reg(node("", "10.0.0.1"))}});
    BOOST_TEST_REQUIRE(results.size() == 2u);
    BOOST_TEST(!results[0].ok());
    BOOST_TEST(!results[1].ok());
    BOOST_TEST(f.store->index() == 0u);
    BOOST_TEST(f.store->applied_index() == 5u);
    BOOST_TEST(apply_entry(*f.store, 6, {}).empty());  // an entry without batches counts too
    BOOST_TEST(f.store->applied_index() == 6u);
    BOOST_TEST(f.store->changes_since(0).empty());
}

BOOST_AUTO_TEST_CASE(replayed_entries_change_nothing) {
    Fixture f;
    std::vector<uint64_t> heard;
    f.store->subscribe([&](uint64_t index) { heard.push_back(index); });
    apply_entry(*f.store, 5, {{reg(node("a", "10.0.0.1"))}});
    auto before = contents(*f.store, small_addrs);
    BOOST_TEST(apply_entry(*f.store, 5, {{reg(node("b", "10.0.0.2"))}}).empty());
    BOOST_TEST(apply_entry(*f.store, 2, {{dereg_node("a")}}).empty());
    BOOST_TEST(f.store->index() == 1u);
    BOOST_TEST(f.store->applied_index() == 5u);
    BOOST_TEST(contents(*f.store, small_addrs) == before);
    BOOST_TEST(heard == (std::vector<uint64_t>{1}));
}

BOOST_AUTO_TEST_CASE(applied_index_persists_across_reopen) {
    Fixture f;
    BOOST_TEST(f.store->applied_index() == 0u);
    f.apply(reg(node("x", "10.0.0.9")));  // a plain apply leaves the applied index alone
    BOOST_TEST(f.store->applied_index() == 0u);
    apply_entry(*f.store, 41, {{reg(node("a", "10.0.0.1"))}, {dereg_node("")}});
    apply_entry(*f.store, 42, {{reg(node("b", "10.0.0.2"))}});
    f.reopen();
    BOOST_TEST(f.store->applied_index() == 42u);
    BOOST_TEST(f.store->index() == 3u);
    BOOST_TEST(apply_entry(*f.store, 42, {{reg(node("c", "10.0.0.3"))}}).empty());
    BOOST_TEST(!f.store->snapshot()->node("c").has_value());
    auto next = apply_entry(*f.store, 43, {{reg(node("c", "10.0.0.3"))}});
    BOOST_TEST_REQUIRE(next.size() == 1u);
    BOOST_TEST(*next[0] == 4u);
}

BOOST_AUTO_TEST_CASE(listeners_hear_an_entry_once_with_its_newest_index_after_its_commit) {
    Fixture f;
    std::vector<uint64_t> heard;
    f.store->subscribe([&](uint64_t index) {
        heard.push_back(index);
        BOOST_TEST(f.store->index() == 3u);  // the whole entry is committed first
        BOOST_TEST(f.store->applied_index() == 9u);
        BOOST_TEST(f.store->snapshot()->index() == 3u);
    });
    apply_entry(*f.store, 9,
                {{reg(node("a", "10.0.0.1"))},
                 {dereg_node("")},
                 {reg(node("b", "10.0.0.2"))},
                 {reg(node("c", "10.0.0.3"))}});
    BOOST_TEST(heard == (std::vector<uint64_t>{3}));
}

// ---- images and restore (Raft snapshots)

BOOST_AUTO_TEST_CASE(image_restores_into_a_fresh_store_identically) {
    Fixture source;
    fill_small(*source.store);
    auto image = image_of(*source.store);
    auto at = Store::image_applied_index(image);
    BOOST_TEST_REQUIRE(at.ok());
    BOOST_TEST(*at == 4u);

    Fixture target;
    if (auto r = target.store->restore(image); !r.ok())
        BOOST_FAIL("restore: " << r.error().message);
    BOOST_TEST(target.store->index() == 4u);
    BOOST_TEST(target.store->applied_index() == 4u);
    auto expected = contents(*source.store, small_addrs);
    BOOST_TEST(expected.size() > 10u);
    BOOST_TEST(contents(*target.store, small_addrs) == expected);
    BOOST_TEST(dns_service(*target.store, "web").size() == 2u);
    auto raw = raw_entries(image);
    BOOST_TEST(raw.size() > 30u);
    BOOST_TEST(raw_entries(image_of(*target.store)) == raw);

    // The restored store goes on where the source would, and keeps it across a reopen.
    auto next = apply_entry(*target.store, 5, {{reg(node("d", "10.0.0.4"))}});
    BOOST_TEST(*next.at(0) == 5u);
    target.reopen();
    BOOST_TEST(target.store->index() == 5u);
    BOOST_TEST(target.store->applied_index() == 5u);
    BOOST_TEST(target.store->snapshot()->nodes().size() == 4u);
}

BOOST_AUTO_TEST_CASE(image_is_of_the_newest_commit_and_leaves_out_free_pages) {
    Fixture f;
    for (uint64_t i = 1; i <= 200; ++i)
        apply_entry(*f.store, i,
                    {{reg(node("n" + std::to_string(i), "10.1.0.1"), service("churn"))}});
    auto full = image_of(*f.store);
    for (uint64_t i = 1; i <= 200; ++i)
        apply_entry(*f.store, 200 + i, {{dereg_node("n" + std::to_string(i))}});
    auto image = image_of(*f.store);
    BOOST_TEST(*Store::image_applied_index(image) == 400u);
    BOOST_TEST(image.size() < full.size());  // the pages the deletes freed are not copied
    Fixture target;
    BOOST_TEST_REQUIRE(target.store->restore(image).ok());
    BOOST_TEST(target.store->snapshot()->nodes().empty());
    BOOST_TEST(target.store->index() == f.store->index());
    BOOST_TEST(raw_entries(image_of(*target.store)) == raw_entries(image));
}

BOOST_AUTO_TEST_CASE(image_parts_keep_their_moment_while_the_store_goes_on) {
    auto source = std::make_unique<Fixture>();
    fill_small(*source->store);
    auto image = source->store->write_image();
    BOOST_TEST_REQUIRE(image.ok());
    BOOST_TEST(image->header.size() == internal::image_header_size);
    BOOST_TEST(image->file.size() % 4096 == 0u);
    auto expected = contents(*source->store, small_addrs);
    apply_entry(*source->store, 5, {{reg(node("later", "10.0.0.6"))}});
    source.reset();  // the parts outlive the store that wrote them

    Bytes joined(image->header.begin(), image->header.end());
    joined.insert(joined.end(), image->file.begin(), image->file.end());
    Fixture target;
    BOOST_TEST_REQUIRE(target.store->restore(joined).ok());
    BOOST_TEST(target.store->applied_index() == 4u);
    BOOST_TEST(contents(*target.store, small_addrs) == expected);
}

BOOST_AUTO_TEST_CASE(image_checksum_does_not_depend_on_how_the_bytes_are_fed) {
    Bytes bytes(1000);
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<uint8_t>(i * 131 % 256);
    auto whole = internal::image_checksum(bytes);
    for (std::size_t step : {1u, 5u, 31u, 32u, 33u, 100u, 999u}) {
        internal::ImageChecksum sum;
        sum.update({});
        for (std::size_t at = 0; at < bytes.size(); at += step, sum.update({}))
            sum.update(
                std::span<const uint8_t>(bytes).subspan(at, std::min(step, bytes.size() - at)));
        BOOST_TEST(sum.finish() == whole);
    }
    // Any one flipped bit, and the length, change it.
    for (std::size_t bit = 0; bit < bytes.size() * 8; bit += 7) {
        Bytes flipped = bytes;
        flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        BOOST_TEST_REQUIRE(internal::image_checksum(flipped) != whole);
    }
    BOOST_TEST(internal::image_checksum(std::span<const uint8_t>(bytes).first(999)) != whole);
    BOOST_TEST(internal::image_checksum({}) != internal::image_checksum(Bytes(1)));
}

BOOST_AUTO_TEST_CASE(restore_replaces_existing_contents_and_may_lower_the_index) {
    Fixture source;
    fill_small(*source.store);
    Fixture target;
    for (int i = 0; i < 10; ++i)
        target.apply(reg(node("old" + std::to_string(i), "10.0.0.5"), service("legacy")));
    apply_entry(*target.store, 2, {{reg(node("a", "10.0.0.7"), service("gone"))}});
    BOOST_TEST(target.store->index() == 11u);
    std::vector<uint64_t> heard;
    target.store->subscribe([&](uint64_t index) {
        heard.push_back(index);
        BOOST_TEST(target.store->index() == index);
    });

    BOOST_TEST_REQUIRE(target.store->restore(image_of(*source.store)).ok());
    BOOST_TEST(heard == (std::vector<uint64_t>{4}));
    BOOST_TEST(target.store->index() == 4u);  // lower than before: the image's
    BOOST_TEST(target.store->applied_index() == 4u);
    auto snap = target.store->snapshot();
    BOOST_TEST(snap->index() == 4u);
    BOOST_TEST(!snap->node("old3").has_value());
    BOOST_TEST(snap->service("legacy", std::nullopt, HealthFilter::any).empty());
    BOOST_TEST(snap->service("gone", std::nullopt, HealthFilter::any).empty());
    BOOST_TEST(snap->node("a")->address == "10.0.0.1");
    BOOST_TEST(dns_service(*target.store, "legacy").empty());
    BOOST_TEST(dns_ptr(*target.store, "10.0.0.5").empty());
    BOOST_TEST(contents(*target.store, small_addrs) == contents(*source.store, small_addrs));
    BOOST_TEST(target.store->changes_since(4).empty());
}

BOOST_AUTO_TEST_CASE(restore_at_or_below_the_applied_index_changes_nothing) {
    Fixture source;
    fill_small(*source.store);
    auto image = image_of(*source.store);  // applied index 4
    Fixture target;
    apply_entry(*target.store, 4, {{reg(node("mine", "10.0.0.8"))}});
    std::vector<uint64_t> heard;
    target.store->subscribe([&](uint64_t index) { heard.push_back(index); });
    auto before = raw_entries(image_of(*target.store));
    BOOST_TEST(target.store->restore(image).ok());
    BOOST_TEST(raw_entries(image_of(*target.store)) == before);
    apply_entry(*target.store, 5, {});
    BOOST_TEST(target.store->restore(image).ok());
    BOOST_TEST(heard.empty());
    BOOST_TEST(target.store->snapshot()->node("mine").has_value());
    BOOST_TEST(!target.store->snapshot()->node("a").has_value());
    BOOST_TEST(target.store->applied_index() == 5u);
}

BOOST_AUTO_TEST_CASE(damaged_images_are_errors_and_change_nothing) {
    Fixture source;
    fill_small(*source.store);
    auto image = image_of(*source.store);
    Bytes file(image.begin() + internal::image_header_size, image.end());
    Fixture target;
    apply_entry(*target.store, 1, {{reg(node("mine", "10.0.0.8"), service("keep"))}});
    auto before = raw_entries(image_of(*target.store));
    std::vector<uint64_t> heard;
    target.store->subscribe([&](uint64_t index) { heard.push_back(index); });

    auto refused = [&](const Bytes& bytes) {
        auto r = target.store->restore(bytes);
        if (r.ok())
            return std::string();
        BOOST_TEST(r.error().message.find("catalog image: ") == 0u);
        return r.error().message;
    };
    for (std::size_t n = 0; n < image.size(); n += (n < 128 ? 1 : 61))  // truncations
        BOOST_TEST_REQUIRE(!refused(Bytes(image.begin(), image.begin() + n)).empty());
    BOOST_TEST(refused(Bytes(image.begin(), image.begin() + 20)).find("truncated header") !=
               std::string::npos);
    BOOST_TEST(refused(Bytes(image.begin(), image.end() - 1)).find("follow") != std::string::npos);

    Bytes garbage(4096);
    for (std::size_t i = 0; i < garbage.size(); ++i)
        garbage[i] = static_cast<uint8_t>(i * 7919 % 251);
    BOOST_TEST(refused(garbage).find("bad magic") != std::string::npos);
    BOOST_TEST(!Store::image_applied_index(garbage).ok());
    BOOST_TEST(!Store::image_applied_index({}).ok());

    Bytes trailing = image;
    trailing.push_back(0);
    BOOST_TEST(refused(trailing).find("follow") != std::string::npos);
    Bytes version = image;
    version[8] = 2;
    BOOST_TEST(refused(version).find("format version 2") != std::string::npos);
    BOOST_TEST(!Store::image_applied_index(version).ok());
    // Damage anywhere in the LMDB file: a page, a meta page.
    for (std::size_t at : {std::size_t{0}, std::size_t{100}, file.size() / 2, file.size() - 1}) {
        Bytes flipped = image;
        flipped[internal::image_header_size + at] ^= 0x10;
        BOOST_TEST(refused(flipped).find("checksum mismatch") != std::string::npos);
    }
    // The header's indexes are not what the file holds (the checksum covers the file only).
    BOOST_TEST(refused(frame_image(file, 9, 4)).find("Raft index 9") != std::string::npos);
    BOOST_TEST(refused(frame_image(file, 4, 3)).find("catalog index 3") != std::string::npos);
    // A matching checksum over something that is not a catalog's LMDB file: LMDB's own checks
    // refuse it, and a valid LMDB file without the catalog's databases is not a catalog.
    BOOST_TEST(!refused(frame_image(garbage, 4, 4)).empty());
    BOOST_TEST(!refused(frame_image({}, 4, 4)).empty());
    BOOST_TEST(!refused(frame_image(Bytes(file.begin(), file.begin() + 4096), 4, 4)).empty());
    {
        TempDir other;
        auto env = muster::lmdb::Env::open({.path = (other.path() / "x.mdb").string()});
        BOOST_TEST_REQUIRE(env.ok());
        auto txn = muster::lmdb::Txn::begin_write(*env);
        BOOST_TEST_REQUIRE(txn.ok());
        BOOST_TEST_REQUIRE(txn->open_db("meta", muster::lmdb::DbCreate::yes).ok());
        BOOST_TEST_REQUIRE(txn->commit().ok());
        auto path = (other.path() / "copy.mdb").string();
        BOOST_TEST_REQUIRE(mdb_env_copy2((*env)->raw(), path.c_str(), MDB_CP_COMPACT) == 0);
        std::ifstream in(path, std::ios::binary);
        Bytes lmdb_file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        BOOST_TEST(refused(frame_image(lmdb_file, 4, 4)).find("not a catalog") !=
                   std::string::npos);
    }

    BOOST_TEST(heard.empty());
    BOOST_TEST(raw_entries(image_of(*target.store)) == before);
    BOOST_TEST(target.store->index() == 1u);
    BOOST_TEST(target.store->applied_index() == 1u);
    BOOST_TEST(target.store->snapshot()->node("mine").has_value());
    BOOST_TEST(target.store->restore(image).ok());  // the intact image still restores
    BOOST_TEST(heard == (std::vector<uint64_t>{4}));
}

BOOST_AUTO_TEST_CASE(image_carries_the_left_members) {
    Fixture source;
    fill_small(*source.store);
    auto left = source.store->snapshot()->left_members();
    BOOST_TEST_REQUIRE(left.size() == 1u);
    BOOST_TEST(left[0].name == "gone");
    BOOST_TEST(left[0].server);
    Fixture target;
    BOOST_TEST_REQUIRE(target.store->restore(image_of(*source.store)).ok());
    BOOST_TEST((target.store->snapshot()->left_members() == left));
}

BOOST_AUTO_TEST_CASE(image_from_before_left_members_restores_without_them) {
    Fixture source;
    fill_small(*source.store);
    auto old = without_left_members(image_of(*source.store), source.dir);
    BOOST_TEST(raw_entries(old).size() + 1 == raw_entries(image_of(*source.store)).size());
    Fixture target;
    target.apply(reg(node("x", "10.0.0.7")));
    target.apply(Leave{.node = "x", .server = false});
    auto r = target.store->restore(old);
    BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().message));
    BOOST_TEST(target.store->snapshot()->left_members().empty());
    BOOST_TEST(target.store->snapshot()->nodes().size() == 3u);
    // The store goes on: later leaves are recorded.
    apply_entry(*target.store, 5, {{Leave{.node = "a", .server = false}}});
    BOOST_TEST(target.store->snapshot()->left_members().size() == 1u);
}

// Makes a store look as an older build left it: ServiceRecords of the first layout (here a
// stub of its header) and no layout mark.
void make_records_old(MDB_txn* txn) {
    MDB_dbi meta = 0, services = 0;
    BOOST_TEST_REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
    BOOST_TEST_REQUIRE(mdb_dbi_open(txn, "dns_service", 0, &services) == 0);
    std::string mark(internal::service_record_version_key);
    MDB_val key{mark.size(), mark.data()};
    BOOST_TEST_REQUIRE(mdb_del(txn, meta, &key, nullptr) == 0);
    std::vector<std::string> names;
    MDB_cursor* cursor = nullptr;
    BOOST_TEST_REQUIRE(mdb_cursor_open(txn, services, &cursor) == 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT))
        names.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
    mdb_cursor_close(cursor);
    BOOST_TEST_REQUIRE(!names.empty());
    uint8_t old_record[] = {1, 0, 0, 0, 0};  // version 1, no instances
    for (std::string& name : names) {
        MDB_val nk{name.size(), name.data()};
        MDB_val nv{sizeof old_record, old_record};
        BOOST_TEST_REQUIRE(mdb_put(txn, services, &nk, &nv, 0) == 0);
    }
}

BOOST_AUTO_TEST_CASE(opening_a_store_of_an_older_build_rebuilds_its_service_records) {
    Fixture f;
    f.apply(reg(node("a", "10.0.0.1"), service("web")));
    f.apply(reg(node("b", "10.0.0.2"), service("web")));
    f.apply(reg(node("b", "10.0.0.2"), service("db")));
    f.store.reset();
    edit_lmdb((f.dir.path() / "data" / "catalog.mdb").string(), make_records_old);
    f.open();
    const auto web = dns_service(*f.store, "web");
    BOOST_TEST_REQUIRE(web.size() == 2u);
    BOOST_TEST(web[0].node == "a");
    BOOST_TEST(web[1].node == "b");
    BOOST_TEST(dns_service(*f.store, "db").size() == 1u);
    // Marked current: the next open leaves the records alone (and they still read).
    f.reopen();
    BOOST_TEST(dns_service(*f.store, "web").size() == 2u);
}

// The writer patches a service's record when one instance changes (service_record_patch.cc);
// the records it leaves must be those a full rebuild from the fragments gives (here the one the
// upgrade on open does), whichever path each write took.
BOOST_AUTO_TEST_CASE(records_written_one_change_at_a_time_equal_a_full_rebuild) {
    Fixture f;
    std::mt19937 rng(7);
    auto below = [&](unsigned n) { return std::uniform_int_distribution<unsigned>(0, n - 1)(rng); };
    const Status healths[] = {Status::passing, Status::warning, Status::critical};
    auto instance = [&](unsigned n) {
        const std::string name = (n % 3 == 0 ? "Node-" : "node-") + std::to_string(n);
        Service s = service("web", "web-" + std::to_string(below(2)), 8000);
        s.tags = {"v1", "shard-" + std::to_string(n % 4), "only-" + std::to_string(n)};
        if (below(5) == 0)
            s.address = "10.9.0." + std::to_string(below(4));  // shared with others
        return reg(node(name, (n % 4 == 0 ? "2001:db8::" : "10.0.0.") + std::to_string(n)), s,
                   {check("serf", "", healths[below(3)])});
    };
    for (unsigned n = 0; n < 30; ++n)
        f.apply(instance(n));
    for (unsigned step = 0; step < 120; ++step) {
        const unsigned n = below(40);
        const std::string name = (n % 3 == 0 ? "Node-" : "node-") + std::to_string(n);
        switch (below(4)) {
            case 0:
                f.apply(instance(n));
                break;
            case 1:
                if (f.store->snapshot()->node(name)) {
                    const Command c = Deregister{.node = name,
                                                 .service_id = "web-" + std::to_string(below(2)),
                                                 .check_id = std::nullopt};
                    (void)f.store->apply(std::span<const Command>(&c, 1));  // may name no service
                }
                break;
            default:
                if (f.store->snapshot()->node(name))
                    f.apply(update(name, "serf", healths[below(3)]));
        }
        if (step % 10 != 9)
            continue;
        const std::vector<uint8_t> written = record_bytes(*f.store, "web");
        if (written.empty())
            continue;
        f.store.reset();
        edit_lmdb((f.dir.path() / "data" / "catalog.mdb").string(), make_records_old);
        f.open();
        BOOST_TEST_REQUIRE(written == record_bytes(*f.store, "web"), "step " << step);
    }
}

BOOST_AUTO_TEST_CASE(restoring_an_image_of_an_older_build_rebuilds_its_service_records) {
    Fixture source;
    source.apply(reg(node("a", "10.0.0.1"), service("web")));
    source.apply(reg(node("b", "10.0.0.2"), service("web")));
    apply_entry(*source.store, 3, {{reg(node("c", "10.0.0.3"), service("web"))}});
    const Bytes old = edit_image(image_of(*source.store), source.dir, make_records_old);

    Fixture target;
    auto r = target.store->restore(old);
    BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().message));
    BOOST_TEST(dns_service(*target.store, "web").size() == 3u);
}

BOOST_AUTO_TEST_CASE(image_of_an_empty_store_restores_to_an_empty_store) {
    Fixture f;
    auto empty = image_of(*f.store);
    BOOST_TEST(*Store::image_applied_index(empty) == 0u);
    // Nothing but the mark of the ServiceRecord layout.
    const std::vector<std::string> marker{"meta service_record_version = \x02"};
    BOOST_TEST(raw_entries(empty) == marker);
    Fixture target;
    BOOST_TEST(target.store->restore(empty).ok());  // at applied index 0 already: nothing to do
    BOOST_TEST(target.store->index() == 0u);
    BOOST_TEST(raw_entries(image_of(*target.store)) == marker);
}

// ---- the Restore command (muster snapshot restore)

// What a restore carries over: nodes, instances with their checks' states and the DNS records,
// without the indexes (a restore registers everything at its own index).
std::vector<std::string> restorable(const Store& store) {
    std::vector<std::string> out;
    auto snap = store.snapshot();
    for (const auto& n : snap->nodes()) {
        out.push_back("node " + n.name + " " + n.address);
        for (const auto& c : snap->node_checks(n.name))
            out.push_back("check " + c.node + "/" + c.id + ":" + c.service_id + ":" +
                          std::string(status_name(c.status)) + ":" + c.output);
        auto reader = store.reader();
        reader->begin();
        auto record = reader->node(n.name);
        out.push_back("dns node " + std::string(record.begin(), record.end()));
        reader->end();
    }
    for (const auto& [name, tags] : snap->services()) {
        for (const auto& e : snap->service(name, std::nullopt, HealthFilter::any)) {
            std::string line = "instance " + e.node.name + "/" + e.service.id + " " +
                               e.service.name + ":" + std::to_string(e.service.port);
            for (const auto& t : e.service.tags)
                line += " #" + t;
            out.push_back(line);
        }
        auto record = record_bytes(store, name);
        out.push_back("dns service " + name + " " + std::string(record.begin(), record.end()));
    }
    return out;
}

BOOST_AUTO_TEST_CASE(restore_replaces_every_node_service_and_check_at_a_new_index) {
    Fixture source;
    fill_small(*source.store);
    auto contents = Store::image_contents(image_of(*source.store));
    BOOST_TEST_REQUIRE(contents.ok());
    BOOST_TEST(contents->nodes.size() == 3u);
    BOOST_TEST(contents->services.size() == 3u);

    Fixture target;
    for (int i = 0; i < 9; ++i)
        target.apply(reg(node("old-" + std::to_string(i), "10.1.0.1"), service("old", "o1")));
    const uint64_t before = target.store->index();
    const uint64_t at = target.apply(*contents);
    BOOST_TEST(at == before + 1);
    BOOST_TEST(restorable(*target.store) == restorable(*source.store));
    BOOST_TEST(record_bytes(*target.store, "old").empty());
    for (const auto& n : target.store->snapshot()->nodes())
        BOOST_TEST(n.index.modify == at);
    // One change names what went and what came.
    auto changes = target.store->changes_since(before);
    BOOST_TEST_REQUIRE(changes.size() == 1u);
    auto& changed = changes[0].services;
    BOOST_TEST((std::find(changed.begin(), changed.end(), "old") != changed.end()));
    BOOST_TEST((std::find(changed.begin(), changed.end(), "web") != changed.end()));
}

BOOST_AUTO_TEST_CASE(restore_naming_an_absent_node_or_service_changes_nothing) {
    Fixture f;
    f.apply(reg(node("keep", "10.0.0.1"), service("web", "w1")));
    const auto before = restorable(*f.store);
    Restore orphan_service;
    orphan_service.nodes = {node("a", "10.0.0.2")};
    Service s = service("db", "db-1");
    s.node = "nowhere";
    orphan_service.services = {s};
    BOOST_TEST(f.apply_error({orphan_service}).find("nowhere") != std::string::npos);
    Restore orphan_check;
    orphan_check.nodes = {node("a", "10.0.0.2")};
    Check c = check("db-check", "db-1", Status::passing);
    c.node = "a";
    orphan_check.checks = {c};
    BOOST_TEST(f.apply_error({orphan_check}).find("db-1") != std::string::npos);
    BOOST_TEST(restorable(*f.store) == before);
}

BOOST_AUTO_TEST_CASE(image_contents_refuses_a_damaged_image) {
    Fixture f;
    fill_small(*f.store);
    auto image = image_of(*f.store);
    image[image.size() / 2] ^= 0x01;
    BOOST_TEST(!Store::image_contents(image).ok());
    BOOST_TEST(!Store::image_contents({}).ok());
}

BOOST_AUTO_TEST_SUITE_END()
