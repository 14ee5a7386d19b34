// RAII over LMDB: the only translation unit that includes <lmdb.h>.
#include "common/lmdb.hh"

#include <lmdb.h>

#include <cerrno>
#include <filesystem>

namespace muster::lmdb {

namespace {

MDB_val val(Bytes b) {
    return MDB_val{b.size(), const_cast<uint8_t*>(b.data())};  // LMDB never writes through it
}

Bytes view(const MDB_val& v) {
    return {static_cast<const uint8_t*>(v.mv_data), v.mv_size};
}

[[noreturn]] void corrupt(const char* what, int rc) {
    MUSTER_PANIC(std::string("LMDB ") + what + " failed (corrupt store?): " + error_text(rc));
}

}  // namespace

std::string error_text(int rc) {
    return mdb_strerror(rc);
}

// ---- Env

Result<std::shared_ptr<Env>> Env::open(const EnvOptions& options) {
    auto fail = [&](const char* what, int rc) {
        return make_error("lmdb " + options.path + ": " + what + ": " + error_text(rc));
    };
    MDB_env* env = nullptr;
    if (int rc = mdb_env_create(&env); rc != 0)
        return fail("mdb_env_create", rc);
    std::unique_ptr<MDB_env, void (*)(MDB_env*)> guard(env, mdb_env_close);
    if (int rc = mdb_env_set_mapsize(env, options.read_only ? 0 : options.map_size); rc != 0)
        return fail("mdb_env_set_mapsize", rc);
    if (int rc = mdb_env_set_maxdbs(env, options.max_dbs); rc != 0)
        return fail("mdb_env_set_maxdbs", rc);
    if (int rc = mdb_env_set_maxreaders(env, options.max_readers); rc != 0)
        return fail("mdb_env_set_maxreaders", rc);
    unsigned flags = MDB_NOSUBDIR | MDB_NOTLS;
    if (options.sync == Sync::no_sync)
        flags |= MDB_NOSYNC;
    if (options.write_map)
        flags |= MDB_WRITEMAP;
    if (options.read_only)
        flags |= MDB_RDONLY | MDB_NOLOCK;
    if (int rc = mdb_env_open(env, options.path.c_str(), flags, 0640); rc != 0)
        return fail("open", rc);
    guard.release();
    return std::shared_ptr<Env>(new Env(env, options.path));
}

Env::~Env() {
    mdb_env_close(env_);
}

Result<void> Env::copy_compact(int fd) const {
    if (int rc = mdb_env_copyfd2(env_, fd, MDB_CP_COMPACT); rc != 0)
        return make_error("lmdb " + path_ + ": compacting copy: " + error_text(rc));
    return {};
}

// ---- Txn

Result<Txn> Txn::begin_write(const std::shared_ptr<Env>& env) {
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env->raw(), nullptr, 0, &txn); rc != 0)
        return make_error("lmdb " + env->path() + ": begin write transaction: " + error_text(rc));
    return Txn(env, txn, false);
}

Result<Txn> Txn::begin_read(const std::shared_ptr<Env>& env) {
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env->raw(), nullptr, MDB_RDONLY, &txn); rc != 0)
        return make_error("lmdb " + env->path() + ": begin read transaction: " + error_text(rc));
    return Txn(env, txn, true);
}

Result<Txn> Txn::begin_nested(Txn& parent) {
    if (parent.read_only_)
        MUSTER_PANIC("lmdb: nested transaction in a read transaction");
    parent.require_active("begin_nested");
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(parent.env_->raw(), parent.txn_, 0, &txn); rc != 0)
        return make_error("lmdb " + parent.env_->path() +
                          ": begin nested transaction: " + error_text(rc));
    Txn child(parent.env_, txn, false);
    child.open_ = std::make_shared<const bool>(true);
    parent.child_ = child.open_;
    return child;
}

Txn::Txn(Txn&& other) noexcept
    : env_(std::move(other.env_)),
      txn_(std::exchange(other.txn_, nullptr)),
      read_only_(other.read_only_),
      reset_(other.reset_),
      failed_(other.failed_),
      open_(std::move(other.open_)),
      child_(std::move(other.child_)) {}

Txn& Txn::operator=(Txn&& other) noexcept {
    if (this != &other) {
        abort();
        env_ = std::move(other.env_);
        txn_ = std::exchange(other.txn_, nullptr);
        read_only_ = other.read_only_;
        reset_ = other.reset_;
        failed_ = other.failed_;
        open_ = std::move(other.open_);
        child_ = std::move(other.child_);
    }
    return *this;
}

Txn::~Txn() {
    abort();
}

void Txn::require_active(const char* what) const {
    if (!active())
        MUSTER_PANIC(std::string("lmdb: ") + what + " outside an active transaction");
    require_no_child(what);
}

void Txn::require_no_child(const char* what) const {
    if (!child_.expired())
        MUSTER_PANIC(std::string("lmdb: ") + what + " while a nested transaction is open");
}

Result<Dbi> Txn::open_db(const std::string& name, DbCreate create) {
    require_active("open_db");
    MDB_dbi dbi = 0;
    unsigned flags = create == DbCreate::yes ? MDB_CREATE : 0;
    if (int rc = mdb_dbi_open(txn_, name.c_str(), flags, &dbi); rc != 0)
        return make_error("lmdb " + env_->path() + ": open database " + name + ": " +
                          error_text(rc));
    return Dbi{dbi};
}

Result<std::optional<Dbi>> Txn::open_db_if_present(const std::string& name) {
    require_active("open_db");
    MDB_dbi dbi = 0;
    int rc = mdb_dbi_open(txn_, name.c_str(), 0, &dbi);
    if (rc == MDB_NOTFOUND)
        return std::optional<Dbi>();
    if (rc != 0)
        return make_error("lmdb " + env_->path() + ": open database " + name + ": " +
                          error_text(rc));
    return std::optional<Dbi>(Dbi{dbi});
}

std::optional<Bytes> Txn::get(Dbi db, Bytes key) const {
    require_active("get");
    MDB_val k = val(key);
    MDB_val v{};
    int rc = mdb_get(txn_, db.handle, &k, &v);
    if (rc == MDB_NOTFOUND || rc == MDB_BAD_VALSIZE)  // a key LMDB cannot store is absent
        return std::nullopt;
    if (rc != 0)
        corrupt("mdb_get", rc);
    return view(v);
}

Result<void> Txn::put(Dbi db, Bytes key, Bytes value) {
    require_active("put");
    MDB_val k = val(key);
    MDB_val v = val(value);
    if (int rc = mdb_put(txn_, db.handle, &k, &v, 0); rc != 0) {
        note_failure(rc);
        return make_error("lmdb " + env_->path() + ": put: " + error_text(rc));
    }
    return {};
}

Result<void> Txn::append(Dbi db, Bytes key, Bytes value) {
    require_active("append");
    MDB_val k = val(key);
    MDB_val v = val(value);
    if (int rc = mdb_put(txn_, db.handle, &k, &v, MDB_APPEND); rc != 0) {
        note_failure(rc);
        return make_error("lmdb " + env_->path() + ": append: " + error_text(rc));
    }
    return {};
}

Result<bool> Txn::del(Dbi db, Bytes key) {
    require_active("del");
    MDB_val k = val(key);
    int rc = mdb_del(txn_, db.handle, &k, nullptr);
    if (rc == MDB_NOTFOUND)
        return false;
    if (rc != 0) {
        note_failure(rc);
        return make_error("lmdb " + env_->path() + ": del: " + error_text(rc));
    }
    return true;
}

Result<void> Txn::clear(Dbi db) {
    require_active("clear");
    if (int rc = mdb_drop(txn_, db.handle, 0); rc != 0) {
        note_failure(rc);
        return make_error("lmdb " + env_->path() + ": clear: " + error_text(rc));
    }
    return {};
}

bool Txn::failed() const {
    require_active("failed");
    return failed_;
}

// LMDB marks the transaction failed (MDB_TXN_ERROR) once a write fails after it began changing
// pages; the codes it returns before touching anything leave the transaction usable.
void Txn::note_failure(int rc) const {
    if (rc != MDB_BAD_VALSIZE && rc != EINVAL && rc != MDB_KEYEXIST && rc != MDB_NOTFOUND)
        failed_ = true;
}

Result<void> Txn::commit() {
    require_active("commit");
    open_.reset();
    int rc = mdb_txn_commit(std::exchange(txn_, nullptr));  // frees the txn even on failure
    if (rc != 0)
        return make_error("lmdb " + env_->path() + ": commit: " + error_text(rc));
    return {};
}

void Txn::abort() {
    if (txn_ != nullptr) {
        require_no_child("abort");  // LMDB would free the child under its owner
        mdb_txn_abort(std::exchange(txn_, nullptr));
    }
    open_.reset();
    reset_ = false;
}

void Txn::reset() {
    if (!read_only_)
        MUSTER_PANIC("lmdb: reset of a write transaction");
    require_active("reset");
    mdb_txn_reset(txn_);
    reset_ = true;
}

void Txn::renew() {
    if (!read_only_ || txn_ == nullptr)
        MUSTER_PANIC("lmdb: renew needs a read transaction");
    if (!reset_)
        reset();
    if (int rc = mdb_txn_renew(txn_); rc != 0)
        corrupt("mdb_txn_renew", rc);
    reset_ = false;
}

// ---- Cursor

Cursor::Cursor(const Txn& txn, Dbi db) : txn_(&txn) {
    if (!txn.active())
        MUSTER_PANIC("lmdb: cursor outside an active transaction");
    if (int rc = mdb_cursor_open(txn.raw(), db.handle, &cursor_); rc != 0)
        corrupt("mdb_cursor_open", rc);
}

Cursor::~Cursor() {
    mdb_cursor_close(cursor_);
}

std::optional<Entry> Cursor::move(int op, Bytes* key) {
    MDB_val k = key != nullptr ? val(*key) : MDB_val{};
    MDB_val v{};
    int rc = mdb_cursor_get(cursor_, &k, &v, static_cast<MDB_cursor_op>(op));
    if (rc == MDB_NOTFOUND || (rc == MDB_BAD_VALSIZE && key != nullptr))
        return std::nullopt;
    if (rc != 0)
        corrupt("mdb_cursor_get", rc);
    return Entry{view(k), view(v)};
}

std::optional<Entry> Cursor::first() {
    return move(MDB_FIRST, nullptr);
}
std::optional<Entry> Cursor::last() {
    return move(MDB_LAST, nullptr);
}
std::optional<Entry> Cursor::next() {
    return move(MDB_NEXT, nullptr);
}
std::optional<Entry> Cursor::prev() {
    return move(MDB_PREV, nullptr);
}
std::optional<Entry> Cursor::seek(Bytes key) {
    if (key.empty())
        return first();  // LMDB rejects empty keys; every key is >= ""
    return move(MDB_SET_RANGE, &key);
}

Result<void> Cursor::del() {
    if (int rc = mdb_cursor_del(cursor_, 0); rc != 0) {
        txn_->note_failure(rc);
        return make_error("lmdb: cursor del: " + error_text(rc));
    }
    return {};
}

}  // namespace muster::lmdb
