// Entry point of the storage test suite (the SQL executor and its helpers).
#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>
