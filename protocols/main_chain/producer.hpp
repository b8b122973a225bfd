// The block producers' consensus on the main chain, as a pure state machine (DESIGN.md
// section 6, issue 4). A producer takes one input at a time (a transaction, a peer's
// proposal, vote, round-change vote or final block, a clock tick) with the time, and returns
// what to do: messages for all the other producers, blocks that became final, evidence of
// equivocation. It reads no clock, no randomness and no storage: the caller persists the
// final blocks it outputs.
//
// Protocol, per height h (the next block) and round r (starting at 0 for each height):
//  - proposer(h, r) = producers[(h + r) mod n]. It proposes once per round: in round 0 no
//    earlier than block_interval_ms after the previous final block (empty blocks are fine),
//    in later rounds at once. If it is locked at h (below) it re-proposes its locked block
//    unchanged; otherwise it builds one from its mempool: header {h, parent = hash of final
//    block h-1 (zero for h = 1), epoch 0, round r, proposer, now, transactions root and
//    count, state root after release_matured(h) and the transactions on a copy of the
//    ledger}, signs it (main_block_proposal) and sends it to all.
//  - A producer validates a proposal: right proposer for (h, header.round), valid proposer
//    signature, epoch 0, parent, timestamp not before the parent's, consistent transactions
//    root and count, every transaction applies in order to a copy of its final ledger (a
//    block with a refused transaction is invalid), and the state root matches.
//  - Voting and the lock: a producer votes (signature over the block hash, domain
//    main_block_vote) for the first valid block it sees at height h and is then locked on
//    it: for the rest of height h it votes only for that block hash, whatever the round.
//    So an honest producer signs at most one block hash per height, and since any two
//    quorums share an honest producer, at most one block per height can gather q votes:
//    two different blocks are never both final, whatever the rounds and the timing.
//  - q votes (from distinct producers of the set) on a block hash make it final: the block
//    is applied to the ledger, output with its votes as finality signatures (sorted by
//    signer, as decode_main_block wants), sent to all (so that a producer locked on another
//    block, or lagging, adopts it: a block with q valid finality signatures is final at any
//    producer once it validates against that producer's ledger), and the producer moves to
//    h + 1, round 0.
//  - Round change: no final block at h for round_timeout_ms after entering round r ->
//    a signed round-change vote for (h, r + 1) to all (re-sent every round_timeout_ms while
//    stuck). A round-change vote for round r' counts for every round up to r'; q of them
//    for a round above the current one move a producer there (the round's timer restarts).
//    Rounds only choose who proposes; safety never depends on them.
//  - Evidence: two different headers for one (h, r), both signed by the proposer of that
//    slot (two proposals), or both with a producer's vote signature (two votes).
//
// Known limit (the one-vote-phase design): when a proposer equivocates and the honest
// producers end up locked on different blocks at one height without any block reaching q
// votes, that height stops making progress (safety holds). A second voting phase (lock only
// on q first-phase votes, Tendermint-style) would remove it; not done yet.
//
// Round-change votes are signed in their own domain, main_round_change, over
// round_change_signing_bytes(h, r). The messages themselves (block_vote, round_change_vote,
// producer_evidence) are declared in producer_messages.hpp, with their wire form.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "crypto/signing.hpp"
#include "protocols/group.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain/producer_messages.hpp"
#include "protocols/main_chain_messages.hpp"

namespace covenant::main_chain {

struct producer_config {
    std::vector<public_key> producers;  // this epoch's set, in order (decides proposers)
    std::int64_t block_interval_ms = 1000;
    std::int64_t round_timeout_ms = 4000;
    std::size_t transactions_per_block_max = 1024;
    std::size_t mempool_max = 65536;  // transactions held waiting for a block
};

/// A message for all the other producers. A main_block is a proposal when it carries no
/// finality signatures, a final block when it carries q; a transaction is mempool gossip.
struct producer_message {
    std::variant<protocols::main_block, block_vote, round_change_vote, protocols::transaction> body;
};

struct producer_output {
    std::vector<producer_message> messages;
    std::vector<protocols::main_block> finalized;  // in height order, with finality signatures
    std::vector<producer_evidence> evidence;
    void append(producer_output&& other);
};

struct producer_stats {
    std::uint64_t blocks_proposed = 0;
    std::uint64_t blocks_finalized = 0;
    std::uint64_t round_changes = 0;
    std::uint64_t transactions_refused = 0;
    std::uint64_t messages_refused = 0;
    std::string last_refusal;
};

class producer {
public:
    /// `final_state` is the ledger after the final block `final_height` (0 = genesis, whose
    /// hash is taken as zero) with hash `final_hash` and timestamp `final_time_ms`.
    producer(crypto::key_pair key, producer_config config, ledger final_state,
             block_height final_height = block_height{0}, digest final_hash = {},
             std::int64_t final_time_ms = 0);

    /// Starts the first round's timer; call once.
    producer_output start(std::int64_t now_ms);

    /// A transaction for the mempool: kept if its signature is valid, its nonce is not
    /// below the sender's next nonce and the mempool has room. From a client (not
    /// `from_peer`) it is also sent to the other producers.
    producer_output on_transaction(const protocols::transaction& tx, std::int64_t now_ms,
                                   bool from_peer = false);
    /// A proposal (no finality signatures) or a final block (q finality signatures).
    producer_output on_block(const protocols::main_block& block, std::int64_t now_ms);
    producer_output on_proposal(const protocols::main_block& block, std::int64_t now_ms) {
        return on_block(block, now_ms);
    }
    producer_output on_vote(const block_vote& vote, std::int64_t now_ms);
    producer_output on_round_change_vote(const round_change_vote& vote, std::int64_t now_ms);
    producer_output on_tick(std::int64_t now_ms);
    /// Dispatches any producer_message.
    producer_output on_message(const producer_message& message, std::int64_t now_ms);

    block_height height() const { return height_; }  // the block being decided
    view_number round() const { return round_; }
    const ledger& state() const { return ledger_; }
    const digest& final_hash() const { return final_hash_; }
    const public_key& identity() const { return key_.public_key(); }
    const public_key& proposer_of(block_height h, view_number r) const;
    std::size_t mempool_size() const;
    const producer_stats& stats() const { return stats_; }

private:
    struct candidate {
        protocols::main_block block;
        std::optional<ledger> after;  // the state after it, once validated
    };

    void refuse(const std::string& why);
    std::optional<std::string> validate(const protocols::main_block& block,
                                        ledger& after) const;
    candidate* known(const digest& hash);
    void remember_block(const protocols::main_block& block, producer_output& out);
    void vote_for(const digest& hash, producer_output& out);
    void check_vote_conflicts(producer_output& out);
    void try_finalize(std::int64_t now_ms, producer_output& out);
    void finalize(candidate& c, std::vector<protocols::signer_signature> finality,
                  std::int64_t now_ms, producer_output& out);
    void enter_round(view_number r, std::int64_t now_ms, producer_output& out);
    void maybe_propose(std::int64_t now_ms, producer_output& out);
    bool defer_if_future(block_height h, producer_message m);
    void replay_future(std::int64_t now_ms, producer_output& out);
    std::vector<protocols::transaction> pick_transactions(ledger& scratch);
    void prune_mempool();

    crypto::key_pair key_;
    producer_config config_;
    protocols::group group_;
    ledger ledger_;
    block_height final_height_;
    digest final_hash_;
    std::int64_t final_time_ms_;

    block_height height_;
    view_number round_;
    std::int64_t round_started_ms_ = 0;
    std::int64_t last_round_change_sent_ms_ = 0;
    bool round_change_sent_ = false;
    bool proposed_this_round_ = false;

    // Per height (cleared on moving to the next):
    std::map<digest, candidate> candidates_;
    std::optional<digest> locked_;  // the one block hash this producer votes for at height_
    std::map<digest, std::map<public_key, signature>> votes_;
    std::map<std::uint64_t, std::pair<protocols::main_block_header, signature>> proposals_by_round_;
    std::map<public_key, std::uint64_t> round_change_wanted_;  // signer -> highest round
    std::set<std::pair<public_key, std::uint64_t>> reported_;  // (offender, round) done

    // Messages for the next few heights, replayed once this producer gets there.
    std::map<std::uint64_t, std::vector<producer_message>> future_;
    std::size_t future_count_ = 0;
    std::map<public_key, std::map<std::uint64_t, protocols::transaction>> mempool_;
    std::size_t mempool_count_ = 0;
    producer_stats stats_;
};

}  // namespace covenant::main_chain
