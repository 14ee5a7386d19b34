// FsmAdapter: the StateMachine behind libraft's raft_fsm. Runs on the raft loop; no exception
// leaves a callback (a throwing state machine counts as a broken one).
#include "cluster/internal/fsm_adapter.hh"

#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "cluster/internal/callbacks.hh"
#include "cluster/internal/raft_shim.h"
#include "common/log.hh"

namespace muster::cluster::internal {
namespace {
constexpr log::Logger logger("cluster");
}

FsmAdapter::FsmAdapter(StateMachine& state_machine, ResultSink* sink)
    : state_machine_(state_machine), sink_(sink) {
    muster_fsm_ops ops{};
    ops.ctx = this;
    ops.apply = &FsmAdapter::apply_cb;
    ops.snapshot = &FsmAdapter::snapshot_cb;
    ops.release = &FsmAdapter::release_cb;
    ops.restore = &FsmAdapter::restore_cb;
    fsm_ = muster_fsm_new(&ops);
    if (fsm_ == nullptr)
        throw std::bad_alloc();
}

FsmAdapter::~FsmAdapter() {
    muster_fsm_free(fsm_);
}

int FsmAdapter::apply_cb(void* ctx, uint64_t index, const void* data, size_t len) {
    auto bytes = std::span<const uint8_t>(static_cast<const uint8_t*>(data), len);
    return static_cast<FsmAdapter*>(ctx)->apply(index, bytes);
}
int FsmAdapter::snapshot_cb(void* ctx, muster_snapshot_parts* out) {
    return static_cast<FsmAdapter*>(ctx)->snapshot(out);
}
int FsmAdapter::restore_cb(void* ctx, const void* data, size_t len) {
    auto bytes = std::span<const uint8_t>(static_cast<const uint8_t*>(data), len);
    return static_cast<FsmAdapter*>(ctx)->restore(bytes);
}

void FsmAdapter::set_broken(std::string reason) {
    if (broken_)
        return;
    broken_ = true;
    broken_reason_ = std::move(reason);
    logger.error("state machine broken: this server applies nothing more",
                 {{"reason", broken_reason_}});
}

int FsmAdapter::apply(uint64_t index, std::span<const uint8_t> bytes) {
    if (broken_)
        return 1;
    try {
        auto entry = decode_entry(bytes);
        if (!entry) {
            set_broken("entry " + std::to_string(index) + ": " + entry.error().message);
            return 1;
        }
        auto results = state_machine_.apply(index, entry->commands);
        if (!results) {
            set_broken("entry " + std::to_string(index) + ": " + results.error().message);
            return 1;
        }
        bool replay = results->empty() && index <= state_machine_.applied_index();
        if (!replay && results->size() != entry->commands.size()) {
            set_broken("entry " + std::to_string(index) + ": " + std::to_string(results->size()) +
                       " results for " + std::to_string(entry->commands.size()) + " commands");
            return 1;
        }
        ++entries_applied_;
        if (observer_ != nullptr && !replay)
            guarded("feed entry", [&] { observer_->on_entry(index, bytes); });
        if (sink_ != nullptr)
            sink_->on_applied(entry->tag, index, std::move(*results));
        return 0;
    } catch (const std::exception& e) {
        set_broken("entry " + std::to_string(index) + ": exception: " + e.what());
    } catch (...) {
        set_broken("entry " + std::to_string(index) + ": unknown exception");
    }
    return 1;
}

int FsmAdapter::snapshot(muster_snapshot_parts* out) {
    if (broken_)
        return 1;  // the state is not at the index libraft would label it with
    try {
        auto started = std::chrono::steady_clock::now();
        auto data = state_machine_.snapshot();
        snapshot_seconds_ +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::string problem;
        if (!data)
            problem = data.error().message;
        else if (data->parts.empty() || data->parts.size() > MUSTER_SNAPSHOT_MAX_PARTS)
            problem = std::to_string(data->parts.size()) + " parts (1 to " +
                      std::to_string(MUSTER_SNAPSHOT_MAX_PARTS) + " can be handed over)";
        if (!problem.empty()) {
            // Not fatal: libraft skips this snapshot and tries again later.
            logger.warn("snapshot failed", {{"error", problem}});
            return 1;
        }
        out->n = static_cast<unsigned>(data->parts.size());
        for (unsigned i = 0; i < out->n; ++i) {
            out->base[i] = data->parts[i].data();
            out->len[i] = data->parts[i].size();
        }
        // libraft holds the parts until snapshot_finalize, which gives the owner back.
        out->owner = new std::shared_ptr<const void>(std::move(data->owner));
        ++snapshots_taken_;
        return 0;
    } catch (const std::exception& e) {
        logger.warn("snapshot failed", {{"error", e.what()}});
    } catch (...) {
        logger.warn("snapshot failed", {{"error", "unknown exception"}});
    }
    return 1;
}

void FsmAdapter::release_cb(void* /*ctx*/, void* owner) {
    delete static_cast<std::shared_ptr<const void>*>(owner);
}

int FsmAdapter::restore(std::span<const uint8_t> bytes) {
    if (broken_)
        return 1;
    try {
        auto r = state_machine_.restore(bytes);
        if (!r) {
            set_broken("restore snapshot: " + r.error().message);
            return 1;
        }
        ++snapshots_restored_;
        if (observer_ != nullptr)
            guarded("feed restore",
                    [&] { observer_->on_restored(state_machine_.applied_index()); });
        return 0;
    } catch (const std::exception& e) {
        set_broken(std::string("restore snapshot: exception: ") + e.what());
    } catch (...) {
        set_broken("restore snapshot: unknown exception");
    }
    return 1;
}

}  // namespace muster::cluster::internal
