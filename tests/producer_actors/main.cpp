// Entry point of the producer actor test suite.
#define BOOST_TEST_MODULE producer_actors
#include <boost/test/unit_test.hpp>
