// Store: the catalog in LMDB; the one apply path, the change log and the listeners.
#include "catalog/store.hh"

#include <atomic>
#include <filesystem>
#include <map>
#include <system_error>

#include "catalog/internal/store_db.hh"
#include "catalog/internal/store_snapshot.hh"
#include "catalog/internal/store_writer.hh"
#include "common/lmdb.hh"

namespace muster::catalog {

using internal::Dbs;

struct Store::Impl {
    std::shared_ptr<lmdb::Env> env;
    Dbs dbs;
    std::atomic<uint64_t> index{0};  // newest committed; raised monotonically after commit

    std::mutex listeners_mu;
    std::map<uint64_t, Listener> listeners;
    uint64_t next_listener = 1;

    void publish(uint64_t committed) {
        uint64_t seen = index.load();
        while (seen < committed && !index.compare_exchange_weak(seen, committed)) {
        }
    }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
    std::error_code ec;
    std::filesystem::create_directories(options.dir, ec);
    if (ec)
        return make_error("catalog store " + options.dir + ": " + ec.message());
    auto env = lmdb::Env::open({
        .path = (std::filesystem::path(options.dir) / "catalog.mdb").string(),
        .map_size = options.map_size,
        .max_dbs = internal::db_count,
        .max_readers = options.max_readers,
        .sync = options.durability == Durability::no_sync ? lmdb::Sync::no_sync : lmdb::Sync::sync,
    });
    if (!env.ok())
        return env.error();
    auto txn = lmdb::Txn::begin_write(*env);
    if (!txn.ok())
        return txn.error();
    auto dbs = internal::open_dbs(*txn, lmdb::DbCreate::yes);
    if (!dbs.ok())
        return dbs.error();
    uint64_t index = internal::read_index(*txn, *dbs);
    if (auto r = txn->commit(); !r)
        return r.error();
    auto impl = std::make_unique<Impl>();
    impl->env = std::move(env).value();
    impl->dbs = *dbs;
    impl->index = index;
    return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<uint64_t> Store::apply(std::span<const Command> batch) {
    uint64_t index = 0;
    {
        auto txn = lmdb::Txn::begin_write(impl_->env);
        if (!txn.ok())
            return txn.error();
        index = internal::read_index(*txn, impl_->dbs) + 1;
        internal::Writer writer(*txn, impl_->dbs, index);
        for (const auto& command : batch) {
            if (auto r = writer.apply(command); !r)
                return r.error();  // the transaction aborts: nothing of the batch is kept
        }
        if (auto change = writer.finish(); !change)
            return change.error();
        if (auto r = txn->commit(); !r)
            return r.error();
    }
    impl_->publish(index);
    std::vector<Listener> listeners;
    {
        std::lock_guard lock(impl_->listeners_mu);
        for (const auto& [id, listener] : impl_->listeners)
            listeners.push_back(listener);
    }
    for (const auto& listener : listeners)
        listener(index);
    return index;
}

uint64_t Store::index() const {
    return impl_->index.load();
}

std::unique_ptr<Snapshot> Store::snapshot() const {
    return internal::make_snapshot(impl_->env, impl_->dbs);
}

std::unique_ptr<DnsReader> Store::reader() const {
    return internal::make_dns_reader(impl_->env, impl_->dbs);
}

std::vector<Change> Store::changes_since(uint64_t index) const {
    auto txn = lmdb::Txn::begin_read(impl_->env);
    if (!txn.ok())
        MUSTER_PANIC(txn.error().message + " (raise max_readers?)");
    uint64_t current = internal::read_index(*txn, impl_->dbs);
    if (index >= current)
        return {};
    lmdb::Cursor cursor(*txn, impl_->dbs.changes);
    auto oldest = cursor.first();
    if (!oldest || internal::change_key_index(oldest->key) > index + 1)
        return {Change{.index = current, .nodes = {}, .services = {}}};  // trimmed: "anything"
    std::vector<Change> out;
    for (auto e = cursor.seek(internal::change_key(index + 1)); e; e = cursor.next())
        out.push_back(internal::decode_entity<Change>(e->value, "change"));
    return out;
}

uint64_t Store::subscribe(Listener listener) {
    std::lock_guard lock(impl_->listeners_mu);
    uint64_t id = impl_->next_listener++;
    impl_->listeners.emplace(id, std::move(listener));
    return id;
}

void Store::unsubscribe(uint64_t id) {
    std::lock_guard lock(impl_->listeners_mu);
    impl_->listeners.erase(id);
}

}  // namespace muster::catalog
