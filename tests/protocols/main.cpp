// Entry point of the protocol test suite (Merkle trees, codecs, fuzzing of decoders).
#define BOOST_TEST_MODULE protocols
#include <boost/test/unit_test.hpp>
