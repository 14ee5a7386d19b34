// Tests for src/common/lmdb.cc: environment, transactions, databases and cursors.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "common/lmdb.hh"
#include "support/temp_dir.hh"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

namespace lmdb = muster::lmdb;

using muster::test::TempDir;

namespace {

std::shared_ptr<lmdb::Env> open_env(const TempDir& dir, uint64_t map_size = uint64_t{1} << 24) {
    auto env = lmdb::Env::open({.path = (dir.path() / "test.mdb").string(), .map_size = map_size});
    if (!env.ok())
        BOOST_FAIL("open: " << env.error().message);
    return *env;
}

lmdb::Txn write_txn(const std::shared_ptr<lmdb::Env>& env) {
    auto t = lmdb::Txn::begin_write(env);
    if (!t.ok())
        BOOST_FAIL("begin_write: " << t.error().message);
    return std::move(t).value();
}

lmdb::Txn read_txn(const std::shared_ptr<lmdb::Env>& env) {
    auto t = lmdb::Txn::begin_read(env);
    if (!t.ok())
        BOOST_FAIL("begin_read: " << t.error().message);
    return std::move(t).value();
}

lmdb::Dbi create_db(const std::shared_ptr<lmdb::Env>& env, const std::string& name) {
    auto t = write_txn(env);
    auto db = t.open_db(name, lmdb::DbCreate::yes);
    BOOST_REQUIRE(db.ok());
    BOOST_REQUIRE(t.commit().ok());
    return *db;
}

std::string get_text(const lmdb::Txn& t, lmdb::Dbi db, std::string_view key) {
    auto v = t.get(db, key);
    return v ? std::string(lmdb::text(*v)) : std::string("<absent>");
}

void put(lmdb::Txn& t, lmdb::Dbi db, std::string_view key, std::string_view value) {
    BOOST_REQUIRE(t.put(db, key, lmdb::bytes(value)).ok());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lmdb_test)

BOOST_AUTO_TEST_CASE(put_get_del_round_trip_after_commit) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    {
        auto t = write_txn(env);
        put(t, db, "a", "1");
        put(t, db, "b", "2");
        BOOST_TEST(get_text(t, db, "a") == "1");  // visible inside its own transaction
        BOOST_REQUIRE(t.commit().ok());
    }
    {
        auto t = write_txn(env);
        auto gone = t.del(db, "a");
        BOOST_REQUIRE(gone.ok());
        BOOST_TEST(*gone);
        auto absent = t.del(db, "zzz");
        BOOST_REQUIRE(absent.ok());
        BOOST_TEST(!*absent);
        BOOST_REQUIRE(t.commit().ok());
    }
    auto r = read_txn(env);
    BOOST_TEST(get_text(r, db, "a") == "<absent>");
    BOOST_TEST(get_text(r, db, "b") == "2");
}

BOOST_AUTO_TEST_CASE(aborted_write_changes_nothing) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    {
        auto t = write_txn(env);
        put(t, db, "a", "1");
        t.abort();
    }
    {
        auto t = write_txn(env);
        put(t, db, "b", "1");
    }  // destroyed without commit
    auto r = read_txn(env);
    BOOST_TEST(get_text(r, db, "a") == "<absent>");
    BOOST_TEST(get_text(r, db, "b") == "<absent>");
}

BOOST_AUTO_TEST_CASE(read_txn_sees_later_commit_only_after_renew) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    auto r = read_txn(env);
    {
        auto t = write_txn(env);
        put(t, db, "k", "v");
        BOOST_REQUIRE(t.commit().ok());
    }
    BOOST_TEST(get_text(r, db, "k") == "<absent>");
    r.reset();
    BOOST_TEST(!r.active());
    r.renew();
    BOOST_TEST(r.active());
    BOOST_TEST(get_text(r, db, "k") == "v");
}

BOOST_AUTO_TEST_CASE(cursor_walks_in_key_order_and_seeks) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    auto t = write_txn(env);
    for (const auto& k :
         {std::string("b\0x", 3), std::string("a\0y", 3), std::string("b\0a", 3), std::string("c")})
        put(t, db, k, "v");
    BOOST_REQUIRE(t.commit().ok());

    auto r = read_txn(env);
    lmdb::Cursor c(r, db);
    std::vector<std::string> keys;
    for (auto e = c.first(); e; e = c.next())
        keys.emplace_back(lmdb::text(e->key));
    BOOST_TEST(keys == (std::vector<std::string>{std::string("a\0y", 3), std::string("b\0a", 3),
                                                 std::string("b\0x", 3), "c"}));
    auto s = c.seek("b");
    BOOST_REQUIRE(s);
    BOOST_TEST(lmdb::text(s->key) == std::string_view("b\0a", 3));
    BOOST_TEST(lmdb::text(c.last()->key) == "c");
    BOOST_TEST(lmdb::text(c.prev()->key) == std::string_view("b\0x", 3));
    BOOST_TEST(!c.seek("d"));
}

BOOST_AUTO_TEST_CASE(for_each_prefix_visits_only_matching_keys) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    auto t = write_txn(env);
    for (auto k : {"node1/a", "node1/b", "node10/a", "node2/a", "node0/z"})
        put(t, db, k, k);
    std::vector<std::string> seen;
    lmdb::for_each_prefix(t, db, "node1/",
                          [&](const lmdb::Entry& e) { seen.emplace_back(lmdb::text(e.value)); });
    BOOST_TEST(seen == (std::vector<std::string>{"node1/a", "node1/b"}));
    seen.clear();
    lmdb::for_each_prefix(t, db, "", [&](const lmdb::Entry& e) {
        seen.emplace_back(lmdb::text(e.key));
        return seen.size() < 2;  // stops early
    });
    BOOST_TEST(seen.size() == 2u);
}

BOOST_AUTO_TEST_CASE(cursor_delete_then_next_returns_following_entry) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    auto t = write_txn(env);
    for (auto k : {"1", "2", "3", "4"})
        put(t, db, k, "v");
    lmdb::Cursor c(t, db);
    std::vector<std::string> kept;
    for (auto e = c.first(); e; e = c.next()) {
        if (lmdb::text(e->key) == "2" || lmdb::text(e->key) == "3")
            BOOST_REQUIRE(c.del().ok());
        else
            kept.emplace_back(lmdb::text(e->key));
    }
    BOOST_TEST(kept == (std::vector<std::string>{"1", "4"}));
    BOOST_TEST(get_text(t, db, "3") == "<absent>");
}

BOOST_AUTO_TEST_CASE(reopen_keeps_committed_data) {
    TempDir dir;
    {
        auto env = open_env(dir);
        auto db = create_db(env, "kv");
        auto t = write_txn(env);
        put(t, db, "k", "kept");
        BOOST_REQUIRE(t.commit().ok());
    }
    auto env = open_env(dir);
    auto r = read_txn(env);
    auto db = r.open_db("kv", lmdb::DbCreate::no);
    BOOST_REQUIRE(db.ok());
    BOOST_TEST(get_text(r, *db, "k") == "kept");
}

BOOST_AUTO_TEST_CASE(open_missing_db_without_create_is_an_error) {
    TempDir dir;
    auto env = open_env(dir);
    auto t = write_txn(env);
    auto db = t.open_db("nope", lmdb::DbCreate::no);
    BOOST_REQUIRE(!db.ok());
    BOOST_TEST(db.error().message.find("nope") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(open_db_if_present_tells_a_missing_db_from_an_existing_one) {
    TempDir dir;
    auto env = open_env(dir);
    create_db(env, "here");
    auto t = read_txn(env);
    auto missing = t.open_db_if_present("nope");
    BOOST_REQUIRE(missing.ok());
    BOOST_TEST(!missing->has_value());
    auto present = t.open_db_if_present("here");
    BOOST_REQUIRE(present.ok());
    BOOST_TEST(present->has_value());
}

BOOST_AUTO_TEST_CASE(full_map_is_an_error_on_write_not_a_crash) {
    TempDir dir;
    auto env = open_env(dir, 64 * 1024);
    auto db = create_db(env, "kv");
    auto t = write_txn(env);
    std::string big(4000, 'x');
    bool failed = false;
    for (int i = 0; i < 1000 && !failed; ++i) {
        auto r = t.put(db, "key" + std::to_string(i), lmdb::bytes(big));
        if (!r.ok()) {
            failed = true;
            BOOST_TEST(r.error().message.find("MDB_MAP_FULL") != std::string::npos);
        }
    }
    BOOST_TEST(failed);
}

BOOST_AUTO_TEST_CASE(nested_commit_joins_the_parent_and_nested_abort_undoes_only_itself) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    auto t = write_txn(env);
    put(t, db, "a", "1");
    {
        auto kept = lmdb::Txn::begin_nested(t);
        BOOST_REQUIRE(kept.ok());
        BOOST_TEST(get_text(*kept, db, "a") == "1");  // sees the parent's writes
        put(*kept, db, "b", "2");
        BOOST_REQUIRE(kept->commit().ok());
    }
    {
        auto undone = lmdb::Txn::begin_nested(t);
        BOOST_REQUIRE(undone.ok());
        put(*undone, db, "c", "3");
        put(*undone, db, "a", "changed");
        BOOST_REQUIRE(undone->del(db, "b").ok());
        undone->abort();
    }
    {
        auto dropped = lmdb::Txn::begin_nested(t);
        BOOST_REQUIRE(dropped.ok());
        put(*dropped, db, "d", "4");
    }  // destroyed while open: aborted
    BOOST_TEST(get_text(t, db, "a") == "1");
    BOOST_TEST(get_text(t, db, "b") == "2");
    BOOST_TEST(get_text(t, db, "c") == "<absent>");
    BOOST_TEST(get_text(t, db, "d") == "<absent>");
    {
        auto r = read_txn(env);
        BOOST_TEST(get_text(r, db, "b") == "<absent>");  // nothing is visible before the parent
    }
    BOOST_REQUIRE(t.commit().ok());
    auto r = read_txn(env);
    BOOST_TEST(get_text(r, db, "a") == "1");
    BOOST_TEST(get_text(r, db, "b") == "2");
    BOOST_TEST(get_text(r, db, "c") == "<absent>");
}

BOOST_AUTO_TEST_CASE(committed_nested_writes_vanish_when_the_parent_aborts) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    {
        auto t = write_txn(env);
        auto nested = lmdb::Txn::begin_nested(t);
        BOOST_REQUIRE(nested.ok());
        put(*nested, db, "k", "v");
        BOOST_REQUIRE(nested->commit().ok());
        t.abort();
    }
    auto r = read_txn(env);
    BOOST_TEST(get_text(r, db, "k") == "<absent>");
}

BOOST_AUTO_TEST_CASE(nested_transactions_nest_and_move) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    auto t = write_txn(env);
    auto child = lmdb::Txn::begin_nested(t);
    BOOST_REQUIRE(child.ok());
    lmdb::Txn moved = std::move(child).value();  // the parent still tracks the moved child
    auto grandchild = lmdb::Txn::begin_nested(moved);
    BOOST_REQUIRE(grandchild.ok());
    put(*grandchild, db, "deep", "v");
    BOOST_REQUIRE(grandchild->commit().ok());
    BOOST_REQUIRE(moved.commit().ok());
    BOOST_TEST(get_text(t, db, "deep") == "v");
    BOOST_REQUIRE(t.commit().ok());
}

BOOST_AUTO_TEST_CASE(clear_empties_a_database_and_keeps_it_usable) {
    TempDir dir;
    auto env = open_env(dir);
    auto db = create_db(env, "kv");
    auto other = create_db(env, "other");
    auto t = write_txn(env);
    for (auto k : {"1", "2", "3"})
        put(t, db, k, "v");
    put(t, other, "x", "kept");
    BOOST_REQUIRE(t.commit().ok());
    auto w = write_txn(env);
    BOOST_REQUIRE(w.clear(db).ok());
    BOOST_TEST(!lmdb::Cursor(w, db).first());
    put(w, db, "4", "new");
    BOOST_REQUIRE(w.commit().ok());
    auto r = read_txn(env);
    BOOST_TEST(get_text(r, db, "1") == "<absent>");
    BOOST_TEST(get_text(r, db, "4") == "new");
    BOOST_TEST(get_text(r, other, "x") == "kept");
}

BOOST_AUTO_TEST_CASE(failed_after_a_full_map_but_not_after_an_over_long_key) {
    TempDir dir;
    auto env = open_env(dir, 64 * 1024);
    auto db = create_db(env, "kv");
    auto t = write_txn(env);
    BOOST_TEST(!t.failed());
    BOOST_TEST(!t.put(db, std::string(600, 'k'), lmdb::bytes("v")).ok());
    BOOST_TEST(!t.failed());  // refused up front: the transaction goes on
    put(t, db, "ok", "v");
    auto nested = lmdb::Txn::begin_nested(t);
    BOOST_REQUIRE(nested.ok());
    std::string big(4000, 'x');
    bool full = false;
    for (int i = 0; i < 1000 && !full; ++i)
        full = !nested->put(db, "key" + std::to_string(i), lmdb::bytes(big)).ok();
    BOOST_REQUIRE(full);
    BOOST_TEST(nested->failed());
    nested->abort();
    BOOST_TEST(!t.failed());  // the parent is intact once the failed child is gone
    BOOST_TEST(get_text(t, db, "ok") == "v");
    BOOST_TEST(get_text(t, db, "key0") == "<absent>");
    BOOST_REQUIRE(t.commit().ok());
}

BOOST_AUTO_TEST_CASE(write_map_commits_in_place_fails_a_full_map_and_refuses_nesting) {
    TempDir dir;
    auto opened = lmdb::Env::open({.path = (dir.path() / "wm.mdb").string(),
                                   .map_size = 64 * 1024,
                                   .sync = lmdb::Sync::no_sync,
                                   .write_map = true});
    BOOST_TEST_REQUIRE(opened.ok());
    auto env = *opened;
    auto db = create_db(env, "kv");
    {
        auto t = write_txn(env);
        put(t, db, "kept", "v");
        BOOST_REQUIRE(t.commit().ok());
    }
    auto t = write_txn(env);
    BOOST_TEST(!lmdb::Txn::begin_nested(t).ok());  // LMDB has no nesting with MDB_WRITEMAP
    BOOST_TEST(!t.put(db, std::string(600, 'k'), lmdb::bytes("v")).ok());
    BOOST_TEST(!t.failed());  // refused up front
    std::string big(4000, 'x');
    bool full = false;
    for (int i = 0; i < 1000 && !full; ++i)
        full = !t.put(db, "key" + std::to_string(i), lmdb::bytes(big)).ok();
    BOOST_REQUIRE(full);
    BOOST_TEST(t.failed());
    t.abort();
    auto r = read_txn(env);
    BOOST_TEST(get_text(r, db, "kept") == "v");
    BOOST_TEST(get_text(r, db, "key0") == "<absent>");
}

BOOST_AUTO_TEST_CASE(open_in_missing_directory_names_the_path) {
    TempDir dir;
    std::string path = (dir.path() / "no-such-dir" / "x.mdb").string();
    auto env = lmdb::Env::open({.path = path});
    BOOST_REQUIRE(!env.ok());
    BOOST_TEST(env.error().message.find(path) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
