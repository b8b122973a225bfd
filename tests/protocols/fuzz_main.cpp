// Entry point of the decoder fuzz suite.
#define BOOST_TEST_MODULE protocols_fuzz
#include <boost/test/unit_test.hpp>
