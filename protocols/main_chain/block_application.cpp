// Following the main chain: the checks of a final block and its application (see the header).
#include "protocols/main_chain/block_application.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "protocols/group.hpp"
#include "protocols/merkle.hpp"

namespace covenant::main_chain {

chain_head head_after(const protocols::main_block& block) {
    return chain_head{block.header.height, block.hash(), block.header.timestamp_ms};
}

std::optional<std::string> producer_set_fault(const std::vector<public_key>& producers) {
    if (producers.empty()) return "the producer set is empty";
    auto sorted = producers;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
        return "the producer set lists a key twice";
    return std::nullopt;
}

std::optional<std::string> transactions_fault(const protocols::main_block& block) {
    if (block.transactions.size() != block.header.transaction_count)
        return "transaction count differs from the header";
    std::vector<digest> hashes;
    hashes.reserve(block.transactions.size());
    for (const auto& tx : block.transactions) hashes.push_back(tx.hash());
    if (protocols::merkle_root(hashes) != block.header.transactions_root)
        return "transactions root differs from the header";
    return std::nullopt;
}

std::optional<std::string> link_fault(const std::optional<chain_head>& below,
                                      const protocols::main_block& block) {
    const auto& h = block.header;
    const std::uint64_t below_height = below ? below->height.value : 0;
    if (below_height == std::numeric_limits<std::uint64_t>::max() ||
        h.height.value != below_height + 1)
        return "height " + std::to_string(h.height.value) + " does not follow height " +
               std::to_string(below_height);
    const digest expected_parent = below ? below->hash : digest{};
    if (h.parent != expected_parent)
        return "parent of height " + std::to_string(h.height.value) +
               (below ? " is not the hash of the block below" : " is not the zero hash");
    if (below && h.timestamp_ms < below->timestamp_ms)
        return "timestamp of height " + std::to_string(h.height.value) +
               " is before its parent's";
    return std::nullopt;
}

std::optional<std::string> finality_fault(const protocols::main_block& block,
                                          const std::vector<public_key>& producers) {
    if (auto fault = producer_set_fault(producers)) return fault;
    const protocols::group set(producers);
    const std::string where = "finality signatures of height " +
                              std::to_string(block.header.height.value) + ": ";
    // Precommits of one round, signed with it: precommits of different rounds never add up.
    if (block.finality_round < block.header.round)
        return where + "finality round " + std::to_string(block.finality_round.value) +
               " is before the block's round " + std::to_string(block.header.round.value);
    auto fault = protocols::signer_set_fault(block.finality, set, set.quorum(),
                                             crypto::sign_domain::main_precommit,
                                             block.finality_signing_bytes());
    if (fault) return where + *fault;
    return std::nullopt;
}

result<std::vector<apply_outcome>> apply_block(ledger& state, const protocols::main_block& block) {
    const auto& header = block.header;
    ledger after = state;
    after.begin_block(header.height);
    if (header.epoch != after.epoch())
        return error{ledger_errc::block_mismatch,
                     "header says epoch " + std::to_string(header.epoch.value) +
                         ", the chain is in epoch " +
                         std::to_string(after.epoch().value)};
    std::vector<apply_outcome> outcomes;
    outcomes.reserve(block.transactions.size());
    for (std::size_t i = 0; i < block.transactions.size(); ++i) {
        auto applied = after.apply(block.transactions[i], header.height);
        if (!applied)
            return error{applied.failure().code,
                         "transaction " + std::to_string(i) + " (" +
                             block.transactions[i].hash().hex() +
                             ") refused: " + applied.failure().detail};
        outcomes.push_back(std::move(applied).value());
    }
    if (after.state_root() != header.state_root)
        return error{ledger_errc::block_mismatch,
                     "state root after the transactions differs from the header's"};
    state = std::move(after);
    return outcomes;
}

}  // namespace covenant::main_chain
