// Entry point of the crypto test suite (hash, signatures, node ids, key files).
#define BOOST_TEST_MODULE crypto
#include <boost/test/unit_test.hpp>
