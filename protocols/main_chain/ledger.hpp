// The main chain's ledger: a pure, deterministic state machine over accounts, stakes,
// miners and databases (DESIGN.md section 6, issue 4). No I/O, no clock, no randomness:
// the block height is passed in. A transaction is either applied whole or refused with a
// reason and changes nothing. Every token is accounted for: total_tokens() stays equal to
// the genesis allocation through every transaction (fees go to a fee pool, slashed
// deposits are burned and counted as burned).
//
// Block application is: begin_block(height) (matured releases, and at the first height of
// an epoch the election of its producer set), then apply(tx, height) for each transaction
// in order, then state_root() into the header.
//
// DPoS: an account that has staked is a producer candidate; its weight is the stake of the
// accounts voting for it. At the first height of epoch e > 0 the set becomes the top
// producers_max candidates of weight > 0, by weight then address (that order is also the
// proposer rotation), unless fewer than producers_min qualify: then the set carries over.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/result.hpp"
#include "protocols/main_chain/ledger_errors.hpp"
#include "protocols/main_chain/ledger_state.hpp"
#include "protocols/main_chain_messages.hpp"

namespace covenant::main_chain {

/// What an applied transaction did, beyond the state itself.
struct apply_outcome {
    /// create_database: the new database's id.
    std::optional<database_id> created_database;
    /// suspect_leader: f+1 members suspected the current view, so the chain moved the
    /// database (view_change_database) to this view.
    std::optional<view_number> view_change;
    std::optional<database_id> view_change_database;
    /// evidence: the deposit burned.
    std::uint64_t slashed_amount = 0;
};

class ledger {
  public:
    /// The state genesis describes; refuses allocations whose sum overflows 64 bits.
    static result<ledger> from_genesis(const genesis& g);

    /// Validates `tx` against the state and applies it, or refuses it with a reason and
    /// changes nothing.
    result<apply_outcome> apply(const protocols::transaction& tx, block_height height);

    /// Makes liquid every unstaked amount whose release height is <= `height`, and returns
    /// the deposits of exited miners whose delay has passed (the miner record goes away).
    void release_matured(block_height height);

    /// What happens at the start of block `height`, before its transactions:
    /// release_matured(height) and, at the first height of an epoch, the election.
    void begin_block(block_height height);

    /// The epoch that block `height` belongs to (height 0, genesis, is in epoch 0).
    epoch_number epoch_of(block_height height) const;
    /// The current epoch (of the last block begun) and its producer set, in proposer order.
    epoch_number epoch() const { return epoch_; }
    const std::vector<public_key>& producers() const { return producers_; }
    /// The set that proposes and signs block `height`, the block after the last one begun:
    /// this epoch's, or at an epoch's first height the one begin_block(height) will elect.
    std::vector<public_key> producers_for(block_height height) const;

    // ---- queries (for producers, miners and tests) ----------------------------------
    const chain_parameters& parameters() const { return parameters_; }
    const std::vector<public_key>& initial_producers() const { return initial_producers_; }
    const account_record* account(const account_address& a) const;
    std::uint64_t balance_of(const account_address& a) const;
    account_nonce next_nonce(const account_address& a) const;
    const miner_record* miner(const public_key& key) const;
    const database_record* database(const database_id& id) const;
    /// Current members in order, or nullptr for an unknown database.
    const std::vector<public_key>* members(const database_id& id) const;
    std::optional<view_number> view(const database_id& id) const;
    std::optional<protocols::role> role_of(const database_id& id,
                                           const account_address& user) const;
    /// The database's remaining advance payment.
    std::optional<std::uint64_t> funding(const database_id& id) const;
    /// Accounts that have staked, with the stake delegated to them by votes.
    std::map<account_address, std::uint64_t> producer_candidates() const;
    /// The set an election would pick now (empty if fewer than producers_min qualify).
    std::vector<public_key> elect_producers() const;
    const std::map<account_address, account_record>& accounts() const { return accounts_; }
    const std::map<public_key, miner_record>& miners() const { return miners_; }
    const std::map<database_id, database_record>& databases() const { return databases_; }
    std::uint64_t fee_pool() const { return fee_pool_; }
    std::uint64_t burned() const { return burned_; }

    /// Sum of balances, stakes, unstaking amounts, miner deposits, database advance
    /// payments, the fee pool and burned tokens. Constant from genesis on.
    std::uint64_t total_tokens() const;

    /// Hash of the canonical serialization of the whole state: equal for two ledgers that
    /// applied the same transactions, different as soon as they differ.
    digest state_root() const;

    /// hash(len-prefixed "covenant/v1/database-id" || owner || nonce): the database
    /// that `owner` creates with its transaction of nonce `nonce`.
    static database_id database_id_for(const account_address& owner, account_nonce nonce);

  private:
    struct context {
        const protocols::transaction& tx;
        account_address sender;
        block_height height;
    };
    using outcome = result<apply_outcome>;

    // Each rule checks everything first and mutates only once nothing can fail. It has
    // already been checked that the sender can pay the fee; a rule that moves more from
    // the balance checks amount + fee. apply() charges the fee and bumps the nonce after.
    outcome apply_rule(const context& c, const protocols::tx::transfer& t);
    outcome apply_rule(const context& c, const protocols::tx::stake& t);
    outcome apply_rule(const context& c, const protocols::tx::unstake& t);
    outcome apply_rule(const context& c, const protocols::tx::vote_producers& t);
    outcome apply_rule(const context& c, const protocols::tx::register_miner& t);
    outcome apply_rule(const context& c, const protocols::tx::miner_exit& t);
    outcome apply_rule(const context& c, const protocols::tx::create_database& t);
    outcome apply_rule(const context& c, const protocols::tx::drop_database& t);
    outcome apply_rule(const context& c, const protocols::tx::grant_role& t);
    outcome apply_rule(const context& c, const protocols::tx::revoke_role& t);
    outcome apply_rule(const context& c, const protocols::tx::suspect_leader& t);
    outcome apply_rule(const context& c, const protocols::tx::shard_checkpoint& t);
    outcome apply_rule(const context& c, const protocols::tx::evidence& t);

    /// Null if the sender's balance covers fee + amount, else the refusal.
    std::optional<error> check_spend(const context& c, std::uint64_t amount) const;
    account_record& account_for_update(const account_address& a) { return accounts_[a]; }

    /// Miners that may take on a database now, best first: registered, not exiting, not
    /// slashed, deposit at least the minimum, free capacity; by price, then by address.
    std::vector<public_key> eligible_miners(const database_record* excluding_members_of) const;
    /// Takes `member` out of every database it serves, putting in its place the best
    /// eligible miner not yet a member; if none, the member stays, awaiting replacement.
    /// A replacement moves the database to the next view, which the new group holds from:
    /// certificates of earlier views stay checkable against the group that signed them.
    void replace_everywhere(const public_key& member);

    chain_parameters parameters_;
    std::vector<public_key> initial_producers_;
    std::map<account_address, account_record> accounts_;
    std::map<public_key, miner_record> miners_;
    std::map<database_id, database_record> databases_;
    std::set<offence> applied_offences_;
    std::vector<public_key> producers_;  // the current epoch's producer set
    epoch_number epoch_;
    std::uint64_t fee_pool_ = 0;
    std::uint64_t burned_ = 0;
};

}  // namespace covenant::main_chain
