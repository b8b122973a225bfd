// Command-line values the network commands share: a database id (64 hex digits), an account
// address, a public key. A malformed one is a usage failure (exit 2) naming the argument.
#pragma once

#include <string>

#include "common/ids.hpp"
#include "failure.hpp"

namespace cql {

template <class Fixed>
Fixed parse_fixed_argument(const std::string& text, const std::string& name) {
    auto v = Fixed::from_hex_string(text);
    if (!v)
        throw usage_failure(name + ": expected " + std::to_string(Fixed::size() * 2) +
                            " hex digits, got \"" + text + "\"");
    return *v;
}

inline covenant::database_id parse_database_argument(const std::string& text) {
    return parse_fixed_argument<covenant::database_id>(text, "DB (a database id)");
}

}  // namespace cql
