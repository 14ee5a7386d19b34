// The pure rules of check scheduling and status: Consul's StatusHandler thresholds, first-run
// jitter and the drift-free grid of runs.
#include "checks/policy.hh"

#include <algorithm>

namespace muster::checks {

// A failures_before_warning of 0 means "not set": warn when critical would be reported. As in
// Consul's NewStatusHandler, the counters start at their thresholds, so the first result after
// a check starts is reported at once whatever it is.
Thresholds::Thresholds(unsigned success_before_passing, unsigned failures_before_warning,
                       unsigned failures_before_critical)
    : success_before_passing_(std::max(success_before_passing, 1u)),
      failures_before_warning_(failures_before_warning == 0 ? std::max(failures_before_critical, 1u)
                                                            : failures_before_warning),
      failures_before_critical_(std::max(failures_before_critical, 1u)),
      successes_(success_before_passing_),
      failures_(failures_before_critical_) {}

std::optional<catalog::Status> Thresholds::observe(catalog::Status result) {
    if (result != catalog::Status::critical) {
        failures_ = 0;
        if (successes_ < success_before_passing_)
            ++successes_;
        if (successes_ >= success_before_passing_)
            return result;
        return std::nullopt;
    }
    successes_ = 0;
    if (failures_ < failures_before_critical_ || failures_ < failures_before_warning_)
        ++failures_;
    if (failures_ >= failures_before_critical_)
        return catalog::Status::critical;
    if (failures_ >= failures_before_warning_)
        return catalog::Status::warning;
    return std::nullopt;
}

TimePoint first_run(TimePoint now, Duration interval, uint64_t random) {
    if (interval <= Duration::zero())
        return now;
    auto span = static_cast<uint64_t>(interval.count());
    return now + Duration(static_cast<Duration::rep>(random % span));
}

TimePoint next_run(TimePoint scheduled, Duration interval, TimePoint now) {
    if (interval <= Duration::zero())
        return std::max(scheduled, now);
    TimePoint next = scheduled + interval;
    if (next >= now)
        return next;
    // Missed slots: the first slot of the grid at or after now (ceiling division).
    auto behind = (now - scheduled).count();
    auto slots = (behind + interval.count() - 1) / interval.count();
    return scheduled + interval * slots;
}

}  // namespace muster::checks
