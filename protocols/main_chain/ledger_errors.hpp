// Errors of the main-chain ledger: every reason a transaction is refused. The ledger
// returns these as values (a refused transaction changes nothing); the detail says what
// exactly was wrong (which balance, which nonce, which member).
#pragma once

#include <system_error>

namespace covenant::main_chain {

enum class ledger_errc {
    bad_signature = 1,   // the sender's signature (or a signed message inside) does not verify
    bad_nonce,           // the nonce is not the sender's next nonce (replay or gap)
    fee_too_low,         // the fee is below the chain's minimum
    insufficient_funds,  // the balance (or stake) does not cover what the transaction moves
    invalid_value,       // a field outside its domain (zero amount, unsorted list, ...)
    unknown_account,     // a candidate or user that is not what the transaction says
    unknown_miner,       // the sender or signer is not a registered miner
    unknown_database,    // no database with that id
    not_authorized,      // the sender lacks the role the transaction needs
    not_member,          // a signer is not a member of the database
    stale,               // an old view or a checkpoint height that does not advance
    no_quorum,           // not enough distinct member signatures
    not_a_conflict,      // evidence whose two messages do not conflict
    already_applied,     // the same suspicion, offence or registration was already recorded
    insufficient_work,   // a node id without the required proof of work
    no_miners,           // not enough eligible miners for a new database
    overflow,            // an amount that would overflow 64 bits
    block_mismatch,      // a block's header (epoch, state root) is not what applying it gives
};

const std::error_category& ledger_category();
inline std::error_code make_error_code(ledger_errc e) {
    return {static_cast<int>(e), ledger_category()};
}

}  // namespace covenant::main_chain

template <>
struct std::is_error_code_enum<covenant::main_chain::ledger_errc> : std::true_type {};
