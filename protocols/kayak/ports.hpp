// What a Kayak replica needs from the world, as interfaces: durable storage of its log,
// the SQL executor, and the database's permissions. The replica itself reads no clock, no
// randomness and no socket; production plugs in SQLite-backed ports, tests and the
// simulator in-memory ones.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocols/kayak_messages.hpp"
#include "protocols/main_chain_messages.hpp"
#include "protocols/shard_chain.hpp"

namespace covenant::kayak {

/// A batch this member accepted (voted for) and is not yet known to be committed.
struct accepted_slot {
    protocols::batch batch;
    view_number view;                                // the view it was accepted in
    std::optional<protocols::certificate> prepared;  // the lock: a prepare certificate
};

/// What an eventual-mode leader's executor produced for a batch it proposed, before the
/// batch committed.
struct speculative_execution {
    digest batch_hash;
    digest results_root;
    digest state_digest;
};

/// What a replica finds in its log when it starts.
struct recovered_log {
    view_number view;
    view_number started_view;  // the last view this member started as its leader
    sequence_number last_committed;
    digest last_committed_hash;  // zero when nothing is committed
    std::int64_t last_committed_timestamp_ms = 0;
    std::map<sequence_number, accepted_slot> accepted;  // above last_committed
    std::map<sequence_number, speculative_execution> speculative;  // eventual-mode leader
};

/// An executed batch waiting to be sealed into a shard-chain block.
struct pending_entry {
    protocols::shard_entry entry;
    bool seals_block = false;      // the batch ends a block
    std::int64_t timestamp_ms = 0;  // the batch's time (a sealing batch's time is the block's)
};

/// The replica's durable log. Every call returns only once the data is on disk (fsync):
/// the replica sends a vote only after the state it vouches for is saved.
///
/// Group commit: between begin_group() and end_group() the saves share one transaction and
/// are durable only once end_group() (or sync()) returns. Whoever opens a group (the
/// replica's actor, for all the steps of one pass over its mailbox) holds back everything
/// those steps produced until the group is closed: one fsync then covers the votes of
/// several messages instead of one each. Stores that are durable at once (in memory)
/// ignore groups.
class log_store {
public:
    virtual ~log_store() = default;
    virtual void begin_group() {}
    virtual void end_group() {}
    /// Makes what was saved so far durable now; within a group, the group goes on. The
    /// replica calls it before it executes a batch (the database file must never hold a
    /// batch whose log record a crash could still take away) and after it saves what the
    /// execution produced (a restart does not execute that batch again to redo it).
    virtual void sync() {}
    virtual recovered_log recover() = 0;
    virtual void save_view(view_number view) = 0;
    /// This member, as leader of `view`, has re-proposed what the NEW-VIEWs required and
    /// now proposes freely: after a restart it must not gather NEW-VIEWs again.
    virtual void save_view_started(view_number view) = 0;
    /// Before a prepare vote: this member accepted `batch` at (view, seq).
    virtual void save_accepted(view_number view, const protocols::batch& batch) = 0;
    /// Before a commit vote: the lock.
    virtual void save_prepared(const protocols::certificate& prepare_certificate) = 0;
    /// A committed batch with its proof; removes the seq from the accepted slots.
    virtual void save_committed(const protocols::batch& batch,
                                const protocols::certificate& commit_certificate) = 0;
    /// Committed batches from `from` on (at most `count`), for execution and catch-up.
    virtual std::vector<protocols::committed_batch> load_committed(sequence_number from,
                                                                   std::size_t count) = 0;
    virtual void save_evidence(const protocols::tx::evidence& evidence) = 0;
    /// Eventual mode: the leader executed batch `seq` before it committed. Kept so that a
    /// restarted leader can still sign its execution and seal its shard block.
    virtual void save_speculative(sequence_number seq, const speculative_execution& execution) = 0;
    /// An executed batch's shard-chain entry, until its block is stored.
    virtual void save_entry(const pending_entry& entry) = 0;
    /// Entries from `from` on, ascending.
    virtual std::vector<pending_entry> load_entries(sequence_number from) = 0;
};

/// The database's shard chain on disk (storage::shard_chain_store in production).
class block_store {
public:
    virtual ~block_store() = default;
    /// The stored chain's head; nullopt when no block is stored yet.
    virtual std::optional<protocols::shard_chain_head> head() const = 0;
    /// Appends a block the replica verified; false if the store refused it.
    virtual bool append(const protocols::shard_block& block) = 0;
    /// Stored blocks from `from_height` (>= 1) on, at most `count`; fewer at the head, none
    /// past it or if they cannot be read back.
    virtual std::vector<protocols::shard_block> load(block_height from_height,
                                                     std::size_t count) const = 0;
};

/// What executing one committed batch produced.
struct execution_result {
    std::vector<protocols::request_outcome> outcomes;
    digest results_root;
    digest state_digest;
};

/// The SQL executor of the database (storage::sql_executor in production).
class batch_executor {
public:
    virtual ~batch_executor() = default;
    virtual sequence_number applied_seq() const = 0;
    virtual digest state_digest() const = 0;
    /// Applies batch `b` (its seq = applied_seq() + 1), its statements seeing time
    /// `timestamp_ms`.
    virtual execution_result execute(const protocols::batch& b, std::int64_t timestamp_ms) = 0;
    /// A read against the committed state.
    virtual protocols::request_outcome read(const protocols::client_request& request,
                                            std::int64_t timestamp_ms) = 0;
    /// Why a request breaks the determinism rules, or nullopt if it does not.
    virtual std::optional<std::string> refusal_reason(
        const protocols::client_request& request) const = 0;
};

/// Who may do what on the database (from the main chain, later; from configuration now).
class permission_source {
public:
    virtual ~permission_source() = default;
    virtual std::optional<protocols::role> role_of(const account_address& user) const = 0;
};

}  // namespace covenant::kayak
