// The SQL executor (see sql_executor.hpp): connection set-up, batches, requests,
// statements, parameters and results, and the SQLite callbacks that guard them.
#include "storage/sql_executor.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <variant>

#include "common/assert.hpp"
#include "protocols/limits.hpp"
#include "protocols/merkle.hpp"
#include "storage/deterministic_functions.hpp"
#include "storage/deterministic_vfs.hpp"
#include "storage/execution_limits.hpp"
#include "storage/executor_errors.hpp"
#include "storage/sql_lexer.hpp"
#include "storage/sql_policy.hpp"
#include "storage/sqlite_handle.hpp"
#include "storage/state_digest.hpp"
#include "storage/statement_cache.hpp"
#include "storage/wal_checkpointer.hpp"
#include "common/utf8.hpp"

namespace covenant::storage {

using protocols::client_request;
using protocols::query_kind;
using protocols::request_outcome;
using protocols::sql_failure;
using protocols::sql_parameter;
using protocols::sql_statement;
using protocols::sql_value;
using protocols::statement_result;

namespace {

// Version of the metadata layout this code writes and reads.
constexpr std::int64_t metadata_format = 1;

constexpr const char* request_savepoint_sql = "SAVEPOINT covenant_request";

using request_body = std::variant<std::vector<statement_result>, sql_failure>;

bool succeeded(const request_body& body) {
    return body.index() == 0;
}

sql_failure make_failure(std::uint32_t statement_index, int code, std::string_view message) {
    return sql_failure{statement_index, code,
                       printable_utf8(message, protocols::limits::error_message_bytes_max)};
}

/// Failures that come from this machine rather than from the request: another replica
/// would not see them, so they must never become a signed outcome.
bool is_storage_fault(int extended_code, int system_errno) {
    switch (extended_code & 0xff) {
        case SQLITE_IOERR:
        case SQLITE_CORRUPT:
        case SQLITE_CANTOPEN:
        case SQLITE_NOTADB:
        case SQLITE_PROTOCOL:
        case SQLITE_NOMEM:
        case SQLITE_BUSY:
            return true;
        // SQLITE_FULL is also how SQLite reports an exhausted AUTOINCREMENT or page limit,
        // which every replica hits alike; only the operating system's "no space" is a fault.
        case SQLITE_FULL:
            return system_errno == ENOSPC || system_errno == EDQUOT;
        // Plain SQLITE_READONLY comes from SQL (a read-only virtual table); its extended
        // forms mean the file or its locks are unusable.
        case SQLITE_READONLY:
            return extended_code != SQLITE_READONLY;
        default:
            return false;
    }
}

[[noreturn]] void storage_fault(sqlite3* db, const char* doing) {
    std::fprintf(stderr,
                 "covenant: sql executor: storage fault while %s: %s (extended code %d, "
                 "errno %d)\n",
                 doing, sqlite3_errmsg(db), sqlite3_extended_errcode(db), sqlite3_system_errno(db));
    COVENANT_ASSERT(false, "storage fault in the SQL executor: stopping before signing anything");
    std::abort();
}

/// The request's statement count is within the protocol's limit (the decoder enforces it;
/// the executor does not rely on that).
std::optional<sql_failure> check_statement_count(const client_request& request) {
    if (request.statements.size() > protocols::limits::statements_per_request_max)
        return make_failure(0, SQLITE_TOOBIG,
                            "request has " + std::to_string(request.statements.size()) +
                                " statements, limit " +
                                std::to_string(protocols::limits::statements_per_request_max));
    std::size_t runs = 0;
    for (std::size_t i = 0; i < request.statements.size(); ++i) {
        const auto& statement = request.statements[i];
        if (!statement.parameter_sets.empty() && !statement.parameters.empty())
            return make_failure(static_cast<std::uint32_t>(i), SQLITE_MISUSE,
                                "statement has both parameters and parameter sets");
        runs += statement.runs();
    }
    if (runs <= protocols::limits::statement_runs_per_request_max) return std::nullopt;
    return make_failure(0, SQLITE_TOOBIG,
                        "request runs its statements " + std::to_string(runs) +
                            " times (with their parameter sets), limit " +
                            std::to_string(protocols::limits::statement_runs_per_request_max));
}

std::string budget_message() {
    return "request exceeded its execution budget of " +
           std::to_string(execution_limits::vm_steps_per_request_max) + " virtual machine steps";
}

}  // namespace

struct sql_executor::impl {
    enum class mode : std::uint8_t {
        internal,       // the executor's own statements: everything allowed, nothing hashed
        write_request,  // a client request of a batch
        read_request,   // a read: any write is a failure
    };

    /// Sets the mode for the duration of a client statement's preparation or execution.
    class mode_scope {
      public:
        mode_scope(impl& self, mode m, bool counting) : self_(self) {
            self_.current_mode = m;
            self_.counting_steps = counting;
        }
        ~mode_scope() {
            self_.current_mode = mode::internal;
            self_.counting_steps = false;
        }
        mode_scope(const mode_scope&) = delete;
        mode_scope& operator=(const mode_scope&) = delete;

      private:
        impl& self_;
    };

    /// A statement ready to run: from the cache, or owned for this one use.
    struct prepared_statement {
        sqlite3_stmt* statement = nullptr;
        sqlite_statement owned;
    };

    // Declared first, destroyed last: the connection is opened through this VFS.
    std::unique_ptr<deterministic_vfs> vfs;
    sqlite_connection db;
    // Checkpoints the WAL beside the replica (wal_checkpointer.hpp); destroyed (its last
    // checkpoint done) before the connection closes.
    std::unique_ptr<wal_checkpointer> checkpointer;
    statement_cache cache{execution_limits::cached_statements_max};

    sqlite_statement begin_batch_statement;
    sqlite_statement commit_statement;
    sqlite_statement begin_read_statement;
    sqlite_statement rollback_statement;
    sqlite_statement savepoint_statement;
    sqlite_statement release_statement;
    sqlite_statement rollback_to_statement;
    sqlite_statement update_metadata_statement;
    sqlite_statement schema_version_statement;
    sqlite_statement schema_entries_statement;
    sqlite_statement reset_savepoint_statement;
    sqlite_statement reset_create_statement;
    sqlite_statement reset_rollback_statement;
    sqlite_statement reset_release_statement;

    deterministic_function_state functions;
    change_hasher changes;

    // What the callbacks see and report.
    mode current_mode = mode::internal;
    bool counting_steps = false;  // true while a client statement steps, false while it is prepared
    std::uint64_t progress_checks = 0;
    bool budget_exceeded = false;
    std::string refusal;                      // the authorizer's reason for its first denial
    bool schema_action_seen = false;          // by the authorizer, since the last prepare began
    bool statement_writes_rows = false;       // the client statement being prepared or run
    bool schema_action_in_statement = false;  // DDL, ANALYZE or REINDEX in the current statement
    // A statement with DDL, ANALYZE or REINDEX was prepared since the batch or read began
    // (see forget_planner_state).
    bool planner_state_touched = false;
    bool max_rowid_written = false;   // in the current request
    bool read_request_wrote = false;  // in the current request
    int change_capture_error = SQLITE_OK;

    sequence_number applied;
    digest state;

    // ---- SQLite callbacks ------------------------------------------------------------

    static int on_authorize(void* user, int action, const char* argument1, const char* argument2,
                            const char* database, const char* trigger_or_view) {
        auto& self = *static_cast<impl*>(user);
        if (self.current_mode == mode::internal) return SQLITE_OK;
        if (changes_schema(action)) {  // DDL, ANALYZE, REINDEX
            self.schema_action_seen = true;
            self.schema_action_in_statement = true;
            self.planner_state_touched = true;
        }
        action_context context;
        context.origin = self.counting_steps ? action_origin::nested : action_origin::client_text;
        context.writes_rows = self.statement_writes_rows;
        if (auto reason = authorizer_refusal(action, argument1, argument2, database,
                                             trigger_or_view, context)) {
            if (self.refusal.empty()) self.refusal = std::move(*reason);
            return SQLITE_DENY;
        }
        return SQLITE_OK;
    }

    static void on_preupdate(void* user, sqlite3* db, int operation, const char* /*database*/,
                             const char* table, sqlite3_int64 old_rowid, sqlite3_int64 new_rowid) {
        auto& self = *static_cast<impl*>(user);
        if (self.current_mode == mode::internal) return;
        if (self.current_mode == mode::read_request) {
            self.read_request_wrote = true;
            return;
        }
        // Once a table holds the largest rowid, SQLite picks the next rowids at random
        // (OP_NewRowid): replicas would diverge. WITHOUT ROWID tables report rowid 0.
        if ((operation == SQLITE_INSERT || operation == SQLITE_UPDATE) &&
            new_rowid == std::numeric_limits<sqlite3_int64>::max())
            self.max_rowid_written = true;
        if (self.change_capture_error != SQLITE_OK) return;
        const int rc = self.changes.add_row_change(db, operation, table, old_rowid, new_rowid);
        if (rc != SQLITE_OK) self.change_capture_error = rc;
    }

    static int on_progress(void* user) {
        auto& self = *static_cast<impl*>(user);
        if (!self.counting_steps) return 0;
        constexpr std::uint64_t checks_max =
            execution_limits::vm_steps_per_request_max / execution_limits::vm_steps_per_check;
        if (++self.progress_checks <= checks_max) return 0;
        self.budget_exceeded = true;
        return 1;  // interrupts the statement
    }

    // ---- internal statements ---------------------------------------------------------

    sqlite3* connection() const { return db.get(); }

    /// Runs one of the executor's own statements to completion; a failure is a fault.
    void run_internal(sqlite3_stmt* statement, const char* doing) {
        COVENANT_ASSERT(current_mode == mode::internal, "internal statement inside a client scope");
        statement_reset_guard reset(statement);
        int rc = SQLITE_ROW;
        while (rc == SQLITE_ROW) rc = sqlite3_step(statement);
        if (rc != SQLITE_DONE) storage_fault(connection(), doing);
    }

    std::int64_t read_schema_version() {
        statement_reset_guard reset(schema_version_statement.get());
        if (sqlite3_step(schema_version_statement.get()) != SQLITE_ROW)
            storage_fault(connection(), "reading the schema version");
        return sqlite3_column_int64(schema_version_statement.get(), 0);
    }

    bool in_transaction() const { return sqlite3_get_autocommit(connection()) == 0; }

    // ---- requests --------------------------------------------------------------------

    void begin_request(std::uint32_t request_index, const digest& seed) {
        sqlite3* const raw = connection();
        functions.prng.reset(seed, request_index);
        sqlite3_set_last_insert_rowid(raw, 0);
        functions.total_changes_at_request_start = sqlite3_total_changes64(raw);
        // The progress handler fires when a statement's step counter crosses a multiple of
        // vm_steps_per_check; starting every counter at 0 makes the count of a request the
        // same on a replica that has run these statements before and on a fresh one.
        for (sqlite3_stmt* s = sqlite3_next_stmt(raw, nullptr); s != nullptr;
             s = sqlite3_next_stmt(raw, s))
            sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, /*resetFlg=*/1);
        progress_checks = 0;
        budget_exceeded = false;
        max_rowid_written = false;
        read_request_wrote = false;
        change_capture_error = SQLITE_OK;
        changes.begin_request();
    }

    /// The failure SQLite reported for statement `index`, or a stop if it is a fault.
    sql_failure failure_from_sqlite(std::uint32_t index, const char* doing) {
        sqlite3* const raw = connection();
        if (budget_exceeded) return make_failure(index, SQLITE_INTERRUPT, budget_message());
        const int code = sqlite3_extended_errcode(raw);
        if ((code & 0xff) == SQLITE_AUTH && !refusal.empty())
            return make_failure(index, SQLITE_AUTH, refusal);
        if (is_storage_fault(code, sqlite3_system_errno(raw))) storage_fault(raw, doing);
        // SQLITE_SCHEMA is SQLite's signal to re-prepare; it reaches the caller only when a
        // statement fails to compile right after the in-memory schema was reloaded, where
        // another replica reports the same message as SQLITE_ERROR.
        if ((code & 0xff) == SQLITE_SCHEMA)
            return make_failure(index, SQLITE_ERROR, sqlite3_errmsg(raw));
        return make_failure(index, code, sqlite3_errmsg(raw));
    }

    std::variant<prepared_statement, sql_failure> prepare_client(const std::string& sql,
                                                                 std::uint32_t index, mode m) {
        if (sql.size() > protocols::limits::sql_text_bytes_max)
            return make_failure(index, SQLITE_TOOBIG,
                                "statement text is " + std::to_string(sql.size()) +
                                    " bytes, limit " +
                                    std::to_string(protocols::limits::sql_text_bytes_max));
        if (std::memchr(sql.data(), 0, sql.size()) != nullptr)
            return make_failure(index, SQLITE_ERROR, "statement text contains a NUL byte");
        if (sqlite3_stmt* cached = cache.find(sql)) {
            // Expired: the connection's schema or settings changed under it. Prepare afresh
            // here rather than let sqlite3_step re-prepare it while steps are counted.
            if (sqlite3_expired(cached) == 0) return prepared_statement{cached, nullptr};
            cache.erase(sql);
        }
        if (auto reason = lexical_refusal(sql)) return make_failure(index, SQLITE_AUTH, *reason);
        const std::size_t start = skip_insignificant(sql, 0, /*semicolons_too=*/true);
        if (start == sql.size()) return make_failure(index, SQLITE_ERROR, "statement is empty");

        refusal.clear();
        schema_action_seen = false;
        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        int rc = SQLITE_OK;
        {
            mode_scope scope(*this, m, /*counting=*/false);
            rc = sqlite3_prepare_v3(connection(), sql.data() + start,
                                    static_cast<int>(sql.size() - start), SQLITE_PREPARE_PERSISTENT,
                                    &raw, &tail);
        }
        sqlite_statement owned(raw);
        if (rc != SQLITE_OK) return failure_from_sqlite(index, "preparing a client statement");
        if (raw == nullptr) return make_failure(index, SQLITE_ERROR, "statement is empty");
        const auto consumed = static_cast<std::size_t>(tail - sql.data());
        const std::size_t more = skip_insignificant(sql, consumed, /*semicolons_too=*/true);
        if (more != sql.size())
            return make_failure(index, SQLITE_ERROR,
                                "statement text holds more than one SQL statement (more SQL at "
                                "byte " +
                                    std::to_string(more) +
                                    "): send each statement as its own entry of the request");
        if (!schema_action_seen && sql.size() <= execution_limits::cached_statement_text_bytes_max)
            return prepared_statement{cache.insert(sql, std::move(owned)), nullptr};
        return prepared_statement{owned.get(), std::move(owned)};
    }

    static int parameter_index(sqlite3_stmt* statement, const std::string& name) {
        if (name.find('\0') != std::string::npos) return 0;
        const char first = name[0];
        if (first == ':' || first == '@' || first == '$' || first == '?')
            return sqlite3_bind_parameter_index(statement, name.c_str());
        for (const char prefix : {':', '@', '$'}) {
            const int index = sqlite3_bind_parameter_index(statement, (prefix + name).c_str());
            if (index != 0) return index;
        }
        return 0;
    }

    static std::string describe_parameter(sqlite3_stmt* statement, int index) {
        const char* name = sqlite3_bind_parameter_name(statement, index);
        if (name != nullptr) return name;
        return "?" + std::to_string(index) + " (positional)";
    }

    static int bind_value(sqlite3_stmt* statement, int index, const sql_value& value) {
        switch (value.value.index()) {
            case 0:
                return sqlite3_bind_null(statement, index);
            case 1:
                return sqlite3_bind_int64(statement, index, std::get<1>(value.value));
            case 2:
                return sqlite3_bind_double(statement, index, std::get<2>(value.value));
            case 3: {
                // Explicit length: text may hold NUL bytes. SQLITE_STATIC: the request
                // outlives the statement's use, and the reset guard clears the bindings.
                const std::string& text = std::get<3>(value.value);
                return sqlite3_bind_text64(statement, index, text.data(), text.size(),
                                           SQLITE_STATIC, SQLITE_UTF8);
            }
            case 4: {
                const bytes& blob = std::get<4>(value.value);
                // An empty blob is a zero-length blob, not NULL (bind_blob with a null
                // pointer would bind NULL).
                if (blob.empty()) return sqlite3_bind_zeroblob(statement, index, 0);
                return sqlite3_bind_blob64(statement, index, blob.data(), blob.size(),
                                           SQLITE_STATIC);
            }
            default:
                COVENANT_ASSERT(false, "sql_value alternative out of range");
        }
        return SQLITE_MISUSE;
    }

    std::optional<sql_failure> bind_parameters(sqlite3_stmt* statement,
                                               const std::vector<sql_parameter>& parameters,
                                               std::uint32_t index) {
        const int count = sqlite3_bind_parameter_count(statement);
        std::vector<int> positional;
        bool numbered = false;
        for (int i = 1; i <= count; ++i) {
            const char* name = sqlite3_bind_parameter_name(statement, i);
            if (name == nullptr) {
                positional.push_back(i);
            } else if (name[0] == '?') {
                positional.push_back(i);
                numbered = true;
            }
        }
        std::vector<bool> filled(static_cast<std::size_t>(count) + 1, false);
        std::size_t next_positional = 0;
        for (const auto& parameter : parameters) {
            int slot = 0;
            if (parameter.name.empty()) {
                if (next_positional >= positional.size())
                    return make_failure(index, SQLITE_RANGE,
                                        "statement has " + std::to_string(positional.size()) +
                                            " positional parameters, more values were given");
                slot = positional[next_positional++];
            } else {
                slot = parameter_index(statement, parameter.name);
                if (slot == 0)
                    return make_failure(index, SQLITE_RANGE,
                                        "statement has no parameter named " + parameter.name);
            }
            if (filled[static_cast<std::size_t>(slot)])
                return make_failure(index, SQLITE_RANGE,
                                    "parameter " + describe_parameter(statement, slot) +
                                        " is given more than one value");
            filled[static_cast<std::size_t>(slot)] = true;
            const int rc = bind_value(statement, slot, parameter.value);
            if (rc != SQLITE_OK)
                return make_failure(
                    index, rc,
                    "parameter " + describe_parameter(statement, slot) + ": " + sqlite3_errstr(rc));
        }
        for (int i = 1; i <= count; ++i) {
            if (filled[static_cast<std::size_t>(i)]) continue;
            // With ?NNN numbering, unnamed slots may be gaps no SQL refers to.
            if (sqlite3_bind_parameter_name(statement, i) == nullptr && numbered) continue;
            return make_failure(index, SQLITE_RANGE,
                                "no value for parameter " + describe_parameter(statement, i));
        }
        return std::nullopt;
    }

    /// Per-request accounting of result size.
    struct result_budget {
        std::size_t rows = 0;
        std::size_t bytes = 0;
    };

    static std::optional<sql_failure> charge(result_budget& budget, std::size_t bytes,
                                             std::uint32_t index) {
        budget.bytes += bytes;
        if (budget.bytes <= execution_limits::result_bytes_max) return std::nullopt;
        return make_failure(index, SQLITE_TOOBIG,
                            "request returns more than " +
                                std::to_string(execution_limits::result_bytes_max) +
                                " bytes of results");
    }

    std::optional<sql_failure> take_row(sqlite3_stmt* statement, int columns,
                                        statement_result& result, result_budget& budget,
                                        std::uint32_t index) {
        if (++budget.rows > protocols::limits::result_rows_max)
            return make_failure(index, SQLITE_TOOBIG,
                                "request returns more than " +
                                    std::to_string(protocols::limits::result_rows_max) + " rows");
        if (auto f = charge(budget, execution_limits::result_row_bytes, index)) return f;
        std::vector<sql_value> row;
        row.reserve(static_cast<std::size_t>(columns));
        for (int c = 0; c < columns; ++c) {
            switch (sqlite3_column_type(statement, c)) {
                case SQLITE_INTEGER:
                    if (auto f = charge(budget, execution_limits::result_value_bytes, index))
                        return f;
                    row.push_back(sql_value::integer(sqlite3_column_int64(statement, c)));
                    break;
                case SQLITE_FLOAT:
                    if (auto f = charge(budget, execution_limits::result_value_bytes, index))
                        return f;
                    row.push_back(sql_value::real(sqlite3_column_double(statement, c)));
                    break;
                case SQLITE_TEXT: {
                    const auto* text =
                        reinterpret_cast<const char*>(sqlite3_column_text(statement, c));
                    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, c));
                    if (text == nullptr && size > 0) storage_fault(connection(), "reading text");
                    if (auto f = charge(budget, execution_limits::result_value_bytes + size, index))
                        return f;
                    const std::string_view view(text == nullptr ? "" : text, size);
                    if (!valid_utf8(view))
                        return make_failure(
                            index, SQLITE_MISMATCH,
                            "result text is not valid UTF-8 (row " +
                                std::to_string(result.rows.size()) + ", column " +
                                std::to_string(c) +
                                "): select it as a BLOB, for example CAST(x AS BLOB)");
                    row.push_back(sql_value::text(std::string(view)));
                    break;
                }
                case SQLITE_BLOB: {
                    const auto* blob =
                        static_cast<const std::uint8_t*>(sqlite3_column_blob(statement, c));
                    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, c));
                    if (blob == nullptr && size > 0) storage_fault(connection(), "reading a blob");
                    if (auto f = charge(budget, execution_limits::result_value_bytes + size, index))
                        return f;
                    row.push_back(sql_value::blob(size == 0 ? bytes() : bytes(blob, blob + size)));
                    break;
                }
                default:
                    if (auto f = charge(budget, execution_limits::result_value_bytes, index))
                        return f;
                    row.push_back(sql_value::null());
                    break;
            }
        }
        result.rows.push_back(std::move(row));
        return std::nullopt;
    }

    std::optional<sql_failure> run_statement(const sql_statement& statement, std::uint32_t index,
                                             mode m, std::vector<statement_result>& results,
                                             result_budget& budget) {
        statement_writes_rows = keyword_writes_rows(leading_keyword(statement.sql));
        auto prepared = prepare_client(statement.sql, index, m);
        if (auto* failure = std::get_if<sql_failure>(&prepared)) return std::move(*failure);
        auto& ready = std::get<prepared_statement>(prepared);
        sqlite3_stmt* const s = ready.statement;
        statement_reset_guard reset(s);

        // The authoritative form of the lexical EXPLAIN refusal (1: EXPLAIN, 2: QUERY PLAN).
        if (sqlite3_stmt_isexplain(s) == 1)
            return make_failure(index, SQLITE_AUTH, explain_refusal());
        const bool read_only = sqlite3_stmt_readonly(s) != 0;
        if (m == mode::read_request && !read_only)
            return make_failure(index, SQLITE_READONLY,
                                "a read request cannot change the database (statement " +
                                    std::to_string(index) + " writes)");

        statement_result result;
        const int columns = sqlite3_column_count(s);
        result.columns.reserve(static_cast<std::size_t>(columns));
        for (int c = 0; c < columns; ++c) {
            const char* name = sqlite3_column_name(s, c);
            if (name == nullptr) storage_fault(connection(), "reading a column name");
            result.columns.push_back(
                printable_utf8(name, protocols::limits::column_name_bytes_max));
            if (auto f = charge(budget,
                                execution_limits::result_value_bytes + result.columns.back().size(),
                                index))
                return f;
        }

        // One run, or one per parameter set (prepared once): rows in order, changes summed.
        const std::size_t runs = statement.runs();
        for (std::size_t run = 0; run < runs; ++run) {
            const auto& parameters =
                statement.parameter_sets.empty() ? statement.parameters : statement.parameter_sets[run];
            if (run > 0) sqlite3_reset(s);
            auto failure = run_once(s, parameters, index, m, columns, read_only, result, budget);
            if (failure && !statement.parameter_sets.empty())
                failure->message = "parameter set " + std::to_string(run) + ": " + failure->message;
            if (failure) return failure;
        }
        results.push_back(std::move(result));
        return std::nullopt;
    }

    /// One run of a prepared statement with `parameters`: its rows into `result`, its
    /// changed rows added to result.affected_rows, its insert id as the result's.
    std::optional<sql_failure> run_once(sqlite3_stmt* s, const std::vector<sql_parameter>& parameters,
                                        std::uint32_t index, mode m, int columns, bool read_only,
                                        statement_result& result, result_budget& budget) {
        if (auto failure = bind_parameters(s, parameters, index)) return failure;
        const sqlite3_int64 total_changes_before = sqlite3_total_changes64(connection());
        refusal.clear();
        std::optional<sql_failure> row_failure;
        int rc = SQLITE_OK;
        {
            mode_scope scope(*this, m, /*counting=*/true);
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                row_failure = take_row(s, columns, result, budget, index);
                if (row_failure) break;
            }
        }
        // First: once the largest rowid is written, what followed may have depended on
        // SQLite's random rowids, so the request's outcome is this refusal whatever the
        // statement itself reported.
        if (max_rowid_written)
            return make_failure(index, SQLITE_AUTH,
                                "not allowed: rowid 9223372036854775807 (SQLite would pick the "
                                "following rowids at random)");
        if (read_request_wrote)
            return make_failure(index, SQLITE_READONLY,
                                "a read request cannot change the database (statement " +
                                    std::to_string(index) + " wrote)");
        if (row_failure) return row_failure;
        if (rc != SQLITE_DONE) return failure_from_sqlite(index, "executing a client statement");
        if (change_capture_error != SQLITE_OK) storage_fault(connection(), "hashing row changes");

        const sqlite3_int64 changed = sqlite3_total_changes64(connection()) - total_changes_before;
        if (!read_only && changed > 0)
            result.affected_rows += static_cast<std::uint64_t>(sqlite3_changes64(connection()));
        result.last_insert_id = sqlite3_last_insert_rowid(connection());
        return std::nullopt;
    }

    request_body run_statements(const client_request& request, mode m) {
        std::vector<statement_result> results;
        results.reserve(request.statements.size());
        result_budget budget;
        for (std::size_t i = 0; i < request.statements.size(); ++i) {
            schema_action_in_statement = false;
            auto failure = run_statement(request.statements[i], static_cast<std::uint32_t>(i), m,
                                         results, budget);
            // Preparing DDL can change the planner's estimates (see forget_planner_state)
            // and ANALYZE changes its statistics, neither with a new schema cookie: plans
            // cached before would now differ from fresh ones on a replica without them.
            if (schema_action_in_statement) cache.clear();
            if (failure) return std::move(*failure);
        }
        return results;
    }

    static mode mode_of(const client_request& request) {
        return request.kind == query_kind::read ? mode::read_request : mode::write_request;
    }

    /// One request of a batch, in its own savepoint.
    request_body run_batch_request(const client_request& request, std::uint32_t index,
                                   const digest& seed) {
        if (auto failure = check_statement_count(request)) return std::move(*failure);
        run_internal(savepoint_statement.get(), "opening a request's savepoint");
        begin_request(index, seed);
        request_body body = run_statements(request, mode_of(request));
        if (succeeded(body)) {
            // Deferred foreign keys are checked at the end of each request: the batch's
            // COMMIT must not fail because of one request.
            int current = 0;
            int highest = 0;
            sqlite3_db_status(connection(), SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highest, 0);
            if (current > 0)
                body = make_failure(static_cast<std::uint32_t>(request.statements.size() - 1),
                                    SQLITE_CONSTRAINT_FOREIGNKEY, "FOREIGN KEY constraint failed");
        }
        if (succeeded(body)) {
            run_internal(release_statement.get(), "releasing a request's savepoint");
            changes.commit_request(index);
        } else {
            changes.discard_request();
            // A failure may have ended the whole transaction (an interrupted write):
            // execute_batch notices and starts the batch again.
            if (in_transaction()) {
                run_internal(rollback_to_statement.get(), "rolling a request back");
                run_internal(release_statement.get(), "releasing a request's savepoint");
            }
        }
        return body;
    }

    /// SQLite's planner works from an in-memory copy of the schema and statistics that is
    /// not always what a replica opening the file now would load: preparing CREATE INDEX
    /// raises the table's row estimate (sqlite3DefaultRowEst) even if the index is never
    /// created (a refused or failed statement, EXPLAIN, a read), and a request that fails
    /// after ANALYZE leaves the statistics it loaded behind. Plans, and so the order of
    /// unordered rows, would then differ between a running and a restarted replica. So
    /// after a batch or a read that prepared any DDL, ANALYZE or REINDEX, the executor
    /// makes SQLite drop its in-memory schema (rolling back a schema change does that), to
    /// be loaded afresh from the file, statistics included, by the next statement, exactly
    /// as after a restart; cached plans go too. Within a batch, replicas that started it
    /// alike prepare the same statements in the same order, and the statement cache is
    /// emptied after each such statement (run_statements), so that a plan cached earlier
    /// by one replica is not used where another replica plans afresh.
    void forget_planner_state() {
        run_internal(reset_savepoint_statement.get(), "resetting the schema");
        run_internal(reset_create_statement.get(), "resetting the schema");
        run_internal(reset_rollback_statement.get(), "resetting the schema");
        run_internal(reset_release_statement.get(), "resetting the schema");
        cache.clear();
        planner_state_touched = false;
    }

    void save_metadata(sequence_number seq, const digest& state_digest) {
        sqlite3_stmt* const s = update_metadata_statement.get();
        sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(seq.value));
        sqlite3_bind_blob(s, 2, state_digest.begin(), static_cast<int>(digest::size()),
                          SQLITE_TRANSIENT);
        run_internal(s, "recording the batch in the metadata table");
        COVENANT_ASSERT(sqlite3_changes64(connection()) == 1, "metadata row missing");
    }
};

// ---- opening -------------------------------------------------------------------------

namespace {

error open_error(sqlite3* db, const std::string& path, const char* doing) {
    const int code = db == nullptr ? SQLITE_CANTOPEN : sqlite3_extended_errcode(db);
    const std::string detail =
        path + ": " + doing + ": " + (db == nullptr ? sqlite3_errstr(code) : sqlite3_errmsg(db));
    if ((code & 0xff) == SQLITE_NOTADB) return error{executor_errc::not_a_database, detail};
    if ((code & 0xff) == SQLITE_CANTOPEN) return error{executor_errc::cannot_open, detail};
    return error{executor_errc::sqlite_failed, detail};
}

std::optional<error> exec_setup(sqlite3* db, const std::string& path, const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK) return std::nullopt;
    return open_error(db, path, sql);
}

std::optional<error> prepare_internal(sqlite3* db, const std::string& path, const char* sql,
                                      sqlite_statement& out) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    out.reset(raw);
    if (rc != SQLITE_OK || raw == nullptr) return open_error(db, path, sql);
    return std::nullopt;
}

}  // namespace

sql_executor::sql_executor(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
sql_executor::~sql_executor() = default;

result<std::unique_ptr<sql_executor>> sql_executor::open(const std::string& path) {
    pin_sqlite_localtime_to_utc();
    auto vfs = deterministic_vfs::create();
    if (!vfs) return vfs.failure();
    auto self = std::make_unique<impl>();
    self->vfs = std::move(vfs.value());

    sqlite3* raw = nullptr;
    const int open_rc = sqlite3_open_v2(
        path.c_str(), &raw,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
        self->vfs->name());
    self->db.reset(raw);
    if (open_rc != SQLITE_OK) return open_error(raw, path, "opening");
    sqlite3* const db = raw;
    sqlite3_extended_result_codes(db, 1);

    // Connection settings that decide what SQL means are pinned here, whatever this
    // SQLite build's defaults are, and clients cannot change them (sql_policy.hpp).
    struct setting {
        int option;
        int value;
    };
    static constexpr setting settings[] = {
        {SQLITE_DBCONFIG_DEFENSIVE, 1},  // no writable_schema, no writes to shadow tables
        {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0},
        {SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0},  // its two-argument form takes a pointer
        {SQLITE_DBCONFIG_ENABLE_TRIGGER, 1},
        {SQLITE_DBCONFIG_ENABLE_VIEW, 1},
        {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 1},
        {SQLITE_DBCONFIG_DQS_DML, 1},
        {SQLITE_DBCONFIG_DQS_DDL, 1},
        {SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 0},
        {SQLITE_DBCONFIG_LEGACY_FILE_FORMAT, 0},
        {SQLITE_DBCONFIG_TRIGGER_EQP, 0},
    };
    for (const auto& s : settings) {
        if (sqlite3_db_config(db, s.option, s.value, nullptr) != SQLITE_OK)
            return open_error(db, path, "configuring the connection");
    }
    sqlite3_enable_load_extension(db, 0);
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, static_cast<int>(protocols::limits::value_bytes_max));
    sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH,
                  static_cast<int>(protocols::limits::sql_text_bytes_max));
    sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER,
                  static_cast<int>(protocols::limits::parameters_per_statement_max));
    sqlite3_limit(db, SQLITE_LIMIT_COLUMN, static_cast<int>(protocols::limits::result_columns_max));
    sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, 0);

    {
        sqlite_statement journal;
        if (auto e = prepare_internal(db, path, "PRAGMA journal_mode=WAL", journal)) return *e;
        const int rc = sqlite3_step(journal.get());
        const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(journal.get(), 0));
        if (rc != SQLITE_ROW) return open_error(db, path, "setting WAL mode");
        if (mode == nullptr || std::string_view(mode) != "wal")
            return error{executor_errc::not_wal,
                         path + ": journal mode is " + (mode == nullptr ? "unknown" : mode)};
    }
    if (auto e = exec_setup(db, path,
                            "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "

                            "PRAGMA recursive_triggers=OFF; PRAGMA automatic_index=ON; "
                            "PRAGMA reverse_unordered_selects=OFF; PRAGMA case_sensitive_like=OFF"))
        return *e;

    {
        // SQLite's own checkpoint, in the COMMIT of every thousandth page, stalled the
        // replica; it runs beside it (wal_checkpointer.hpp), the automatic one a backstop.
        auto checkpointer = wal_checkpointer::start(db, path);
        if (!checkpointer) return checkpointer.failure();
        self->checkpointer = std::move(*checkpointer);
    }

    if (register_deterministic_functions(db, &self->functions) != SQLITE_OK)
        return open_error(db, path, "registering functions");
    sqlite3_set_authorizer(db, impl::on_authorize, self.get());
    sqlite3_preupdate_hook(db, impl::on_preupdate, self.get());
    sqlite3_progress_handler(db, execution_limits::vm_steps_per_check, impl::on_progress,
                             self.get());

    if (auto e = exec_setup(db, path,
                            "BEGIN IMMEDIATE;"
                            "CREATE TABLE IF NOT EXISTS covenant_meta("
                            "  id INTEGER PRIMARY KEY CHECK (id = 1),"
                            "  format INTEGER NOT NULL,"
                            "  applied_seq INTEGER NOT NULL,"
                            "  state_digest BLOB NOT NULL);"
                            "INSERT OR IGNORE INTO covenant_meta VALUES (1, 1, 0, zeroblob(32));"
                            "COMMIT;")) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        return *e;
    }
    {
        sqlite_statement read;
        if (auto e = prepare_internal(
                db, path,
                "SELECT format, applied_seq, state_digest FROM covenant_meta WHERE id = 1", read))
            return *e;
        const int rc = sqlite3_step(read.get());
        if (rc == SQLITE_DONE)
            return error{executor_errc::bad_metadata, path + ": no metadata row"};
        if (rc != SQLITE_ROW) return open_error(db, path, "reading the metadata");
        sqlite3_stmt* const s = read.get();
        if (sqlite3_column_type(s, 0) != SQLITE_INTEGER ||
            sqlite3_column_type(s, 1) != SQLITE_INTEGER ||
            sqlite3_column_type(s, 2) != SQLITE_BLOB ||
            sqlite3_column_bytes(s, 2) != static_cast<int>(digest::size()))
            return error{executor_errc::bad_metadata, path + ": metadata has the wrong types"};
        const std::int64_t format = sqlite3_column_int64(s, 0);
        if (format > metadata_format)
            return error{executor_errc::unsupported_format,
                         path + ": metadata format " + std::to_string(format)};
        if (format != metadata_format)
            return error{executor_errc::bad_metadata,
                         path + ": metadata format " + std::to_string(format)};
        self->applied = sequence_number(static_cast<std::uint64_t>(sqlite3_column_int64(s, 1)));
        self->state = *digest::from_view(
            byte_view(static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 2)), digest::size()));
        if (self->applied.value == 0 && !self->state.is_zero())
            return error{executor_errc::bad_metadata,
                         path + ": a state digest without any applied batch"};
    }

    struct internal_statement {
        sqlite_statement impl::*member;
        const char* sql;
    };
    static const internal_statement internal_statements[] = {
        {&impl::begin_batch_statement, "BEGIN IMMEDIATE"},
        {&impl::commit_statement, "COMMIT"},
        {&impl::begin_read_statement, "BEGIN DEFERRED"},
        {&impl::rollback_statement, "ROLLBACK"},
        {&impl::savepoint_statement, request_savepoint_sql},
        {&impl::release_statement, "RELEASE covenant_request"},
        {&impl::rollback_to_statement, "ROLLBACK TO covenant_request"},
        {&impl::update_metadata_statement,
         "UPDATE covenant_meta SET applied_seq = ?1, state_digest = ?2 WHERE id = 1"},
        {&impl::schema_version_statement, "PRAGMA schema_version"},
        {&impl::schema_entries_statement,
         "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name, type"},
        {&impl::reset_savepoint_statement, "SAVEPOINT covenant_schema_reset"},
        // A schema change only to be rolled back, on the executor's own table (whose name
        // clients cannot use, so it cannot clash).
        {&impl::reset_create_statement,
         "ALTER TABLE covenant_meta ADD COLUMN schema_reset INTEGER"},
        {&impl::reset_rollback_statement, "ROLLBACK TO covenant_schema_reset"},
        {&impl::reset_release_statement, "RELEASE covenant_schema_reset"},
    };
    for (const auto& s : internal_statements)
        if (auto e = prepare_internal(db, path, s.sql, (*self).*(s.member))) return *e;

    return std::unique_ptr<sql_executor>(new sql_executor(std::move(self)));
}

// ---- batches and reads ---------------------------------------------------------------

batch_execution sql_executor::execute_batch(sequence_number seq, const batch_context& context,
                                            const std::vector<client_request>& requests,
                                            const std::vector<digest>& known_hashes) {
    impl& self = *impl_;
    COVENANT_ASSERT(self.applied.value != sequence_number::max_value && seq == self.applied.next(),
                    "execute_batch: batches must be applied in order, each exactly once");
    COVENANT_ASSERT(requests.size() <= 0xffffffffu, "execute_batch: too many requests");
    self.vfs->set_time_ms(context.timestamp_ms);

    std::vector<digest> computed_hashes;
    if (known_hashes.size() != requests.size()) {
        computed_hashes.reserve(requests.size());
        for (const auto& request : requests) computed_hashes.push_back(request.hash());
    }
    const std::vector<digest>& request_hashes =
        known_hashes.size() == requests.size() ? known_hashes : computed_hashes;

    // A request whose failure ended the batch's transaction (an interrupted write) is
    // recorded here, and the batch runs again from its start without executing it: the
    // requests before it give the same outcomes again, deterministically.
    std::vector<std::optional<sql_failure>> ended_transaction(requests.size());
    std::vector<request_body> bodies;
    std::int64_t schema_version_before = 0;
    self.planner_state_touched = false;
    for (std::size_t attempt = 0;; ++attempt) {
        COVENANT_ASSERT(attempt <= requests.size(), "execute_batch: restarts without progress");
        self.run_internal(self.begin_batch_statement.get(), "beginning a batch");
        // Before a restart: what the abandoned attempt prepared.
        if (self.planner_state_touched) self.forget_planner_state();
        schema_version_before = self.read_schema_version();
        self.changes.begin_batch();
        bodies.clear();
        bool restart = false;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            if (ended_transaction[i]) {
                bodies.emplace_back(*ended_transaction[i]);
                continue;
            }
            request_body body =
                self.run_batch_request(requests[i], static_cast<std::uint32_t>(i), context.seed);
            if (!self.in_transaction()) {
                COVENANT_ASSERT(!succeeded(body), "a successful request ended the transaction");
                ended_transaction[i] = std::get<sql_failure>(body);
                restart = true;
                break;
            }
            bodies.push_back(std::move(body));
        }
        if (!restart) break;
    }

    if (self.read_schema_version() != schema_version_before) {
        sqlite3_stmt* const s = self.schema_entries_statement.get();
        statement_reset_guard reset(s);
        if (self.changes.add_schema(s) != SQLITE_DONE)
            storage_fault(self.connection(), "hashing the schema");
    }

    if (self.planner_state_touched) self.forget_planner_state();

    batch_execution out;
    out.outcomes.reserve(requests.size());
    std::vector<digest> leaves;
    leaves.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        out.outcomes.push_back(request_outcome{request_hashes[i], std::move(bodies[i])});
        leaves.push_back(out.outcomes.back().hash());
    }
    out.results_root = protocols::merkle_root(leaves);
    out.state_digest =
        next_state_digest(self.state, seq, out.results_root, self.changes.finish_batch());

    self.save_metadata(seq, out.state_digest);
    self.run_internal(self.commit_statement.get(), "committing a batch");
    self.applied = seq;
    self.state = out.state_digest;
    return out;
}

request_outcome sql_executor::execute_read(const client_request& request,
                                           const batch_context& context) {
    impl& self = *impl_;
    request_outcome out;
    out.request_hash = request.hash();
    if (auto failure = check_statement_count(request)) {
        out.body = std::move(*failure);
        return out;
    }
    self.vfs->set_time_ms(context.timestamp_ms);
    self.run_internal(self.begin_read_statement.get(), "beginning a read");
    self.planner_state_touched = false;
    self.begin_request(0, context.seed);
    out.body = self.run_statements(request, impl::mode::read_request);
    if (self.planner_state_touched && self.in_transaction()) self.forget_planner_state();
    if (self.in_transaction()) self.run_internal(self.rollback_statement.get(), "ending a read");
    return out;
}

sequence_number sql_executor::applied_seq() const {
    return impl_->applied;
}
digest sql_executor::state_digest() const {
    return impl_->state;
}
wal_checkpointer::status sql_executor::checkpoint_status() const {
    return impl_->checkpointer ? impl_->checkpointer->current_status() : wal_checkpointer::status{};
}

namespace {
/// Why the text of one statement is refused before a vote, or nullopt.
std::optional<std::string> statement_text_refusal(const std::string& sql) {
    if (sql.size() > protocols::limits::sql_text_bytes_max)
        return "text is " + std::to_string(sql.size()) + " bytes, limit " +
               std::to_string(protocols::limits::sql_text_bytes_max);
    if (sql.find('\0') != std::string::npos) return std::string("text contains a NUL byte");
    if (skip_insignificant(sql, 0, /*semicolons_too=*/true) == sql.size())
        return std::string("statement is empty");
    return lexical_refusal(sql);
}
}  // namespace

std::optional<std::string> sql_executor::refusal_reason(const client_request& request) {
    if (auto failure = check_statement_count(request)) return failure->message;
    // The check reads a statement's text alone, and the same texts come again and again (a
    // client's INSERT, 100 times in a 100-row request; every batch): a text that passed is
    // remembered (short ones, a bounded number) and passes again without the lexer, which
    // was a twentieth of a follower's time on 100-row requests.
    constexpr std::size_t remembered_text_bytes_max = 1024, remembered_texts_max = 4096;
    thread_local std::unordered_set<std::string> passed;
    for (std::size_t i = 0; i < request.statements.size(); ++i) {
        const std::string& sql = request.statements[i].sql;
        if (passed.count(sql) != 0) continue;
        if (auto reason = statement_text_refusal(sql))
            return "statement " + std::to_string(i) + ": " + *reason;
        if (sql.size() > remembered_text_bytes_max) continue;
        if (passed.size() >= remembered_texts_max) passed.clear();
        passed.insert(sql);
    }
    return std::nullopt;
}

}  // namespace covenant::storage
