// Limits on everything that arrives from outside. A decoder rejects a message that
// exceeds any of them before doing work proportional to it. Raising one is a protocol
// change: every node must agree.
#pragma once

#include <cstddef>
#include <cstdint>

namespace covenant::protocols::limits {

// Whole messages.
inline constexpr std::size_t message_bytes_max = 32u << 20;       // one envelope or payload
inline constexpr unsigned capnp_nesting_max = 24;                  // deepest schema nests ~10

// SQL.
inline constexpr std::size_t sql_text_bytes_max = 1'000'000;      // SQLite's default
inline constexpr std::size_t statements_per_request_max = 256;
inline constexpr std::size_t parameters_per_statement_max = 32'766;  // SQLite's default
inline constexpr std::size_t parameter_name_bytes_max = 256;
inline constexpr std::size_t value_bytes_max = 16u << 20;         // one text or blob
inline constexpr std::size_t result_columns_max = 2'000;          // SQLite's default
inline constexpr std::size_t result_rows_max = 1'000'000;
inline constexpr std::size_t column_name_bytes_max = 4'096;
inline constexpr std::size_t error_message_bytes_max = 4'096;

// Kayak and chains.
inline constexpr std::size_t group_members_max = 64;              // votes in a certificate
inline constexpr std::size_t requests_per_batch_max = 8'192;
inline constexpr std::size_t merkle_depth_max = 32;
inline constexpr std::size_t fetch_batches_max = 64;
inline constexpr std::size_t shard_entries_per_block_max = 4'096;
inline constexpr std::size_t transactions_per_block_max = 16'384;
inline constexpr std::size_t producer_candidates_max = 32;
inline constexpr std::size_t billing_lines_max = 4'096;
inline constexpr std::size_t endpoint_bytes_max = 256;
inline constexpr std::uint32_t database_miners_max = 64;

}  // namespace covenant::protocols::limits
