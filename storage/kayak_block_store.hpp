// Plugs the SQLite shard chain store into a Kayak replica (its block_store port).
#pragma once

#include <memory>

#include "protocols/kayak/ports.hpp"
#include "storage/shard_chain_store.hpp"

namespace covenant::storage {

class kayak_block_store final : public kayak::block_store {
public:
    explicit kayak_block_store(std::unique_ptr<shard_chain_store> store) : store_(std::move(store)) {}
    std::optional<protocols::shard_chain_head> head() const override { return store_->head(); }
    bool append(const protocols::shard_block& block) override { return store_->append(block).ok(); }
    shard_chain_store& store() { return *store_; }

private:
    std::unique_ptr<shard_chain_store> store_;
};

}  // namespace covenant::storage
