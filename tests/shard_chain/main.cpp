// Entry point of the shard chain test suite (verification of chains, the SQLite store).
#define BOOST_TEST_MODULE shard_chain
#include <boost/test/unit_test.hpp>
