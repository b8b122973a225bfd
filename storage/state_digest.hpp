// The state digest of an executor's database: a hash chain over its batches,
//
//     digest_s = SHA-256(digest_{s-1} || seq (u64 big-endian) || results_root || changes_s)
//
// with digest_0 = 32 zero bytes. changes_s commits to what batch s changed, in execution
// order (change_hasher below): every row change of each request that succeeded, as SQLite's
// preupdate hook reports it (all tables, with or without a PRIMARY KEY or rowid), and the
// schema (sqlite_schema: type, name, table, SQL, by name) if the batch changed it, since
// DDL changes no row the hook sees. Two replicas that applied the same batches in the same
// order hold the same digest; a replica whose rows or schema went a different way does not.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <vector>

#include "common/ids.hpp"
#include "crypto/hash.hpp"

namespace covenant::storage {

digest next_state_digest(const digest& previous, sequence_number seq, const digest& results_root,
                         const digest& changes);

/// Builds changes_s. Each row change is encoded canonically,
///
///     u8 operation (1 insert, 2 update, 3 delete) || text table || i64 old rowid ||
///     i64 new rowid || u32 column count || values
///
/// (text = u32 length || bytes; values as protocols' canonical sql_value: u8 type 0 null,
/// 1 integer i64, 2 real f64 bits, 3 text, 4 blob; the new row's values, the old row's for
/// a delete; rowids are 0 for WITHOUT ROWID tables), and hashed into the current request's
/// digest. A request that succeeds and changed rows adds u32 request index || its digest
/// to the batch's hash; a request that is rolled back or changed nothing adds nothing (so
/// a batch that changed nothing has changes_s = SHA-256 of nothing). The schema, if included,
/// follows as u8 0x53 ('S') || u32 entry count || SHA-256 of the entries, four values each (type,
/// name, tbl_name, sql).
/// One per executor: its buffers are reused, so hashing a row allocates nothing.
class change_hasher {
  public:
    void begin_batch();
    void begin_request();
    /// From inside the preupdate hook. Returns SQLite's code if a value could not be read
    /// (the request then fails); SQLITE_OK otherwise.
    int add_row_change(sqlite3* db, int operation, const char* table, sqlite3_int64 old_rowid,
                       sqlite3_int64 new_rowid);
    void commit_request(std::uint32_t request_index);
    void discard_request();
    /// Adds the schema: `statement` is a fresh SELECT type, name, tbl_name, sql FROM
    /// sqlite_schema ORDER BY name, type. Returns SQLite's code of the last step.
    int add_schema(sqlite3_stmt* statement);
    digest finish_batch();

  private:
    void append_value(sqlite3_value* value);
    void append_u8(std::uint8_t v) { buffer_.push_back(v); }
    void append_big_endian(std::uint64_t v, int width);
    void append_data(const void* data, std::size_t size);
    void flush_into(crypto::hasher& target);

    crypto::hasher request_;
    crypto::hasher batch_;
    std::vector<std::uint8_t> buffer_;  // encoded, not yet hashed
    bool request_changed_ = false;      // the current request has reported a row change
};

}  // namespace covenant::storage
