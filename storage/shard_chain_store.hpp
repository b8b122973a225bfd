// The shard chain of one database, persisted in SQLite (DESIGN.md sections 4 and 7).
//
// One store is one chain: the table `shard_block` in the SQLite file at `path` (the file
// may hold other tables). WAL mode with synchronous=FULL, so an append is on disk when it
// returns. Schema (STRICT):
//   shard_block(height INTEGER PRIMARY KEY, hash BLOB NOT NULL, encoded BLOB NOT NULL)
// `encoded` is the block's Cap'n Proto encoding (protocols::encode); `hash` its block hash.
//
// The store keeps the chain's shape -- heights 1..n, each block linked to its parent, one
// database, sequence numbers continuing -- and refuses any append that would break it,
// writing nothing. It does not judge signatures against the members: the replica runs
// protocols::verify_next_shard_block before appending. Everything read back from the file
// is decoded and checked again; a file altered on disk gives an error value, never a
// crash. One store object per file: two writers on one chain are not supported.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "common/result.hpp"
#include "protocols/shard_chain.hpp"

struct sqlite3;

namespace covenant::storage {

enum class shard_store_errc {
    sqlite_failed = 1,  // SQLite could not open, read or write the file
    not_wal,            // the file could not be put in WAL mode (e.g. an in-memory path)
    refused_block,      // append(): the block does not continue the stored chain
    corrupt_block,      // a stored block does not decode, or is not the block its row says
    corrupt_chain,      // the stored heights are not exactly 1..n
};

const std::error_category& shard_store_category();
inline std::error_code make_error_code(shard_store_errc e) {
    return {static_cast<int>(e), shard_store_category()};
}

class shard_chain_store {
  public:
    /// The most blocks one load() returns, so a caller serving a peer bounds its memory.
    static constexpr std::uint64_t load_blocks_max = 1024;

    /// Opens (creating if needed) the chain in the SQLite file at `path`, and reads back
    /// and checks its head block.
    static result<std::unique_ptr<shard_chain_store>> open(const std::string& path);

    ~shard_chain_store();
    shard_chain_store(const shard_chain_store&) = delete;
    shard_chain_store& operator=(const shard_chain_store&) = delete;

    /// Stores `block` as the new head. Refused (refused_block, nothing written) unless it
    /// follows the head: next height, parent = head's hash, same database, seqs continuing
    /// (or, for an empty store, height 1 with the zero parent starting at seq 1); and
    /// unless its encoding decodes back (the store only keeps what it can read again).
    result<nothing> append(const protocols::shard_block& block);

    /// The head's position, or nullopt for an empty chain. No I/O.
    const std::optional<protocols::shard_chain_head>& head() const { return head_; }
    /// Blocks stored: heights are exactly 1..block_count(). No I/O.
    std::uint64_t block_count() const { return head_ ? head_->height.value : 0; }

    /// The head block read back from the file, or nullopt for an empty chain.
    result<std::optional<protocols::shard_block>> head_block() const;
    /// Blocks from_height, from_height + 1, ... (at most `count`, fewer at the chain's
    /// end, none past it). from_height >= 1 and count <= load_blocks_max (asserted).
    result<std::vector<protocols::shard_block>> load(block_height from_height,
                                                     std::uint64_t count) const;
    /// Every block, from height 1.
    result<std::vector<protocols::shard_block>> load_all() const;

    struct sqlite_closer {
        void operator()(sqlite3* db) const;
    };

  private:
    explicit shard_chain_store(std::unique_ptr<sqlite3, sqlite_closer> db);
    result<nothing> read_head();
    result<std::vector<protocols::shard_block>> load_range(std::uint64_t first,
                                                           std::uint64_t last) const;

    std::unique_ptr<sqlite3, sqlite_closer> db_;
    std::optional<protocols::shard_chain_head> head_;
};

}  // namespace covenant::storage

template <>
struct std::is_error_code_enum<covenant::storage::shard_store_errc> : std::true_type {};
