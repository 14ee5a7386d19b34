// Boost.Test runner for the checks module.
#define BOOST_TEST_MODULE checks
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>
