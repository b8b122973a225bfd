// Applying a final main-chain block to a ledger: the one definition of what a block does to
// the state, shared by every node that follows the chain (producers validating a proposal,
// the store replaying from genesis, miners following final blocks). Pure.
#pragma once

#include <vector>

#include "common/result.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain_messages.hpp"

namespace covenant::main_chain {

/// Applies `block` to `state`, the state after the block below it: begin_block(height),
/// the header's epoch must be the ledger's, every transaction must apply in order (a block
/// never holds a refused transaction), and the state root after must be the header's.
/// Returns what each transaction did, in order. On any failure `state` is left unchanged and
/// the error says which check failed. Signatures and links are the caller's to check.
result<std::vector<apply_outcome>> apply_block(ledger& state, const protocols::main_block& block);

}  // namespace covenant::main_chain
