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
/// every vm_steps_per_check steps through the progress handler): about 1.2 s of work on the
/// development machine. A request that needs more fails with SQLITE_INTERRUPT.
///
/// The count is the same on every replica: steps are counted only while a client statement
/// steps (not while it is prepared, so a replica that must first load the schema counts
/// the same), every statement's step counter restarts at 0 with each request (the handler
/// fires on multiples of vm_steps_per_check), and an expired cached statement is prepared
/// afresh before it runs. One known gap: virtual-table modules (FTS3/4/5, R*Tree) keep
/// caches between statements, and a cold cache runs a few more internal steps than a warm
/// one, so a request using them that lands within a few thousand steps of the budget could
/// be judged differently by a replica that has just restarted.
inline constexpr std::uint64_t vm_steps_per_request_max = 100'000'000;
inline constexpr int vm_steps_per_check = 1'000;

/// Prepared statements of client SQL kept across requests (least recently used first out).
inline constexpr std::size_t cached_statements_max = 256;
/// Longer statements are prepared for each use (bounds the cache's memory).
inline constexpr std::size_t cached_statement_text_bytes_max = 16 * 1024;

}  // namespace covenant::storage::execution_limits
