// A client gateway's SQL request numbers on disk (see client_sequence_store.hpp).
#include "storage/client_sequence_store.hpp"

#include "protocols/codec.hpp"
#include "storage/block_table.hpp"

namespace covenant::storage {
namespace {

using table = block_table<sequence_store_errc>;

class sequence_category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "client sequence store"; }
    std::string message(int code) const override {
        switch (static_cast<sequence_store_errc>(code)) {
            case sequence_store_errc::sqlite_failed:
                return "SQLite failed";
            case sequence_store_errc::not_wal:
                return "not in WAL mode";
            case sequence_store_errc::corrupt_block:
                return "corrupt block";
            case sequence_store_errc::corrupt_row:
                return "corrupt row";
        }
        return "unknown error";
    }
};

error corrupt(const std::string& what) {
    return error{sequence_store_errc::corrupt_row, what};
}

// Sequences are stored as SQLite's signed integers: a client never gets near 2^63.
constexpr std::uint64_t sequence_max = stored_height_max;

}  // namespace

const std::error_category& sequence_store_category() {
    static const sequence_category category;
    return category;
}

void client_sequence_store::closer::operator()(sqlite3* db) const {
    sqlite3_close_v2(db);
}

client_sequence_store::client_sequence_store(std::unique_ptr<sqlite3, closer> db)
    : db_(std::move(db)) {}

client_sequence_store::~client_sequence_store() = default;

result<std::unique_ptr<client_sequence_store>> client_sequence_store::open(
    const std::string& path) {
    auto db = table::open_wal<closer>(path);
    if (!db) return db.failure();
    if (auto created = table::execute(db->get(),
                                      "CREATE TABLE IF NOT EXISTS client_sequence (database BLOB "
                                      "PRIMARY KEY, next INTEGER NOT NULL, pending BLOB) STRICT");
        !created)
        return created.failure();
    std::unique_ptr<client_sequence_store> store(new client_sequence_store(std::move(db).value()));
    if (auto loaded = store->load(); !loaded) return loaded.failure();
    return store;
}

result<nothing> client_sequence_store::load() {
    auto rows = table::prepare(db_.get(), "SELECT database, next, pending FROM client_sequence");
    if (!rows) return rows.failure();
    for (;;) {
        const int stepped = sqlite3_step(rows->get());
        if (stepped == SQLITE_DONE) break;
        if (stepped != SQLITE_ROW)
            return table::sqlite_failure(db_.get(), "reading client_sequence");
        auto id = database_id::from_view(column_bytes(rows->get(), 0));
        if (!id) return corrupt("a database id that is not 32 bytes");
        const auto next = sqlite3_column_int64(rows->get(), 1);
        if (next < 1) return corrupt("database " + id->hex() + ": next sequence below 1");
        row r;
        r.next = client_sequence(static_cast<std::uint64_t>(next));
        if (sqlite3_column_type(rows->get(), 2) != SQLITE_NULL) {
            auto request = protocols::decode_client_request(column_bytes(rows->get(), 2));
            if (!request)
                return corrupt("database " + id->hex() +
                               ": pending request: " + request.failure().message());
            if (request->database != *id || request->sequence.next() != r.next)
                return corrupt("database " + id->hex() + ": pending request is not the last one");
            r.pending = std::move(request).value();
        }
        rows_.emplace(*id, std::move(r));
    }
    return nothing{};
}

result<nothing> client_sequence_store::write(const database_id& database, const row& r) {
    auto put = table::prepare(db_.get(),
                              "INSERT OR REPLACE INTO client_sequence (database, next, pending) "
                              "VALUES (?, ?, ?)");
    if (!put) return put.failure();
    sqlite3_bind_blob(put->get(), 1, database.begin(), static_cast<int>(database.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(put->get(), 2, static_cast<sqlite3_int64>(r.next.value));
    bytes encoded;
    if (r.pending) {
        encoded = protocols::encode(*r.pending);
        sqlite3_bind_blob(put->get(), 3, encoded.data(), static_cast<int>(encoded.size()),
                          SQLITE_STATIC);
    } else {
        sqlite3_bind_null(put->get(), 3);
    }
    if (sqlite3_step(put->get()) != SQLITE_DONE)
        return table::sqlite_failure(db_.get(), "writing client_sequence");
    rows_[database] = r;
    return nothing{};
}

client_sequence client_sequence_store::next(const database_id& database) const {
    auto at = rows_.find(database);
    return at == rows_.end() ? client_sequence(1) : at->second.next;
}

std::optional<protocols::client_request> client_sequence_store::pending(
    const database_id& database) const {
    auto at = rows_.find(database);
    if (at == rows_.end()) return std::nullopt;
    return at->second.pending;
}

std::map<database_id, protocols::client_request> client_sequence_store::all_pending() const {
    std::map<database_id, protocols::client_request> out;
    for (const auto& [id, r] : rows_)
        if (r.pending) out.emplace(id, *r.pending);
    return out;
}

result<nothing> client_sequence_store::begin(const protocols::client_request& request) {
    COVENANT_ASSERT(request.sequence == next(request.database),
                    "a request takes its database's next sequence");
    if (request.sequence.value >= sequence_max)
        return error{sequence_store_errc::corrupt_row, "client sequences exhausted"};
    row r;
    r.next = request.sequence.next();
    r.pending = request;
    return write(request.database, r);
}

result<nothing> client_sequence_store::settle(const database_id& database, bool used) {
    auto at = rows_.find(database);
    COVENANT_ASSERT(at != rows_.end() && at->second.pending, "settling a request never begun");
    row r;
    r.next = used ? at->second.next : at->second.pending->sequence;
    return write(database, r);
}

result<nothing> client_sequence_store::advance(const database_id& database,
                                               client_sequence sequence) {
    if (sequence <= next(database) || sequence.value >= sequence_max) return nothing{};
    row r;  // a pending request is settled by the jump: its sequence is behind the replicas'
    r.next = sequence;
    return write(database, r);
}

}  // namespace covenant::storage
