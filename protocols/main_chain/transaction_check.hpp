// Would a transaction apply? A node that submits transactions (a client gateway, a miner
// registering itself) asks its followed ledger before sending one, so that an obviously
// invalid transaction is refused at once with the ledger's own reason instead of waiting in
// the producers' mempools for a block that never takes it. Pure: the ledger is copied.
#pragma once

#include <optional>
#include <vector>

#include "common/result.hpp"
#include "protocols/main_chain/ledger.hpp"

namespace covenant::main_chain {

/// Why `tx` would be refused in the block after `state`'s head at `head_height`, applied
/// after `before` (this sender's transactions still in flight, in nonce order), or nullopt
/// if it applies. A transaction of `before` that no longer applies is the reason then.
std::optional<error> transaction_refusal(const ledger& state, block_height head_height,
                                         const std::vector<protocols::transaction>& before,
                                         const protocols::transaction& tx);

}  // namespace covenant::main_chain
