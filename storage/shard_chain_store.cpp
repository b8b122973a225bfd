// SQLite persistence of one database's shard chain (see shard_chain_store.hpp).
#include "storage/shard_chain_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "common/assert.hpp"
#include "protocols/codec.hpp"
#include "storage/block_table.hpp"

namespace covenant::storage {
namespace {

class category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "shard chain store"; }
    std::string message(int value) const override {
        switch (static_cast<shard_store_errc>(value)) {
            case shard_store_errc::sqlite_failed:
                return "SQLite failed";
            case shard_store_errc::not_wal:
                return "cannot use WAL mode";
            case shard_store_errc::refused_block:
                return "block refused: it does not continue the stored chain";
            case shard_store_errc::corrupt_block:
                return "stored block is corrupt";
            case shard_store_errc::corrupt_chain:
                return "stored chain is corrupt";
        }
        return "unknown shard chain store error";
    }
};

using table = block_table<shard_store_errc>;

result<protocols::shard_block> read_block_row(sqlite3_stmt* row) {
    return storage::read_block_row<shard_store_errc, protocols::shard_block>(
        row, [](byte_view wire) { return protocols::decode_shard_block(wire); });
}

}  // namespace

const std::error_category& shard_store_category() {
    static const category instance;
    return instance;
}

void shard_chain_store::sqlite_closer::operator()(sqlite3* db) const {
    sqlite3_close_v2(db);
}

shard_chain_store::shard_chain_store(std::unique_ptr<sqlite3, sqlite_closer> db)
    : db_(std::move(db)) {}
shard_chain_store::~shard_chain_store() = default;

result<std::unique_ptr<shard_chain_store>> shard_chain_store::open(const std::string& path) {
    auto db = table::open<sqlite_closer>(path, "shard_block");
    if (!db) return db.failure();
    std::unique_ptr<shard_chain_store> store(new shard_chain_store(std::move(db).value()));
    if (auto head = store->read_head(); !head) return head.failure();
    return result<std::unique_ptr<shard_chain_store>>(std::move(store));
}

// The rows must be exactly heights 1..n (a deleted or inserted row is corruption); the
// head block is decoded and checked, so appends continue from a block known to be good.
result<nothing> shard_chain_store::read_head() {
    auto highest = table::stored_height(db_.get(), "shard_block");
    if (!highest) return highest.failure();
    head_.reset();
    if (*highest == 0) return nothing{};

    auto blocks = load_range(*highest, *highest);
    if (!blocks) return blocks.failure();
    head_ = protocols::shard_chain_head::after(blocks->front());
    return nothing{};
}

result<nothing> shard_chain_store::append(const protocols::shard_block& block) {
    const auto expected_head =
        head_ ? *head_ : protocols::shard_chain_head::before_first_block(block.header.database);
    auto fault = protocols::shard_block_link_fault(expected_head, block);
    if (!fault) fault = protocols::shard_block_structure_fault(block);
    if (fault) return error{shard_store_errc::refused_block, *fault};
    if (block.header.height.value > stored_height_max)
        return error{shard_store_errc::refused_block, "height beyond what SQLite can store"};

    const bytes encoded = protocols::encode(block);
    if (auto readable = protocols::decode_shard_block(encoded); !readable)
        return error{shard_store_errc::refused_block,
                     "block would not decode when read back: " + readable.failure().message()};

    auto insert =
        table::prepare(db_.get(), "INSERT INTO shard_block (height, hash, encoded) VALUES (?1, ?2, ?3)");
    if (!insert) return insert.failure();
    const digest hash = block.hash();
    sqlite3_bind_int64(insert->get(), 1, static_cast<sqlite3_int64>(block.header.height.value));
    sqlite3_bind_blob(insert->get(), 2, hash.begin(), static_cast<int>(hash.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_blob64(insert->get(), 3, encoded.data(), encoded.size(), SQLITE_TRANSIENT);
    if (sqlite3_step(insert->get()) != SQLITE_DONE)
        return table::sqlite_failure(db_.get(),
                              "storing block " + std::to_string(block.header.height.value));
    head_ = protocols::shard_chain_head::after(block);
    return nothing{};
}

result<std::optional<protocols::shard_block>> shard_chain_store::head_block() const {
    if (!head_) return std::optional<protocols::shard_block>{};
    auto blocks = load_range(head_->height.value, head_->height.value);
    if (!blocks) return blocks.failure();
    return std::optional<protocols::shard_block>(std::move(blocks->front()));
}

result<std::vector<protocols::shard_block>> shard_chain_store::load(block_height from_height,
                                                                    std::uint64_t count) const {
    COVENANT_ASSERT(from_height.value >= 1, "shard chain heights start at 1");
    COVENANT_ASSERT(count <= load_blocks_max, "load() asked for more than load_blocks_max blocks");
    const std::uint64_t stored = block_count();
    if (count == 0 || from_height.value > stored) return std::vector<protocols::shard_block>{};
    // No overflow: from_height <= stored < 2^63 and count <= load_blocks_max.
    const std::uint64_t last = std::min(stored, from_height.value + (count - 1));
    return load_range(from_height.value, last);
}

result<std::vector<protocols::shard_block>> shard_chain_store::load_all() const {
    if (block_count() == 0) return std::vector<protocols::shard_block>{};
    return load_range(1, block_count());
}

// Blocks first..last, all of which must be stored (1 <= first <= last <= block_count()).
result<std::vector<protocols::shard_block>> shard_chain_store::load_range(
    std::uint64_t first, std::uint64_t last) const {
    COVENANT_ASSERT(1 <= first && first <= last && last <= stored_height_max,
                    "load_range over heights that cannot be stored");
    auto select = table::prepare(db_.get(),
                          "SELECT height, hash, encoded FROM shard_block"
                          " WHERE height BETWEEN ?1 AND ?2 ORDER BY height");
    if (!select) return select.failure();
    sqlite3_bind_int64(select->get(), 1, static_cast<sqlite3_int64>(first));
    sqlite3_bind_int64(select->get(), 2, static_cast<sqlite3_int64>(last));

    std::vector<protocols::shard_block> blocks;
    std::uint64_t expected = first;
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(select->get())) == SQLITE_ROW) {
        // A row missing behind the store's back shows up as a height skipped here.
        if (static_cast<std::uint64_t>(sqlite3_column_int64(select->get(), 0)) != expected)
            return error{shard_store_errc::corrupt_chain,
                         "block " + std::to_string(expected) + " is missing"};
        auto block = read_block_row(select->get());
        if (!block) return block.failure();
        // Each block decoded on its own; a valid block swapped in from another chain or
        // fork still has to link to the one below it.
        if (!blocks.empty()) {
            const auto below = protocols::shard_chain_head::after(blocks.back());
            if (auto fault = protocols::shard_block_link_fault(below, *block))
                return table::corrupt_block(expected, *fault);
        }
        blocks.push_back(std::move(block).value());
        ++expected;
    }
    if (step != SQLITE_DONE) return table::sqlite_failure(db_.get(), "reading blocks");
    if (expected != last + 1)
        return error{shard_store_errc::corrupt_chain,
                     "block " + std::to_string(expected) + " is missing"};
    return result<std::vector<protocols::shard_block>>(std::move(blocks));
}

}  // namespace covenant::storage
