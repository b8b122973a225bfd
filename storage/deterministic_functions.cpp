// Deterministic replacements of random(), randomblob(), changes() and total_changes()
// (see deterministic_functions.hpp).
#include "storage/deterministic_functions.hpp"

#include <cstdint>
#include <limits>

namespace covenant::storage {
namespace {

deterministic_function_state& state_of(sqlite3_context* context) {
    return *static_cast<deterministic_function_state*>(sqlite3_user_data(context));
}

void random_function(sqlite3_context* context, int, sqlite3_value**) {
    std::int64_t r = state_of(context).prng.next_int64();
    // SQLite's own shaping (func.c randomFunc): never the most negative integer, so that
    // abs(random()) cannot overflow.
    if (r < 0) r = -(r & std::numeric_limits<std::int64_t>::max());
    sqlite3_result_int64(context, r);
}

void randomblob_function(sqlite3_context* context, int, sqlite3_value** argv) {
    sqlite3_int64 size = sqlite3_value_int64(argv[0]);
    if (size < 1) size = 1;  // as SQLite: a 1-byte blob for N < 1
    sqlite3* db = sqlite3_context_db_handle(context);
    if (size > sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1)) {
        sqlite3_result_error_toobig(context);
        return;
    }
    auto* buffer = static_cast<std::uint8_t*>(sqlite3_malloc64(static_cast<sqlite3_uint64>(size)));
    if (buffer == nullptr) {
        sqlite3_result_error_nomem(context);
        return;
    }
    state_of(context).prng.fill(buffer, static_cast<std::size_t>(size));
    sqlite3_result_blob64(context, buffer, static_cast<sqlite3_uint64>(size), sqlite3_free);
}

sqlite3_int64 changes_in_request(sqlite3_context* context) {
    sqlite3* db = sqlite3_context_db_handle(context);
    return sqlite3_total_changes64(db) - state_of(context).total_changes_at_request_start;
}

void total_changes_function(sqlite3_context* context, int, sqlite3_value**) {
    sqlite3_result_int64(context, changes_in_request(context));
}

void changes_function(sqlite3_context* context, int, sqlite3_value**) {
    // SQLite's changes() is the row count of the most recent INSERT/UPDATE/DELETE on the
    // connection, whichever request ran it. Within a request that has changed rows, the
    // most recent one is this request's; before that, a fresh transaction would say 0.
    sqlite3* db = sqlite3_context_db_handle(context);
    sqlite3_result_int64(context, changes_in_request(context) > 0 ? sqlite3_changes64(db) : 0);
}

}  // namespace

int register_deterministic_functions(sqlite3* db, deterministic_function_state* state) {
    // Not SQLITE_DETERMINISTIC: the planner must call them once per use, as the built-ins.
    // SQLITE_INNOCUOUS: usable in DEFAULT clauses, triggers and views like the built-ins.
    constexpr int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS;
    struct entry {
        const char* name;
        int arguments;
        void (*function)(sqlite3_context*, int, sqlite3_value**);
    };
    static constexpr entry entries[] = {
        {"random", 0, random_function},
        {"randomblob", 1, randomblob_function},
        {"total_changes", 0, total_changes_function},
        {"changes", 0, changes_function},
    };
    for (const auto& e : entries) {
        const int rc = sqlite3_create_function_v2(db, e.name, e.arguments, flags, state, e.function,
                                                  nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

}  // namespace covenant::storage
