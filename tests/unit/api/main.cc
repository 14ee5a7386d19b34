// Boost.Test runner for the api module.
#define BOOST_TEST_MODULE api
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>
