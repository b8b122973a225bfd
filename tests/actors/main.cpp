// Entry point of the actor test suite.
#define BOOST_TEST_MODULE actors
#include <boost/test/unit_test.hpp>
