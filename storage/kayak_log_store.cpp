// SQLite-backed Kayak log (see kayak_log_store.hpp).
#include "storage/kayak_log_store.hpp"

#include <sqlite3.h>

#include "common/assert.hpp"
#include "protocols/codec.hpp"
#include "storage/wal_checkpointer.hpp"

namespace covenant::storage {
namespace {

// A failing write to our own log leaves the replica unable to keep its promises: stop.
void check(sqlite3* db, int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        std::fprintf(stderr, "covenant: kayak log: %s: %s\n", what, sqlite3_errmsg(db));
        COVENANT_ASSERT(false, "kayak log write failed");
    }
}

// One use of a statement of the store's cache: bound, stepped, and reset with its bindings
// cleared when the use ends (a read left unreset would hold its snapshot open).
class statement {
public:
    statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    ~statement() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int index, std::int64_t v) {
        check(db_, sqlite3_bind_int64(stmt_, index, v), "bind");
        return *this;
    }
    statement& bind(int index, const bytes& v) {
        check(db_, sqlite3_bind_blob64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT), "bind");
        return *this;
    }
    /// Without SQLite's copy (a batch's bytes run to megabytes): `v` must outlive this
    /// use of the statement, whose destructor clears the binding.
    statement& bind_unowned(int index, const bytes& v) {
        check(db_, sqlite3_bind_blob64(stmt_, index, v.data(), v.size(), SQLITE_STATIC), "bind");
        return *this;
    }
    bool step() {
        const int rc = sqlite3_step(stmt_);
        check(db_, rc, "step");
        return rc == SQLITE_ROW;
    }
    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
    bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
    bytes blob(int column) const {
        const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
        const int size = sqlite3_column_bytes(stmt_, column);
        return data ? bytes(data, data + size) : bytes{};
    }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_;
};

template <class T>
T must(result<T> r, const char* what) {
    if (!r.ok()) {
        std::fprintf(stderr, "covenant: kayak log: %s is damaged: %s\n", what,
                     r.failure().message().c_str());
        COVENANT_ASSERT(false, "kayak log record does not decode");
    }
    return std::move(r).value();
}

}  // namespace

result<std::unique_ptr<kayak_log_store>> kayak_log_store::open(const std::string& path) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return error{std::make_error_code(std::errc::io_error), path + ": " + message};
    }
    const char* setup =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS accepted(seq INTEGER PRIMARY KEY, view INTEGER NOT NULL,"
        "  batch BLOB NOT NULL, prepared BLOB, batch_hash BLOB);"
        "CREATE TABLE IF NOT EXISTS committed(seq INTEGER PRIMARY KEY, batch BLOB NOT NULL,"
        "  certificate BLOB NOT NULL);"
        // A lock (the prepare certificate of an accepted batch) in a row of its own: set in
        // the accepted row, it rewrote the whole batch once more (SQLite rewrites a row to
        // change one column). Logs from before keep theirs in accepted.prepared, still read.
        "CREATE TABLE IF NOT EXISTS locks(seq INTEGER PRIMARY KEY, certificate BLOB NOT NULL);"
        "CREATE TABLE IF NOT EXISTS evidence(id INTEGER PRIMARY KEY, record BLOB NOT NULL);"
        "CREATE TABLE IF NOT EXISTS entries(seq INTEGER PRIMARY KEY, view INTEGER NOT NULL,"
        "  batch_hash BLOB NOT NULL, results_root BLOB NOT NULL, state_digest BLOB NOT NULL,"
        "  certificate BLOB NOT NULL, seals INTEGER NOT NULL, timestamp_ms INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS speculative(seq INTEGER PRIMARY KEY, batch_hash BLOB NOT NULL,"
        "  results_root BLOB NOT NULL, state_digest BLOB NOT NULL);";
    char* message = nullptr;
    bool ok = sqlite3_exec(db, setup, nullptr, nullptr, &message) == SQLITE_OK;
    if (ok) {
        // Logs from before accepted.batch_hash (committing copies the accepted row's batch
        // when the hashes match, instead of encoding and writing the batch again): add it.
        sqlite3_stmt* probe = nullptr;
        const bool has_hash = sqlite3_prepare_v2(db, "SELECT batch_hash FROM accepted LIMIT 0", -1,
                                                 &probe, nullptr) == SQLITE_OK;
        sqlite3_finalize(probe);
        if (!has_hash)
            ok = sqlite3_exec(db, "ALTER TABLE accepted ADD COLUMN batch_hash BLOB", nullptr,
                              nullptr, &message) == SQLITE_OK;
    }
    // A replica restarted on the same files opens them while the one it replaces may still
    // hold its group's write lock for a moment: wait for it rather than fail.
    sqlite3_busy_timeout(db, 10000);
    if (!ok) {
        std::string text = message ? message : "setup failed";
        sqlite3_free(message);
        sqlite3_close(db);
        return error{std::make_error_code(std::errc::io_error), path + ": " + text};
    }
    // Checkpoints run beside the replica (wal_checkpointer.hpp); its own only as a backstop.
    auto checkpointer = wal_checkpointer::start(db, path);
    if (!checkpointer) {
        sqlite3_close(db);
        return checkpointer.failure();
    }
    return std::unique_ptr<kayak_log_store>(new kayak_log_store(db, std::move(*checkpointer)));
}

kayak_log_store::~kayak_log_store() {
    // A group still open (its actor stopped mid-pass) is rolled back, as a crash would: none
    // of it was sent, and what the database already holds (shard entries, speculative
    // executions) was synced as it was saved.
    checkpointer_.reset();  // its last checkpoint first, while the file is still open here
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
}

sqlite3_stmt* kayak_log_store::prepared(const char* sql) {
    auto& stmt = statements_[sql];
    if (stmt == nullptr) check(db_, sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr), sql);
    return stmt;
}

void kayak_log_store::begin() {
    if (transaction_depth_++ == 0) statement(db_, prepared("BEGIN IMMEDIATE")).step();
}

void kayak_log_store::commit() {
    COVENANT_ASSERT(transaction_depth_ > 0, "kayak log: a commit without a transaction");
    if (--transaction_depth_ == 0) statement(db_, prepared("COMMIT")).step();
}

void kayak_log_store::begin_group() { begin(); }
void kayak_log_store::end_group() { commit(); }

void kayak_log_store::sync() {
    if (transaction_depth_ == 0) return;  // every save outside a group is durable already
    COVENANT_ASSERT(transaction_depth_ == 1, "kayak log: sync inside a save");
    // (A transaction that wrote nothing commits without touching the file.)
    statement(db_, prepared("COMMIT")).step();
    statement(db_, prepared("BEGIN IMMEDIATE")).step();
}

kayak::recovered_log kayak_log_store::recover() {
    kayak::recovered_log out;
    {
        statement s(db_, prepared("SELECT value FROM meta WHERE key = 'view'"));
        if (s.step()) out.view = view_number(static_cast<std::uint64_t>(s.integer(0)));
        statement started(db_, prepared("SELECT value FROM meta WHERE key = 'started_view'"));
        if (started.step())
            out.started_view = view_number(static_cast<std::uint64_t>(started.integer(0)));
    }
    {
        statement s(db_, prepared(
            "SELECT CASE WHEN length(c.batch) > 0 THEN c.batch ELSE a.batch END "
            "FROM committed c LEFT JOIN accepted a ON a.seq = c.seq ORDER BY c.seq DESC LIMIT 1"));
        if (s.step()) {
            const auto b = must(protocols::decode_batch(s.blob(0)), "the last committed batch");
            out.last_committed = b.header.seq;
            out.last_committed_hash = b.hash();
            out.last_committed_timestamp_ms = b.header.timestamp_ms;
        }
    }
    {
        statement spec(db_, prepared("SELECT seq, batch_hash, results_root, state_digest FROM speculative "
                                     "WHERE seq > ? ORDER BY seq"));
        spec.bind(1, static_cast<std::int64_t>(out.last_committed.value));
        while (spec.step()) {
            auto batch_hash = digest::from_view(spec.blob(1));
            auto results_root = digest::from_view(spec.blob(2));
            auto state_digest = digest::from_view(spec.blob(3));
            if (!batch_hash || !results_root || !state_digest) {
                std::fprintf(stderr, "covenant: kayak log: a speculative execution is damaged\n");
                COVENANT_ASSERT(false, "kayak log record damaged");
            }
            out.speculative[sequence_number(static_cast<std::uint64_t>(spec.integer(0)))] =
                kayak::speculative_execution{*batch_hash, *results_root, *state_digest};
        }
    }
    statement s(db_, prepared("SELECT a.seq, a.view, a.batch, COALESCE(l.certificate, a.prepared) "
                              "FROM accepted a LEFT JOIN locks l ON l.seq = a.seq "
                              "WHERE a.seq > ? ORDER BY a.seq"));
    s.bind(1, static_cast<std::int64_t>(out.last_committed.value));
    while (s.step()) {
        kayak::accepted_slot slot;
        slot.view = view_number(static_cast<std::uint64_t>(s.integer(1)));
        slot.batch = must(protocols::decode_batch(s.blob(2)), "an accepted batch");
        if (!s.is_null(3))
            slot.prepared = must(protocols::decode_certificate(s.blob(3), protocols::vote_phase::prepare),
                                 "a lock");
        out.accepted.emplace(slot.batch.header.seq, std::move(slot));
    }
    return out;
}

void kayak_log_store::save_view(view_number view) {
    statement s(db_, prepared("INSERT INTO meta(key, value) VALUES('view', ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    s.bind(1, static_cast<std::int64_t>(view.value)).step();
}

void kayak_log_store::save_view_started(view_number view) {
    statement s(db_, prepared("INSERT INTO meta(key, value) VALUES('started_view', ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    s.bind(1, static_cast<std::int64_t>(view.value)).step();
}

void kayak_log_store::save_accepted(view_number view, const protocols::batch& batch) {
    // A different batch for the seq (a new view's proposal) drops the old lock with it.
    const auto seq = static_cast<std::int64_t>(batch.header.seq.value);
    const bytes encoded = protocols::encode(batch);
    begin();
    statement(db_, prepared("DELETE FROM locks WHERE seq = ?1 AND NOT EXISTS "
                            "(SELECT 1 FROM accepted WHERE seq = ?1 AND batch = ?2)"))
        .bind(1, seq)
        .bind_unowned(2, encoded)
        .step();
    // Never over a committed batch's row: it holds that batch's bytes (save_committed).
    statement(db_, prepared("INSERT INTO accepted(seq, view, batch, prepared, batch_hash) "
                            "VALUES(?, ?, ?, NULL, ?) "
                            "ON CONFLICT(seq) DO UPDATE SET view = excluded.view, batch = excluded.batch, "
                            "batch_hash = excluded.batch_hash, "
                            "prepared = CASE WHEN accepted.batch = excluded.batch THEN accepted.prepared "
                            "ELSE NULL END "
                            "WHERE NOT EXISTS (SELECT 1 FROM committed WHERE committed.seq = excluded.seq)"))
        .bind(1, seq)
        .bind(2, static_cast<std::int64_t>(view.value))
        .bind_unowned(3, encoded)
        .bind(4, batch.hash().view().to_bytes())
        .step();
    commit();
}

void kayak_log_store::save_prepared(const protocols::certificate& prepare_certificate) {
    // Only for a batch this member accepted, as the lock was a column of its row.
    statement(db_, prepared("INSERT OR REPLACE INTO locks(seq, certificate) SELECT ?1, ?2 "
                            "WHERE EXISTS (SELECT 1 FROM accepted WHERE seq = ?1)"))
        .bind(1, static_cast<std::int64_t>(prepare_certificate.seq.value))
        .bind(2, protocols::encode(prepare_certificate))
        .step();
}

void kayak_log_store::save_committed(const protocols::batch& batch,
                                     const protocols::certificate& commit_certificate) {
    const auto seq = static_cast<std::int64_t>(batch.header.seq.value);
    const bytes certificate = protocols::encode(commit_certificate);
    begin();
    // The batch this member accepted (the usual case): the commit record refers to the
    // accepted row (an empty batch column), which stays as the batch's bytes, written once.
    // (Equal hashes mean equal requests; their signatures were checked whichever copy is
    // kept, and are checked again whenever it is read back.) Copied, a batch of 100-row
    // requests was written to the log twice, and checkpointed twice.
    statement(db_, prepared("INSERT OR REPLACE INTO committed(seq, batch, certificate) "
                            "SELECT seq, x'', ?2 FROM accepted WHERE seq = ?1 AND batch_hash = ?3"))
        .bind(1, seq)
        .bind(2, certificate)
        .bind(3, batch.hash().view().to_bytes())
        .step();
    if (sqlite3_changes(db_) == 0) {  // fetched in catch-up, or accepted by an older log
        statement(db_, prepared("INSERT OR REPLACE INTO committed(seq, batch, certificate) VALUES(?, ?, ?)"))
            .bind(1, seq)
            .bind(2, protocols::encode(batch))
            .bind(3, certificate)
            .step();
        statement(db_, prepared("DELETE FROM accepted WHERE seq = ?")).bind(1, seq).step();
    }
    statement(db_, prepared("DELETE FROM locks WHERE seq <= ?")).bind(1, seq).step();
    commit();
}

std::vector<protocols::committed_batch> kayak_log_store::load_committed(sequence_number from,
                                                                         std::size_t count) {
    std::vector<protocols::committed_batch> out;
    statement s(db_, prepared(
        // A committed batch's bytes: its own column, or (empty) its accepted row (save_committed).
        "SELECT CASE WHEN length(c.batch) > 0 THEN c.batch ELSE a.batch END, c.certificate "
        "FROM committed c LEFT JOIN accepted a ON a.seq = c.seq WHERE c.seq >= ? ORDER BY c.seq LIMIT ?"));
    s.bind(1, static_cast<std::int64_t>(from.value)).bind(2, static_cast<std::int64_t>(count));
    while (s.step())
        out.push_back({must(protocols::decode_batch(s.blob(0)), "a committed batch"),
                       must(protocols::decode_commit_certificate(s.blob(1)), "a commit certificate")});
    return out;
}

void kayak_log_store::save_evidence(const protocols::tx::evidence& evidence) {
    statement s(db_, prepared("INSERT INTO evidence(record) VALUES(?)"));
    s.bind(1, protocols::encode(evidence)).step();
}

void kayak_log_store::save_entry(const kayak::pending_entry& e) {
    statement s(db_, prepared("INSERT OR REPLACE INTO entries(seq, view, batch_hash, results_root, "
                              "state_digest, certificate, seals, timestamp_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(1, static_cast<std::int64_t>(e.entry.seq.value))
        .bind(2, static_cast<std::int64_t>(e.entry.view.value))
        .bind(3, e.entry.batch_hash.view().to_bytes())
        .bind(4, e.entry.results_root.view().to_bytes())
        .bind(5, e.entry.state_digest.view().to_bytes())
        .bind(6, protocols::encode(e.entry.commit_certificate))
        .bind(7, std::int64_t{e.seals_block ? 1 : 0})
        .bind(8, e.timestamp_ms)
        .step();
}

void kayak_log_store::save_speculative(sequence_number seq, const kayak::speculative_execution& e) {
    statement s(db_, prepared("INSERT OR REPLACE INTO speculative(seq, batch_hash, results_root, state_digest) "
                              "VALUES(?, ?, ?, ?)"));
    s.bind(1, static_cast<std::int64_t>(seq.value))
        .bind(2, e.batch_hash.view().to_bytes())
        .bind(3, e.results_root.view().to_bytes())
        .bind(4, e.state_digest.view().to_bytes())
        .step();
}

std::vector<kayak::pending_entry> kayak_log_store::load_entries(sequence_number from) {
    std::vector<kayak::pending_entry> out;
    statement s(db_, prepared("SELECT seq, view, batch_hash, results_root, state_digest, certificate, seals, "
                              "timestamp_ms FROM entries WHERE seq >= ? ORDER BY seq"));
    s.bind(1, static_cast<std::int64_t>(from.value));
    auto fixed = [](const bytes& b, const char* what) {
        auto d = digest::from_view(b);
        if (!d) {
            std::fprintf(stderr, "covenant: kayak log: %s of an entry is damaged\n", what);
            COVENANT_ASSERT(false, "kayak log entry damaged");
        }
        return *d;
    };
    while (s.step()) {
        kayak::pending_entry e;
        e.entry.seq = sequence_number(static_cast<std::uint64_t>(s.integer(0)));
        e.entry.view = view_number(static_cast<std::uint64_t>(s.integer(1)));
        e.entry.batch_hash = fixed(s.blob(2), "batch hash");
        e.entry.results_root = fixed(s.blob(3), "results root");
        e.entry.state_digest = fixed(s.blob(4), "state digest");
        e.entry.commit_certificate =
            must(protocols::decode_commit_certificate(s.blob(5)), "an entry's certificate");
        e.seals_block = s.integer(6) != 0;
        e.timestamp_ms = s.integer(7);
        out.push_back(std::move(e));
    }
    return out;
}

std::size_t kayak_log_store::evidence_count() {
    statement s(db_, prepared("SELECT COUNT(*) FROM evidence"));
    s.step();
    return static_cast<std::size_t>(s.integer(0));
}

}  // namespace covenant::storage
