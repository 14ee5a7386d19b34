// Boost.Test runner for the dns module.
#define BOOST_TEST_MODULE dns
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>
