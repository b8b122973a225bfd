// Applying a final main-chain block to a ledger (see the header).
#include "protocols/main_chain/block_application.hpp"

#include <string>
#include <utility>

namespace covenant::main_chain {

result<std::vector<apply_outcome>> apply_block(ledger& state, const protocols::main_block& block) {
    const auto& header = block.header;
    ledger after = state;
    after.begin_block(header.height);
    if (header.epoch != after.epoch())
        return error{ledger_errc::block_mismatch,
                     "block " + std::to_string(header.height.value) + " says epoch " +
                         std::to_string(header.epoch.value) + ", the chain is in epoch " +
                         std::to_string(after.epoch().value)};
    std::vector<apply_outcome> outcomes;
    outcomes.reserve(block.transactions.size());
    for (std::size_t i = 0; i < block.transactions.size(); ++i) {
        auto applied = after.apply(block.transactions[i], header.height);
        if (!applied)
            return error{applied.failure().code,
                         "block " + std::to_string(header.height.value) + ", transaction " +
                             std::to_string(i) + " refused: " + applied.failure().detail};
        outcomes.push_back(std::move(applied).value());
    }
    if (after.state_root() != header.state_root)
        return error{ledger_errc::block_mismatch,
                     "block " + std::to_string(header.height.value) +
                         ": the state root after its transactions differs from the header's"};
    state = std::move(after);
    return outcomes;
}

}  // namespace covenant::main_chain
