// Helpers for the protocol tests: checking an error code, and hand-built wire messages
// that the encoders (which take well-typed structs) cannot produce.
#pragma once

#include <boost/test/unit_test.hpp>

#include "protocols/codec.hpp"

namespace covenant::test {

template <class T>
void expect_error(const result<T>& r, protocols::protocol_errc expected) {
    BOOST_REQUIRE_MESSAGE(!r.ok(), "decoder accepted a message it should reject");
    BOOST_TEST(r.failure().code == make_error_code(expected),
               "expected '" << make_error_code(expected).message() << "', got '"
                            << r.failure().message() << "'");
}

/// A request whose database field is 31 bytes long.
bytes encode_request_with_short_database();

/// A member-status query whose challenge is 31 bytes long.
bytes encode_member_status_query_with_short_challenge();

/// A request whose `statements` all point at one shared list of `parameters` empty
/// structs: a few kilobytes on the wire that would decode to statements x parameters
/// elements if sharing were not bounded.
bytes encode_request_with_shared_parameter_lists(unsigned statements, unsigned parameters);

}  // namespace covenant::test
