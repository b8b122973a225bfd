// Following the main chain from a node's own store (see followed_chain.hpp).
#include "actors/chain/followed_chain.hpp"

#include <filesystem>

#include "protocols/codec.hpp"
#include "protocols/limits.hpp"
#include "protocols/main_chain/sync_messages.hpp"

namespace covenant::actors {

result<std::unique_ptr<followed_chain>> followed_chain::open(
    const std::string& store_path, const main_chain::genesis& genesis,
    std::optional<public_key> miner, std::vector<node_id> producers,
    const std::function<void(const protocols::main_block&)>& on_replayed) {
    std::error_code ignored;
    const auto parent = std::filesystem::path(store_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
    auto store = storage::main_chain_store::open(store_path);
    if (!store) return store.failure();
    auto blocks = store.value()->load_all();
    if (!blocks) return blocks.failure();
    auto ledger = storage::replay(genesis, blocks.value());
    if (!ledger) return ledger.failure();
    if (on_replayed)
        for (const auto& block : blocks.value()) on_replayed(block);
    auto follower = std::make_unique<main_chain::chain_follower>(
        std::move(ledger).value(), store.value()->head(), std::move(miner));
    return std::unique_ptr<followed_chain>(
        new followed_chain(std::move(store).value(), std::move(follower), std::move(producers)));
}

followed_chain::followed_chain(std::unique_ptr<storage::main_chain_store> store,
                               std::unique_ptr<main_chain::chain_follower> follower,
                               std::vector<node_id> producers)
    : store_(std::move(store)), follower_(std::move(follower)), producers_(std::move(producers)) {}

std::optional<followed_chain::fetch> followed_chain::next_fetch() {
    if (producers_.empty()) return std::nullopt;
    main_chain::block_fetch request;
    request.from_height = follower_->height().next();
    request.count = static_cast<std::uint32_t>(protocols::limits::main_blocks_per_fetch_max);
    const auto& to = producers_[next_producer_++ % producers_.size()];
    awaiting_reply_from_ = to.view().to_bytes();
    ++stats_.fetches_sent;
    return fetch{to, protocols::encode(request)};
}

followed_chain::reply_outcome followed_chain::on_reply(byte_view sender, byte_view payload,
                                                       const block_applied& on_block) {
    reply_outcome out;
    if (!awaiting_reply_from_ || sender != byte_view(*awaiting_reply_from_)) {
        ++stats_.replies_ignored;  // not asked for: never acted on
        return out;
    }
    awaiting_reply_from_.reset();
    out.taken = true;
    auto reply = protocols::decode_block_fetch_reply(payload);
    if (!reply) {
        ++stats_.blocks_refused;
        stats_.last_refusal = "block fetch reply: " + reply.failure().message();
        return out;
    }
    const auto height_before = follower_->height();
    for (const auto& block : reply->blocks) {
        // One block at a time: the store wants the producer set that signed each one.
        const auto producers = follower_->state().producers_for(block.header.height);
        auto applied = follower_->on_final_blocks({block});
        if (applied.refusal) {
            ++stats_.blocks_refused;
            stats_.last_refusal = *applied.refusal;
            return out;  // that producer waits for the next interval
        }
        if (applied.applied.empty()) continue;  // already had it
        auto stored = store_->append(block, producers);
        if (!stored) {
            out.store_failure = "cannot persist main block " +
                                std::to_string(block.header.height.value) + ": " +
                                stored.failure().message();
            return out;
        }
        ++stats_.blocks_applied;
        ++out.applied;
        if (on_block) on_block(block, applied.changes);
    }
    // More where these came from: ask again at once rather than at the next interval.
    out.ask_again = reply->head_height > follower_->height() && follower_->height() > height_before;
    return out;
}

}  // namespace covenant::actors
