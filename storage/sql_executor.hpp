// The SQL executor of one database served by a miner: applies committed Kayak batches of
// signed client requests to that database's SQLite file, deterministically, and serves
// reads against the committed state (DESIGN.md sections 4 and 5).
//
// - One SQLite file per database, WAL mode, synchronous=NORMAL: a batch is atomic and
//   survives a crash of the process, but is only fsynced with the WAL's checkpoints (run
//   beside the replica, storage/wal_checkpointer.hpp), so a power cut may take the file
//   back a few batches. That loses nothing: the Kayak log
//   holds every committed batch durably before it executes (fsynced, kayak_log_store.hpp),
//   and a replica starting with a file behind its log executes the missing batches again,
//   deterministically, to the same results and state digest it signed before (replica
//   start; replica_steps/a_database_file_behind_the_log_catches_up_from_the_log_at_start).
//   An fsync per batch here was one of the five of every member's write path.
// - One SQLite transaction per batch, which also records the batch's sequence number and
//   the new state digest in the metadata table (covenant_meta): a crash leaves the whole
//   batch or none of it, and reopening restores applied_seq() and state_digest().
// - Each request is atomic (a savepoint): all its statements apply or none. A request that
//   fails gets a protocols::sql_failure (index of the failing statement, SQLite's extended
//   result code and message, or Covenant's refusal) and the batch goes on.
// - Deterministic: 'now' is the batch's agreed time (deterministic_vfs.hpp); random() and
//   randomblob() read SHA-256(batch seed || request index) in counter mode, changes() and
//   total_changes() count within the request (deterministic_functions.hpp); 'localtime' is
//   UTC; statements that would reach state outside the database, or show state of one
//   replica's connection (EXPLAIN listings), are refused (sql_policy.hpp); SQLITE_SCHEMA
//   is reported as SQLITE_ERROR. The query planner's in-memory statistics are kept equal
//   to what a restarted replica would load (after DDL or ANALYZE the in-memory schema is
//   reloaded and cached plans dropped), so unordered results come back in the same order
//   everywhere. Every bound (result size, rows, execution steps) fails a request the same
//   way on every replica (execution_limits.hpp).
// - State digest: a hash chain over batches and their row and schema changes
//   (state_digest.hpp).
//
// Statements: each sql_statement's text must hold exactly one SQL statement (trailing
// semicolons, whitespace and comments are fine; more SQL after the first statement fails
// the request, with the byte offset). Parameters: values with an empty name fill the
// positional parameters (?, ?NNN) in order of their index; named values bind by name,
// written with their prefix (":a", "@a", "$a", or "?3") or without one (":" then "@" then
// "$" is tried). A value for a parameter the statement does not have, a parameter given
// twice, or a parameter left without a value fails the request (SQLITE_RANGE).
//
// Results: typed rows (SQLite's storage class of each value), column names (cut to
// protocols::limits::column_name_bytes_max), affected rows (sqlite3_changes64 for a
// statement that changed rows, else 0) and the connection's last insert rowid (0 at the
// start of each request). Text that is not valid UTF-8 cannot travel as text: selecting it
// fails the request (SQLITE_MISMATCH) with a hint to select it as a BLOB.
//
// Storage faults (I/O errors, a full disk, corruption, out of memory) are not a request's
// outcome: another replica would not see them. They stop the process (COVENANT_ASSERT)
// before anything is signed; the uncommitted batch is applied again after a restart.
//
// Used from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "common/result.hpp"
#include "protocols/sql_messages.hpp"
#include "storage/wal_checkpointer.hpp"

namespace covenant::storage {

/// What every replica agrees on about a batch besides its requests.
struct batch_context {
    std::int64_t timestamp_ms = 0;  // the batch's agreed time: 'now' for its statements
    digest seed;                    // the batch's hash: seeds random() and randomblob()
};

struct batch_execution {
    std::vector<protocols::request_outcome> outcomes;  // one per request, in order
    digest results_root;  // protocols::merkle_root of the outcomes' hash()
    digest state_digest;  // after this batch
};

class sql_executor {
  public:
    /// Opens the database at `path`, creating it (and its metadata) if missing.
    static result<std::unique_ptr<sql_executor>> open(const std::string& path);
    ~sql_executor();
    sql_executor(const sql_executor&) = delete;
    sql_executor& operator=(const sql_executor&) = delete;

    /// Applies the committed batch `seq`, which must be applied_seq() + 1 (assertion), in one
    /// transaction (durable against a crash of the process; see above for a power cut).
    /// `request_hashes`, if it has one per request, are their hashes (as a decoded batch
    /// carries them); otherwise they are computed here.
    batch_execution execute_batch(sequence_number seq, const batch_context& context,
                                  const std::vector<protocols::client_request>& requests,
                                  const std::vector<digest>& request_hashes = {});

    /// Runs a request against the committed state, read-only: a statement that would write
    /// fails the request (SQLITE_READONLY) and nothing of it stays. Time functions see
    /// context.timestamp_ms; random() is seeded from context.seed (as request index 0).
    protocols::request_outcome execute_read(const protocols::client_request& request,
                                            const batch_context& context);

    /// Sequence number of the last applied batch; 0 for a new database.
    sequence_number applied_seq() const;
    /// State digest after the last applied batch; the zero digest for a new database.
    digest state_digest() const;
    /// The background checkpoints of the database file (wal_checkpointer.hpp).
    wal_checkpointer::status checkpoint_status() const;

    /// A static check before a replica votes for a request: nullopt if acceptable, else the
    /// reason ("statement 1: not allowed: ATTACH", ... PRAGMA, transaction control, TEMP
    /// objects, VACUUM, load_extension, the metadata table, ROLLBACK conflict resolution,
    /// EXPLAIN listings, dbstat, an empty statement, too many statements). Lexical: the authorizer
    /// at execution is the real guard and refuses more, in the same words.
    static std::optional<std::string> refusal_reason(const protocols::client_request& request);

  private:
    struct impl;
    explicit sql_executor(std::unique_ptr<impl> state);
    std::unique_ptr<impl> impl_;
};

}  // namespace covenant::storage
