// The main chain as a node that follows it without producing it keeps it (a miner, a client
// gateway; DESIGN.md section 6): a chain_follower over the node's own main-chain store, fed
// by block fetches the node sends to the producers in turn. A plain class, no actor: the
// node's actor sends the fetch it is given, hands over the replies that come back, and acts
// on each block applied.
//
// Only the reply of the producer asked last is taken (anyone can send a block-fetch reply;
// a stale or unasked one is ignored, never acted on). Every block is checked by the
// follower (link, finality of its epoch's producer set, transactions root, state root) and
// then stored; a restart replays the store from genesis and resumes after its head.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"
#include "protocols/main_chain/chain_follower.hpp"
#include "storage/main_chain_store.hpp"

namespace covenant::actors {

struct follow_stats {
    std::uint64_t blocks_applied = 0;
    std::uint64_t blocks_refused = 0;   // fetched blocks (or replies) that failed a check
    std::uint64_t replies_ignored = 0;  // block-fetch replies not from the producer asked
    std::uint64_t fetches_sent = 0;
    std::string last_refusal;
};

class followed_chain {
  public:
    /// Opens (creating if needed) the store at `store_path`, replays it from `genesis`, and
    /// follows from its head. `miner`: whose database assignments to track (nullopt: none).
    /// `producers`: whom to fetch blocks from, in turn. `on_replayed`, if given, sees every
    /// stored block once the replay succeeded, in height order (a node indexing what the
    /// chain holds). A store that cannot be opened or replayed is an error value.
    static result<std::unique_ptr<followed_chain>> open(
        const std::string& store_path, const main_chain::genesis& genesis,
        std::optional<public_key> miner, std::vector<node_id> producers,
        const std::function<void(const protocols::main_block&)>& on_replayed = {});

    struct fetch {
        node_id to;
        bytes payload;  // an encoded block_fetch for the blocks after the head
    };
    /// The fetch to send now, to the next producer in turn (nullopt: no producers). From now
    /// on only that producer's reply is taken.
    std::optional<fetch> next_fetch();

    /// Called for each block applied and stored, with how this miner's assignments changed.
    using block_applied =
        std::function<void(const protocols::main_block&, const main_chain::assignment_changes&)>;

    struct reply_outcome {
        bool taken = false;  // it came from the producer asked last
        std::size_t applied = 0;
        /// A block the store could not write although the follower took it: the node's state
        /// is ahead of its disk, so the node must stop (a restart resumes from the disk).
        std::optional<std::string> store_failure;
        /// The server has blocks beyond these and every one applied: ask again at once.
        bool ask_again = false;
    };
    /// A block-fetch reply from `sender`: decoded, checked and applied block by block.
    reply_outcome on_reply(byte_view sender, byte_view payload, const block_applied& on_block);

    /// Stored final blocks from `from_height` (>= 1; at most `count`, which is at most
    /// storage::main_chain_store::load_blocks_max), read back and checked by the store.
    result<std::vector<protocols::main_block>> stored_blocks(block_height from_height,
                                                             std::uint64_t count) const {
        return store_->load(from_height, count);
    }

    const main_chain::chain_follower& follower() const { return *follower_; }
    const main_chain::ledger& ledger() const { return follower_->state(); }
    block_height height() const { return follower_->height(); }
    const follow_stats& stats() const { return stats_; }

  private:
    followed_chain(std::unique_ptr<storage::main_chain_store> store,
                   std::unique_ptr<main_chain::chain_follower> follower,
                   std::vector<node_id> producers);

    std::unique_ptr<storage::main_chain_store> store_;
    std::unique_ptr<main_chain::chain_follower> follower_;
    std::vector<node_id> producers_;
    std::size_t next_producer_ = 0;
    std::optional<bytes> awaiting_reply_from_;
    follow_stats stats_;
};

}  // namespace covenant::actors
