// Auditing one database's shard chains from outside (`cql verify`, DESIGN.md section 4
// "Shard chain"): whoever holds the database's group history and the checkpoints the main
// chain recorded can check every member's stored chain without trusting the members or
// whoever relays their blocks.
//
//  - Each member's chain from height 1, block by block, with verify_next_shard_block against
//    the group history (links, headers, commit certificates, block signatures).
//  - Members against each other: two valid blocks at one height are a fork.
//  - A member that says its head is at height h but does not serve a block below h has a
//    missing block (damaged on its disk, or withheld); one that does not answer at all is
//    unreachable.
//  - Every recorded checkpoint against the blocks at its height: the same head hash and state
//    digest, and checkpoint signatures (domain shard/checkpoint) from a quorum of the group
//    that signed that block. A checkpoint no verified chain reaches is a fault too.
//
// Pure: the caller fetches blocks (in pages, in any interleaving of members) and feeds them
// in; nothing here does I/O. Every fault names its kind, member, shard height and, for a
// checkpoint, the main-chain height that recorded it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/group_history.hpp"
#include "protocols/main_chain_messages.hpp"
#include "protocols/shard_chain.hpp"

namespace covenant::protocols {

/// A shard_checkpoint transaction as the main chain holds it.
struct recorded_checkpoint {
    block_height main_height;  // the final main-chain block that holds it
    digest transaction;        // the transaction's hash
    tx::shard_checkpoint checkpoint;
};

/// The checkpoints of `database` in one main-chain block, in block order.
std::vector<recorded_checkpoint> checkpoints_in(const main_block& block,
                                                const database_id& database);

enum class audit_fault_kind {
    shard_block,            // a block that does not verify (verify_next_shard_block's reason)
    fork,                   // a valid block at a height where another member holds another one
    missing_block,          // not served although below the member's own head
    unreachable,            // the member gave no answer
    checkpoint_mismatch,    // the block at a checkpoint's height has another hash or state
    checkpoint_signatures,  // a checkpoint without a quorum of valid checkpoint signatures
    checkpoint_unreached,   // no verified chain reaches a checkpoint's height
};

/// "shard_block", "fork", "missing_block", ... (the JSON spelling).
std::string_view audit_fault_name(audit_fault_kind kind);

struct audit_fault {
    audit_fault_kind kind = audit_fault_kind::shard_block;
    std::optional<public_key> member;         // whose chain; none for a checkpoint's own fault
    block_height height;                      // shard-chain height
    std::optional<block_height> main_height;  // a checkpoint's main-chain height
    std::string reason;
};

struct member_audit {
    public_key member;
    shard_chain_head verified;                 // the last block that verified (height 0: none)
    std::optional<block_height> claimed_head;  // the member's own head height, as last served
    std::optional<audit_fault> fault;          // the first, after which the member is done
    bool finished = false;                     // served its whole chain, or faulted
};

struct checkpoint_audit {
    recorded_checkpoint recorded;
    std::vector<public_key> matched_by;  // members whose verified block there matches it
    bool signatures_verified = false;
    std::optional<audit_fault> fault;
};

class shard_chain_audit {
  public:
    /// Audits `members` (distinct; asserted) of `database` against `groups`, with the
    /// checkpoints the main chain recorded (any order).
    shard_chain_audit(database_id database, group_history groups, std::vector<public_key> members,
                      std::vector<recorded_checkpoint> checkpoints);

    /// The height to ask `member` for next; nullopt once it is finished (or not audited).
    std::optional<block_height> next_height(const public_key& member) const;

    /// What `member` served from next_height(member): its consecutive stored blocks (none:
    /// it has no block there) and its head height. Each block is verified in order; the
    /// first that fails ends the member's audit with that fault. No blocks although its head
    /// is at or above the height asked is a missing block; none with the head below it
    /// means the member's whole chain is verified. (A caller that asked for several blocks
    /// and got none should ask for one block alone first: one damaged block spoils a range.)
    void on_blocks(const public_key& member, const std::vector<shard_block>& blocks,
                   block_height claimed_head);

    /// `member`'s block at next_height(member) exists but cannot be read as a block (its bytes
    /// were altered in the member's store, read here directly): a shard_block fault there.
    void on_unreadable(const public_key& member, const std::string& why);

    /// `member` did not answer (after the caller's own retries): its audit ends there.
    void on_unreachable(const public_key& member, const std::string& why);

    /// Ends the audit: every member not finished is unreachable, and every checkpoint no
    /// verified chain reached is a fault. Call once, after the last block.
    void finish();

    const std::vector<member_audit>& members() const { return members_; }
    const std::vector<checkpoint_audit>& checkpoints() const { return checkpoints_; }
    const database_id& database() const { return database_; }
    const group_history& groups() const { return groups_; }

    /// Every fault found, the lowest shard height first (a member's chain before a
    /// checkpoint at the same height).
    std::vector<audit_fault> faults() const;
    std::optional<audit_fault> first_fault() const;
    bool ok() const { return faults().empty(); }

  private:
    member_audit& member_state(const public_key& member);
    void verify_block(member_audit& m, const shard_block& block);
    void check_checkpoints(member_audit& m, const shard_block& block);
    void forget_passed_heights();

    database_id database_;
    group_history groups_;
    std::vector<member_audit> members_;
    std::vector<checkpoint_audit> checkpoints_;
    std::multimap<block_height, std::size_t> checkpoint_at_;  // shard height -> index
    /// The first verified block hash seen at each height, and whose, kept only while some
    /// member still has to pass that height (fork detection without keeping every chain).
    std::map<block_height, std::pair<digest, public_key>> seen_;
    bool finished_ = false;
};

}  // namespace covenant::protocols
