// Showing SQL results the way a shell user reads them (cql exec, query, console): rows from a
// gateway's answer (columns and rows of JSON values, docs/node.md "SQL values") as an aligned
// table, CSV (RFC 4180) or JSON (an array of objects), like sqlite3's .mode table/csv/json.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "protocols/sql_messages.hpp"

namespace cql {

enum class output_mode { table, csv, json };

/// "table", "csv", "json"; nullopt-like failure is the caller's (parse_output_mode).
bool parse_output_mode(const std::string& text, output_mode& out);

struct result_rows {
    std::vector<std::string> columns;
    std::vector<std::vector<covenant::protocols::sql_value>> rows;
};

/// The rows of one statement's answer ({"columns": [...], "rows": [[...]...]}); a wrong shape
/// is a cql::failure naming it.
result_rows rows_from_answer(const nlohmann::json& statement);

/// One value as a table or CSV cell: NULL, integers, reals (shortest exact form, with a
/// decimal point), text as it is, blobs as X'hex'.
std::string display_value(const covenant::protocols::sql_value& v);

/// The rows in `mode`, ending with a newline; nothing for a result without columns.
std::string format_rows(const result_rows& rows, output_mode mode);

}  // namespace cql
