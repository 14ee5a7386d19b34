// Tests for src/common/metrics.cc: histogram buckets, single-writer counters, families.
#include "common/metrics.hh"

#include <boost/test/unit_test.hpp>

using namespace muster::metrics;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(observations_fall_in_the_first_bucket_whose_bound_is_not_below) {
    BOOST_TEST(bucket_of(0) == 0u);
    BOOST_TEST(bucket_of(50'000) == 0u);  // exactly 50 µs: le="5e-05"
    BOOST_TEST(bucket_of(50'001) == 1u);
    BOOST_TEST(bucket_of(1'000'000) == 4u);  // 1 ms
    BOOST_TEST(bucket_of(5'000'000'000) == latency_bounds.size() - 1);
    BOOST_TEST(bucket_of(5'000'000'001) == latency_bounds.size());  // +Inf
}

BOOST_AUTO_TEST_CASE(a_latency_histogram_sums_counts_and_seconds) {
    LatencyHistogram h;
    h.observe(30us);
    h.observe(2ms);
    h.observe(10s);
    h.observe(-5ns);  // a clock step backwards counts as zero
    HistogramSnapshot s;
    h.add_to(s);
    BOOST_TEST(s.count() == 4u);
    BOOST_TEST(s.counts[0] == 2u);
    BOOST_TEST(s.counts[5] == 1u);  // 2 ms: le="0.0025"
    BOOST_TEST(s.counts.back() == 1u);
    BOOST_TEST(s.sum_seconds == 10.00203, boost::test_tools::tolerance(1e-9));
    HistogramSnapshot twice = s;
    twice += s;
    BOOST_TEST(twice.count() == 8u);
    BOOST_TEST(twice.sum_seconds == 2 * s.sum_seconds, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(a_latency_histogram_observes_a_batch_of_equal_durations_at_once) {
    LatencyHistogram once, one_by_one;
    once.observe(700us, 5);  // a worker's batch of five answers
    for (int i = 0; i < 5; ++i)
        one_by_one.observe(700us);
    HistogramSnapshot a, b;
    once.add_to(a);
    one_by_one.add_to(b);
    BOOST_TEST(a.count() == 5u);
    BOOST_TEST(a.counts == b.counts, boost::test_tools::per_element());
    BOOST_TEST(a.sum_seconds == b.sum_seconds, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(a_snapshot_observes_on_its_own_thread_like_the_histogram) {
    HistogramSnapshot s;
    s.observe(700us);
    s.observe(700us);
    BOOST_TEST(s.counts[4] == 2u);  // le="0.001"
    BOOST_TEST(s.sum_seconds == 0.0014, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(local_counters_add) {
    LocalCounter c;
    c.add();
    c.add(41);
    BOOST_TEST(c.value() == 42u);
}

BOOST_AUTO_TEST_CASE(a_family_name_is_made_once_and_keeps_its_samples) {
    Families f;
    Family& a = f.family("muster_a_total", "help a", Type::counter);
    a.add(1, {{"k", "v"}});
    f.family("muster_b", "help b", Type::gauge).add(2);
    Family& again = f.family("muster_a_total", "other help", Type::counter);
    again.add(3);
    BOOST_TEST(&again == &a);  // the reference stays valid as families are added
    BOOST_REQUIRE(f.all().size() == 2u);
    BOOST_TEST(f.all()[0].help == "help a");
    BOOST_TEST(f.all()[0].samples.size() == 2u);
    BOOST_TEST(f.all()[0].samples[0].labels[0].value == "v");
}

BOOST_AUTO_TEST_SUITE_END()
