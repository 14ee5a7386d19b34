// Store: the catalog in LMDB. One apply path (apply) changes it inside one write transaction
// that also stores the new catalog index, a change-log entry and the DNS records of everything
// it touched. Reads are LMDB read transactions (snapshots) and never block writes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/command.hh"
#include "catalog/model.hh"
#include "common/result.hh"

namespace muster::catalog {

enum class Durability {
    sync,     // fsync at every commit (single server: LMDB is the durable truth)
    no_sync,  // MDB_NOSYNC (under Raft: the Raft log is the durable truth)
};

struct StoreOptions {
    std::string dir;  // created if missing; holds catalog.mdb (one file, MDB_NOSUBDIR)
    uint64_t map_size = uint64_t{1} << 32;  // virtual address space reserved for the map
    Durability durability = Durability::sync;
    unsigned max_readers = 256;  // DNS workers + HTTP + spare
};

// What one change touched, for blocking queries and (later) the change stream to agents.
struct Change {
    uint64_t index = 0;
    std::vector<std::string> nodes;     // node names whose entry, services or checks changed
    std::vector<std::string> services;  // service names whose instances or health changed
};

// A service instance with its node and the checks that decide its health (the instance's own
// and its node's), as /v1/health/service returns it.
struct ServiceEntry {
    Node node;
    Service service;
    std::vector<Check> checks;
};

// A consistent snapshot for the HTTP API. Holds an LMDB read transaction: keep it short-lived
// and on one thread.
class Snapshot {
  public:
    virtual ~Snapshot() = default;
    virtual uint64_t index() const = 0;           // the catalog index this snapshot shows
    virtual std::vector<Node> nodes() const = 0;  // sorted by name
    virtual std::optional<Node> node(std::string_view name) const = 0;  // case-insensitive
    // Service name -> union of tags over its instances, sorted by name (/v1/catalog/services).
    virtual std::vector<std::pair<std::string, std::vector<std::string>>> services() const = 0;
    // Instances of one service (case-insensitive), sorted by node then ID. Only those with
    // `tag` when given; only those passing `filter` (by aggregate of service + node checks).
    virtual std::vector<ServiceEntry> service(std::string_view name,
                                              std::optional<std::string_view> tag,
                                              HealthFilter filter) const = 0;
    virtual std::vector<Service> node_services(std::string_view node) const = 0;
    virtual std::vector<Check> node_checks(std::string_view node) const = 0;
    virtual std::vector<Check> service_checks(std::string_view service_name) const = 0;
    // Every check, or those in one state (/v1/health/state/:state).
    virtual std::vector<Check> checks(std::optional<Status> state) const = 0;
    // The members that left (a Leave) and have not come back since, sorted by lowercase name.
    virtual std::vector<LeftMember> left_members() const = 0;
};

// Per-thread DNS access: one reused read transaction (mdb_txn_reset/renew), so a lookup
// allocates nothing. The returned bytes stay valid until end() or the next begin().
class DnsReader {
  public:
    virtual ~DnsReader() = default;
    virtual void begin() = 0;  // take the newest snapshot
    virtual void end() = 0;    // release it
    virtual uint64_t index() const = 0;
    // Keys are lowercase. Absent: empty span.
    virtual std::span<const uint8_t> service(std::string_view name) = 0;      // ServiceRecord
    virtual std::span<const uint8_t> node(std::string_view name) = 0;         // NodeRecord
    virtual std::span<const uint8_t> ptr(std::span<const uint8_t> addr) = 0;  // PtrRecord
};

// Makes DnsReaders; what resolver/ sees of the catalog (read-only).
class DnsSource {
  public:
    virtual ~DnsSource() = default;
    virtual std::unique_ptr<DnsReader> reader() const = 0;
};

class Store final : public DnsSource {
  public:
    // Opens or creates the store; an error names the path and what LMDB said.
    static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
    ~Store() override;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // The one apply path: every command of the batch inside one write transaction that stores
    // the new index (previous + 1) and one Change. A command that is invalid against the current
    // state (a check naming a service the node does not have, an empty node name) fails the
    // whole batch and changes nothing. Thread-safe (LMDB serialises writers).
    Result<uint64_t> apply(std::span<const Command> batch);
    Result<uint64_t> apply(const Command& command) {
        return apply(std::span<const Command>(&command, 1));
    }

    // Under Raft: applies the Raft entry at `raft_index`, which carries several batches (group
    // commit), in one LMDB write transaction that also stores raft_index as the applied index
    // (one more commit per refused batch: see store.cc). Each batch is all-or-nothing on its own
    // and gets its own catalog index, so one invalid batch spoils none of the others. An entry at
    // or below applied_index() changes nothing and gives an empty vector (a replay after a
    // restart). Returns one result per batch; an Error for the whole entry only when LMDB fails
    // (also inside a batch, e.g. a full map: that says nothing about the batch, so no batch result
    // may record it). Listeners hear the newest index once, after the commit (when a batch
    // applied).
    Result<std::vector<Result<uint64_t>>> apply_entry(
        uint64_t raft_index, std::span<const std::vector<Command>> batches);
    uint64_t applied_index() const;  // the stored Raft index (0 when never under Raft)

    // The whole catalog at its newest commit (with its catalog index and applied Raft index) as
    // an image for a Raft snapshot: a compacted copy of the LMDB file behind a checksummed
    // header (catalog/internal/store_image.hh), in two parts that stay valid while `owner`
    // lives. The image must be at applied_index(), so nothing may write meanwhile (under Raft
    // only the Raft thread writes, and it is the caller).
    struct Image {
        std::span<const uint8_t> header;
        std::span<const uint8_t> file;
        std::shared_ptr<const void> owner;
    };
    Result<Image> write_image() const;
    // The image's parts joined (tests, tools).
    Result<std::vector<uint8_t>> image() const;
    // The applied Raft index an image was taken at, from its header alone (restore checks the
    // rest); Error if the bytes are not an image.
    static Result<uint64_t> image_applied_index(std::span<const uint8_t> image);
    // What an image holds, as the command that makes any catalog hold the same nodes, services
    // and checks (muster snapshot restore). The image is checked in full first, as restore()
    // does, and every entry must decode; the Error says what is wrong.
    static Result<Restore> image_contents(std::span<const uint8_t> image);
    // Replaces the whole contents by an image in one write transaction (a Raft restore). A
    // damaged image (header, checksum, or a file whose meta disagrees with its header) is an
    // Error and changes nothing. An image whose applied Raft index is at or below
    // applied_index() is ignored (success, nothing changes): the store already holds that state
    // or a later one, as for a replayed entry. Otherwise index() and applied_index() become the
    // image's, which may be lower than before, and listeners hear the new catalog index once.
    Result<void> restore(std::span<const uint8_t> image);

    uint64_t index() const;  // the newest committed index (0 for an empty store)
    std::unique_ptr<Snapshot> snapshot() const;
    std::unique_ptr<DnsReader> reader() const override;

    // Changes after `index`, oldest first (the log keeps the last 4096 changes; older ones are
    // summarised as one Change with empty lists meaning "anything may have changed").
    std::vector<Change> changes_since(uint64_t index) const;

    // Called once after every committed apply, restore or entry that changed the catalog, on the
    // applying thread, with the newest index (an entry of several batches is heard once, with
    // its last index). Listeners must be quick (post to their own loop). Returns an id for
    // unsubscribe.
    using Listener = std::function<void(uint64_t index)>;
    uint64_t subscribe(Listener listener);
    void unsubscribe(uint64_t id);

  private:
    struct Impl;
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace muster::catalog
