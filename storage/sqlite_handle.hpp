// RAII owners of SQLite handles for the SQL executor: a connection is closed and a
// prepared statement finalized when its owner goes away, and a statement in use is reset
// (bindings cleared) when the scope that stepped it ends, on every path out.
#pragma once

#include <sqlite3.h>

#include <memory>

namespace covenant::storage {

struct sqlite_connection_closer {
    // close_v2: if a statement somehow outlives the connection's owner, SQLite closes
    // the connection when that statement is finalized instead of failing.
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct sqlite_statement_finalizer {
    void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};

using sqlite_connection = std::unique_ptr<sqlite3, sqlite_connection_closer>;
using sqlite_statement = std::unique_ptr<sqlite3_stmt, sqlite_statement_finalizer>;

/// Resets a statement and clears its bindings at the end of a scope, so that a cached
/// statement never holds a read transaction open nor points at a caller's buffers
/// (parameters are bound with SQLITE_STATIC).
class statement_reset_guard {
  public:
    explicit statement_reset_guard(sqlite3_stmt* statement) : statement_(statement) {}
    ~statement_reset_guard() {
        if (statement_ == nullptr) return;
        sqlite3_reset(statement_);
        sqlite3_clear_bindings(statement_);
    }
    statement_reset_guard(const statement_reset_guard&) = delete;
    statement_reset_guard& operator=(const statement_reset_guard&) = delete;

  private:
    sqlite3_stmt* statement_;
};

}  // namespace covenant::storage
