// The shard chain of one database (DESIGN.md section 4, "Shard chain"): building blocks
// from committed batches, and verifying a chain -- or one more block of it -- against the
// database's members. Pure: no I/O, no clock.
//
// A valid chain, from genesis:
//   - block heights are 1, 2, 3, ...; block 1's parent is the zero digest and each later
//     parent is the previous block's hash;
//   - every block belongs to the same database;
//   - sequence numbers continue without gap or overlap: block 1 starts at seq 1 and each
//     block's first seq is the previous block's last seq + 1, its entries consecutive;
//   - each header agrees with its entries (count, entries root, state digest);
//   - every entry carries a commit certificate for (database, view, seq, batch hash) with
//     valid votes from a quorum of the group of that view;
//   - every block is signed by a quorum of distinct members (domain shard/block) of the
//     block's group: the group of the latest view among its entries' certificates. (When
//     the chain replaces a member, the blocks of earlier views stay signed by the group
//     that ran them; see group_history.hpp.)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocols/group_history.hpp"
#include "protocols/shard_chain_messages.hpp"

namespace covenant::protocols {

/// Seals `entries` (non-empty, consecutive seqs, each certificate for its own slot) into
/// an unsigned block: the members add their signatures afterwards. Inputs come from the
/// replica's own committed log, so anything wrong with them is a broken invariant.
shard_block build_shard_block(const database_id& database, block_height height,
                              const digest& parent_hash, std::int64_t timestamp_ms,
                              std::vector<shard_entry> entries);

/// What the next block of a chain must continue from: its verified head, or nothing yet.
struct shard_chain_head {
    database_id database;
    block_height height;       // 0 before the first block
    digest hash;               // the head block's hash; the zero digest before the first block
    sequence_number last_seq;  // the head block's last entry; 0 before the first block

    static shard_chain_head before_first_block(const database_id& database);
    /// The head after `block` (which has entries: a block that passed the checks below).
    static shard_chain_head after(const shard_block& block);
    friend bool operator==(const shard_chain_head& a, const shard_chain_head& b) {
        return a.database == b.database && a.height == b.height && a.hash == b.hash &&
               a.last_seq == b.last_seq;
    }
};

/// The first bad block of a chain. `height` is the position where the chain breaks -- the
/// height that block should have had; every block below it verified. `reason` says what
/// is wrong (and, for a block claiming another height, which height it claims).
struct chain_fault {
    block_height height;
    std::string reason;
};

/// Why `block` cannot follow `head`: another database, not the next height, a parent
/// that is not the head's hash, or a first seq that leaves a gap or overlaps. Cheap (no
/// signatures): what a store checks before appending.
std::optional<std::string> shard_block_link_fault(const shard_chain_head& head,
                                                  const shard_block& block);

/// Why a block's header disagrees with its own entries (count, consecutive seqs from
/// first_seq, entries root, state digest), or it has no entries or too many. No signatures.
std::optional<std::string> shard_block_structure_fault(const shard_block& block);

/// The group whose quorum must sign `block` (see the rules above).
const group& shard_block_group(const shard_block& block, const group_history& groups);

/// Why a block's evidence does not convince the database's groups: an entry without a
/// valid commit certificate of a quorum of its view's group, or block signatures from
/// fewer than a quorum of the block's group. Checks every signature again (blocks read
/// back from storage or built in memory are not trusted).
std::optional<std::string> shard_block_signatures_fault(const shard_block& block,
                                                        const group_history& groups);

/// All of the above for one block that is to follow `head`: what a replica runs on each
/// new block before storing it.
std::optional<chain_fault> verify_next_shard_block(const shard_chain_head& head,
                                                   const shard_block& block,
                                                   const group_history& members);

/// Verifies `blocks` as the continuation of `head`; reports the first bad block.
std::optional<chain_fault> verify_shard_chain_from(const shard_chain_head& head,
                                                   const std::vector<shard_block>& blocks,
                                                   const group_history& members);

/// Verifies a whole chain from genesis; the chain's database is that of its first block
/// (a caller that knows which database it expects passes
/// shard_chain_head::before_first_block(database) to verify_shard_chain_from instead).
/// An empty chain is valid.
std::optional<chain_fault> verify_shard_chain(const std::vector<shard_block>& blocks,
                                              const group_history& members);

}  // namespace covenant::protocols
