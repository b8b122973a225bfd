// Entry point of the Kayak test suite.
#define BOOST_TEST_MODULE kayak
#include <boost/test/unit_test.hpp>
