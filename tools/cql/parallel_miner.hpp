// Mining a node id on several threads with a deterministic answer: the smallest nonce
// from 0 upward that meets the difficulty, whatever the number of threads.
#pragma once

#include <cstdint>
#include <optional>

#include "common/ids.hpp"
#include "crypto/node_id.hpp"

namespace cql {

/// Nonces a thread takes from the shared counter at a time.
inline constexpr std::uint64_t mining_chunk_size = 65536;

/// The smallest nonce >= 0 whose node id has `difficulty` leading zero bits, searched by
/// `threads` threads (>= 1); nullopt only if no 64-bit nonce qualifies.
std::optional<covenant::crypto::mined_node_id> mine_smallest_node_id(
    const covenant::public_key& key, unsigned difficulty, unsigned threads);

}  // namespace cql
