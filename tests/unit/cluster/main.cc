// Boost.Test runner for the cluster module.
#define BOOST_TEST_MODULE cluster
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>
