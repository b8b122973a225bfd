// A node that follows the main chain without producing it (a miner, a client verifying, a
// producer outside the current set): it takes final blocks in height order, checks each one
// (link to its head, finality signatures of the producer set of the block's epoch,
// transactions root) and applies it (apply_block); for a miner it also says, after each run
// of blocks, how its database assignments changed (miner_assignments.hpp). Pure: blocks come
// in from whoever fetched them, nothing here reads a clock, a file or the network.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocols/main_chain/block_application.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain/miner_assignments.hpp"
#include "protocols/main_chain_messages.hpp"

namespace covenant::main_chain {

class chain_follower {
  public:
    /// Follows from `state` at `head` (nullopt: genesis). `miner` is whose assignments to
    /// track (a follower that serves no database passes nullopt).
    chain_follower(ledger state, std::optional<chain_head> head,
                   std::optional<public_key> miner = std::nullopt);

    struct outcome {
        std::vector<protocols::main_block> applied;  // in height order
        assignment_changes changes;                  // over the whole run
        std::optional<std::string> refusal;          // why the first bad block was refused
    };

    /// Applies the blocks that continue the chain, in order. Blocks at or below the head
    /// are skipped (a fetch that overlaps what is known); the first block that does not
    /// continue it, or fails a check, stops the run and is reported (the state stays at the
    /// last good block).
    outcome on_final_blocks(const std::vector<protocols::main_block>& blocks);

    const ledger& state() const { return state_; }
    block_height height() const { return head_ ? head_->height : block_height{0}; }
    const std::optional<chain_head>& head() const { return head_; }
    const assignments& current_assignments() const { return assignments_; }

  private:
    ledger state_;
    std::optional<chain_head> head_;
    std::optional<public_key> miner_;
    assignments assignments_;
};

}  // namespace covenant::main_chain
