// Boost.Test runner for the common module.
#define BOOST_TEST_MODULE common
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>
