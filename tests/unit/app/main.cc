// Boost.Test runner for the app module.
#define BOOST_TEST_MODULE app
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>
