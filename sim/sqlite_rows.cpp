// Reading a SQLite database file directly (see the header).
#include "sim/sqlite_rows.hpp"

#include <sqlite3.h>

namespace covenant::sim {

using protocols::sql_value;

std::vector<std::vector<sql_value>> sqlite_rows(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    std::vector<std::vector<sql_value>> out;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return out;
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            std::vector<sql_value> row;
            for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
                switch (sqlite3_column_type(stmt, c)) {
                    case SQLITE_INTEGER: row.push_back(sql_value::integer(sqlite3_column_int64(stmt, c))); break;
                    case SQLITE_FLOAT: row.push_back(sql_value::real(sqlite3_column_double(stmt, c))); break;
                    case SQLITE_TEXT:
                        row.push_back(sql_value::text(std::string(
                            reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                            static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)))));
                        break;
                    case SQLITE_BLOB: {
                        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, c));
                        row.push_back(sql_value::blob(bytes(p, p + sqlite3_column_bytes(stmt, c))));
                        break;
                    }
                    default: row.push_back(sql_value::null());
                }
            }
            out.push_back(std::move(row));
        }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
}

}  // namespace covenant::sim
