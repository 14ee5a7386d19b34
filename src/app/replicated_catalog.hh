// The catalog under Raft: the Store as the cluster's state machine, and the api::Writer that
// sends every catalog write through the Raft log.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "api/writer.hh"
#include "catalog/store.hh"
#include "cluster/raft_server.hh"
#include "cluster/state_machine.hh"

namespace muster::app {

// Each Raft command is one encoded catalog batch (catalog::encode); an entry of several commands
// is applied by Store::apply_entry in one LMDB transaction. A command that does not decode is
// refused on its own; the others of its entry still apply.
class CatalogStateMachine final : public cluster::StateMachine {
  public:
    explicit CatalogStateMachine(catalog::Store& store) : store_(store) {}
    Result<std::vector<Result<uint64_t>>> apply(
        uint64_t index, std::span<const std::span<const uint8_t>> commands) override;
    uint64_t applied_index() const override { return store_.applied_index(); }
    Result<cluster::SnapshotData> snapshot() override;
    // Keeps the local catalog when it is at or past the snapshot (a restart replays the Raft
    // snapshot that LMDB already holds).
    Result<void> restore(std::span<const uint8_t> snapshot) override;

  private:
    catalog::Store& store_;
};

// Writes through the Raft log; `done` gets the catalog index once the batch is committed and
// applied on this server, or why not (not the leader, leadership lost, refused by the store).
class RaftWriter final : public api::Writer {
  public:
    explicit RaftWriter(cluster::RaftServer& node) : node_(node) {}
    void submit(std::vector<catalog::Command> batch,
                std::function<void(Result<uint64_t>)> done) override;

  private:
    cluster::RaftServer& node_;
};

}  // namespace muster::app
