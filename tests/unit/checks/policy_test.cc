// Tests for src/checks/policy.cc: thresholds, first-run jitter and the drift-free run grid.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "checks/policy.hh"

#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

using namespace muster;
using namespace muster::checks;
using catalog::Status;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr Status P = Status::passing;
constexpr Status W = Status::warning;
constexpr Status C = Status::critical;

// What observe() reports for each result, as letters: p, w, c, or '.' for nothing reported.
std::string feed(Thresholds t, const std::vector<Status>& results) {
    std::string out;
    for (Status r : results) {
        auto s = t.observe(r);
        out += !s ? '.' : *s == P ? 'p' : *s == W ? 'w' : 'c';
    }
    return out;
}

TimePoint epoch() {
    return TimePoint(std::chrono::hours(1000));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(policy_test)

BOOST_AUTO_TEST_CASE(zero_thresholds_report_every_result_at_once) {
    BOOST_TEST(feed(Thresholds(0, 0, 0), {P, C, W, C, P, P, C}) == "pcwcppc");
}

BOOST_AUTO_TEST_CASE(thresholds_of_one_behave_as_zero) {
    BOOST_TEST(feed(Thresholds(1, 1, 1), {P, C, W, C, P, P, C}) == "pcwcppc");
    BOOST_TEST(feed(Thresholds(1, 0, 1), {C, P, C}) == "cpc");
}

BOOST_AUTO_TEST_CASE(first_result_is_reported_at_once_as_consul_does) {
    // Consul's NewStatusHandler starts the counters at the thresholds.
    BOOST_TEST(feed(Thresholds(3, 0, 0), {P}) == "p");
    BOOST_TEST(feed(Thresholds(0, 0, 3), {C}) == "c");
    BOOST_TEST(feed(Thresholds(0, 2, 3), {C}) == "c");
    BOOST_TEST(feed(Thresholds(3, 2, 3), {W}) == "w");
}

BOOST_AUTO_TEST_CASE(success_before_passing_needs_consecutive_successes) {
    // After a failure, three successes in a row; a failure in between starts over.
    BOOST_TEST(feed(Thresholds(3, 0, 0), {C, P, P, P, P}) == "c..pp");
    BOOST_TEST(feed(Thresholds(3, 0, 0), {C, P, P, C, P, P, P}) == "c..c..p");
}

BOOST_AUTO_TEST_CASE(warning_results_count_as_successes) {
    BOOST_TEST(feed(Thresholds(2, 0, 0), {C, W, P, W}) == "c.pw");
    BOOST_TEST(feed(Thresholds(2, 0, 0), {C, W, W}) == "c.w");
}

BOOST_AUTO_TEST_CASE(failures_before_critical_needs_consecutive_failures) {
    BOOST_TEST(feed(Thresholds(0, 0, 3), {P, C, C, C, C}) == "p..cc");
    BOOST_TEST(feed(Thresholds(0, 0, 3), {P, C, C, P, C, C, C}) == "p..p..c");
    BOOST_TEST(feed(Thresholds(0, 0, 3), {P, C, C, W, C, C, C}) == "p..w..c");
}

BOOST_AUTO_TEST_CASE(failures_before_warning_defaults_to_failures_before_critical) {
    // With it unset, nothing is reported as warning on the way to critical.
    BOOST_TEST(feed(Thresholds(0, 0, 2), {P, C, C}) == "p.c");
    BOOST_TEST(feed(Thresholds(0, 2, 2), {P, C, C}) == "p.c");
}

BOOST_AUTO_TEST_CASE(failures_before_warning_reports_failures_as_warning_first) {
    BOOST_TEST(feed(Thresholds(0, 1, 3), {P, C, C, C, C}) == "pwwcc");
    BOOST_TEST(feed(Thresholds(0, 2, 4), {P, C, C, C, C, C}) == "p.wwcc");
    // A success in between resets the failures.
    BOOST_TEST(feed(Thresholds(0, 2, 4), {P, C, C, P, C, C, C, C}) == "p.wp.wwc");
}

BOOST_AUTO_TEST_CASE(failures_before_warning_above_critical_never_warns) {
    BOOST_TEST(feed(Thresholds(0, 5, 2), {P, C, C, C, C, C, C}) == "p.ccccc");
}

BOOST_AUTO_TEST_CASE(both_thresholds_together) {
    BOOST_TEST(feed(Thresholds(2, 1, 2), {P, C, C, P, P, C, P, C, C}) == "pwc.pw.wc");
}

BOOST_AUTO_TEST_CASE(zero_success_threshold_with_failure_thresholds) {
    BOOST_TEST(feed(Thresholds(0, 2, 3), {C, P, C, C, C, P}) == "cp.wcp");
}

BOOST_AUTO_TEST_CASE(first_run_is_within_one_interval) {
    const Duration interval = seconds(10);
    for (uint64_t r : {uint64_t{0}, uint64_t{1}, uint64_t{9'999'999'999}, uint64_t{10'000'000'000},
                       ~uint64_t{0}}) {
        TimePoint t = first_run(epoch(), interval, r);
        BOOST_TEST((t >= epoch()));
        BOOST_TEST((t < epoch() + interval));
    }
    BOOST_TEST((first_run(epoch(), Duration::zero(), 12345) == epoch()));
}

BOOST_AUTO_TEST_CASE(first_runs_of_a_thousand_checks_spread_over_the_interval) {
    const Duration interval = seconds(30);
    std::mt19937_64 rng(42);
    constexpr int buckets = 10;
    int counts[buckets] = {};
    for (int i = 0; i < 1000; ++i) {
        TimePoint t = first_run(epoch(), interval, rng());
        BOOST_TEST_REQUIRE((t >= epoch() && t < epoch() + interval));
        ++counts[(t - epoch()) * buckets / interval];
    }
    // Uniform: 100 per bucket; a bucket outside 50..150 would mean bunching.
    for (int b = 0; b < buckets; ++b) {
        BOOST_TEST_CONTEXT("bucket " << b) {
            BOOST_TEST(counts[b] > 50);
            BOOST_TEST(counts[b] < 150);
        }
    }
}

BOOST_AUTO_TEST_CASE(next_run_is_one_interval_later_when_on_time) {
    const Duration interval = seconds(10);
    TimePoint s = epoch();
    BOOST_TEST((next_run(s, interval, s + milliseconds(300)) == s + interval));
    BOOST_TEST((next_run(s, interval, s + interval) == s + interval));
    BOOST_TEST((next_run(s, interval, s) == s + interval));
}

BOOST_AUTO_TEST_CASE(next_run_skips_missed_slots) {
    const Duration interval = seconds(10);
    TimePoint s = epoch();
    BOOST_TEST((next_run(s, interval, s + seconds(11)) == s + seconds(20)));
    BOOST_TEST((next_run(s, interval, s + seconds(20)) == s + seconds(20)));
    BOOST_TEST((next_run(s, interval, s + seconds(35)) == s + seconds(40)));
}

BOOST_AUTO_TEST_CASE(ten_hours_of_runs_stay_on_the_grid) {
    // Simulated: each run lasts a random time, mostly short, sometimes longer than the interval.
    const Duration interval = seconds(10);
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int> length_ms(0, 9000);
    std::uniform_int_distribution<int> overrun_ms(10000, 35000);
    TimePoint first = first_run(epoch(), interval, rng());
    TimePoint scheduled = first;
    TimePoint end = epoch() + std::chrono::hours(10);
    int runs = 0, skipped = 0;
    while (scheduled < end) {
        ++runs;
        bool overrun = rng() % 20 == 0;
        TimePoint finished = scheduled + milliseconds(overrun ? overrun_ms(rng) : length_ms(rng));
        TimePoint next = next_run(scheduled, interval, finished);
        BOOST_TEST_REQUIRE(((next - first) % interval == Duration::zero()));  // on the grid
        BOOST_TEST_REQUIRE((next >= finished));            // never two runs at once
        BOOST_TEST_REQUIRE((next - finished < interval));  // the first free slot
        for (TimePoint slot = scheduled + interval; slot < next && slot < end; slot += interval)
            ++skipped;
        scheduled = next;
    }
    BOOST_TEST(skipped > 0);
    // Every slot of the ten hours was either run or skipped: no drift, no extra runs.
    BOOST_TEST(runs + skipped == 3600);
}

BOOST_AUTO_TEST_SUITE_END()
