// Boost.Test runner for the config module.
#define BOOST_TEST_MODULE config
#ifndef BOOST_TEST_DYN_LINK  // meson's boost dependency may define it already
#define BOOST_TEST_DYN_LINK
#endif
#include <boost/test/unit_test.hpp>
