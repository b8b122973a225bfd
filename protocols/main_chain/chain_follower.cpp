// Following the main chain from final blocks (see the header).
#include "protocols/main_chain/chain_follower.hpp"

#include <utility>

namespace covenant::main_chain {

chain_follower::chain_follower(ledger state, std::optional<chain_head> head,
                               std::optional<public_key> miner)
    : state_(std::move(state)), head_(std::move(head)), miner_(std::move(miner)) {
    if (miner_) assignments_ = assignments_of(state_, *miner_);
}

chain_follower::outcome chain_follower::on_final_blocks(
    const std::vector<protocols::main_block>& blocks) {
    outcome out;
    for (const auto& block : blocks) {
        if (block.header.height <= height()) continue;
        const auto at = std::to_string(block.header.height.value);
        auto fault = link_fault(head_, block);
        if (!fault) fault = finality_fault(block, state_.producers_for(block.header.height));
        if (!fault) fault = transactions_fault(block);
        if (fault) {
            out.refusal = "main block " + at + ": " + *fault;
            break;
        }
        auto applied = apply_block(state_, block);
        if (!applied) {
            out.refusal = "main block " + at + ": " + applied.failure().detail;
            break;
        }
        head_ = head_after(block);
        out.applied.push_back(block);
    }
    if (miner_ && !out.applied.empty()) {
        auto now = assignments_of(state_, *miner_);
        out.changes = compare_assignments(assignments_, now);
        assignments_ = std::move(now);
    }
    return out;
}

}  // namespace covenant::main_chain
