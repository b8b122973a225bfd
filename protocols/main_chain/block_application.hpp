// Following the main chain, block by block: the checks that make a block the next final
// block (link to the one below, finality signatures of the producer set, transactions root)
// and applying it to a ledger. The one definition of what a final block is and does, shared
// by every node that follows the chain (producers, the store replaying from genesis, miners
// following final blocks). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain_messages.hpp"

namespace covenant::main_chain {

/// The last final block's position: what the next block must continue.
struct chain_head {
    block_height height;
    digest hash;
    std::int64_t timestamp_ms = 0;
};
chain_head head_after(const protocols::main_block& block);

/// Why `block` does not continue the chain whose last block is `below` (nullopt: an empty
/// chain) -- height, parent, timestamp -- or nullopt if it does.
std::optional<std::string> link_fault(const std::optional<chain_head>& below,
                                      const protocols::main_block& block);
/// Why `block`'s finality signatures are not valid precommits (domain main_precommit over
/// main_block::finality_signing_bytes(): height, finality_round, header hash) from at least
/// a quorum of distinct members of `producers`, all in the block's finality_round, or
/// nullopt if they are. A finality round before the header's round is a fault; so is an
/// empty or duplicated `producers`, never an assertion.
std::optional<std::string> finality_fault(const protocols::main_block& block,
                                          const std::vector<public_key>& producers);
/// Why the header's transactions root and count do not match the transactions (the decoder
/// checks this for blocks from the wire or a file; blocks built in memory need it here).
std::optional<std::string> transactions_fault(const protocols::main_block& block);
/// Null if `producers` can be a group (non-empty, each key once), else why not.
std::optional<std::string> producer_set_fault(const std::vector<public_key>& producers);

/// Applies `block` to `state`, the state after the block below it: begin_block(height),
/// the header's epoch must be the ledger's, every transaction must apply in order (a block
/// never holds a refused transaction), and the state root after must be the header's.
/// Returns what each transaction did, in order. On any failure `state` is left unchanged and
/// the error's detail says which check failed (the caller adds the height). Signatures and
/// links are the caller's to check (finality_fault, link_fault).
result<std::vector<apply_outcome>> apply_block(ledger& state, const protocols::main_block& block);

}  // namespace covenant::main_chain
