// FsmAdapter: libraft's FSM callbacks (through the C shim) onto a cluster::StateMachine: decodes
// the group-commit entry, passes its Raft index and commands, and routes the results back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/internal/entry_codec.hh"
#include "cluster/state_machine.hh"
#include "common/result.hh"

struct muster_fsm;
struct muster_snapshot_parts;

namespace muster::cluster::internal {

// Gets the results of every applied entry (the proposer keeps those it recognises by tag).
class ResultSink {
  public:
    virtual ~ResultSink() = default;
    virtual void on_applied(EntryTag tag, uint64_t index,
                            std::vector<Result<uint64_t>> results) = 0;
};

// Sees every entry the state machine applied (not replays), as its raw bytes, and every snapshot
// restored: the change feed (FeedServer) passes them on to client agents.
class AppliedObserver {
  public:
    virtual ~AppliedObserver() = default;
    virtual void on_entry(uint64_t index, std::span<const uint8_t> entry) = 0;
    // The state was replaced by a snapshot; it is at `applied_index` now.
    virtual void on_restored(uint64_t applied_index) = 0;
};

class FsmAdapter {
  public:
    // `sink` may be null (it can be set later, before the raft starts).
    FsmAdapter(StateMachine& state_machine, ResultSink* sink);
    ~FsmAdapter();
    FsmAdapter(const FsmAdapter&) = delete;
    FsmAdapter& operator=(const FsmAdapter&) = delete;

    void set_sink(ResultSink* sink) { sink_ = sink; }
    void set_observer(AppliedObserver* observer) { observer_ = observer; }
    // For muster_raft_node_init, or raft_fixture_grow + muster_fsm_bind in tests.
    muster_fsm* fsm() { return fsm_; }

    // Once the state machine failed a whole entry (or a restore, or broke its contract) the
    // adapter refuses every later entry: libraft stops applying here and the node must stop.
    bool broken() const { return broken_; }
    const std::string& broken_reason() const { return broken_reason_; }

    uint64_t entries_applied() const { return entries_applied_; }
    uint64_t snapshots_taken() const { return snapshots_taken_; }
    double snapshot_seconds() const { return snapshot_seconds_; }  // all snapshots taken
    uint64_t snapshots_restored() const { return snapshots_restored_; }

  private:
    static int apply_cb(void* ctx, uint64_t index, const void* data, size_t len);
    static int snapshot_cb(void* ctx, muster_snapshot_parts* out);
    static void release_cb(void* ctx, void* owner);
    static int restore_cb(void* ctx, const void* data, size_t len);
    int apply(uint64_t index, std::span<const uint8_t> bytes);
    int snapshot(muster_snapshot_parts* out);
    int restore(std::span<const uint8_t> bytes);
    void set_broken(std::string reason);

    StateMachine& state_machine_;
    ResultSink* sink_;
    AppliedObserver* observer_ = nullptr;
    muster_fsm* fsm_ = nullptr;
    bool broken_ = false;
    std::string broken_reason_;
    uint64_t entries_applied_ = 0;
    uint64_t snapshots_taken_ = 0;
    double snapshot_seconds_ = 0;
    uint64_t snapshots_restored_ = 0;
};

}  // namespace muster::cluster::internal
