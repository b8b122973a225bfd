// SQL functions whose built-in versions would answer differently on different replicas,
// replaced on an executor's connection (application functions take precedence over
// SQLite's built-ins):
//
//   random(), randomblob(N)  read the request's deterministic stream (request_prng.hpp)
//                            with SQLite's own shaping of the values;
//   total_changes()          counts from the start of the current request, not from when
//                            this process opened the connection;
//   changes()                0 until the current request has changed a row, so it never
//                            reports a count left over from an earlier request.
//
// last_insert_rowid() keeps SQLite's version: the executor resets the connection's value
// to 0 before each request. Time functions read the VFS clock (deterministic_vfs.hpp).
#pragma once

#include <sqlite3.h>

#include <cstdint>

#include "storage/request_prng.hpp"

namespace covenant::storage {

/// The per-request state those functions read; owned by the executor, reset per request.
struct deterministic_function_state {
    request_prng prng;
    sqlite3_int64 total_changes_at_request_start = 0;
};

/// Registers the replacements on `db`. Returns SQLite's result code.
int register_deterministic_functions(sqlite3* db, deterministic_function_state* state);

}  // namespace covenant::storage
