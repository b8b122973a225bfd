// SQL text as a user types it (cql exec, cql console): cut into statements, and each judged
// a read (sent to /v1/query, answered by one member) or a write (sent to /v1/exec, ordered and
// committed by the group), as the members judge it: a read request runs read-only, so
// anything that may write must go as a write.
#pragma once

#include <string>
#include <vector>

namespace cql {

struct split_sql {
    std::vector<std::string> statements;  // complete, without their final ';'
    std::string rest;  // after the last complete statement: blank, or a statement unfinished
};

/// Cuts `text` at each ';' that ends a complete statement as SQLite judges it
/// (sqlite3_complete: a ';' inside a string, an identifier, a comment or a trigger's body
/// does not end one). Statements that are only whitespace and comments are dropped.
split_sql split_statements(const std::string& text);

/// True when `rest` holds no statement (only whitespace and comments).
bool blank_sql(const std::string& rest);

/// A read: SELECT, VALUES, PRAGMA (the allowed ones only read the schema), EXPLAIN QUERY PLAN
/// of one of those, and WITH ... without INSERT, UPDATE, DELETE or REPLACE. Anything else is a
/// write.
bool is_read_statement(const std::string& sql);

}  // namespace cql
