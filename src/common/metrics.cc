// Metrics: the read side of the lock-free counters, and the families of a scrape.
#include "common/metrics.hh"

#include <numeric>

namespace muster::metrics {

uint64_t HistogramSnapshot::count() const {
    return std::accumulate(counts.begin(), counts.end(), uint64_t{0});
}

HistogramSnapshot& HistogramSnapshot::operator+=(const HistogramSnapshot& other) {
    for (size_t i = 0; i < counts.size(); ++i)
        counts[i] += other.counts[i];
    sum_seconds += other.sum_seconds;
    return *this;
}

void HistogramSnapshot::observe(std::chrono::nanoseconds d) {
    auto ns = static_cast<uint64_t>(d.count() < 0 ? 0 : d.count());
    counts[bucket_of(ns)]++;
    sum_seconds += static_cast<double>(ns) / 1e9;
}

void LatencyHistogram::add_to(HistogramSnapshot& into) const {
    for (size_t i = 0; i < counts_.size(); ++i)
        into.counts[i] += counts_[i].value();
    into.sum_seconds += static_cast<double>(sum_ns_.value()) / 1e9;
}

Family& Family::add(double value, std::vector<Label> labels) {
    samples.push_back(Sample{.labels = std::move(labels), .value = value, .histogram = {}});
    return *this;
}

Family& Family::add(const HistogramSnapshot& h, std::vector<Label> labels) {
    samples.push_back(Sample{.labels = std::move(labels), .value = 0, .histogram = h});
    return *this;
}

Family& Families::family(std::string_view name, std::string_view help, Type type) {
    for (Family& f : families_)
        if (f.name == name)
            return f;
    families_.push_back(
        Family{.name = std::string(name), .help = std::string(help), .type = type, .samples = {}});
    return families_.back();
}

}  // namespace muster::metrics
