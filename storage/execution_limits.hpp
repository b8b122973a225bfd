// Bounds on what one client request may cost the SQL executor. Every replica applies the
// same bounds in the same way, so a request that exceeds one fails identically everywhere
// (its outcome is part of the signed results). Changing a value is a protocol change,
// like protocols/limits.hpp (where these may move once the protocol settles).
#pragma once

#include <cstddef>
#include <cstdint>

namespace covenant::storage::execution_limits {

/// Result data one request may return, all its statements together. Each value counts
/// result_value_bytes plus the bytes of its text or blob, each row result_row_bytes, each
/// column name result_value_bytes plus its length: close to its encoded size, so that a
/// response that fits here also fits in one message (protocols::limits::message_bytes_max).
inline constexpr std::size_t result_bytes_max = 8u << 20;
inline constexpr std::size_t result_value_bytes = 16;
inline constexpr std::size_t result_row_bytes = 16;
// Rows: protocols::limits::result_rows_max, counted over the whole request.

/// Virtual-machine steps one request may run (SQLite's own instruction count, checked
/// every vm_steps_per_check steps through the progress handler). About 0.3-1 s of work
/// here; a request that needs more fails with SQLITE_INTERRUPT.
inline constexpr std::uint64_t vm_steps_per_request_max = 100'000'000;
inline constexpr int vm_steps_per_check = 1'000;

/// Prepared statements of client SQL kept across requests (least recently used first out).
inline constexpr std::size_t cached_statements_max = 256;
/// Longer statements are prepared for each use (bounds the cache's memory).
inline constexpr std::size_t cached_statement_text_bytes_max = 16 * 1024;

}  // namespace covenant::storage::execution_limits
