// The records the main-chain ledger keeps: the genesis it starts from, accounts, miners,
// databases and applied offences. Plain data in ordered containers, so the canonical
// serialization (state_root) and every "pick by order" rule are deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/ids.hpp"
#include "protocols/main_chain_messages.hpp"

namespace covenant::main_chain {

/// Rules of the chain fixed at genesis.
struct chain_parameters {
    std::uint64_t minimum_fee = 1;
    std::uint64_t unstake_delay = 100;     // blocks from unstake until the tokens are liquid
    std::uint64_t miner_exit_delay = 100;  // blocks from exit request until the deposit returns
    std::uint64_t minimum_miner_deposit = 1'000;
    unsigned node_id_difficulty = 8;  // leading zero bits of hash(miner key || pow nonce)
    /// DPoS: blocks per epoch. Epoch e covers heights e*epoch_length+1 .. (e+1)*epoch_length;
    /// the producer set is elected at the start of each epoch after the first.
    std::uint64_t epoch_length = 100;
    /// How many of the top candidates by delegated stake form an epoch's producer set.
    std::uint32_t producers_max = 21;
    /// An election that yields fewer producers than this keeps the previous set: a chain
    /// never shrinks below the fault tolerance it started with because few have staked.
    std::uint32_t producers_min = 4;
};

/// The chain's first state: who owns the tokens, who produces the first blocks.
struct genesis {
    std::map<account_address, std::uint64_t> allocations;
    std::vector<public_key> initial_producers;
    chain_parameters parameters;
};

struct account_record {
    std::uint64_t balance = 0;
    account_nonce next_nonce{1};  // nonces start at 1 (the codec refuses 0)
    std::uint64_t staked = 0;
    /// Release height -> amount that becomes liquid at that height.
    std::map<std::uint64_t, std::uint64_t> unstaking;
    /// Producer candidates this account's stake backs (sorted, distinct).
    std::vector<account_address> votes;
    /// The account's public key, known once it has sent a transaction (an address is a
    /// hash of the key): an elected producer is named by its key.
    std::optional<public_key> key;

    std::uint64_t unstaking_total() const {
        std::uint64_t sum = 0;
        for (const auto& [height, amount] : unstaking) sum += amount;
        return sum;
    }
};

struct miner_record {
    public_key key;
    std::uint64_t node_id_nonce = 0;
    std::uint64_t deposit = 0;
    std::uint32_t capacity = 0;  // how many databases it will serve at once
    std::uint32_t serving = 0;   // how many it serves now
    std::uint64_t price_per_statement = 0;
    std::string endpoint;
    std::optional<block_height> exit_requested;
    bool slashed = false;
};

struct database_record {
    database_id id;
    account_address owner;
    /// Current members in their agreed order (leader = members[view mod n]).
    std::vector<public_key> members;
    /// Everyone who was ever a member (evidence may name a replaced member).
    std::set<public_key> past_members;
    /// Members that should be replaced but no eligible miner was free at the time.
    std::set<public_key> awaiting_replacement;
    view_number view;
    protocols::consistency_mode mode = protocols::consistency_mode::strong;
    std::map<account_address, protocols::role> roles;
    std::uint64_t advance_payment = 0;
    bool out_of_funds = false;
    /// View -> members that suspect that view's leader (only the current view is kept).
    std::map<std::uint64_t, std::set<public_key>> suspicions;
    std::optional<block_height> checkpoint_height;
    digest checkpoint_head;
    digest checkpoint_state;
    std::uint64_t membership_changes = 0;  // members replaced since creation
    /// Every group the database had, by the first view it held for: {0: the creation's
    /// members}, and each replacement moves the database to a new view with its new
    /// members. Replicas check a certificate against the group of its view.
    std::map<std::uint64_t, std::vector<public_key>> membership;
};

/// What an offence is, so that the same misbehaviour is slashed at most once.
enum class offence_kind : std::uint8_t { prepare_vote, commit_vote, proposal, execution };

struct offence {
    public_key member;
    database_id database;
    view_number view;
    sequence_number seq;
    offence_kind kind = offence_kind::proposal;

    friend bool operator<(const offence& a, const offence& b) {
        return std::tie(a.member, a.database, a.view, a.seq, a.kind) <
               std::tie(b.member, b.database, b.view, b.seq, b.kind);
    }
};

}  // namespace covenant::main_chain
