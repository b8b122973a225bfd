// Checking a transaction against a copy of the ledger (see transaction_check.hpp).
#include "protocols/main_chain/transaction_check.hpp"

namespace covenant::main_chain {

std::optional<error> transaction_refusal(const ledger& state, block_height head_height,
                                         const std::vector<protocols::transaction>& before,
                                         const protocols::transaction& tx) {
    ledger scratch = state;
    const block_height next = head_height.next();
    scratch.begin_block(next);
    for (const auto& earlier : before)
        if (auto applied = scratch.apply(earlier, next); !applied) return applied.failure();
    if (auto applied = scratch.apply(tx, next); !applied) return applied.failure();
    return std::nullopt;
}

}  // namespace covenant::main_chain
