// Tests for src/catalog/model.cc: status names and the shared health rule.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "catalog/model.hh"

#include <boost/test/unit_test.hpp>

using namespace muster::catalog;

namespace {

Check check(Status s) {
    Check c;
    c.status = s;
    return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_test)

BOOST_AUTO_TEST_CASE(status_names_round_trip) {
    for (Status s : {Status::passing, Status::warning, Status::critical})
        BOOST_TEST((parse_status(status_name(s)) == s));
    BOOST_TEST(status_name(Status::passing) == "passing");
    BOOST_TEST(status_name(Status::warning) == "warning");
    BOOST_TEST(status_name(Status::critical) == "critical");
}

BOOST_AUTO_TEST_CASE(parse_status_is_exact_and_lowercase) {
    BOOST_TEST(!parse_status("Passing").has_value());
    BOOST_TEST(!parse_status("pass").has_value());
    BOOST_TEST(!parse_status("").has_value());
    BOOST_TEST(!parse_status("critical ").has_value());
    BOOST_TEST(!parse_status("maintenance").has_value());
}

BOOST_AUTO_TEST_CASE(aggregate_of_no_checks_is_passing) {
    BOOST_TEST((aggregate_status({}) == Status::passing));
}

BOOST_AUTO_TEST_CASE(aggregate_is_the_worst_status) {
    BOOST_TEST(
        (aggregate_status({check(Status::passing), check(Status::passing)}) == Status::passing));
    BOOST_TEST(
        (aggregate_status({check(Status::passing), check(Status::warning)}) == Status::warning));
    BOOST_TEST((aggregate_status({check(Status::critical), check(Status::warning),
                                  check(Status::passing)}) == Status::critical));
    BOOST_TEST(
        (aggregate_status({check(Status::warning), check(Status::critical)}) == Status::critical));
}

BOOST_AUTO_TEST_CASE(passes_any_accepts_everything) {
    for (Status s : {Status::passing, Status::warning, Status::critical})
        BOOST_TEST(passes(s, HealthFilter::any));
}

BOOST_AUTO_TEST_CASE(passes_healthy_rejects_only_critical) {
    BOOST_TEST(passes(Status::passing, HealthFilter::healthy));
    BOOST_TEST(passes(Status::warning, HealthFilter::healthy));
    BOOST_TEST(!passes(Status::critical, HealthFilter::healthy));
}

BOOST_AUTO_TEST_CASE(passes_passing_only_rejects_warning_and_critical) {
    BOOST_TEST(passes(Status::passing, HealthFilter::passing_only));
    BOOST_TEST(!passes(Status::warning, HealthFilter::passing_only));
    BOOST_TEST(!passes(Status::critical, HealthFilter::passing_only));
}

BOOST_AUTO_TEST_SUITE_END()
