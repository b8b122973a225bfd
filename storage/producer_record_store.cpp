// SQLite persistence of a block producer's own records (see producer_record_store.hpp).
#include "storage/producer_record_store.hpp"

#include <sqlite3.h>

#include <optional>
#include <utility>

#include "protocols/canonical.hpp"
#include "protocols/codec.hpp"
#include "storage/block_table.hpp"

namespace covenant::storage {
namespace {

using main_chain::block_vote;
using main_chain::producer_record;
using table = block_table<main_store_errc>;

constexpr std::uint64_t kinds = 4;  // producer_record::kind: prevote, precommit, proposal, polka

error corrupt(std::uint64_t height, std::uint64_t round, std::uint64_t kind,
              const std::string& what) {
    return error{main_store_errc::corrupt_record,
                 "record of height " + std::to_string(height) + ", round " + std::to_string(round) +
                     ", kind " + std::to_string(kind) + ": " + what};
}

// Reads the length-prefixed parts of a polka's bytes, never past their end.
class frame_reader {
  public:
    explicit frame_reader(byte_view in) : in_(in) {}
    std::optional<std::uint32_t> u32() {
        if (in_.size() - at_ < 4) return std::nullopt;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | in_[at_++];
        return v;
    }
    std::optional<byte_view> data() {
        auto size = u32();
        if (!size || in_.size() - at_ < *size) return std::nullopt;
        byte_view part(in_.data() + at_, *size);
        at_ += *size;
        return part;
    }
    bool done() const { return at_ == in_.size(); }

  private:
    byte_view in_;
    std::size_t at_ = 0;
};

// Rolls back an open transaction unless it was committed.
class transaction_guard {
  public:
    explicit transaction_guard(sqlite3* db) : db_(db) {}
    ~transaction_guard() {
        if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    transaction_guard(const transaction_guard&) = delete;
    transaction_guard& operator=(const transaction_guard&) = delete;
    result<nothing> begin() {
        auto begun = table::execute(db_, "BEGIN IMMEDIATE");
        open_ = begun.ok();
        return begun;
    }
    result<nothing> commit() {
        auto committed = table::execute(db_, "COMMIT");
        if (committed) open_ = false;
        return committed;
    }

  private:
    sqlite3* db_;
    bool open_ = false;
};

}  // namespace

producer_record_store::producer_record_store(
    std::unique_ptr<sqlite3, main_chain_store::sqlite_closer> db)
    : db_(std::move(db)) {}
producer_record_store::~producer_record_store() = default;

result<std::unique_ptr<producer_record_store>> producer_record_store::open(
    const std::string& path) {
    auto db = table::open_wal<main_chain_store::sqlite_closer>(path);
    if (!db) return db.failure();
    if (auto created = table::execute(db->get(),
                                      "CREATE TABLE IF NOT EXISTS producer_record ("
                                      "height INTEGER NOT NULL, round INTEGER NOT NULL,"
                                      " kind INTEGER NOT NULL, encoded BLOB NOT NULL,"
                                      " PRIMARY KEY (height, round, kind)) STRICT");
        !created)
        return created.failure();
    return std::unique_ptr<producer_record_store>(new producer_record_store(std::move(db).value()));
}

bytes producer_record_store::encode(const producer_record& record) {
    if (const auto* v = std::get_if<block_vote>(&record.body)) return protocols::encode(*v);
    if (const auto* p = std::get_if<main_chain::block_proposal>(&record.body))
        return protocols::encode(*p);
    const auto& polka = std::get<main_chain::producer_polka>(record.body);
    protocols::canonical_writer w;
    w.data(protocols::encode(polka.block));
    w.u32(static_cast<std::uint32_t>(polka.prevotes.size()));
    for (const auto& v : polka.prevotes) w.data(protocols::encode(v));
    return w.take();
}

result<producer_record> producer_record_store::decode(std::uint64_t height, std::uint64_t round,
                                                      std::uint64_t kind, byte_view encoded) {
    if (kind >= kinds) return corrupt(height, round, kind, "unknown kind");
    const auto what = static_cast<producer_record::kind>(kind);
    producer_record record;
    if (what == producer_record::kind::prevote || what == producer_record::kind::precommit) {
        auto v = protocols::decode_block_vote(encoded);
        if (!v) return corrupt(height, round, kind, "does not decode: " + v.failure().message());
        record.body = std::move(v).value();
    } else if (what == producer_record::kind::proposal) {
        auto p = protocols::decode_block_proposal(encoded);
        if (!p) return corrupt(height, round, kind, "does not decode: " + p.failure().message());
        record.body = std::move(p).value();
    } else {
        frame_reader in(encoded);
        main_chain::producer_polka polka;
        polka.round = view_number(round);
        auto block_bytes = in.data();
        if (!block_bytes) return corrupt(height, round, kind, "truncated block");
        auto block = protocols::decode_main_block(*block_bytes);
        if (!block)
            return corrupt(height, round, kind,
                           "block does not decode: " + block.failure().message());
        if (!block->finality.empty())
            return corrupt(height, round, kind, "block carries finality signatures");
        polka.block = std::move(block).value();
        auto count = in.u32();
        if (!count) return corrupt(height, round, kind, "truncated prevote count");
        for (std::uint32_t i = 0; i < *count; ++i) {
            auto vote_bytes = in.data();
            if (!vote_bytes) return corrupt(height, round, kind, "truncated prevote");
            auto v = protocols::decode_block_vote(*vote_bytes);
            if (!v)
                return corrupt(height, round, kind,
                               "prevote does not decode: " + v.failure().message());
            polka.prevotes.push_back(std::move(v).value());
        }
        if (!in.done()) return corrupt(height, round, kind, "bytes after the prevotes");
        record.body = std::move(polka);
    }
    if (record.what() != what || record.height().value != height || record.round().value != round)
        return corrupt(height, round, kind, "holds a record of another slot");
    if (encode(record) != encoded)
        return corrupt(height, round, kind, "stored bytes are not the record's encoding");
    return record;
}

result<nothing> producer_record_store::save(const std::vector<producer_record>& records,
                                            block_height deciding) {
    if (deciding.value > stored_height_max)
        return error{main_store_errc::sqlite_failed, "height beyond what SQLite can store"};
    transaction_guard transaction(db_.get());
    if (auto begun = transaction.begin(); !begun) return begun;
    auto insert = table::prepare(db_.get(),
                                 "INSERT INTO producer_record (height, round, kind, encoded)"
                                 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING");
    if (!insert) return insert.failure();
    auto stored = table::prepare(db_.get(),
                                 "SELECT encoded FROM producer_record"
                                 " WHERE height = ?1 AND round = ?2 AND kind = ?3");
    if (!stored) return stored.failure();
    for (const auto& record : records) {
        if (record.height() < deciding) continue;
        const std::uint64_t h = record.height().value, r = record.round().value;
        const auto k = static_cast<std::uint64_t>(record.what());
        if (h > stored_height_max || r > stored_height_max)
            return error{main_store_errc::sqlite_failed,
                         "height or round beyond what SQLite can store"};
        const bytes encoded = encode(record);
        sqlite3_reset(insert->get());
        sqlite3_bind_int64(insert->get(), 1, static_cast<sqlite3_int64>(h));
        sqlite3_bind_int64(insert->get(), 2, static_cast<sqlite3_int64>(r));
        sqlite3_bind_int64(insert->get(), 3, static_cast<sqlite3_int64>(k));
        sqlite3_bind_blob64(insert->get(), 4, encoded.data(), encoded.size(), SQLITE_TRANSIENT);
        if (sqlite3_step(insert->get()) != SQLITE_DONE)
            return table::sqlite_failure(db_.get(), "storing a producer record");
        const bool inserted = sqlite3_changes(db_.get()) == 1;
        sqlite3_reset(insert->get());
        if (inserted) continue;
        // The slot was taken: by this very record (saved again), or by another one.
        sqlite3_reset(stored->get());
        sqlite3_bind_int64(stored->get(), 1, static_cast<sqlite3_int64>(h));
        sqlite3_bind_int64(stored->get(), 2, static_cast<sqlite3_int64>(r));
        sqlite3_bind_int64(stored->get(), 3, static_cast<sqlite3_int64>(k));
        if (sqlite3_step(stored->get()) != SQLITE_ROW)
            return table::sqlite_failure(db_.get(), "reading a producer record back");
        const bool same = column_bytes(stored->get(), 0) == byte_view(encoded);
        sqlite3_reset(stored->get());
        if (!same)
            return error{main_store_errc::conflicting_record, "height " + std::to_string(h) +
                                                                  ", round " + std::to_string(r) +
                                                                  ", kind " + std::to_string(k)};
    }
    auto prune = table::prepare(db_.get(), "DELETE FROM producer_record WHERE height < ?1");
    if (!prune) return prune.failure();
    sqlite3_bind_int64(prune->get(), 1, static_cast<sqlite3_int64>(deciding.value));
    if (sqlite3_step(prune->get()) != SQLITE_DONE)
        return table::sqlite_failure(db_.get(), "deleting producer records of final heights");
    return transaction.commit();
}

result<std::vector<producer_record>> producer_record_store::read(const char* sql,
                                                                 std::uint64_t height) const {
    auto select = table::prepare(db_.get(), sql);
    if (!select) return select.failure();
    sqlite3_bind_int64(select->get(), 1, static_cast<sqlite3_int64>(height));
    std::vector<producer_record> records;
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(select->get())) == SQLITE_ROW) {
        const auto h = sqlite3_column_int64(select->get(), 0);
        const auto r = sqlite3_column_int64(select->get(), 1);
        const auto k = sqlite3_column_int64(select->get(), 2);
        if (h < 1 || r < 0 || k < 0)
            return error{main_store_errc::corrupt_record,
                         "a record with a negative height, round or kind"};
        auto record = decode(static_cast<std::uint64_t>(h), static_cast<std::uint64_t>(r),
                             static_cast<std::uint64_t>(k), column_bytes(select->get(), 3));
        if (!record) return record.failure();
        records.push_back(std::move(record).value());
    }
    if (step != SQLITE_DONE) return table::sqlite_failure(db_.get(), "reading producer records");
    return records;
}

result<std::vector<producer_record>> producer_record_store::load(block_height height) const {
    if (height.value > stored_height_max)
        return error{main_store_errc::corrupt_record, "height beyond what SQLite can store"};
    auto above = table::prepare(db_.get(), "SELECT MAX(height) FROM producer_record");
    if (!above) return above.failure();
    if (sqlite3_step(above->get()) != SQLITE_ROW)
        return table::sqlite_failure(db_.get(), "reading producer records");
    if (sqlite3_column_type(above->get(), 0) != SQLITE_NULL) {
        const auto highest = sqlite3_column_int64(above->get(), 0);
        if (highest > static_cast<sqlite3_int64>(height.value))
            return error{main_store_errc::corrupt_record,
                         "records of height " + std::to_string(highest) +
                             " are stored, above the height being decided, " +
                             std::to_string(height.value)};
    }
    return read(
        "SELECT height, round, kind, encoded FROM producer_record WHERE height = ?1"
        " ORDER BY round, kind",
        height.value);
}

result<std::vector<producer_record>> producer_record_store::load_all() const {
    return read(
        "SELECT height, round, kind, encoded FROM producer_record WHERE height >= ?1"
        " ORDER BY height, round, kind",
        0);
}

}  // namespace covenant::storage
