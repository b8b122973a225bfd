// The main chain's final blocks, persisted in SQLite, and recovery of the ledger from them
// (DESIGN.md section 6, issue 4).
//
// One store is one main chain: the table `main_block` in the SQLite file at `path` (the
// file may hold other tables). WAL mode with synchronous=FULL, so an append is on disk when
// it returns. Schema (STRICT):
//   main_block(height INTEGER PRIMARY KEY, hash BLOB NOT NULL, encoded BLOB NOT NULL)
// `encoded` is the block's Cap'n Proto encoding (protocols::encode); `hash` its header hash.
//
// The store keeps only final blocks, in a chain: heights 1..n, each block's parent the hash
// of the one below (zero for height 1), timestamps not decreasing, and each with finality
// signatures from a quorum of the producer set the caller gives: precommits (domain
// main_precommit) for the block in one round, the block's finality_round, which they sign. Any append that breaks this is refused, writing nothing. The store
// does not run the transactions: replay() does, from genesis, checking every state root.
//
// Everything read back from the file is decoded (which re-checks the proposer and every
// finality signature, the transactions root and count), must re-encode to the exact stored
// bytes and must link to the block below; a file altered on disk gives an error value,
// never a crash. The quorum of the finality signatures needs the producer set, which the
// store does not keep: replay() checks it again. One store object per file: two writers on
// one chain are not supported.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "common/result.hpp"
#include "protocols/main_chain/block_application.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain_messages.hpp"

struct sqlite3;

namespace covenant::storage {

enum class main_store_errc {
    sqlite_failed = 1,  // SQLite could not open, read or write the file
    not_wal,            // the file could not be put in WAL mode (e.g. an in-memory path)
    bad_producer_set,   // the producer set given is empty or lists a key twice
    refused_block,      // append(): the block is not the next final block of the chain
    corrupt_block,      // a stored block does not decode, or is not the block its row says
    corrupt_chain,      // the stored heights are not exactly 1..n
    replay_failed,      // replay(): a block does not apply to the ledger as its header says
    // The producer's own records in the same file (producer_record_store.hpp):
    corrupt_record,      // a stored record does not decode, or is not the record its row says
    conflicting_record,  // save(): another record is stored for the same slot
};

const std::error_category& main_store_category();
inline std::error_code make_error_code(main_store_errc e) {
    return {static_cast<int>(e), main_store_category()};
}

/// The last stored block's position: what the next block must continue.
using main_chain_head = main_chain::chain_head;

class main_chain_store {
  public:
    /// The most blocks one load() returns, so a caller serving a peer bounds its memory.
    static constexpr std::uint64_t load_blocks_max = 1024;

    /// Opens (creating if needed) the chain in the SQLite file at `path`, and reads back
    /// and checks its head block.
    static result<std::unique_ptr<main_chain_store>> open(const std::string& path);

    ~main_chain_store();
    main_chain_store(const main_chain_store&) = delete;
    main_chain_store& operator=(const main_chain_store&) = delete;

    /// Stores `block` as the new head. Refused (refused_block, nothing written) unless it
    /// follows the head (height head + 1, parent = head's hash, timestamp not before the
    /// head's; for an empty store height 1 with the zero parent), carries finality
    /// signatures from at least a quorum of distinct members of `producers`, every one of
    /// them valid, and its encoding decodes back to it. bad_producer_set if `producers` is
    /// empty or lists a key twice.
    result<nothing> append(const protocols::main_block& block,
                           const std::vector<public_key>& producers);

    /// The head's position, or nullopt for an empty chain. No I/O.
    const std::optional<main_chain_head>& head() const { return head_; }
    /// Blocks stored: heights are exactly 1..block_count(). No I/O.
    std::uint64_t block_count() const { return head_ ? head_->height.value : 0; }

    /// The head block read back from the file, or nullopt for an empty chain.
    result<std::optional<protocols::main_block>> head_block() const;
    /// Blocks from_height, from_height + 1, ... (at most `count`, fewer at the chain's
    /// end, none past it). from_height >= 1 and count <= load_blocks_max (asserted).
    result<std::vector<protocols::main_block>> load(block_height from_height,
                                                    std::uint64_t count) const;
    /// Every block, from height 1.
    result<std::vector<protocols::main_block>> load_all() const;

    struct sqlite_closer {
        void operator()(sqlite3* db) const;
    };

  private:
    explicit main_chain_store(std::unique_ptr<sqlite3, sqlite_closer> db);
    result<nothing> read_head();
    result<std::vector<protocols::main_block>> load_range(std::uint64_t first,
                                                          std::uint64_t last) const;

    std::unique_ptr<sqlite3, sqlite_closer> db_;
    std::optional<main_chain_head> head_;
};

/// Rebuilds the ledger from `genesis` by applying `blocks` (heights 1..n, in order): each
/// must link to the one before and carry finality signatures from a quorum of the producer
/// set of its epoch (genesis names the first; later ones are elected on the chain, see
/// ledger::producers_for), and apply whole (main_chain::apply_block: every transaction, the
/// epoch and the state root). The first failure is a replay_failed error naming the height
/// (bad_producer_set for a genesis without a valid set); nothing is partially returned.
result<main_chain::ledger> replay(const main_chain::genesis& genesis,
                                  const std::vector<protocols::main_block>& blocks);

}  // namespace covenant::storage

template <>
struct std::is_error_code_enum<covenant::storage::main_store_errc> : std::true_type {};
