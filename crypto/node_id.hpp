// Node ids with proof of work: id = hash(public key || nonce), and a node id is valid for
// a network only if it has at least D leading zero bits. Mining one costs about 2^D
// hashes; checking one costs a single hash. This makes identities cost something.
#pragma once

#include <cstdint>
#include <optional>

#include "common/ids.hpp"

namespace covenant::crypto {

/// The most leading zero bits anyone could ask of a 256-bit id.
inline constexpr unsigned node_id_difficulty_max = 256;

/// hash(public key || nonce as 8 bytes big-endian).
node_id compute_node_id(const public_key& key, std::uint64_t nonce);

/// Number of leading zero bits of a 32-byte id (0..256).
unsigned leading_zero_bits(const node_id& id);

/// True if hash(key || nonce) has at least `difficulty` leading zero bits.
bool node_id_meets_difficulty(const public_key& key, std::uint64_t nonce, unsigned difficulty);

struct mined_node_id {
    node_id id;
    std::uint64_t nonce = 0;
};

/// Tries nonces first_nonce, first_nonce+1, ... for at most `attempts` tries and returns
/// the first that meets `difficulty`, or nullopt if none in that range does.
std::optional<mined_node_id> mine_node_id(const public_key& key, unsigned difficulty,
                                          std::uint64_t first_nonce, std::uint64_t attempts);

}  // namespace covenant::crypto
