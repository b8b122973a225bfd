// Entry point of the main-chain test suite (the ledger state machine).
#define BOOST_TEST_MODULE main_chain
#include <boost/test/unit_test.hpp>
