// The pure rules of check scheduling and status: consecutive-result thresholds, first-run
// jitter and drift-free intervals. No clock, no loop: callers pass the time in, so unit tests
// run hours of schedule in microseconds.
#pragma once

#include <cstdint>
#include <optional>

#include "catalog/model.hh"
#include "common/clock.hh"

namespace muster::checks {

// Consul's StatusHandler: a passing or warning result counts as a success, a critical one as
// a failure. A success resets the failure count; once `success_before_passing` consecutive
// successes are seen the result is reported. A failure resets the success count; at
// `failures_before_critical` consecutive failures critical is reported, else at
// `failures_before_warning` (default: the same as failures_before_critical) warning is. Zero
// thresholds behave as 1 (report at once). As in Consul's NewStatusHandler the counts start at
// their thresholds, so the first result after a check starts is reported at once.
class Thresholds {
  public:
    Thresholds(unsigned success_before_passing, unsigned failures_before_warning,
               unsigned failures_before_critical);
    // The status to report for this result, or nullopt while a threshold is not reached yet
    // (the reported status stays as it was).
    std::optional<catalog::Status> observe(catalog::Status result);

  private:
    unsigned success_before_passing_;
    unsigned failures_before_warning_;
    unsigned failures_before_critical_;
    unsigned successes_ = 0;
    unsigned failures_ = 0;
};

// When a periodic check first runs: now plus a uniform random part of one interval (`random`
// is a uniformly random 64-bit value), so a thousand checks registered together spread over
// the interval instead of firing at once.
TimePoint first_run(TimePoint now, Duration interval, uint64_t random);

// The run after the one scheduled at `scheduled`: scheduled + interval, or the first later
// multiple of the interval after `now` when runs were missed (a run that took longer than the
// interval skips slots instead of bunching). Runs stay on the grid of the first run, so there
// is no drift over hours however long each run takes.
TimePoint next_run(TimePoint scheduled, Duration interval, TimePoint now);

}  // namespace muster::checks
