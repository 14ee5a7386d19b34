// Store: the catalog in LMDB; the one apply path, the change log and the listeners.
#include "catalog/store.hh"

#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>

#include "catalog/internal/store_db.hh"
#include "catalog/internal/store_fragment.hh"
#include "catalog/internal/store_image.hh"
#include "catalog/internal/store_snapshot.hh"
#include "catalog/internal/store_writer.hh"
#include "common/lmdb.hh"

namespace muster::catalog {

using internal::Dbs;

namespace {
Result<void> write_batch(lmdb::Txn& txn, const Dbs& dbs, uint64_t index,
                         std::span<const Command> batch);
}  // namespace

struct Store::Impl {
    std::shared_ptr<lmdb::Env> env;
    Dbs dbs;
    std::atomic<uint64_t> index{0};    // newest committed catalog index
    std::atomic<uint64_t> applied{0};  // newest committed applied Raft index

    // Held across commit + publish, so the published indexes follow commit order even when a
    // restore lowers them (only the holder of LMDB's writer lock ever takes it: no contention).
    std::mutex commit_mu;

    std::mutex listeners_mu;
    std::map<uint64_t, Listener> listeners;
    uint64_t next_listener = 1;

    // Commits `txn`, which leaves the store at catalog index `committed` (and applied Raft
    // index `raft_index` when given), and publishes both.
    Result<void> commit(lmdb::Txn& txn, uint64_t committed, std::optional<uint64_t> raft_index) {
        std::lock_guard lock(commit_mu);
        if (auto r = txn.commit(); !r)
            return r;
        index.store(committed);
        if (raft_index)
            applied.store(*raft_index);
        return {};
    }

    // Applies batches [start, refused) of entry `raft_index` again in a new transaction and
    // commits them with the mark that batch `refused` was refused; the catalog index after them.
    Result<uint64_t> commit_before_refusal(uint64_t raft_index,
                                           std::span<const std::vector<Command>> batches,
                                           size_t start, size_t refused) {
        auto txn = lmdb::Txn::begin_write(env);
        if (!txn.ok())
            return txn.error();
        uint64_t at = internal::read_index(*txn, dbs);
        for (size_t k = start; k < refused; ++k) {
            if (auto r = write_batch(*txn, dbs, at + 1, batches[k]); !r)
                return make_error("batch " + std::to_string(k) + " of entry " +
                                  std::to_string(raft_index) +
                                  " failed when applied again: " + r.error().message);
            ++at;
        }
        if (auto r = internal::write_raft_partial(*txn, dbs, {raft_index, refused + 1}); !r)
            return r.error();
        if (auto r = commit(*txn, at, std::nullopt); !r)
            return r.error();
        return at;
    }

    // Calls every listener once with the newest committed index; after commit, outside every
    // lock. One call per commit, however many batches it held: a listener wakes a loop, and a
    // wakeup per batch cost the Raft apply path more than the batches themselves.
    void notify(uint64_t newest) {
        std::vector<Listener> copy;
        {
            std::lock_guard lock(listeners_mu);
            copy.reserve(listeners.size());
            for (const auto& [id, listener] : listeners)
                copy.push_back(listener);
        }
        for (const auto& listener : copy)
            listener(newest);
    }
};

namespace {

// The one apply logic: every command of `batch` as catalog index `index` inside `txn`, then the
// DNS records, the change log and the index. On error the caller aborts `txn`.
Result<void> write_batch(lmdb::Txn& txn, const Dbs& dbs, uint64_t index,
                         std::span<const Command> batch) {
    internal::Writer writer(txn, dbs, index);
    for (const auto& command : batch) {
        if (auto r = writer.apply(command); !r)
            return r;
    }
    if (auto change = writer.finish(); !change)
        return change.error();
    return {};
}

// Every entry of one database of an image, decoded; an Error (not a panic: the bytes come from
// a file an operator handed in) names the first that does not decode.
template <class T>
Result<void> read_image_db(const internal::OpenImage& image, const lmdb::Dbi& dbi, const char* what,
                           std::vector<T>& out) {
    if (dbi.handle == internal::absent_dbi)
        return {};
    lmdb::Cursor cursor(image.txn(), dbi);
    for (auto e = cursor.first(); e; e = cursor.next()) {
        std::string error;
        internal::MsgReader in(e->value);
        if (!internal::msgpack_well_formed(e->value) ||
            !internal::read(in, internal::Path(what), out.emplace_back(), error))
            return make_error(std::string("snapshot: a ") + what + " entry does not decode" +
                              (error.empty() ? "" : ": " + error));
    }
    return {};
}

}  // namespace

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
        .write_map = options.durability == Durability::no_sync,
    });
    if (!env.ok())
        return env.error();
    auto txn = lmdb::Txn::begin_write(*env);
    if (!txn.ok())
        return txn.error();
    auto dbs = internal::open_dbs(*txn, lmdb::DbCreate::yes);
    if (!dbs.ok())
        return dbs.error();
    if (auto r = internal::upgrade_service_records(*txn, *dbs); !r)
        return r.error();
    uint64_t index = internal::read_index(*txn, *dbs);
    uint64_t applied = internal::read_raft_index(*txn, *dbs);
    if (auto r = txn->commit(); !r)
        return r.error();
    auto impl = std::make_unique<Impl>();
    impl->env = std::move(env).value();
    impl->dbs = *dbs;
    impl->index = index;
    impl->applied = applied;
    return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<uint64_t> Store::apply(std::span<const Command> batch) {
    uint64_t index = 0;
    {
        auto txn = lmdb::Txn::begin_write(impl_->env);
        if (!txn.ok())
            return txn.error();
        index = internal::read_index(*txn, impl_->dbs) + 1;
        if (auto r = write_batch(*txn, impl_->dbs, index, batch); !r)
            return r.error();  // the transaction aborts: nothing of the batch is kept
        if (auto r = impl_->commit(*txn, index, std::nullopt); !r)
            return r.error();
    }
    impl_->notify(index);
    return index;
}

// All batches of the entry go into one write transaction; no nested transactions (LMDB's cost
// more than a batch, and MDB_WRITEMAP has none). When batch k is refused, the transaction is
// abandoned and the batches before it applied again and committed on their own, with k refused
// and "raft_partial" saying where the entry stands; the rest follows in the next transaction.
// So a refused batch leaves no trace, as if each batch had been isolated, at the price of one
// more commit per refusal; after a crash in between, the replayed entry resumes at the mark.
Result<std::vector<Result<uint64_t>>> Store::apply_entry(
    uint64_t raft_index, std::span<const std::vector<Command>> batches) {
    std::vector<Result<uint64_t>> results;
    results.reserve(batches.size());
    bool committed = false;  // some batch of the entry changed the catalog
    uint64_t index = 0;
    for (;;) {
        auto txn = lmdb::Txn::begin_write(impl_->env);
        if (!txn.ok())
            return txn.error();
        if (raft_index <= internal::read_raft_index(*txn, impl_->dbs))
            return results;  // a replay after a restart: already in the store
        internal::RaftPartial partial = internal::read_raft_partial(*txn, impl_->dbs);
        if (partial.raft_index == raft_index) {
            while (results.size() < partial.next && results.size() < batches.size())
                results.emplace_back(make_error("applied before a restart"));
        } else if (partial.raft_index != 0) {
            MUSTER_PANIC("catalog store: entry " + std::to_string(partial.raft_index) +
                         " was left half-applied, now given entry " + std::to_string(raft_index));
        }
        const size_t start = results.size();
        index = internal::read_index(*txn, impl_->dbs);
        size_t refused = batches.size();
        for (size_t k = start; k < batches.size(); ++k) {
            if (auto r = write_batch(*txn, impl_->dbs, index + 1, batches[k]); !r) {
                // LMDB itself failing (map full) is no verdict on the batch: another replica
                // would apply it, so the whole entry fails instead.
                if (txn->failed())
                    return r.error();
                results.emplace_back(r.error());
                refused = k;
                break;
            }
            results.emplace_back(++index);
        }
        if (refused == batches.size()) {
            committed = committed || results.size() > start;
            if (partial.raft_index != 0) {
                if (auto r = internal::clear_raft_partial(*txn, impl_->dbs); !r)
                    return r.error();
            }
            if (auto r = internal::write_raft_index(*txn, impl_->dbs, raft_index); !r)
                return r.error();
            if (auto r = impl_->commit(*txn, index, raft_index); !r)
                return r.error();
            break;
        }
        // Batch `refused` leaves no trace: start over without it.
        txn->abort();
        auto r = impl_->commit_before_refusal(raft_index, batches, start, refused);
        if (!r)
            return r.error();
        index = *r;
        committed = committed || refused > start;
    }
    if (committed)
        impl_->notify(index);
    return results;
}

uint64_t Store::applied_index() const {
    return impl_->applied.load();
}

Result<Store::Image> Store::write_image() const {
    auto file = internal::write_image(*impl_->env, applied_index());
    if (!file.ok())
        return file.error();
    auto owner = *file;
    return Image{.header = owner->header(), .file = owner->file(), .owner = owner};
}

Result<std::vector<uint8_t>> Store::image() const {
    auto image = write_image();
    if (!image.ok())
        return image.error();
    std::vector<uint8_t> out(image->header.begin(), image->header.end());
    out.insert(out.end(), image->file.begin(), image->file.end());
    return out;
}

Result<uint64_t> Store::image_applied_index(std::span<const uint8_t> image) {
    auto header = internal::parse_image_header(image);
    if (!header.ok())
        return header.error();
    return header->raft_index;
}

Result<Restore> Store::image_contents(std::span<const uint8_t> image) {
    auto opened = internal::open_image(image);
    if (!opened.ok())
        return opened.error();
    const auto& dbs = (*opened)->dbs();
    Restore out;
    if (auto r = read_image_db(**opened, dbs.nodes, "node", out.nodes); !r)
        return r.error();
    if (auto r = read_image_db(**opened, dbs.services, "service", out.services); !r)
        return r.error();
    if (auto r = read_image_db(**opened, dbs.checks, "check", out.checks); !r)
        return r.error();
    return out;
}

Result<void> Store::restore(std::span<const uint8_t> image) {
    auto opened = internal::open_image(image);  // checked in full before anything changes
    if (!opened.ok())
        return opened.error();
    const auto& header = (*opened)->header();
    {
        auto txn = lmdb::Txn::begin_write(impl_->env);
        if (!txn.ok())
            return txn.error();
        if (header.raft_index <= internal::read_raft_index(*txn, impl_->dbs))
            return {};  // already at or past the image: restoring would go back in time
        auto to = internal::db_list(impl_->dbs);
        auto from = internal::db_list((*opened)->dbs());
        for (std::size_t i = 0; i < internal::db_count; ++i) {
            if (auto r = txn->clear(to[i]); !r)
                return r.error();
            if (from[i].handle == internal::absent_dbi)
                continue;  // an image from before this database: it restores as empty
            lmdb::Cursor cursor((*opened)->txn(), from[i]);
            for (auto e = cursor.first(); e; e = cursor.next()) {
                if (auto r = txn->append(to[i], e->key, e->value); !r)
                    return r.error();
            }
        }
        if (auto r = internal::upgrade_service_records(*txn, impl_->dbs); !r)
            return r.error();  // an image from an older build
        if (auto r = impl_->commit(*txn, header.index, header.raft_index); !r)
            return r.error();
    }
    impl_->notify(header.index);
    return {};
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
