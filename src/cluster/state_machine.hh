// cluster::StateMachine: what the Raft log is applied to. cluster replicates opaque commands and
// knows nothing of the catalog; app adapts the catalog Store to this interface.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/result.hh"

namespace muster::cluster {

// A snapshot's bytes: the parts in order, handed to libraft without a copy. They stay valid
// while `owner` lives; libraft drops it once it has written them.
struct SnapshotData {
    std::vector<std::span<const uint8_t>> parts;
    std::shared_ptr<const void> owner;
};

class StateMachine {
  public:
    virtual ~StateMachine() = default;

    // Applies one committed Raft entry at `index`: the commands submitted together (group
    // commit), in submit order. Called on the Raft thread; must be quick (no fsync: the Raft log
    // is the durable truth). An entry at or below applied_index() was applied before (a replay
    // after a restart) and must change nothing; return an empty vector then.
    // Returns one result per command: the value its submitter gets (the catalog index), or why
    // the state machine refused that command (the others still apply). An Error for the whole
    // entry means the state is broken: the node stops.
    virtual Result<std::vector<Result<uint64_t>>> apply(
        uint64_t index, std::span<const std::span<const uint8_t>> commands) = 0;

    // The Raft index of the newest entry applied (kept with the state, 0 when empty).
    virtual uint64_t applied_index() const = 0;

    // The whole state, at applied_index(), for a Raft snapshot. Called on the Raft thread,
    // which stalls meanwhile (libraft takes snapshots on its loop): it must be quick even for a
    // big state.
    virtual Result<SnapshotData> snapshot() = 0;

    // Replaces the whole state by a snapshot() of some server, unless the local state already
    // is at or past the snapshot's index (then it keeps it). Called on the Raft thread.
    virtual Result<void> restore(std::span<const uint8_t> snapshot) = 0;
};

}  // namespace muster::cluster
