// Main-chain transactions and blocks. Wire form in protocols/schema/main_chain.capnp.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocols/kayak_messages.hpp"

namespace covenant::protocols {

enum class consistency_mode : std::uint8_t { strong, eventual };
enum class role : std::uint8_t { read, write, admin };

struct billing_line {
    account_address user;
    std::uint64_t statements = 0;
    std::uint64_t cost = 0;
    friend bool operator==(const billing_line& a, const billing_line& b) {
        return a.user == b.user && a.statements == b.statements && a.cost == b.cost;
    }
};

namespace tx {
struct transfer {
    account_address to;
    std::uint64_t amount = 0;
    friend bool operator==(const transfer& a, const transfer& b) {
        return a.to == b.to && a.amount == b.amount;
    }
};
struct stake {
    std::uint64_t amount = 0;
    friend bool operator==(const stake& a, const stake& b) { return a.amount == b.amount; }
};
struct unstake {
    std::uint64_t amount = 0;
    friend bool operator==(const unstake& a, const unstake& b) { return a.amount == b.amount; }
};
struct vote_producers {
    std::vector<account_address> candidates;  // sorted, distinct
    friend bool operator==(const vote_producers& a, const vote_producers& b) {
        return a.candidates == b.candidates;
    }
};
struct register_miner {
    std::uint64_t pow_nonce = 0;
    std::uint64_t deposit = 0;
    std::uint32_t capacity = 0;
    std::uint64_t price_per_statement = 0;
    std::string endpoint;
    friend bool operator==(const register_miner& a, const register_miner& b) {
        return a.pow_nonce == b.pow_nonce && a.deposit == b.deposit && a.capacity == b.capacity &&
               a.price_per_statement == b.price_per_statement && a.endpoint == b.endpoint;
    }
};
struct miner_exit {
    friend bool operator==(const miner_exit&, const miner_exit&) { return true; }
};
struct create_database {
    std::uint32_t miner_count = 1;
    consistency_mode mode = consistency_mode::strong;
    std::uint64_t advance_payment = 0;
    friend bool operator==(const create_database& a, const create_database& b) {
        return a.miner_count == b.miner_count && a.mode == b.mode &&
               a.advance_payment == b.advance_payment;
    }
};
struct drop_database {
    database_id database;
    friend bool operator==(const drop_database& a, const drop_database& b) {
        return a.database == b.database;
    }
};
struct grant_role {
    database_id database;
    account_address user;
    protocols::role granted = protocols::role::read;
    friend bool operator==(const grant_role& a, const grant_role& b) {
        return a.database == b.database && a.user == b.user && a.granted == b.granted;
    }
};
struct revoke_role {
    database_id database;
    account_address user;
    friend bool operator==(const revoke_role& a, const revoke_role& b) {
        return a.database == b.database && a.user == b.user;
    }
};
struct suspect_leader {
    suspect_message suspicion;
    friend bool operator==(const suspect_leader& a, const suspect_leader& b) {
        return a.suspicion == b.suspicion;
    }
};
struct shard_checkpoint {
    database_id database;
    block_height height;
    digest head_hash;
    digest state_digest;
    std::vector<billing_line> billing;
    std::vector<signer_signature> signatures;  // members over checkpoint_signing_bytes()

    bytes checkpoint_signing_bytes() const;
    friend bool operator==(const shard_checkpoint& a, const shard_checkpoint& b);
};
struct conflicting_votes {
    vote first, second;
    friend bool operator==(const conflicting_votes& a, const conflicting_votes& b) {
        return a.first == b.first && a.second == b.second;
    }
};
struct conflicting_proposals {
    proposal first, second;
    friend bool operator==(const conflicting_proposals& a, const conflicting_proposals& b) {
        return a.first == b.first && a.second == b.second;
    }
};
struct conflicting_executions {
    execution_message first, second;
    friend bool operator==(const conflicting_executions& a, const conflicting_executions& b) {
        return a.first == b.first && a.second == b.second;
    }
};
struct evidence {
    std::variant<conflicting_votes, conflicting_proposals, conflicting_executions> proof;
    /// Puts the pair in the order the codec requires (by batch hash; executions by results
    /// root and state digest), so one offence has one encoding.
    void canonicalize();
    friend bool operator==(const evidence& a, const evidence& b) { return a.proof == b.proof; }
};
}  // namespace tx

struct transaction {
    public_key sender;
    account_nonce nonce;
    std::uint64_t fee = 0;
    std::variant<tx::transfer, tx::stake, tx::unstake, tx::vote_producers, tx::register_miner,
                 tx::miner_exit, tx::create_database, tx::drop_database, tx::grant_role,
                 tx::revoke_role, tx::suspect_leader, tx::shard_checkpoint, tx::evidence>
        body;
    signature sender_signature;

    bytes signing_bytes() const;
    digest hash() const;
    void sign(const crypto::key_pair& sender_key);
    bool signature_valid() const;
    friend bool operator==(const transaction& a, const transaction& b);
};

struct main_block_header {
    block_height height;
    digest parent;
    epoch_number epoch;
    view_number round;
    public_key proposer;
    std::int64_t timestamp_ms = 0;
    digest transactions_root;
    std::uint32_t transaction_count = 0;
    digest state_root;

    digest hash() const;
    friend bool operator==(const main_block_header& a, const main_block_header& b);
};

/// What a block producer's prevote or precommit signs (domain main/prevote or
/// main/precommit): the height, the round and the block hash, or nil (no block).
bytes producer_vote_signing_bytes(block_height height, view_number round,
                                  const std::optional<digest>& block_hash);

struct main_block {
    main_block_header header;
    signature proposer_signature;  // over header.hash(), domain main/block-proposal
    std::vector<transaction> transactions;
    /// The finality certificate: precommits (domain main/precommit) for this block in ONE
    /// round, finality_round, sorted by signer. Empty, with finality_round 0, while the
    /// block is only proposed. Precommits of different rounds never combine: the round is
    /// signed (finality_signing_bytes()).
    view_number finality_round;
    std::vector<signer_signature> finality;

    /// Sets transactions_root and transaction_count from the transactions.
    void seal_header();
    void sign_proposal(const crypto::key_pair& proposer_key);
    /// producer_vote_signing_bytes(height, finality_round, hash()): what each finality
    /// signature signs.
    bytes finality_signing_bytes() const;
    /// Adds `producer_key`'s precommit for this block in finality_round.
    void add_finality_vote(const crypto::key_pair& producer_key);
    digest hash() const { return header.hash(); }
    friend bool operator==(const main_block& a, const main_block& b) {
        return a.header == b.header && a.proposer_signature == b.proposer_signature &&
               a.transactions == b.transactions && a.finality_round == b.finality_round &&
               a.finality == b.finality;
    }
};

}  // namespace covenant::protocols
