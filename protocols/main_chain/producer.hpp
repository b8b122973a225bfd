// The block producers' consensus on the main chain, as a pure state machine (DESIGN.md
// section 6, issue 4). A producer takes one input at a time (a transaction, a peer's
// proposal, prevote, precommit or final block, a clock tick) with the time, and returns what
// to do: messages for all the other producers, blocks that became final, evidence of
// equivocation, and what it signed that must be durable before it is sent. It reads no
// clock, no randomness and no storage: the caller persists the final blocks and the records
// it outputs.
//
// The protocol is Tendermint's (Buchman, Kwon, Milosevic 2018, "The latest gossip on BFT
// consensus", Algorithm 1), with n producers, f = (n-1)/3 and quorum q (q = 2f+1 for
// n = 3f+1; see protocols/group.hpp). Per height h (the next block) and round r (from 0):
//  - The producer set of height h is the ledger's (ledger::producers_for(h)): the genesis
//    producers in epoch 0, then each epoch's elected set (DPoS, see ledger.hpp). A producer
//    outside the current set follows final blocks like any node and neither proposes nor
//    votes; the set is re-read after every final block, so it changes exactly at an epoch's
//    first height.
//  - proposer(h, r) = producers[(h + r) mod n]. At the start of round r it sends a
//    block_proposal for (h, r), signed (main_round_proposal): if it holds a valid block
//    (below) it proposes that block again, unchanged, with valid_round = the round of the
//    block's polka, and re-sends the q prevotes of that polka with it, so that every producer
//    can check the polka; otherwise it builds a block from its mempool -- header {h, parent =
//    hash of final block h-1 (zero for h = 1), epoch of h, round r, proposer, now, transactions
//    root and count, state root after begin_block(h) and the transactions on a copy of
//    the ledger}, signed by it (main_block_proposal). Round 0 is proposed no earlier than
//    block_interval_ms after the previous final block; later rounds at once.
//  - A block is valid when: right proposer for (h, header.round), valid header signature,
//    the epoch of h, parent, timestamp not before the parent's, consistent transactions root and
//    count, every transaction applies in order to a copy of the final ledger, state root
//    matches. A proposal is taken only from proposer(h, r), and only the first one per round
//    counts.
//  - Steps of round r: propose -> prevote -> precommit. Votes are signed over (h, r, block
//    hash or nil), prevotes in domain main_prevote, precommits in main_precommit.
//      propose: on the proposal of (h, r) with no valid_round, prevote its block if it is
//        valid and this producer is not locked or is locked on that block, else nil. With
//        valid_round vr < r: once q prevotes for the block in round vr are known, prevote it
//        if it is valid and the lock is at a round <= vr or on that block, else nil. No
//        proposal within propose_timeout(r) (round 0: plus block_interval_ms): prevote nil.
//      prevote: q prevotes of round r for a valid block B (a polka): lock on B at r, set the
//        valid block to B at r, precommit B. q prevotes for nil: precommit nil. q prevotes
//        of any kind and prevote_timeout(r) passes: precommit nil. (A polka seen later in
//        round r still updates the valid block.)
//      any step: q precommits of round r of any kind and precommit_timeout(r) passes:
//        round r + 1.
//  - Finality: q precommits for one block hash IN ONE ROUND r (any round of h) -> the block
//    is final. It is applied to the ledger and output with those precommits as its finality
//    signatures and r as its finality_round (both signed: a precommit is the finality
//    signature), sent to all (so laggards adopt it), and the producer moves to h + 1,
//    round 0, unlocked. Any producer takes a block with q valid same-round precommits that
//    validates against its ledger as final. Precommits of different rounds never combine.
//  - Votes are counted per target: q votes means q distinct producers that signed that
//    target. A producer that signs two targets in one slot (equivocation) counts for each
//    (as in the paper); quorums still share an honest producer, and nobody can hide a
//    polka that some producer relies on from the others by showing them another vote first.
//  - Safety: an honest producer prevotes and precommits at most once per (h, r), and after
//    precommitting B at round r it prevotes only B, or a block with a polka in a round
//    above its lock; so once q precommit B in round r, no other block gets a polka, hence
//    q precommits, in a later round. Two different blocks are never both final.
//  - Liveness: a producer that sees messages of f+1 distinct producers for a round above its
//    own moves to that round (so a producer that fell behind in rounds catches up). Links
//    may lose messages, so: while a round does not decide, each producer re-sends its own
//    messages of it every resend_interval_ms; a message of an earlier round of the height is
//    answered (at most once per resend interval) with the precommits this producer holds of
//    the round before its own and the votes it holds of its own round, enough for the
//    sender to time out of its round or to catch up; a message for a height this producer
//    finalized resend_interval_ms ago or more is answered with that final block (one of the
//    last few), so that a producer that lost the final messages catches up. A proposer that
//    equivocates gives different blocks to different producers: no polka forms, the round
//    ends with nil precommits and the next proposer's round decides. A producer that sees a
//    vote of round r for another block than the proposal it holds for r re-sends that
//    proposal once, so that the others learn both blocks: that is where evidence of a
//    double proposal comes from.
//  - Evidence: two different headers for one (h, header round) with their proposer's header
//    signature (proposal); two votes of one producer for one (h, r, kind) with different
//    targets (vote) -- also found between a stored precommit and a final block's
//    certificate.
//  - Bounded memory: messages for the next few heights are kept and replayed once this
//    producer gets there; messages for rounds far above the current one are refused; each
//    proposal round gets at most two new blocks validated; beyond its first vote in a slot,
//    a producer's votes for blocks not seen here are kept two at most. Messages under this
//    producer's own key are ignored (it knows its own; after a restart, from its records).
//  - Restart: an honest producer must not sign two different messages for one slot, even
//    across a crash (that would be equivocation, spend the f-fault budget and earn it
//    evidence). So every output says, in to_persist, what it signed or learned that must
//    survive: each new prevote, precommit and proposal of this producer, and each polka it
//    took (the block that became its valid block, with the q prevotes that justify it). The
//    caller makes these durable BEFORE it sends any message of that output, keeps those of
//    the height being decided, and hands them back to restore() when it restarts at that
//    height. The restarted producer resumes in the highest round it has records of, at the
//    step its votes there say, with its lock and valid block; for a slot it has a vote for it
//    sends that vote again and never signs another, and in a round it proposed in it re-sends
//    that proposal. (A record that never reached the disk was never sent: forgetting it is
//    safe.) The lock is no record of its own: it is the highest-round precommit for a block
//    among this producer's own votes -- see restore() for why that is enough, block known
//    or not.
//
// Not here: a producer more than a few heights behind needs the final blocks from storage
// (the caller's catch-up).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
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
    /// Round 0 is proposed no earlier than this after the previous final block.
    std::int64_t block_interval_ms = 1000;
    /// Round r's timeouts are base + r * timeout_step_ms (they grow with the round, so that
    /// a round eventually lasts long enough whatever the delays).
    std::int64_t propose_timeout_ms = 3000;    // waiting for round r's proposal
    std::int64_t prevote_timeout_ms = 1000;    // q prevotes of round r seen, no polka
    std::int64_t precommit_timeout_ms = 1000;  // q precommits of round r seen, no decision
    std::int64_t timeout_step_ms = 500;
    /// A round that has not decided re-sends this producer's own messages of it this often.
    std::int64_t resend_interval_ms = 2000;
    std::size_t transactions_per_block_max = 1024;
    std::size_t mempool_max = 65536;  // transactions held waiting for a block

    std::int64_t propose_timeout(view_number round) const;
    std::int64_t prevote_timeout(view_number round) const;
    std::int64_t precommit_timeout(view_number round) const;
};

/// A message for all the other producers: a round proposal, a prevote or precommit, a final
/// block (a main_block always carries its finality certificate here), or a transaction
/// (mempool gossip).
struct producer_message {
    std::variant<block_proposal, protocols::main_block, block_vote, protocols::transaction> body;
};

/// A polka this producer took at its height: q prevotes of `round` for `block`. The latest
/// one is its valid block (Tendermint's validValue and validRound), which it proposes again
/// in its turn, with `prevotes` to justify it.
struct producer_polka {
    view_number round;
    protocols::main_block block;       // as proposed: no finality signatures
    std::vector<block_vote> prevotes;  // at least q, of distinct producers, for block
    friend bool operator==(const producer_polka& a, const producer_polka& b) {
        return a.round == b.round && a.block == b.block && a.prevotes == b.prevotes;
    }
};

/// What a producer must not forget at the height it is deciding (see "Restart" above): one
/// of its own prevotes or precommits, one of its own proposals, or a polka it took. At most
/// one record per (height, round, kind).
struct producer_record {
    enum class kind : std::uint8_t { prevote = 0, precommit = 1, proposal = 2, polka = 3 };
    std::variant<block_vote, block_proposal, producer_polka> body;

    kind what() const;
    block_height height() const;
    view_number round() const;  // the vote's, the proposal's, the polka's
    friend bool operator==(const producer_record& a, const producer_record& b) {
        return a.body == b.body;
    }
};

struct producer_output {
    /// To make durable, in one write, before any of `messages` is sent (records of a height
    /// finalized in this same output may be dropped instead: that height is over).
    std::vector<producer_record> to_persist;
    std::vector<producer_message> messages;
    std::vector<protocols::main_block> finalized;  // in height order, with finality signatures
    /// finalized_by[i] is the producer set whose quorum finalized finalized[i] (what a
    /// store checks the finality signatures against).
    std::vector<std::vector<public_key>> finalized_by;
    std::vector<producer_evidence> evidence;
    void append(producer_output&& other);
};

struct producer_stats {
    std::uint64_t blocks_proposed = 0;    // new blocks built and proposed
    std::uint64_t blocks_reproposed = 0;  // valid blocks proposed again in a later round
    std::uint64_t blocks_finalized = 0;
    std::uint64_t round_changes = 0;      // rounds above 0 entered
    std::uint64_t messages_resent = 0;    // own messages re-sent, final blocks for laggards
    std::uint64_t transactions_refused = 0;
    std::uint64_t messages_refused = 0;
    std::uint64_t records_restored = 0;  // records taken back by restore()
    /// Times a rule asked for a vote in a slot this producer had signed already (only
    /// possible after a restart): the signed vote was sent again instead.
    std::uint64_t votes_repeated = 0;
    std::string last_refusal;
};

class producer {
public:
    /// `final_state` is the ledger after the final block `final_height` (0 = genesis, whose
    /// hash is taken as zero) with hash `final_hash` and timestamp `final_time_ms`.
    producer(crypto::key_pair key, producer_config config, ledger final_state,
             block_height final_height = block_height{0}, digest final_hash = {},
             std::int64_t final_time_ms = 0);

    /// At a restart, before start(): the records this producer output for height() before it
    /// stopped (every one the caller made durable, in any order). Afterwards it never signs
    /// another vote for a slot it has a vote for, proposes again what it proposed, and holds
    /// its lock and valid block. Returns why the records cannot be this producer's at
    /// height() (another height, another signer, a bad signature, two different votes or
    /// proposals for one slot, a block that does not validate, a polka short of a quorum),
    /// taking none of them; nullopt once taken.
    std::optional<std::string> restore(const std::vector<producer_record>& records);

    /// Starts the height: round 0, or after restore() the highest round of the records,
    /// whose own messages it sends again. Call once.
    producer_output start(std::int64_t now_ms);

    /// A transaction for the mempool: kept if its signature is valid, its nonce is not
    /// below the sender's next nonce and the mempool has room. From a client (not
    /// `from_peer`) it is also sent to the other producers.
    producer_output on_transaction(const protocols::transaction& tx, std::int64_t now_ms,
                                   bool from_peer = false);
    producer_output on_proposal(const block_proposal& proposal, std::int64_t now_ms);
    producer_output on_vote(const block_vote& vote, std::int64_t now_ms);
    /// A final block: q finality signatures (precommits of its finality round) from the
    /// producer set. Taken as final at this producer's height if it validates.
    producer_output on_block(const protocols::main_block& block, std::int64_t now_ms);
    producer_output on_tick(std::int64_t now_ms);
    /// Dispatches any producer_message.
    producer_output on_message(const producer_message& message, std::int64_t now_ms);

    block_height height() const { return height_; }  // the block being decided
    view_number round() const { return round_; }
    /// The round of this producer's lock at height(), if it is locked.
    std::optional<view_number> locked_round() const;
    const ledger& state() const { return ledger_; }
    const digest& final_hash() const { return final_hash_; }
    const public_key& identity() const { return key_.public_key(); }
    const public_key& proposer_of(block_height h, view_number r) const;
    std::size_t mempool_size() const;
    const producer_stats& stats() const { return stats_; }

private:
    enum class step { propose, prevote, precommit };
    struct candidate {
        protocols::main_block block;  // validated, without finality signatures
        ledger after;                 // the state after it
    };
    // The votes of one kind in one round: every target each producer voted for, its first
    // vote first. An equivocating producer's votes all count, each for its own target (as
    // in the paper: "q messages from distinct producers"): quorums still need an honest
    // producer in common, and a polka that some producer relies on cannot be hidden from
    // the others by sending them another vote first.
    struct vote_book {
        std::map<public_key, std::vector<block_vote>> by_signer;
        std::size_t signers() const { return by_signer.size(); }
        std::size_t for_target(const std::optional<digest>& target) const;
        const block_vote* find(const public_key& signer,
                               const std::optional<digest>& target) const;
        std::vector<std::optional<digest>> targets() const;
    };
    struct round_state {
        std::optional<block_proposal> proposal;  // the first one from proposer(h, r)
        std::size_t blocks_checked = 0;          // new blocks of its proposals validated
        vote_book prevotes, precommits;
        bool relayed = false;  // the proposal was re-sent (a vote for another block seen)
    };
    struct slot {  // a block hash and the round it is locked / valid at
        digest hash;
        view_number round;
    };
    struct recent_final {
        protocols::main_block block;
        std::int64_t decided_ms = 0;
        std::int64_t resent_ms = 0;
    };

    void refuse(const std::string& why);
    std::optional<std::string> validate(const protocols::main_block& block,
                                        ledger& after) const;
    const candidate* known(const digest& hash) const;
    std::optional<std::string> check_new_block(const protocols::main_block& block,
                                               producer_output& out);
    void note_header(const protocols::main_block& block, producer_output& out);
    void report_votes(const block_vote& first, const block_vote& second, producer_output& out);
    bool round_in_reach(view_number r) const;

    void advance(std::int64_t now_ms, producer_output& out);
    bool decide(std::int64_t now_ms, producer_output& out);
    bool skip_round(std::int64_t now_ms);
    bool round_rules(std::int64_t now_ms, producer_output& out);
    bool maybe_propose(std::int64_t now_ms, producer_output& out);
    bool polka(view_number r, const digest& hash) const;
    void send_polka(view_number r, const digest& hash, producer_output& out) const;
    std::vector<block_vote> polka_votes(view_number r, const digest& hash) const;
    const block_vote* own_vote(view_number r, block_vote::kind what) const;
    const block_vote* cast(block_vote::kind what, std::optional<digest> target,
                           producer_output& out);
    void finalize(const digest& hash, view_number round,
                  std::vector<protocols::signer_signature> finality, bool announce,
                  std::int64_t now_ms, producer_output& out);
    void enter_round(view_number r, std::int64_t now_ms);
    void resend_round(producer_output& out);
    void answer_laggard(block_height h, std::int64_t now_ms, producer_output& out);
    void answer_round_laggard(view_number r, std::int64_t now_ms, producer_output& out);

    bool defer_if_future(block_height h, producer_message m);
    void replay_future(std::int64_t now_ms, producer_output& out);
    std::vector<protocols::transaction> pick_transactions(ledger& scratch);
    void prune_mempool();

    crypto::key_pair key_;
    producer_config config_;
    protocols::group group_;  // the set of height_: ledger_.producers_for(height_), re-read
                              // at construction and after every final block
    ledger ledger_;
    block_height final_height_;
    digest final_hash_;
    std::int64_t final_time_ms_;

    // Where this producer is: Tendermint's h_p, round_p, step_p and its timers.
    block_height height_;
    view_number round_;
    step step_ = step::propose;
    std::int64_t round_started_ms_ = 0;
    std::int64_t propose_deadline_ms_ = 0;
    std::optional<std::int64_t> prevote_deadline_ms_, precommit_deadline_ms_;
    bool proposed_this_round_ = false;
    bool polka_taken_this_round_ = false;  // the rule "q prevotes for B in round_" has fired
    std::int64_t last_resend_ms_ = 0;
    std::int64_t last_round_answer_ms_ = 0;
    bool started_ = false;
    std::optional<view_number> restored_round_;  // set by restore(): start() resumes there

    // Per height (cleared on moving to the next):
    std::optional<slot> locked_, valid_;
    std::map<std::uint64_t, round_state> rounds_;
    std::map<digest, candidate> candidates_;
    std::set<digest> invalid_;  // blocks that failed validation
    std::map<std::uint64_t, std::pair<protocols::main_block_header, signature>> headers_;  // by header round
    std::set<std::tuple<public_key, std::uint64_t, int>> reported_;  // (offender, round, what)

    // The last few final blocks, for producers that lost them.
    std::deque<recent_final> recent_finals_;
    // Messages for the next few heights, replayed once this producer gets there.
    std::map<std::uint64_t, std::vector<producer_message>> future_;
    std::size_t future_count_ = 0;
    std::map<public_key, std::map<std::uint64_t, protocols::transaction>> mempool_;
    std::size_t mempool_count_ = 0;
    producer_stats stats_;
};

}  // namespace covenant::main_chain
