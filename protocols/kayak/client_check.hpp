// What a client checks before it believes an answer (DESIGN.md section 2, guarantee 5),
// against the database's groups as the main chain lists them (group_history.hpp): the
// responder is a member and signed the answer; a write carries a commit certificate from a
// quorum of the group of its view, and execution signatures from f+1 distinct members of
// one group in force since then (at least one honest) over the results root its outcome
// is proven to be part of. A Byzantine leader alone cannot produce such an answer with
// results it invented.
#pragma once

#include <optional>
#include <string>

#include "protocols/group_history.hpp"
#include "protocols/sql_messages.hpp"

namespace covenant::kayak {

/// Why a write's response must not be believed, or nullopt. The response is assumed to
/// come out of decode_client_response (so its own signatures and the Merkle path are
/// checked); `request_hash` is the hash of the request the client sent.
std::optional<std::string> write_response_fault(const protocols::client_response& response,
                                                const digest& request_hash,
                                                const protocols::group_history& groups);

/// Why a read's response must not be believed, or nullopt (a read is vouched for by the
/// one member that served it).
std::optional<std::string> read_response_fault(const protocols::client_response& response,
                                               const digest& request_hash,
                                               const protocols::group_history& groups);

}  // namespace covenant::kayak
