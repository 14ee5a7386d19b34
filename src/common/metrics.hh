// Metrics: counters and histograms that one thread writes without a lock or an allocation and
// any thread reads, and the plain families a scrape hands to the exposition (api/metrics).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace muster::metrics {

// Written by one thread only (a worker, the check loop), read by any: a relaxed load and a
// relaxed store, so counting costs one add and no locked instruction.
class LocalCounter {
  public:
    void add(uint64_t n = 1) {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    uint64_t value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> value_{0};
};

// Upper bounds in seconds of the latency histograms: 50 µs to 5 s, then +Inf.
inline constexpr std::array<double, 16> latency_bounds = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,   0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0};

// The bucket of latency_bounds an observation of `ns` nanoseconds falls in.
inline size_t bucket_of(uint64_t ns) {
    size_t i = 0;
    while (i < latency_bounds.size() && static_cast<double>(ns) > latency_bounds[i] * 1e9)
        ++i;
    return i;
}

// The sums of a histogram at one moment: counts per bucket (not cumulative), the last one for
// observations above every bound.
struct HistogramSnapshot {
    std::array<uint64_t, latency_bounds.size() + 1> counts{};
    double sum_seconds = 0;

    uint64_t count() const;
    HistogramSnapshot& operator+=(const HistogramSnapshot& other);
    // For a histogram that one thread both writes and reads (no atomics needed).
    void observe(std::chrono::nanoseconds d);
};

// A latency histogram over latency_bounds, written by one thread, read by any.
class LatencyHistogram {
  public:
    // `n` observations of the same duration `d`.
    void observe(std::chrono::nanoseconds d, uint64_t n = 1) {
        auto ns = static_cast<uint64_t>(d.count() < 0 ? 0 : d.count());
        counts_[bucket_of(ns)].add(n);
        sum_ns_.add(ns * n);
    }
    // Adds this histogram's counts to `into`.
    void add_to(HistogramSnapshot& into) const;

  private:
    std::array<LocalCounter, latency_bounds.size() + 1> counts_{};
    LocalCounter sum_ns_;
};

enum class Type { counter, gauge, histogram };

struct Label {
    std::string name;
    std::string value;
};

// One time series of a family: its labels and its value (counter, gauge) or histogram.
struct Sample {
    std::vector<Label> labels;
    double value = 0;
    HistogramSnapshot histogram;  // Type::histogram only
};

struct Family {
    std::string name;  // Prometheus name, e.g. muster_dns_queries_total
    std::string help;
    Type type = Type::counter;
    std::vector<Sample> samples;

    Family& add(double value, std::vector<Label> labels = {});
    Family& add(const HistogramSnapshot& h, std::vector<Label> labels = {});
};

// What one scrape gathered, in the order it is written.
class Families {
  public:
    // A new family (names are unique within one scrape: a second call returns the first).
    // The reference stays valid while this object lives.
    Family& family(std::string_view name, std::string_view help, Type type);
    const std::deque<Family>& all() const { return families_; }

  private:
    std::deque<Family> families_;
};

}  // namespace muster::metrics
