// Shard-chain blocks: each records a run of committed batches of one database, is
// hash-linked to its parent and signed by a quorum of the database's members. Wire form
// in protocols/schema/shard_chain.capnp.
#pragma once

#include <optional>
#include <vector>

#include "protocols/sql_messages.hpp"

namespace covenant::protocols {

struct shard_entry {
    view_number view;
    sequence_number seq;
    digest batch_hash;
    digest results_root;
    digest state_digest;
    certificate commit_certificate;

    /// What the block's entries root covers: seq, batch hash, results root, state digest
    /// (not the view or the certificate; see the definition).
    digest hash() const;
    friend bool operator==(const shard_entry& a, const shard_entry& b);
};

struct shard_block_header {
    database_id database;
    block_height height;
    digest parent;
    std::int64_t timestamp_ms = 0;
    sequence_number first_seq;
    std::uint32_t entry_count = 0;
    digest entries_root;
    digest state_digest;

    /// The block hash: hash of the canonical header. Members sign it.
    digest hash() const;
    friend bool operator==(const shard_block_header& a, const shard_block_header& b);
};

/// What a member signs for a shard block (domain shard/block): the database, the height
/// and the header hash. A block's signature list and a shard_block_vote sign the same
/// bytes, so votes gather into the block.
bytes shard_block_signing_bytes(const database_id& database, block_height height,
                                const digest& block_hash);

struct shard_block {
    shard_block_header header;
    std::vector<shard_entry> entries;
    std::vector<signer_signature> signatures;  // sorted by signer, over the signing bytes

    /// Sets first_seq, entry_count, entries_root and state_digest from the entries.
    void seal_header();
    /// Adds (in signer order) a member's signature over the block.
    void add_signature(const crypto::key_pair& member_key);
    /// Adds (in signer order) a signature gathered from a vote; false if the signer is
    /// already there.
    bool add_signature(const signer_signature& entry);
    bytes signing_bytes() const {
        return shard_block_signing_bytes(header.database, header.height, hash());
    }
    digest hash() const { return header.hash(); }
    friend bool operator==(const shard_block& a, const shard_block& b) {
        return a.header == b.header && a.entries == b.entries && a.signatures == b.signatures;
    }
};

/// A member's signature over one shard block, sent to the other members.
struct shard_block_vote {
    database_id database;
    block_height height;
    digest block_hash;
    public_key signer;
    signature signer_signature;
    /// The signer's signature over its checkpoint of the block (tx::shard_checkpoint's
    /// signing bytes, with the billing it computed); members whose billing agrees gather
    /// these into the checkpoint transaction.
    std::optional<signature> checkpoint_signature;

    bytes signing_bytes() const { return shard_block_signing_bytes(database, height, block_hash); }
    void sign(const crypto::key_pair& member_key);
    bool signature_valid() const;
    friend bool operator==(const shard_block_vote& a, const shard_block_vote& b) {
        return a.database == b.database && a.height == b.height && a.block_hash == b.block_hash &&
               a.signer == b.signer && a.signer_signature == b.signer_signature &&
               a.checkpoint_signature == b.checkpoint_signature;
    }
};

/// Asks a member for its stored blocks from `from_height` on (at most `count`).
struct shard_block_fetch {
    database_id database;
    block_height from_height;
    std::uint32_t count = 0;
    friend bool operator==(const shard_block_fetch& a, const shard_block_fetch& b) {
        return a.database == b.database && a.from_height == b.from_height && a.count == b.count;
    }
};

/// Stored blocks, consecutive and hash-linked (their signatures checked by the decoder;
/// whether they belong to the database's chain is for the receiver to verify), and the
/// server's head height (a hint: the reply itself is unsigned, its envelope is).
struct shard_block_fetch_reply {
    database_id database;
    block_height head_height;
    std::vector<shard_block> blocks;
    friend bool operator==(const shard_block_fetch_reply& a, const shard_block_fetch_reply& b) {
        return a.database == b.database && a.head_height == b.head_height && a.blocks == b.blocks;
    }
};

}  // namespace covenant::protocols
