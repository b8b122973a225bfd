// The identities and counters of Covenant, each its own type: a view number is never
// confused with a sequence number, nor a node id with an account address.
#pragma once

#include <cstdint>
#include <functional>

#include "common/assert.hpp"
#include "common/fixed_bytes.hpp"

namespace covenant {

// ---- byte identities --------------------------------------------------------------
struct public_key_tag {};
struct signature_tag {};
struct digest_tag {};
struct node_id_tag {};
struct address_tag {};
struct database_id_tag {};

/// An Ed25519 public key.
using public_key = fixed_bytes<public_key_tag, 32>;
/// An Ed25519 signature.
using signature = fixed_bytes<signature_tag, 64>;
/// The output of Covenant's one hash function (SHA-256; see crypto/hash.hpp).
using digest = fixed_bytes<digest_tag, 32>;
/// hash(public key || proof-of-work nonce); has a minimum number of leading zero bits.
using node_id = fixed_bytes<node_id_tag, 32>;
/// An account on the main chain: hash(public key).
using account_address = fixed_bytes<address_tag, 32>;
/// A database: derived from its owner and the creating transaction's nonce.
using database_id = fixed_bytes<database_id_tag, 32>;

// ---- counters ---------------------------------------------------------------------
/// An unsigned 64-bit counter with a tag, so counters of different meaning do not mix.
template <class Tag>
struct counter {
    std::uint64_t value = 0;

    constexpr counter() = default;
    constexpr explicit counter(std::uint64_t v) : value(v) {}
    /// The following value. Reaching the end of 64 bits is a broken invariant: callers
    /// holding values from outside check `value != max` first.
    counter next() const {
        COVENANT_ASSERT(value != max_value, "counter overflow");
        return counter(value + 1);
    }
    static constexpr std::uint64_t max_value = ~std::uint64_t{0};

    friend constexpr bool operator==(counter a, counter b) { return a.value == b.value; }
    friend constexpr bool operator!=(counter a, counter b) { return a.value != b.value; }
    friend constexpr bool operator<(counter a, counter b) { return a.value < b.value; }
    friend constexpr bool operator<=(counter a, counter b) { return a.value <= b.value; }
    friend constexpr bool operator>(counter a, counter b) { return a.value > b.value; }
    friend constexpr bool operator>=(counter a, counter b) { return a.value >= b.value; }
};

/// Kayak view: who leads a database's group (leader = members[view mod n]).
using view_number = counter<struct view_number_tag>;
/// Kayak sequence number of a batch within a database.
using sequence_number = counter<struct sequence_number_tag>;
/// A client's own request counter per database (replay and reordering protection).
using client_sequence = counter<struct client_sequence_tag>;
/// Height of a block in a shard chain or the main chain.
using block_height = counter<struct block_height_tag>;
/// A main-chain account's transaction counter.
using account_nonce = counter<struct account_nonce_tag>;
/// A main-chain producer epoch.
using epoch_number = counter<struct epoch_number_tag>;

}  // namespace covenant
