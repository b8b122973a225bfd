// Kayak: one database's Byzantine-fault-tolerant replication, as a pure state machine
// (DESIGN.md section 4). A replica takes one input at a time (a client request, a peer's
// message, a view-change decision from the main chain, a clock tick) and returns what to
// do: messages to send, client replies, suspicions for the block producers, evidence. It
// reads no clock and no randomness (time comes with every input) and touches storage only
// through the ports of ports.hpp, so the simulator runs exactly this code.
//
// Strong mode, per batch (seq):
//   leader: PREPARE(view, seq, batch) -> members check every request (signature,
//   permission, client sequence, determinism rules), persist, send a prepare vote ->
//   q votes make a prepare certificate; leader persists it and sends COMMIT(cert) ->
//   members persist the lock and send a commit vote -> q make the commit certificate,
//   sent to all. Committed batches execute in seq order everywhere; each member signs
//   (results root, state digest); the leader answers each client with its outcome, the
//   commit certificate, the outcome's Merkle path and f+1 matching execution signatures.
// Members vote for seq only once seq-1 is prepared or committed at them, so the prepared
// batches a NEW-VIEW carries always form a chain. A member locked on a prepare
// certificate votes for another batch at that seq only when the proposal carries a prepare
// certificate of a later view (the justification of a re-proposal).
// Leader change: a member with work outstanding and no progress for progress_timeout
// sends SUSPECT to the producers; the view change itself is decided outside (the main
// chain) and fed in by on_view_change; members then send NEW-VIEW with their prepared
// batches to the new leader, which re-proposes the highest certified chain first.
// Eventual mode: the same agreement, but the leader executes a batch and answers its
// clients as soon as it proposes it; followers execute once it commits and their
// execution signatures are compared with the leader's.
// Executions go to the leader, which answers clients and compares every member's results.
// A member with clients of its own waiting on a batch (writes sent to a follower, or a
// new leader's after a view change) asks the others for theirs (kayak_execution_wanted).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/signing.hpp"
#include "protocols/envelope.hpp"
#include "protocols/group_history.hpp"
#include "protocols/kayak/injected_bugs.hpp"
#include "protocols/kayak/ports.hpp"

namespace covenant::kayak {

struct replica_config {
    database_id database;
    /// The database's groups by view (from the main chain): the group of the current view
    /// votes; a certificate is checked against the group of its own view.
    protocols::group_history groups;
    protocols::consistency_mode mode = protocols::consistency_mode::strong;
    std::size_t batch_requests_max = 256;       // requests per batch
    std::size_t pipeline_depth = 4;             // batches proposed and not yet committed
    /// While a batch is in flight, the leader proposes the next only once it is full
    /// (batch_requests_max requests waiting, or a batch's bytes); with fewer, it waits for
    /// the batch in flight to commit. Off, the next goes out as soon as its predecessor is
    /// prepared. Every batch costs each member the same votes, certificates, log records
    /// and execution whatever it carries: where CPU paces the group (co-located miners) fewer, fuller batches go
    /// further (covenant-bench, 4 miners on 2 cores: 4,100 to 4,600 writes/s with batches of
    /// 48 overlapping, 5,350 to 5,480 with batches of 84 one at a time); where round trips
    /// pace it, a full batch waiting is what makes overlapping pay, and it still overlaps.
    /// Strong mode only: an eventual-mode leader has answered the batch in flight already.
    bool pipeline_only_full_batches = false;
    std::int64_t batch_delay_ms = 2;            // how long a lone request waits for company
    std::int64_t progress_timeout_ms = 4000;    // no progress this long: suspect the leader
    std::int64_t fetch_retry_ms = 500;          // catch-up request outstanding this long: ask again
    std::int64_t retransmit_ms = 200;           // leader: re-send PREPARE/COMMIT not yet answered
    std::int64_t retransmit_max_ms = 1600;      // ... the wait doubling each time, up to this
    std::size_t seal_every_batches = 64;        // a shard block every K batches ...
    std::int64_t seal_every_ms = 5000;          // ... or T milliseconds
    std::int64_t clock_skew_max_ms = 60000;     // how far ahead of ours a batch time may be
    std::size_t pending_requests_max = 65536;   // leader's queue of requests not yet proposed
    std::size_t buffered_prepares_max = 64;     // out-of-order PREPAREs held for their parent
    std::size_t held_requests_per_client_max = 64;  // a client's requests that arrived early
    std::uint64_t client_window = 64;           // how far ahead of its last a client's seq may be
    std::int64_t hold_request_ms = 1000;        // how long an early request waits for its gap
    std::size_t executed_kept = 1024;           // executed batches kept to answer clients
    /// ... and no more than about this many bytes of their requests (beyond the newest
    /// 4 x pipeline_depth + 4): without it a miner kept every recent batch's requests whole,
    /// 1024 batches of up to batch_bytes_max each (covenant-bench: ~180 MB after 1M rows).
    std::size_t executed_bytes_max = 16u << 20;
    /// What the database pays per statement executed (the sum of its members' prices on the
    /// main chain): the billing of every shard-chain checkpoint. Members must agree on it,
    /// as on everything they sign.
    std::uint64_t price_per_statement = 0;
    /// Committed batches execute in a step of their own (on_execution_due, called by the
    /// host while execution_due()) rather than inside the step that committed them: the
    /// step's messages (the leader's commit certificate, a follower's votes for the next
    /// batches) then go out before this member spends its fsyncs and SQL on the execution,
    /// and the other members execute alongside. Off, execution is part of the commit step
    /// (the replica's unit tests drive it so).
    bool execute_in_own_step = false;
    /// Deliberate defects for the simulator's checkers to catch (injected_bugs.hpp). Only
    /// the simulator sets any; empty, the replica is the honest one.
    injected_bugs bugs;
};

/// A message for other members (or the producers), encoded and ready for envelopes.
struct outbound_message {
    std::vector<public_key> to;
    protocols::message_kind kind;
    bytes payload;
};

/// An answer for the client that sent request `request_hash` to this replica, not signed
/// yet: whoever sends it signs the answers it has at once (protocols::sign_responses), so
/// a burst of answers costs one signature (the replica actor signs what one pass over its
/// mailbox produced).
struct client_reply {
    digest request_hash;
    protocols::client_response response;
};

struct replica_output {
    std::vector<outbound_message> messages;
    std::vector<client_reply> replies;
    std::vector<protocols::suspect_message> suspicions;  // for the block producers
    std::vector<protocols::tx::evidence> evidence;       // also saved to the log
    /// Checkpoints of stored shard blocks signed by a quorum of the members, with their
    /// billing, ready to become main-chain transactions.
    std::vector<protocols::tx::shard_checkpoint> checkpoints;
    void append(replica_output&& other);
};

/// Counters for observers (tests, the simulator, operators).
struct replica_stats {
    std::uint64_t batches_proposed = 0;
    std::uint64_t batches_committed = 0;
    std::uint64_t requests_executed = 0;
    std::uint64_t messages_refused = 0;   // invalid for this replica's state or role
    std::uint64_t batches_refused = 0;    // a PREPARE this member would not vote for
    std::uint64_t divergent_executions = 0;
    std::uint64_t catch_up_batches = 0;
    std::uint64_t shard_blocks_stored = 0;
    std::uint64_t checkpoints_signed = 0;   // by a quorum, handed out for the main chain
    std::string last_refusal;
    /// Where a strong-mode write's time goes at the leader, summed (milliseconds of the
    /// inputs' clock) over the batches it proposed and answered: from proposal to its prepare
    /// certificate, to its commit certificate, to its execution here, to the answers (f+1
    /// matching executions); and over the requests it proposed, from arrival to proposal.
    /// Divided by the counts they are a batch's phases on average (covenant-bench reports
    /// them per phase of its load).
    struct leader_timing_sums {
        std::uint64_t batches = 0;
        std::int64_t prepare_ms = 0;
        std::int64_t commit_ms = 0;
        std::int64_t execute_ms = 0;
        std::int64_t answer_ms = 0;
        std::uint64_t requests = 0;
        std::int64_t queued_ms = 0;
    } leader_timing;
};

class replica {
public:
    replica(replica_config config, crypto::key_pair key, log_store& log, batch_executor& executor,
            block_store& blocks, const permission_source& permissions);

    /// Recovers from the log (view, locks, committed batches not yet executed). Call once.
    replica_output start(std::int64_t now_ms);

    /// A request from a client, or forwarded by another member (`forwarded`). Writes may
    /// go to any member: a follower checks them, forwards them to the leader, watches that
    /// they commit in time (else it suspects the leader), and answers its own clients.
    replica_output on_client_request(protocols::client_request request, std::int64_t now_ms,
                                     bool forwarded = false);
    /// The same, with the request's hash (client_request::hash()) known already: a decoder
    /// has it (protocols::decode_client_request_hashed).
    replica_output on_client_request(protocols::client_request request, const digest& request_hash,
                                     std::int64_t now_ms, bool forwarded = false);
    /// By value: the batch moves into this replica's slot, not copied (callers that keep
    /// theirs pass a copy).
    replica_output on_prepare(protocols::prepare_message prepare, std::int64_t now_ms);
    replica_output on_vote(const protocols::vote& vote, std::int64_t now_ms);
    replica_output on_commit(const protocols::commit_message& commit, std::int64_t now_ms);
    replica_output on_commit_certificate(const protocols::certificate& cert, const public_key& from,
                                         std::int64_t now_ms);
    replica_output on_execution(const protocols::execution_message& execution, std::int64_t now_ms);
    /// An execution whose signer also asks for ours of that batch (it has clients of its
    /// own to answer from it): it gets ours now, or when this member executes the batch.
    replica_output on_execution_wanted(const protocols::execution_message& execution,
                                       std::int64_t now_ms);
    /// The main chain recorded a view change for this database.
    replica_output on_view_change(view_number new_view, std::int64_t now_ms);
    replica_output on_new_view(const protocols::new_view_message& message, std::int64_t now_ms);
    replica_output on_fetch(const protocols::fetch_batches& request, const public_key& from);
    replica_output on_fetch_reply(const protocols::fetch_reply& reply, const public_key& from,
                                  std::int64_t now_ms);
    replica_output on_shard_block_vote(const protocols::shard_block_vote& vote, std::int64_t now_ms);
    /// What this member serves to anyone asking for its stored shard blocks (members
    /// catching up, clients verifying the chain); nullopt for another database.
    std::optional<protocols::shard_block_fetch_reply> shard_blocks_for(
        const protocols::shard_block_fetch& request) const;
    /// Stored blocks from another member: a block this member is building but cannot
    /// complete (the others signed it before this member executed its batches) is taken
    /// from the reply if it is the same block and verifies.
    replica_output on_shard_block_fetch_reply(const protocols::shard_block_fetch_reply& reply,
                                              const public_key& from, std::int64_t now_ms);
    replica_output on_tick(std::int64_t now_ms);
    /// When the leader's oldest waiting request has waited batch_delay_ms, and nothing else
    /// would make a batch of it before the next tick: the host calls on_proposal_due then.
    /// Without it a lone write waited for the next tick (up to replica_tick_ms, 10 ms on a
    /// node) on top of batch_delay_ms. nullopt when nothing waits or the leader may not
    /// propose now anyway (not leader, a view change, a full pipeline: a vote or a commit
    /// makes the next batch then).
    std::optional<std::int64_t> proposal_due_ms() const;
    replica_output on_proposal_due(std::int64_t now_ms);
    /// With execute_in_own_step: committed batches wait to execute; call on_execution_due.
    bool execution_due() const { return !to_execute_.empty(); }
    replica_output on_execution_due(std::int64_t now_ms);

    view_number view() const { return view_; }
    bool is_leader() const { return members().leader(view_) == key_.public_key(); }
    /// The group of the current view.
    const protocols::group& members() const { return config_.groups.at(view_); }
    sequence_number last_committed() const { return last_committed_; }
    sequence_number last_executed() const { return executor_.applied_seq(); }
    digest state_digest() const { return executor_.state_digest(); }
    const replica_stats& stats() const { return stats_; }
    /// The stored shard chain's head (nullopt before the first block).
    std::optional<protocols::shard_chain_head> shard_head() const { return blocks_.head(); }
    const replica_config& config() const { return config_; }
    const public_key& identity() const { return key_.public_key(); }

private:
    struct slot {
        std::optional<protocols::batch> batch;
        digest hash;
        std::optional<protocols::proposal> proposal;  // the leader's signed proposal we accepted
        view_number accepted_view;
        bool accepted = false;
        std::optional<protocols::certificate> prepared;   // the lock
        std::optional<protocols::certificate> committed;  // commit certificate
        std::optional<protocols::certificate> justification;  // leader: for re-proposals
        // Leader only: votes for (view_, hash).
        std::map<public_key, signature> prepare_votes;
        std::map<public_key, signature> commit_votes;
        bool sent_commit_vote = false;
        std::int64_t proposed_ms = -1;  // leader: when it proposed this batch (replica_stats)
        std::int64_t prepared_ms = -1;  // leader: when its prepare certificate formed
        std::int64_t last_sent_ms = 0;  // leader: when PREPARE or COMMIT last went out
        std::int64_t retransmit_wait_ms = 0;  // leader: until the next re-send (0: retransmit_ms)
    };
    /// What answering an executed batch's clients needs: not the batch's requests (their
    /// hashes are in result.outcomes), only which batch it was.
    struct executed_batch {
        bool executed = false;  // false: only executions of others, arrived early
        sequence_number seq;
        digest batch_hash;
        protocols::certificate commit_certificate;
        execution_result result;
        std::map<public_key, protocols::execution_message> executions;  // leader collects
        bool answered = false;
        /// Whether a client of this member waited on the batch when it executed here: then
        /// this member needs the others' executions, which go to the leader only unless asked.
        bool clients_here = false;
        std::int64_t executed_ms = 0;
        // Leader, strong mode: when the batch was proposed, prepared, committed (timing).
        std::int64_t proposed_ms = -1;
        std::int64_t prepared_ms = -1;
        std::int64_t committed_ms = -1;
        std::int64_t asked_ms = 0;  // when this member last asked the others for theirs
        std::set<public_key> wanted_by;  // asked for ours before this member executed it
        std::size_t approximate_bytes = 0;  // of result's outcomes (executed_bytes_max)
    };

    // ---- the steps ----------------------------------------------------------------
    void propose_ready_batches(std::int64_t now_ms, replica_output& out);
    /// Whether the leader may propose at next_seq_ now (leaving aside whether a batch is ready).
    bool may_propose_next() const;
    /// Whether the waiting requests would fill a batch: batch_requests_max of them, or
    /// limits::batch_bytes_max by the estimate the batch builder uses.
    bool pending_fills_a_batch() const;
    void propose(protocols::batch batch, std::optional<protocols::certificate> justification,
                 std::int64_t now_ms, replica_output& out);
    void accept_prepare(protocols::prepare_message&& prepare, std::int64_t now_ms,
                        replica_output& out);
    void accept_into(slot& s, protocols::prepare_message&& prepare);
    void record_prepare_vote(slot& s, const public_key& voter, const signature& sig,
                             replica_output& out);
    void try_certify_prepare(sequence_number seq, replica_output& out);
    void record_commit_vote(slot& s, const public_key& voter, const signature& sig,
                            replica_output& out);
    void lock(slot& s, const protocols::certificate& prepare_certificate, replica_output& out);
    void mark_committed(sequence_number seq, const protocols::certificate& cert, replica_output& out);
    void advance_commits(std::int64_t now_ms, replica_output& out);
    void execute_committed(std::int64_t now_ms, replica_output& out);
    void execute_one(const protocols::batch& batch, const protocols::certificate& cert,
                     std::int64_t now_ms, replica_output& out);
    void answer_clients(executed_batch& done, std::int64_t now_ms, replica_output& out);
    /// Leader: the slots whose prepare certificate formed in this step get its time.
    void note_prepared(std::int64_t now_ms);
    /// Records another member's execution of a batch, and answers what it completes;
    /// false (refused) if it is not a member's of this database.
    bool take_execution(const protocols::execution_message& e, std::int64_t now_ms, replica_output& out);
    /// Asks every other member for its execution of `done`, sending ours.
    void ask_for_executions(executed_batch& done, std::int64_t now_ms, replica_output& out);
    void start_new_view_as_leader(std::int64_t now_ms, replica_output& out);
    void request_catch_up(const public_key& from, std::int64_t now_ms, replica_output& out);
    void retry_buffered_prepares(std::int64_t now_ms, replica_output& out);
    void retransmit(std::int64_t now_ms, replica_output& out);
    void queue_request(protocols::client_request&& request, const digest& request_hash, bool forwarded,
                       std::int64_t now_ms);
    void release_held_requests(const public_key& client, std::int64_t now_ms);
    void hand_awaited_requests_to_leader(std::int64_t now_ms, replica_output& out);
    protocols::new_view_message make_new_view() const;
    bool awaiting_suspicious_work() const;
    /// Logs evidence (in its canonical order) and hands it out for the main chain.
    void keep_evidence(protocols::tx::evidence evidence, replica_output& out);
    // Shard chain: seal executed batches into blocks, gather q signatures, store.
    void record_entry(const protocols::batch& batch, const protocols::certificate& cert,
                      const execution_result& result, replica_output& out);
    void seal_blocks(std::int64_t now_ms, replica_output& out);
    void complete_blocks(replica_output& out);
    /// Verifies `block` (the lowest being built, or a stored copy of it) and stores it in
    /// its place; false, with the refusal noted, if it does not verify.
    bool store_lowest_block(const protocols::shard_block& block, const char* refusal);
    protocols::shard_chain_head chain_tip() const;
    // Checkpoints: built with each block (billing from the block's batches in the log),
    // signed, carried on the block votes, gathered to a quorum.
    void begin_checkpoint(const protocols::shard_block& block, replica_output& out);
    protocols::shard_block_vote own_block_vote(block_height height, const digest& block_hash) const;
    void take_checkpoint_signature(block_height height, const public_key& signer,
                                   const signature& sig, replica_output& out);
    protocols::prepare_message prepare_for(sequence_number seq, const slot& s) const;

    // ---- checks ---------------------------------------------------------------------
    /// Why `batch` cannot follow what this replica has at seq-1, or nullopt.
    std::optional<std::string> batch_fault(const protocols::batch& batch, std::int64_t now_ms) const;
    /// Why a write request cannot be ordered after `expected` (the client's last seqs).
    std::optional<std::string> request_fault(const protocols::client_request& request,
                                             std::map<public_key, std::uint64_t>& expected) const;
    std::uint64_t client_seq_before(const public_key& client, sequence_number seq) const;
    bool predecessor_ready(const protocols::batch& batch) const;

    // ---- making messages --------------------------------------------------------------
    protocols::vote make_vote(protocols::vote_phase phase, sequence_number seq, const digest& hash);
    void send(std::vector<public_key> to, protocols::message_kind kind, bytes payload,
              replica_output& out) const;
    std::vector<public_key> others() const;
    protocols::client_response rejection_reply(const protocols::client_request& request,
                                                protocols::rejection_reason reason,
                                                std::string message) const;
    void refuse(const std::string& why);
    /// A member of the current view's group or of the latest group the chain recorded
    /// (which a member that has not reached the latest view will join next).
    bool known_member(const public_key& key) const {
        return members().contains(key) || config_.groups.latest().contains(key);
    }
    void note_progress(std::int64_t now_ms) { last_progress_ms_ = now_ms; }
    bool bug(injected_bug b) const { return config_.bugs.has(b); }
    /// Votes that make a certificate (and NEW-VIEWs that start a view): a quorum.
    std::size_t votes_needed() const;
    /// certificate_fault against the group of the certificate's view, signatures already
    /// checked by the decoder.
    std::optional<std::string> certificate_refusal(const protocols::certificate& cert) const;

    replica_config config_;
    crypto::key_pair key_;
    log_store& log_;
    batch_executor& executor_;
    block_store& blocks_;
    const permission_source& permissions_;
    replica_stats stats_;

    view_number view_;
    bool view_change_pending_ = false;  // leader of a new view still gathering NEW-VIEWs
    bool heard_from_leader_ = true;     // follower: a PREPARE of this view arrived
    std::int64_t last_new_view_sent_ms_ = 0;
    std::map<public_key, std::int64_t> last_announced_ms_;  // leader: view start re-sent to
    sequence_number last_committed_;
    digest last_committed_hash_;
    std::int64_t last_committed_timestamp_ms_ = 0;
    std::map<sequence_number, slot> slots_;  // seq > last_committed_
    std::map<sequence_number, protocols::prepare_message> buffered_prepares_;
    std::deque<protocols::committed_batch> to_execute_;  // committed, not yet executed
    /// Leader, strong mode: (proposed, prepared, committed) times of batches committed and
    /// not executed yet, for replica_stats::leader_timing.
    struct commit_timeline {
        std::int64_t proposed_ms, prepared_ms, committed_ms;
    };
    std::map<sequence_number, commit_timeline> commit_timelines_;
    std::map<sequence_number, executed_batch> executed_;  // recent, for answers
    /// Executed batches that this member's clients wait on, not answered yet: the tick asks
    /// the others again for their executions of these.
    std::set<sequence_number> awaiting_executions_;
    std::size_t executed_bytes_ = 0;  // the sum of their approximate_bytes
    /// Records `b` as the batch `done` (an entry of executed_, its result set) executed, then
    /// trims executed_ to its bounds.
    void keep_executed(executed_batch& done, const protocols::batch& b);
    std::map<public_key, std::uint64_t> committed_client_seq_;

    // Leader state.
    /// A request waiting for the leader's next batch, with its hash.
    struct pending_request {
        protocols::client_request request;
        digest hash;
        std::int64_t arrived_ms = 0;
    };
    std::deque<pending_request> pending_;
    std::size_t pending_bytes_ = 0;  // their estimated_batch_bytes, summed
    std::int64_t oldest_pending_ms_ = 0;
    std::map<public_key, std::uint64_t> queued_client_seq_;  // highest seq queued or proposed
    std::set<digest> clients_waiting_;                       // requests this replica must answer
    std::set<digest> in_flight_;                             // leader: queued or proposed
    struct held_request {
        protocols::client_request request;
        digest hash;
        bool forwarded = false;
        std::int64_t since_ms = 0;
    };
    // Leader: requests whose client sequence is ahead of the next one due (the network
    // reordered them), held until the gap fills or hold_request_ms passes.
    std::map<public_key, std::map<std::uint64_t, held_request>> held_requests_;
    sequence_number next_seq_;
    digest tip_hash_;
    std::int64_t tip_timestamp_ms_ = 0;
    std::size_t batches_since_seal_ = 0;
    std::int64_t last_seal_ms_ = 0;
    std::map<view_number, std::map<public_key, protocols::new_view_message>> new_views_;
    std::optional<protocols::certificate> last_commit_certificate_;  // piggybacked on PREPAREs
    std::int64_t last_commit_broadcast_ms_ = 0;

    // Shard chain.
    std::deque<pending_entry> unsealed_;                 // executed, not yet in a block
    // Statements each client ran per executed batch not yet in a block, for the block's
    // billing (begin_checkpoint). Counted as batches execute: reading the block's batches
    // back from the log and decoding them took 7% of a member's CPU. Missing after a
    // restart (then the log is read).
    std::map<sequence_number, std::map<public_key, std::uint64_t>> unsealed_statements_;
    std::map<block_height, protocols::shard_block> building_;  // sealed, gathering signatures
    std::map<block_height, std::map<public_key, protocols::shard_block_vote>> early_block_votes_;
    std::int64_t last_block_vote_ms_ = 0;
    struct checkpoint_in_progress {
        protocols::tx::shard_checkpoint body;  // without signatures
        bytes signing_bytes;
        std::map<public_key, signature> signers;
        bool handed_out = false;
    };
    std::map<block_height, checkpoint_in_progress> checkpoints_;  // the last few blocks'
    // Shard-block catch-up: the lowest block being built, since when, and whom to ask next.
    block_height stuck_block_height_;
    std::int64_t stuck_block_since_ms_ = 0;
    std::int64_t block_fetch_sent_ms_ = 0;
    std::size_t block_fetch_turn_ = 0;

    // Liveness.
    std::int64_t last_progress_ms_ = 0;
    // The latest tick that found nothing outstanding: a wait for the leader starts there,
    // not at the last progress, which on a database idle for a while is long past.
    std::int64_t last_idle_tick_ms_ = 0;
    std::int64_t last_suspect_ms_ = 0;
    // Follower: writes it took from clients and forwarded, until they commit. After a view
    // change they go to the new leader.
    struct awaited_request {
        protocols::client_request request;
        std::int64_t since_ms = 0;
    };
    std::map<digest, awaited_request> awaited_requests_;
    // Follower: its clients' writes it executed, to answer once the others' executions
    // come (since when): a client asking again meanwhile is not told "stale".
    std::map<digest, std::int64_t> answers_awaiting_executions_;
    bool leader_misbehaved_ = false;
    std::optional<public_key> fetching_from_;
    std::int64_t fetch_sent_ms_ = 0;
};

}  // namespace covenant::kayak
