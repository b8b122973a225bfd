// What Covenant refuses in client SQL, and the words it refuses with. One place for both
// guards, so they give the same verdict in the same words:
//
// - lexical_refusal(): a static check of a statement's text, before a replica votes for a
//   request and again before the executor prepares it;
// - authorizer_refusal(): SQLite's authorizer callback while a client statement is
//   prepared (and re-prepared). This is the real guard: it sees what the parser resolved.
//
// Refused: ATTACH and DETACH (other files); load_extension (native code; extension
// loading is also switched off); every PRAGMA but the read-only schema introspection ones
// listed in allowed_pragmas (PRAGMAs change connection settings that replicas must share,
// or read physical details that they need not share); BEGIN/COMMIT/ROLLBACK/SAVEPOINT/
// RELEASE (a request is already one transaction inside the batch's); TEMP objects (they
// live in the connection, not the database); VACUUM (rewrites the file, and VACUUM INTO
// writes a new one); the internal metadata table; ROLLBACK conflict resolution (OR
// ROLLBACK, ON CONFLICT ROLLBACK, RAISE(ROLLBACK)), which would end the batch's whole
// transaction; the dbstat and sqlite_stmt tables (file layout and connection state); and
// writing sqlite_stat1/sqlite_stat4 directly (a running replica keeps the statistics it
// loaded, a restarted one reads the table: their query plans would differ; ANALYZE keeps
// both in step); and EXPLAIN's program listing (it shows connection counters; EXPLAIN
// QUERY PLAN is fine).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace covenant::storage {

/// The executor's own table: applied sequence number and state digest.
inline constexpr std::string_view metadata_table_name = "covenant_meta";

/// The PRAGMAs a client may run (any argument): read-only schema introspection.
inline constexpr std::string_view allowed_pragmas[] = {
    "table_info",  "table_xinfo",      "index_list",        "index_info",
    "index_xinfo", "foreign_key_list", "foreign_key_check", "collation_list",
};

/// Case-insensitive.
bool pragma_allowed(std::string_view name);

/// Why EXPLAIN (other than EXPLAIN QUERY PLAN) is refused: its program listing shows the
/// connection's schema generation, which differs between a running and a restarted replica.
std::string explain_refusal();

/// The static check of one statement's text: why it is refused, or nullopt.
std::optional<std::string> lexical_refusal(std::string_view sql);

/// Where an action the authorizer sees comes from.
enum class action_origin : std::uint8_t {
    /// Preparing the client's statement text.
    client_text,
    /// Anything prepared while a client statement runs: SQL that virtual-table modules run
    /// internally (FTS5 reads PRAGMA data_version, FTS3 PRAGMA page_size), table-valued
    /// PRAGMA functions, and SQLite's re-preparation of a cached statement. Any PRAGMA may
    /// run there: a client can only name a PRAGMA function in its text, where
    /// lexical_refusal() refuses the ones not allowed. Everything else is refused as for
    /// client text.
    nested,
};

/// What the authorizer knows about the client statement an action belongs to.
struct action_context {
    action_origin origin = action_origin::client_text;
    /// The client statement is an INSERT, UPDATE, DELETE or REPLACE (or WITH ...): rows it
    /// writes to sqlite_stat1 are the client's own. ANALYZE, DROP and ALTER rewrite that
    /// table as SQLite's bookkeeping, which is allowed.
    bool writes_rows = false;
};

/// The authorizer's verdict on one action, with SQLite's arguments (any may be null).
std::optional<std::string> authorizer_refusal(int action, const char* argument1,
                                              const char* argument2, const char* database,
                                              const char* trigger_or_view,
                                              const action_context& context = {});

/// The first keyword of a statement (after EXPLAIN [QUERY PLAN]), in lower case; empty if
/// it does not start with a word.
std::string leading_keyword(std::string_view sql);
/// Whether a statement starting with this keyword writes rows by itself.
bool keyword_writes_rows(std::string_view keyword);

/// Whether an authorized action changes the schema or the planner's statistics: a
/// statement doing that is not kept in the statement cache.
bool changes_schema(int action);
/// ANALYZE: after it, cached plans and the loaded statistics need a refresh.
bool is_analyze(int action);

}  // namespace covenant::storage
