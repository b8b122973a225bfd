// Internal to storage/: the SQLite side shared by the stores of hash-linked chains (the
// shard chain and the main chain). One table `(height INTEGER PRIMARY KEY, hash BLOB,
// encoded BLOB) STRICT` in a WAL file with synchronous=FULL, and the strict reading of a
// row back: the stored bytes must decode, be the block of that height and hash, and be
// exactly the block's canonical encoding. Errors carry the store's own error enum `Errc`,
// which has sqlite_failed, not_wal and corrupt_block.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "protocols/codec.hpp"

namespace covenant::storage {

struct statement_finalizer {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using statement = std::unique_ptr<sqlite3_stmt, statement_finalizer>;

// Heights are stored as SQLite's signed 64-bit integers; a chain never gets near 2^63.
inline constexpr std::uint64_t stored_height_max =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

inline byte_view column_bytes(sqlite3_stmt* row, int column) {
    // Blob, then size: the order SQLite documents as safe (no conversion in between).
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(row, column));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(row, column));
    return byte_view(data, data == nullptr ? 0 : size);
}

template <class Errc>
struct block_table {
    static error sqlite_failure(sqlite3* db, const std::string& doing) {
        return error{Errc::sqlite_failed, doing + ": " + sqlite3_errmsg(db)};
    }

    static error corrupt_block(std::uint64_t height, const std::string& what) {
        return error{Errc::corrupt_block, "block at height " + std::to_string(height) + ": " + what};
    }

    static result<statement> prepare(sqlite3* db, const char* sql) {
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK)
            return sqlite_failure(db, std::string("preparing \"") + sql + "\"");
        return statement(raw);
    }

    static result<nothing> execute(sqlite3* db, const char* sql) {
        if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
            return sqlite_failure(db, std::string("running \"") + sql + "\"");
        return nothing{};
    }

    /// WAL with synchronous=FULL: a committed transaction is on disk when it returns.
    static result<nothing> use_wal(sqlite3* db) {
        // journal_mode answers with the mode it got: anything but "wal" (an in-memory or
        // read-only file) would silently lose the durability the chain relies on.
        auto mode = prepare(db, "PRAGMA journal_mode=WAL");
        if (!mode) return mode.failure();
        if (sqlite3_step(mode->get()) != SQLITE_ROW) return sqlite_failure(db, "setting WAL mode");
        const auto* got = reinterpret_cast<const char*>(sqlite3_column_text(mode->get(), 0));
        if (got == nullptr || std::string(got) != "wal")
            return error{Errc::not_wal,
                         std::string("journal mode is ") + (got == nullptr ? "unknown" : got)};
        return execute(db, "PRAGMA synchronous=FULL");
    }

    /// The table `table` (a fixed name from the store), if the file has none.
    static result<nothing> create_table(sqlite3* db, const std::string& table) {
        const std::string create = "CREATE TABLE IF NOT EXISTS " + table +
                                   " (height INTEGER PRIMARY KEY, hash BLOB NOT NULL,"
                                   " encoded BLOB NOT NULL) STRICT";
        return execute(db, create.c_str());
    }

    /// Opens (creating if needed) the file at `path` in WAL mode with synchronous=FULL, with
    /// the table `table`. The connection is closed on every path, even a failed open.
    template <class Closer>
    static result<std::unique_ptr<sqlite3, Closer>> open(const std::string& path,
                                                         const std::string& table) {
        auto db = open_wal<Closer>(path);
        if (!db) return db;
        if (auto created = create_table(db->get(), table); !created) return created.failure();
        return db;
    }

    /// Opens (creating if needed) the file at `path` in WAL mode with synchronous=FULL, for
    /// a store that creates its own tables. Closed on every path, even a failed open.
    template <class Closer>
    static result<std::unique_ptr<sqlite3, Closer>> open_wal(const std::string& path) {
        sqlite3* raw = nullptr;
        const int opened = sqlite3_open_v2(path.c_str(), &raw,
                                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
        std::unique_ptr<sqlite3, Closer> db(raw);
        if (opened != SQLITE_OK)
            return error{Errc::sqlite_failed,
                         "opening " + path + ": " +
                             (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(opened))};
        sqlite3_extended_result_codes(raw, 1);
        if (auto wal = use_wal(raw); !wal) return wal.failure();
        return db;
    }

    /// The highest stored height (0 for an empty chain); corrupt_chain unless the stored
    /// heights are exactly 1..n (a deleted or inserted row is corruption).
    static result<std::uint64_t> stored_height(sqlite3* db, const std::string& table) {
        const std::string sql = "SELECT COUNT(*), MIN(height), MAX(height) FROM " + table;
        auto shape = prepare(db, sql.c_str());
        if (!shape) return shape.failure();
        if (sqlite3_step(shape->get()) != SQLITE_ROW)
            return sqlite_failure(db, "reading the chain's heights");
        const auto count = sqlite3_column_int64(shape->get(), 0);
        const auto lowest = sqlite3_column_int64(shape->get(), 1);
        const auto highest = sqlite3_column_int64(shape->get(), 2);
        if (count == 0) return std::uint64_t{0};
        if (lowest != 1 || highest != count)
            return error{Errc::corrupt_chain, std::to_string(count) + " blocks stored with heights " +
                                                  std::to_string(lowest) + ".." +
                                                  std::to_string(highest)};
        return static_cast<std::uint64_t>(highest);
    }
};

/// Decodes one row (height, hash, encoded) and checks it is exactly the block the row says:
/// the decoder re-checks the block's own consistency and signatures, and the re-encoding
/// must give the stored bytes back, so no altered byte goes unnoticed -- not even one in
/// padding that the decoder ignores. `decode` returns result<Block>.
template <class Errc, class Block, class Decode>
result<Block> read_block_row(sqlite3_stmt* row, Decode decode) {
    using table = block_table<Errc>;
    const auto height = static_cast<std::uint64_t>(sqlite3_column_int64(row, 0));
    const byte_view stored_hash = column_bytes(row, 1);
    const byte_view encoded = column_bytes(row, 2);
    auto decoded = decode(encoded);
    if (!decoded)
        return table::corrupt_block(height, "does not decode: " + decoded.failure().message());
    if (decoded->header.height.value != height)
        return table::corrupt_block(
            height, "holds the block of height " + std::to_string(decoded->header.height.value));
    if (stored_hash != decoded->hash().view())
        return table::corrupt_block(height, "stored hash differs from the block's hash");
    if (protocols::encode(*decoded) != encoded)
        return table::corrupt_block(height, "stored bytes are not the block's canonical encoding");
    return std::move(decoded).value();
}

}  // namespace covenant::storage
