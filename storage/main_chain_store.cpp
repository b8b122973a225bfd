// SQLite persistence of the main chain's final blocks, and replay (see main_chain_store.hpp).
#include "storage/main_chain_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "common/assert.hpp"
#include "crypto/signing.hpp"
#include "protocols/codec.hpp"
#include "storage/block_table.hpp"
#include "protocols/group.hpp"
#include "protocols/merkle.hpp"

namespace covenant::storage {
namespace {

class category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "main chain store"; }
    std::string message(int value) const override {
        switch (static_cast<main_store_errc>(value)) {
            case main_store_errc::sqlite_failed:
                return "SQLite failed";
            case main_store_errc::not_wal:
                return "cannot use WAL mode";
            case main_store_errc::bad_producer_set:
                return "invalid producer set";
            case main_store_errc::refused_block:
                return "block refused: it is not the next final block of the stored chain";
            case main_store_errc::corrupt_block:
                return "stored block is corrupt";
            case main_store_errc::corrupt_chain:
                return "stored chain is corrupt";
            case main_store_errc::replay_failed:
                return "replay failed";
            case main_store_errc::corrupt_record:
                return "stored producer record is corrupt";
            case main_store_errc::conflicting_record:
                return "producer record refused: another one is stored for its slot";
        }
        return "unknown main chain store error";
    }
};

using table = block_table<main_store_errc>;

error replay_failure(std::uint64_t height, const std::string& what) {
    return error{main_store_errc::replay_failed,
                 "block at height " + std::to_string(height) + ": " + what};
}

// A stored main block must also be final: it carries finality signatures.
result<protocols::main_block> read_block_row(sqlite3_stmt* row) {
    auto block = storage::read_block_row<main_store_errc, protocols::main_block>(
        row, [](byte_view wire) { return protocols::decode_main_block(wire); });
    if (block && block->finality.empty())
        return table::corrupt_block(block->header.height.value,
                                    "has no finality signatures: it is not a final block");
    return block;
}

}  // namespace

const std::error_category& main_store_category() {
    static const category instance;
    return instance;
}

void main_chain_store::sqlite_closer::operator()(sqlite3* db) const {
    sqlite3_close_v2(db);
}

main_chain_store::main_chain_store(std::unique_ptr<sqlite3, sqlite_closer> db)
    : db_(std::move(db)) {}
main_chain_store::~main_chain_store() = default;

result<std::unique_ptr<main_chain_store>> main_chain_store::open(const std::string& path) {
    auto db = table::open<sqlite_closer>(path, "main_block");
    if (!db) return db.failure();
    std::unique_ptr<main_chain_store> store(new main_chain_store(std::move(db).value()));
    if (auto head = store->read_head(); !head) return head.failure();
    return result<std::unique_ptr<main_chain_store>>(std::move(store));
}

// The rows must be exactly heights 1..n (a deleted or inserted row is corruption); the
// head block is decoded and checked, so appends continue from a block known to be good.
result<nothing> main_chain_store::read_head() {
    auto highest = table::stored_height(db_.get(), "main_block");
    if (!highest) return highest.failure();
    head_.reset();
    if (*highest == 0) return nothing{};

    auto blocks = load_range(*highest, *highest);
    if (!blocks) return blocks.failure();
    head_ = main_chain::head_after(blocks->front());
    return nothing{};
}

result<nothing> main_chain_store::append(const protocols::main_block& block,
                                         const std::vector<public_key>& producers) {
    if (auto fault = main_chain::producer_set_fault(producers))
        return error{main_store_errc::bad_producer_set, *fault};
    auto fault = main_chain::link_fault(head_, block);
    if (!fault) fault = main_chain::finality_fault(block, producers);
    if (fault) return error{main_store_errc::refused_block, *fault};
    if (block.header.height.value > stored_height_max)
        return error{main_store_errc::refused_block, "height beyond what SQLite can store"};

    // The decoder re-checks the proposer signature, the transactions root and count, and
    // every finality signature; and what decodes must be the very block given.
    const bytes encoded = protocols::encode(block);
    auto readable = protocols::decode_main_block(encoded);
    if (!readable)
        return error{main_store_errc::refused_block,
                     "block would not decode when read back: " + readable.failure().message()};
    if (!(readable.value() == block))
        return error{main_store_errc::refused_block,
                     "block would not read back unchanged (finality signatures not sorted?)"};

    auto insert =
        table::prepare(db_.get(), "INSERT INTO main_block (height, hash, encoded) VALUES (?1, ?2, ?3)");
    if (!insert) return insert.failure();
    const digest hash = block.hash();
    sqlite3_bind_int64(insert->get(), 1, static_cast<sqlite3_int64>(block.header.height.value));
    sqlite3_bind_blob(insert->get(), 2, hash.begin(), static_cast<int>(hash.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_blob64(insert->get(), 3, encoded.data(), encoded.size(), SQLITE_TRANSIENT);
    if (sqlite3_step(insert->get()) != SQLITE_DONE)
        return table::sqlite_failure(db_.get(),
                              "storing block " + std::to_string(block.header.height.value));
    head_ = main_chain::head_after(block);
    return nothing{};
}

result<std::optional<protocols::main_block>> main_chain_store::head_block() const {
    if (!head_) return std::optional<protocols::main_block>{};
    auto blocks = load_range(head_->height.value, head_->height.value);
    if (!blocks) return blocks.failure();
    return std::optional<protocols::main_block>(std::move(blocks->front()));
}

result<std::vector<protocols::main_block>> main_chain_store::load(block_height from_height,
                                                                  std::uint64_t count) const {
    COVENANT_ASSERT(from_height.value >= 1, "main chain heights start at 1");
    COVENANT_ASSERT(count <= load_blocks_max, "load() asked for more than load_blocks_max blocks");
    const std::uint64_t stored = block_count();
    if (count == 0 || from_height.value > stored) return std::vector<protocols::main_block>{};
    // No overflow: from_height <= stored < 2^63 and count <= load_blocks_max.
    const std::uint64_t last = std::min(stored, from_height.value + (count - 1));
    return load_range(from_height.value, last);
}

result<std::vector<protocols::main_block>> main_chain_store::load_all() const {
    if (block_count() == 0) return std::vector<protocols::main_block>{};
    return load_range(1, block_count());
}

// Blocks first..last, all of which must be stored (1 <= first <= last <= block_count()).
result<std::vector<protocols::main_block>> main_chain_store::load_range(std::uint64_t first,
                                                                        std::uint64_t last) const {
    COVENANT_ASSERT(1 <= first && first <= last && last <= stored_height_max,
                    "load_range over heights that cannot be stored");
    auto select = table::prepare(db_.get(),
                          "SELECT height, hash, encoded FROM main_block"
                          " WHERE height BETWEEN ?1 AND ?2 ORDER BY height");
    if (!select) return select.failure();
    sqlite3_bind_int64(select->get(), 1, static_cast<sqlite3_int64>(first));
    sqlite3_bind_int64(select->get(), 2, static_cast<sqlite3_int64>(last));

    std::vector<protocols::main_block> blocks;
    std::uint64_t expected = first;
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(select->get())) == SQLITE_ROW) {
        // A row missing behind the store's back shows up as a height skipped here.
        if (static_cast<std::uint64_t>(sqlite3_column_int64(select->get(), 0)) != expected)
            return error{main_store_errc::corrupt_chain,
                         "block " + std::to_string(expected) + " is missing"};
        auto block = read_block_row(select->get());
        if (!block) return block.failure();
        // Each block decoded on its own; a valid block swapped in from another fork still
        // has to link to the one below it.
        if (!blocks.empty()) {
            if (auto fault = main_chain::link_fault(main_chain::head_after(blocks.back()), *block))
                return table::corrupt_block(expected, *fault);
        } else if (first == 1) {
            if (auto fault = main_chain::link_fault(std::nullopt, *block))
                return table::corrupt_block(expected, *fault);
        }
        blocks.push_back(std::move(block).value());
        ++expected;
    }
    if (step != SQLITE_DONE) return table::sqlite_failure(db_.get(), "reading blocks");
    if (expected != last + 1)
        return error{main_store_errc::corrupt_chain,
                     "block " + std::to_string(expected) + " is missing"};
    return result<std::vector<protocols::main_block>>(std::move(blocks));
}

result<main_chain::ledger> replay(const main_chain::genesis& genesis,
                                  const std::vector<protocols::main_block>& blocks) {
    if (auto fault = main_chain::producer_set_fault(genesis.initial_producers))
        return error{main_store_errc::bad_producer_set, *fault};
    auto built = main_chain::ledger::from_genesis(genesis);
    if (!built) return error{main_store_errc::replay_failed,
                             "genesis: " + built.failure().message()};
    main_chain::ledger ledger = std::move(built).value();

    std::optional<main_chain_head> below;
    for (const auto& block : blocks) {
        const std::uint64_t height = block.header.height.value;
        auto fault = main_chain::link_fault(below, block);
        if (!fault)
            fault = main_chain::finality_fault(block, ledger.producers_for(block.header.height));
        if (!fault) fault = main_chain::transactions_fault(block);
        if (fault) return replay_failure(height, *fault);
        auto applied = main_chain::apply_block(ledger, block);
        if (!applied) return replay_failure(height, applied.failure().detail);
        below = main_chain::head_after(block);
    }
    return result<main_chain::ledger>(std::move(ledger));
}

}  // namespace covenant::storage
