// Errors of a client gateway's calls (transactions and SQL requests), besides the ledger's
// own refusals (ledger_errc): why an answer is not a result. The gateway's HTTP API turns
// each into a status code.
#pragma once

#include <system_error>

namespace covenant::client {

enum class client_errc {
    bad_request = 1,   // the request is malformed, or its SQL is refused (nondeterministic)
    not_permitted,     // the chain gives this key no role for it (a member said so, and the
                       // chain agrees)
    out_of_funds,      // the database's owner is out of funds: writes are refused
    unknown_database,  // the followed chain lists no such database
    stale_sequence,    // the replicas refused the request's sequence number
    timed_out,         // no verified answer (or no final block) within the time allowed
    unavailable,       // no member or producer can be reached, or none answered usably
    overloaded,        // too many calls in flight
    storage_failed,    // the gateway's own files could not be written
};

const std::error_category& client_category();
inline std::error_code make_error_code(client_errc e) {
    return {static_cast<int>(e), client_category()};
}

}  // namespace covenant::client

template <>
struct std::is_error_code_enum<covenant::client::client_errc> : std::true_type {};
