// A client gateway's SQL request numbers, per database, on disk (DESIGN.md section 4: a
// client numbers its requests on each database; replicas refuse a replay and hold a
// request that arrives ahead of its predecessor).
//
// For each database: the next sequence to use, and the signed request (if any) that was
// sent under the sequence before it and has not settled yet. begin() writes both before the
// request leaves, fsynced, so a gateway restarted after a crash never signs another request
// under a sequence that may have been executed, and can send the unsettled one again to
// learn what became of it. settle() records the outcome: used (it executed, or may have),
// or free (every answer said it was refused before being ordered, so the replicas still
// expect that sequence, and the next request takes it).
//
// One table in a WAL file with synchronous=FULL:
//   client_sequence(database BLOB PRIMARY KEY, next INTEGER NOT NULL, pending BLOB) STRICT
// Rows read back are checked (32-byte ids, next >= 1, a pending request that decodes and is
// for that database under next - 1); a damaged file is an error value at open.
#pragma once

#include <sqlite3.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "common/ids.hpp"
#include "common/result.hpp"
#include "protocols/sql_messages.hpp"

namespace covenant::storage {

enum class sequence_store_errc {
    sqlite_failed = 1,  // SQLite could not open, read or write the file
    not_wal,            // the file could not be put in WAL mode
    corrupt_block,      // (unused: the shared SQLite helpers need the name)
    corrupt_row,        // a stored row is not what this store writes
};

const std::error_category& sequence_store_category();
inline std::error_code make_error_code(sequence_store_errc e) {
    return {static_cast<int>(e), sequence_store_category()};
}

class client_sequence_store {
  public:
    static result<std::unique_ptr<client_sequence_store>> open(const std::string& path);
    ~client_sequence_store();
    client_sequence_store(const client_sequence_store&) = delete;
    client_sequence_store& operator=(const client_sequence_store&) = delete;

    /// The sequence the next request on `database` takes (1 for a database never used).
    client_sequence next(const database_id& database) const;
    /// The request sent under next - 1 and not settled yet, if any.
    std::optional<protocols::client_request> pending(const database_id& database) const;
    /// Every database with an unsettled request.
    std::map<database_id, protocols::client_request> all_pending() const;

    /// `request` (under next(database)) is about to be sent: next becomes its sequence + 1
    /// and the request is kept as pending. Nothing changes if this fails.
    result<nothing> begin(const protocols::client_request& request);
    /// The pending request of `database` settled. used: its sequence stays spent; else it is
    /// free again (next goes back to it).
    result<nothing> settle(const database_id& database, bool used);
    /// The replicas expect `sequence` next (a verified hint, above next): jump there, so the
    /// sequences in between are never used; a pending request is settled with it. No effect
    /// if not above next.
    result<nothing> advance(const database_id& database, client_sequence sequence);

  private:
    struct row {
        client_sequence next{1};
        std::optional<protocols::client_request> pending;
    };
    struct closer {
        void operator()(sqlite3* db) const;
    };
    explicit client_sequence_store(std::unique_ptr<sqlite3, closer> db);
    result<nothing> load();
    result<nothing> write(const database_id& database, const row& r);

    std::unique_ptr<sqlite3, closer> db_;
    std::map<database_id, row> rows_;
};

}  // namespace covenant::storage

template <>
struct std::is_error_code_enum<covenant::storage::sequence_store_errc> : std::true_type {};
