// Builds realistic shard chains for the tests: each entry is a real batch of signed client
// requests with a commit certificate voted by members of a 4-member group, each block is
// built by protocols::build_shard_block and signed by a quorum. Also the repairs a test
// needs after tampering with one block, so that only that tampering is left to find.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "crypto/signing.hpp"
#include "protocols/kayak_messages.hpp"
#include "protocols/shard_chain.hpp"

namespace covenant::test {

/// A run of consecutive seqs: the entries of one block.
struct seq_range {
    std::uint64_t first = 1;
    std::size_t count = 1;
};

class chain_builder {
  public:
    /// A database whose id is `database_byte` repeated, served by keys 1..4.
    explicit chain_builder(std::uint8_t database_byte = 0xdb);

    const database_id& database() const { return database_; }
    const protocols::group& members() const { return group_; }
    /// The first q member keys (q = 3 of 4).
    std::vector<crypto::key_pair> quorum_keys() const;
    /// The first `count` member keys, in sorted order.
    std::vector<crypto::key_pair> member_keys(std::size_t count) const;
    /// Keys that are not members of the group.
    static std::vector<crypto::key_pair> outsider_keys(std::size_t count);

    /// A new batch at `seq` (two signed client requests), executed and committed: its
    /// entry, with a commit certificate voted by `voters`. `seals_block` marks the batch
    /// the leader chose to end a block with.
    protocols::shard_entry committed_entry(std::uint64_t seq,
                                           const std::vector<crypto::key_pair>& voters,
                                           bool seals_block = false);
    protocols::shard_entry committed_entry(std::uint64_t seq) {
        return committed_entry(seq, quorum_keys());
    }

    /// A block of new batches for `seqs` at `height` on `parent`, signed by a quorum.
    protocols::shard_block block(block_height height, const digest& parent, seq_range seqs);
    /// A chain from genesis whose blocks hold these seq ranges (not checked: tests make
    /// gaps and overlaps on purpose).
    std::vector<protocols::shard_block> chain(const std::vector<seq_range>& blocks);
    /// A chain from genesis with these entry counts per block, seqs from 1.
    std::vector<protocols::shard_block> chain_with_counts(const std::vector<std::size_t>& counts);

    /// Replaces the block's signatures with those of `signers`.
    static void sign(protocols::shard_block& block, const std::vector<crypto::key_pair>& signers);
    void sign(protocols::shard_block& block) const { sign(block, quorum_keys()); }
    /// After tampering with the entries of chain[index]: seals its header again, then
    /// re-links and re-signs it and every later block.
    void reseal_from(std::vector<protocols::shard_block>& chain, std::size_t index) const;
    /// After tampering with the header of chain[index - 1]: re-links and re-signs
    /// chain[index] and every later block (their headers otherwise unchanged).
    void relink_from(std::vector<protocols::shard_block>& chain, std::size_t index) const;

  private:
    protocols::batch next_batch(std::uint64_t seq, bool seals_block);

    database_id database_;
    std::vector<crypto::key_pair> keys_;
    protocols::group group_;
    crypto::key_pair client_;
    std::uint64_t client_sequence_ = 0;
    digest last_batch_hash_;  // batches chain to the previous one built
    digest state_;            // stands in for the SQLite state digest, chained per batch
};

}  // namespace covenant::test
