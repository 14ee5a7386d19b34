// Boost.Test runner for the resolver module.
#define BOOST_TEST_MODULE resolver
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>
