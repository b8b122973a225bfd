// Errors of opening an executor's database: what can be wrong with a file on disk or the
// environment. (A client request's failure is not one of these: it is a value in its
// outcome, protocols::sql_failure.)
#pragma once

#include <system_error>

namespace covenant::storage {

enum class executor_errc {
    cannot_open = 1,     // SQLite could not open or create the file
    not_a_database,      // the file is not a SQLite database
    not_wal,             // WAL journal mode could not be set
    bad_metadata,        // the metadata table is missing a row, or holds invalid values
    unsupported_format,  // written by a newer executor
    sqlite_failed,       // another SQLite error while setting the connection up
};

const std::error_category& executor_category();
inline std::error_code make_error_code(executor_errc e) {
    return {static_cast<int>(e), executor_category()};
}

}  // namespace covenant::storage

template <>
struct std::is_error_code_enum<covenant::storage::executor_errc> : std::true_type {};
