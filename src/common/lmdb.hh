// RAII over LMDB: environment, read/write transactions, named databases, cursors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/result.hh"

struct MDB_env;
struct MDB_txn;
struct MDB_cursor;

namespace muster::lmdb {

using Bytes = std::span<const uint8_t>;

inline Bytes bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view text(Bytes b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

enum class Sync {
    sync,     // fsync at every commit
    no_sync,  // MDB_NOSYNC: a crash may lose the last commits, never corrupt the file
};

struct EnvOptions {
    std::string path;  // the data file itself (MDB_NOSUBDIR); the lock file is path + "-lock"
    uint64_t map_size = uint64_t{1} << 30;
    unsigned max_dbs = 16;
    unsigned max_readers = 126;
    Sync sync = Sync::sync;
    // MDB_WRITEMAP: a commit changes the map in place instead of writing every dirty page
    // (several times faster per commit), at the price of nested transactions (begin_nested
    // fails) and a data file the size of map_size (sparse).
    bool write_map = false;
    // MDB_RDONLY | MDB_NOLOCK: a file no process writes (a snapshot image); no lock file is
    // made, and the map is as large as the file says (map_size is ignored).
    bool read_only = false;
};

// An open LMDB environment. Opened with MDB_NOTLS: reader slots belong to transactions, not
// threads, so a read transaction may be reset/renewed and kept by an object that moves between
// threads (one thread at a time).
class Env {
  public:
    // Errors name the path and what LMDB said.
    static Result<std::shared_ptr<Env>> open(const EnvOptions& options);
    ~Env();
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;

    const std::string& path() const { return path_; }
    MDB_env* raw() const { return env_; }

    // Writes a compacted copy of the newest committed state to `fd` (mdb_env_copyfd2 with
    // MDB_CP_COMPACT: free pages left out, pages renumbered), a valid LMDB file of its own. Runs
    // beside writers (it holds a read transaction).
    Result<void> copy_compact(int fd) const;

  private:
    Env(MDB_env* env, std::string path) : env_(env), path_(std::move(path)) {}
    MDB_env* env_ = nullptr;
    std::string path_;
};

// A database handle (MDB_dbi); valid for the environment's lifetime once its opening
// transaction committed.
struct Dbi {
    unsigned int handle = 0;
};

enum class DbCreate { no, yes };

struct Entry {
    Bytes key;
    Bytes value;
};

// One transaction. Bytes returned by get() and cursors point into the map and stay valid until
// the transaction ends, is reset, or (write) the entry is changed. A key LMDB cannot store
// (empty, or longer than its 511-byte limit) reads as absent. Reads that fail with
// anything but "not found" mean a corrupt store and panic; writes return errors.
class Txn {
  public:
    static Result<Txn> begin_write(const std::shared_ptr<Env>& env);
    static Result<Txn> begin_read(const std::shared_ptr<Env>& env);
    // A write transaction nested in `parent` (an active write transaction): its commit makes
    // its changes part of the parent (durable only when the parent commits), its abort undoes
    // only them. LMDB's rule: the parent may not be used or ended while the child is open;
    // doing so panics.
    static Result<Txn> begin_nested(Txn& parent);
    Txn(Txn&& other) noexcept;
    Txn& operator=(Txn&& other) noexcept;
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    ~Txn();  // aborts when still open

    Result<Dbi> open_db(const std::string& name, DbCreate create);
    // An existing database, or nullopt when the file has none of that name.
    Result<std::optional<Dbi>> open_db_if_present(const std::string& name);

    std::optional<Bytes> get(Dbi db, Bytes key) const;
    std::optional<Bytes> get(Dbi db, std::string_view key) const { return get(db, bytes(key)); }
    Result<void> put(Dbi db, Bytes key, Bytes value);
    Result<void> put(Dbi db, std::string_view key, Bytes value) {
        return put(db, bytes(key), value);
    }
    // A put whose key is above every key of the database (MDB_APPEND: no search, full pages),
    // for filling an empty database in key order; a key out of order is an error.
    Result<void> append(Dbi db, Bytes key, Bytes value);
    // False when the key was absent.
    Result<bool> del(Dbi db, Bytes key);
    Result<bool> del(Dbi db, std::string_view key) { return del(db, bytes(key)); }
    // Deletes every entry of the database, keeping the database (mdb_drop without delete).
    Result<void> clear(Dbi db);

    // True when LMDB refuses further work in this write transaction because a write through it
    // failed (MDB_TXN_ERROR: map full, out of memory...); only abort remains. A write refused
    // up front (an over-long key) leaves it usable.
    bool failed() const;

    Result<void> commit();
    void abort();

    // Read transactions only: release the snapshot but keep the reader slot, and take the
    // newest snapshot again (mdb_txn_reset / mdb_txn_renew). Neither allocates.
    void reset();
    void renew();
    bool active() const { return txn_ != nullptr && !reset_; }

    MDB_txn* raw() const { return txn_; }

  private:
    Txn(std::shared_ptr<Env> env, MDB_txn* txn, bool read_only)
        : env_(std::move(env)), txn_(txn), read_only_(read_only) {}
    void require_active(const char* what) const;
    void require_no_child(const char* what) const;
    void note_failure(int rc) const;
    friend class Cursor;
    std::shared_ptr<Env> env_;
    MDB_txn* txn_ = nullptr;
    bool read_only_ = false;
    bool reset_ = false;
    mutable bool failed_ = false;  // a write failed (cursor deletes too, through a const Txn&)
    // A nested transaction holds `open_` while it is open; its parent watches it through
    // `child_`, so using or ending a parent with an open child panics instead of touching a
    // transaction LMDB has blocked (or freeing one the child still points to).
    std::shared_ptr<const bool> open_;
    std::weak_ptr<const bool> child_;
};

// A cursor over one database inside one transaction (which must outlive it). Positioning calls
// return the entry there, or nullopt past the end.
class Cursor {
  public:
    Cursor(const Txn& txn, Dbi db);
    ~Cursor();
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    std::optional<Entry> first();
    std::optional<Entry> last();
    std::optional<Entry> next();
    std::optional<Entry> prev();
    // The first entry whose key is >= key (MDB_SET_RANGE); nullopt for an over-long key.
    std::optional<Entry> seek(Bytes key);
    std::optional<Entry> seek(std::string_view key) { return seek(bytes(key)); }
    // Deletes the entry under the cursor (write transactions); next() then returns the entry
    // that followed the deleted one.
    Result<void> del();

  private:
    std::optional<Entry> move(int op, Bytes* key);
    const Txn* txn_;
    MDB_cursor* cursor_ = nullptr;
};

// Calls fn(Entry) for each entry whose key starts with prefix, in key order, while fn returns
// true (fn returning void visits all).
template <class Fn>
void for_each_prefix(const Txn& txn, Dbi db, Bytes prefix, Fn&& fn) {
    Cursor c(txn, db);
    for (auto e = c.seek(prefix); e; e = c.next()) {
        if (e->key.size() < prefix.size() ||
            !std::equal(prefix.begin(), prefix.end(), e->key.begin()))
            return;
        if constexpr (std::is_same_v<decltype(fn(*e)), bool>) {
            if (!fn(*e))
                return;
        } else {
            fn(*e);
        }
    }
}
template <class Fn>
void for_each_prefix(const Txn& txn, Dbi db, std::string_view prefix, Fn&& fn) {
    for_each_prefix(txn, db, bytes(prefix), std::forward<Fn>(fn));
}

// The text of an LMDB return code (mdb_strerror).
std::string error_text(int rc);

}  // namespace muster::lmdb
