// Entry point of the cql command-line test suite (runs the built cql binary).
#define BOOST_TEST_MODULE cql_cli
#include <boost/test/unit_test.hpp>
