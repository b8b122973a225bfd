// Plugs the SQLite shard chain store into a Kayak replica (its block_store port).
#pragma once

#include <algorithm>
#include <memory>

#include "protocols/kayak/ports.hpp"
#include "storage/shard_chain_store.hpp"

namespace covenant::storage {

class kayak_block_store final : public kayak::block_store {
public:
    explicit kayak_block_store(std::unique_ptr<shard_chain_store> store) : store_(std::move(store)) {}
    std::optional<protocols::shard_chain_head> head() const override { return store_->head(); }
    bool append(const protocols::shard_block& block) override { return store_->append(block).ok(); }
    std::vector<protocols::shard_block> load(block_height from_height, std::size_t count) const override {
        auto blocks = store_->load(from_height, std::min<std::uint64_t>(count, shard_chain_store::load_blocks_max));
        if (!blocks.ok()) return {};  // a block that does not read back is not served
        return std::move(blocks).value();
    }
    shard_chain_store& store() { return *store_; }

private:
    std::unique_ptr<shard_chain_store> store_;
};

}  // namespace covenant::storage
