// Boost.Test runner for the catalog module.
#define BOOST_TEST_MODULE catalog
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>
