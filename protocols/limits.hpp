// Limits on everything that arrives from outside. A decoder rejects a message that
// exceeds any of them before doing work proportional to it. Raising one is a protocol
// change: every node must agree.
#pragma once

#include <cstddef>
#include <cstdint>

namespace covenant::protocols::limits {

// Whole messages.
inline constexpr std::size_t message_bytes_max = 16u << 20;       // one envelope or payload
inline constexpr unsigned capnp_nesting_max = 24;
// A bundle envelope (several messages to one node under one signature): at most this many
// items; a router stops adding items to a bundle past the soft size (an item bigger than
// that travels alone), so a bundle stays far below message_bytes_max.
inline constexpr std::size_t bundle_items_max = 4'096;
inline constexpr std::size_t bundle_bytes_soft_max = 1u << 20;                  // deepest schema nests ~10
// What decoding one message may cost, whatever its shape: decoded memory (counted as
// list elements of about decoded_element_bytes each, plus text and blob bytes) and
// signature checks (~50-110 us each here).
inline constexpr std::size_t decoded_bytes_per_wire_byte = 8;
inline constexpr std::size_t decoded_bytes_base = 1u << 20;
inline constexpr std::size_t decoded_element_bytes = 64;
inline constexpr std::size_t signature_checks_per_message_max = 20'000;
// A leader keeps each batch under this many bytes of requests, so that a PREPARE, a
// NEW-VIEW or a catch-up reply carrying it fits in one message.
inline constexpr std::size_t batch_bytes_max = 4u << 20;

// SQL.
inline constexpr std::size_t sql_text_bytes_max = 1'000'000;      // SQLite's default
inline constexpr std::size_t statements_per_request_max = 256;
inline constexpr std::size_t parameters_per_statement_max = 32'766;  // SQLite's default
// Runs of one statement with parameter sets, and of all a request's statements together.
inline constexpr std::size_t parameter_sets_per_statement_max = 65'536;
inline constexpr std::size_t statement_runs_per_request_max = 65'536;
inline constexpr std::size_t parameter_name_bytes_max = 256;
inline constexpr std::size_t value_bytes_max = 16u << 20;         // one text or blob
inline constexpr std::size_t result_columns_max = 2'000;          // SQLite's default
inline constexpr std::size_t result_rows_max = 1'000'000;
inline constexpr std::size_t column_name_bytes_max = 4'096;
inline constexpr std::size_t error_message_bytes_max = 4'096;

// Kayak and chains.
inline constexpr std::size_t group_members_max = 64;              // votes in a certificate
inline constexpr std::size_t requests_per_batch_max = 8'192;
inline constexpr std::size_t pipeline_depth_max = 16;             // batches in flight
inline constexpr std::size_t merkle_depth_max = 32;
// Messages one signature may cover (protocols/signed_batch.hpp): a client's requests or a
// member's answers signed at once.
inline constexpr std::size_t signed_batch_messages_max = 65'536;
inline constexpr std::size_t fetch_batches_max = 64;
inline constexpr std::size_t shard_entries_per_block_max = 4'096;
inline constexpr std::size_t transactions_per_block_max = 8'192;
inline constexpr std::size_t producer_candidates_max = 32;
// Main-chain catch-up: final blocks one fetch may ask for, and one reply may carry. A server
// stops adding blocks to a reply once they pass main_fetch_reply_bytes_soft_max (the first
// block always goes), so that a reply, whose signatures take 64 bytes each on the wire,
// needs fewer than signature_checks_per_message_max checks to decode.
inline constexpr std::size_t main_blocks_per_fetch_max = 64;
inline constexpr std::size_t main_fetch_reply_bytes_soft_max = 1u << 20;
// Shard-chain catch-up: blocks one fetch may ask for; a server stops adding blocks to a
// reply past the soft size (the first block always goes) so that it decodes within the
// signature budget.
inline constexpr std::size_t shard_blocks_per_fetch_max = 16;
inline constexpr std::size_t shard_fetch_reply_bytes_soft_max = 1u << 20;
inline constexpr std::size_t billing_lines_max = 4'096;
inline constexpr std::size_t endpoint_bytes_max = 256;
inline constexpr std::uint32_t database_miners_max = 64;

static_assert(main_fetch_reply_bytes_soft_max / 64 < signature_checks_per_message_max,
              "a catch-up reply of the soft size must decode within the signature budget");

}  // namespace covenant::protocols::limits
