// What every part of the Raft loop shares: its logger and clock, and the guards that keep a
// throwing callback (ours or a caller's) from unwinding into libuv or libraft.
#pragma once

#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include "cluster/types.hh"
#include "common/log.hh"

namespace muster::cluster::internal {

using Clock = std::chrono::steady_clock;

inline constexpr log::Logger node_logger("cluster");

// Runs a libuv or libraft callback body; an exception is logged with `where` and goes no further.
template <class F>
void guarded(const char* where, F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const std::exception& e) {
        node_logger.error("raft loop callback failed", {{"where", where}, {"error", e.what()}});
    } catch (...) {
        node_logger.error("raft loop callback failed", {{"where", where}, {"error", "unknown"}});
    }
}

// A caller's callback (an empty one is skipped); what it throws is logged.
inline void run_done(CommandDone& done, Fate fate, Result<uint64_t> result) {
    if (done)
        guarded("submit callback", [&] { done(fate, std::move(result)); });
}
inline void run_barrier(BarrierDone& done, Result<void> result) {
    if (done)
        guarded("barrier callback", [&] { done(std::move(result)); });
}

// What every part of the Raft loop reads of it: the loop's own Status copy (role, leader,
// configuration, last applied; refreshed every turn) and whether it is stopping (what still
// waits then fails with stop_reason()).
class LoopState {
  public:
    virtual const Status& status() const = 0;
    virtual bool closing() const = 0;
    virtual const std::string& stop_reason() const = 0;

  protected:
    ~LoopState() = default;
};

// Runs `f` when the scope ends, whichever path it took.
template <class F>
class OnExit {
  public:
    explicit OnExit(F f) : f_(std::move(f)) {}
    ~OnExit() { f_(); }
    OnExit(const OnExit&) = delete;
    OnExit& operator=(const OnExit&) = delete;

  private:
    F f_;
};

}  // namespace muster::cluster::internal
