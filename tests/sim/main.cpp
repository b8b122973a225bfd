// Entry point of the simulator's Byzantine-member and injected-bug suite.
#define BOOST_TEST_MODULE sim_byzantine
#include <boost/test/unit_test.hpp>
