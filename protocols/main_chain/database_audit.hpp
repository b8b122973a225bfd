// Re-verifying the main chain from genesis as an outsider (`cql verify`), and taking from it
// what auditing one database's shard chains needs (protocols/shard_chain_audit.hpp): the
// database's group history (its `membership` record) and the shard checkpoints recorded for
// it. Every block is checked as a follower checks it (chain_follower: link, finality of its
// epoch's producer set, transactions root, every transaction, state root), so neither the
// gateway that relays the blocks nor its store is trusted. Pure: blocks come in from the
// caller, in height order.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocols/main_chain/chain_follower.hpp"
#include "protocols/shard_chain_audit.hpp"

namespace covenant::main_chain {

struct main_chain_fault {
    block_height height;  // the first block that failed
    std::string reason;
};

class database_audit {
  public:
    /// Starts from the genesis state; an error value if the genesis itself is invalid.
    static result<database_audit> start(const genesis& g, const database_id& database);
    /// Starts from a state before block 1 that the caller built (tests).
    static database_audit from_state(ledger start, const database_id& database) {
        return database_audit(database, std::move(start));
    }

    /// The next final blocks, in height order (blocks at or below the head are skipped). False
    /// once a block is refused: fault() says which and why, and nothing after it is applied.
    bool on_blocks(const std::vector<protocols::main_block>& blocks);

    block_height height() const { return follower_->height(); }
    std::optional<digest> head_hash() const;
    const std::optional<main_chain_fault>& fault() const { return fault_; }
    /// The database's checkpoints on the verified chain, in chain order.
    const std::vector<protocols::recorded_checkpoint>& checkpoints() const { return checkpoints_; }
    /// The database's record as of the latest verified block that listed it; nullopt if no
    /// verified block ever did.
    const std::optional<database_record>& record() const { return record_; }
    /// Listed once, no longer (dropped).
    bool dropped() const { return record_.has_value() && !listed_now_; }
    const ledger& state() const { return follower_->state(); }

  private:
    database_audit(const database_id& database, ledger start);

    database_id database_;
    std::unique_ptr<chain_follower> follower_;  // a pointer: the audit moves, the follower is big
    std::optional<main_chain_fault> fault_;
    std::vector<protocols::recorded_checkpoint> checkpoints_;
    std::optional<database_record> record_;
    bool listed_now_ = false;
};

}  // namespace covenant::main_chain
