// The state digest chain and the canonical hashing of row changes (see state_digest.hpp).
#include "storage/state_digest.hpp"

#include <cstring>
#include <string_view>

#include "common/assert.hpp"

namespace covenant::storage {
namespace {
// Text and blob payloads at least this long are hashed in place instead of copied into
// the buffer first.
constexpr std::size_t direct_payload_bytes = 512;
// The buffer is hashed and emptied once it holds this much.
constexpr std::size_t buffer_flush_bytes = 16 * 1024;
}  // namespace

digest next_state_digest(const digest& previous, sequence_number seq, const digest& results_root,
                         const digest& changes) {
    std::uint8_t input[32 + 8 + 32 + 32];
    std::memcpy(input, previous.begin(), 32);
    for (int i = 0; i < 8; ++i)
        input[32 + i] = static_cast<std::uint8_t>(seq.value >> (56 - 8 * i));
    std::memcpy(input + 40, results_root.begin(), 32);
    std::memcpy(input + 72, changes.begin(), 32);
    return crypto::hash(byte_view(input, sizeof input));
}

void change_hasher::append_big_endian(std::uint64_t v, int width) {
    for (int shift = 8 * (width - 1); shift >= 0; shift -= 8)
        buffer_.push_back(static_cast<std::uint8_t>(v >> shift));
}

void change_hasher::append_data(const void* data, std::size_t size) {
    append_big_endian(size, 4);
    if (size >= direct_payload_bytes) {
        flush_into(request_);
        request_.update(byte_view(static_cast<const std::uint8_t*>(data), size));
        return;
    }
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    buffer_.insert(buffer_.end(), bytes, bytes + size);
}

void change_hasher::flush_into(crypto::hasher& target) {
    if (buffer_.empty()) return;
    target.update(byte_view(buffer_.data(), buffer_.size()));
    buffer_.clear();
}

void change_hasher::append_value(sqlite3_value* value) {
    switch (sqlite3_value_type(value)) {
        case SQLITE_INTEGER:
            append_u8(1);
            append_big_endian(static_cast<std::uint64_t>(sqlite3_value_int64(value)), 8);
            break;
        case SQLITE_FLOAT: {
            const double d = sqlite3_value_double(value);
            std::uint64_t raw = 0;
            std::memcpy(&raw, &d, sizeof raw);
            append_u8(2);
            append_big_endian(raw, 8);
            break;
        }
        case SQLITE_TEXT: {
            // Type first, then the accessor of that type: no conversion of the value.
            const unsigned char* text = sqlite3_value_text(value);
            const int size = sqlite3_value_bytes(value);
            append_u8(3);
            append_data(text, static_cast<std::size_t>(size));
            break;
        }
        case SQLITE_BLOB: {
            const void* blob = sqlite3_value_blob(value);
            const int size = sqlite3_value_bytes(value);
            append_u8(4);
            append_data(blob, blob == nullptr ? 0 : static_cast<std::size_t>(size));
            break;
        }
        default:
            append_u8(0);
            break;
    }
}

void change_hasher::begin_batch() {
    buffer_.clear();
    (void)request_.finish();
    (void)batch_.finish();
}

void change_hasher::begin_request() {
    buffer_.clear();
    (void)request_.finish();
    request_changed_ = false;
}

int change_hasher::add_row_change(sqlite3* db, int operation, const char* table,
                                  sqlite3_int64 old_rowid, sqlite3_int64 new_rowid) {
    std::uint8_t code = 0;
    switch (operation) {
        case SQLITE_INSERT:
            code = 1;
            break;
        case SQLITE_UPDATE:
            code = 2;
            break;
        case SQLITE_DELETE:
            code = 3;
            break;
        default:
            COVENANT_ASSERT(false, "preupdate hook: unknown operation");
    }
    request_changed_ = true;
    append_u8(code);
    const std::string_view name = table == nullptr ? std::string_view() : table;
    append_data(name.data(), name.size());
    append_big_endian(static_cast<std::uint64_t>(old_rowid), 8);
    append_big_endian(static_cast<std::uint64_t>(new_rowid), 8);
    const int columns = sqlite3_preupdate_count(db);
    append_big_endian(static_cast<std::uint64_t>(columns < 0 ? 0 : columns), 4);
    for (int i = 0; i < columns; ++i) {
        sqlite3_value* value = nullptr;
        const int rc = operation == SQLITE_DELETE ? sqlite3_preupdate_old(db, i, &value)
                                                  : sqlite3_preupdate_new(db, i, &value);
        if (rc != SQLITE_OK) return rc;
        append_value(value);
    }
    if (buffer_.size() >= buffer_flush_bytes) flush_into(request_);
    return SQLITE_OK;
}

void change_hasher::commit_request(std::uint32_t request_index) {
    if (!request_changed_) return;
    request_changed_ = false;
    flush_into(request_);
    const digest request_digest = request_.finish();
    std::uint8_t entry[4 + 32];
    for (int i = 0; i < 4; ++i) entry[i] = static_cast<std::uint8_t>(request_index >> (24 - 8 * i));
    std::memcpy(entry + 4, request_digest.begin(), 32);
    batch_.update(byte_view(entry, sizeof entry));
}

void change_hasher::discard_request() {
    buffer_.clear();
    (void)request_.finish();
    request_changed_ = false;
}

int change_hasher::add_schema(sqlite3_stmt* statement) {
    // Rows go through the request hasher, then into the batch hash as one digest.
    buffer_.clear();
    (void)request_.finish();
    std::uint32_t entries = 0;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        for (int column = 0; column < 4; ++column)
            append_value(sqlite3_column_value(statement, column));
        if (buffer_.size() >= buffer_flush_bytes) flush_into(request_);
        ++entries;
    }
    flush_into(request_);
    const digest schema_digest = request_.finish();
    std::uint8_t entry[1 + 4 + 32];
    entry[0] = 'S';
    for (int i = 0; i < 4; ++i) entry[1 + i] = static_cast<std::uint8_t>(entries >> (24 - 8 * i));
    std::memcpy(entry + 5, schema_digest.begin(), 32);
    batch_.update(byte_view(entry, sizeof entry));
    return rc;
}

digest change_hasher::finish_batch() {
    buffer_.clear();
    return batch_.finish();
}

}  // namespace covenant::storage
