// Ed25519 keys and domain-separated signatures.
//
// Every signature Covenant makes covers "covenant/v1/" + a tag naming the message's
// purpose + a zero byte + the payload. The tag is fixed per purpose, so a signature over
// a commit vote can never be replayed as a prepare vote, a client request, or a block.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/bytes.hpp"
#include "common/ids.hpp"

namespace covenant::crypto {

/// The purpose of a signature. Append new purposes at the end; never reuse a tag. Retired
/// tags, never to be used again: "main/block-vote" and "main/round-change" (the block
/// producers' earlier one-phase finality votes and round-change votes).
enum class sign_domain : std::uint8_t {
    envelope,              // a node's signature over an envelope it sends
    client_request,        // a client's signature over a SQL request
    client_response,       // a member's signature over its answer to a client
    kayak_proposal,        // a leader's signature over (database, view, seq, batch hash)
    kayak_prepare_vote,    // a member's prepare vote
    kayak_commit_vote,     // a member's commit vote
    kayak_execution,       // a member's signature over a batch's results root and state digest
    kayak_suspect,         // a member's suspicion of its leader
    kayak_new_view,        // a member's NEW-VIEW message
    shard_block,           // a member's signature over a shard-chain block hash
    main_transaction,      // an account's main-chain transaction
    main_block_proposal,   // a producer's proposal of a main-chain block
    shard_checkpoint,      // a member's signature over a shard-chain checkpoint with billing
    main_prevote,          // a producer's prevote (height, round, block hash or nil)
    main_precommit,        // a producer's precommit, also a final block's finality signature
    main_round_proposal,   // a proposer's proposal of a block for one round of a height
    member_status,         // a member's signed answer to a status query (cql info)
    client_request_batch,  // a client's signature over the Merkle root of several requests
    client_response_batch, // a member's signature over the Merkle root of several answers
};
inline constexpr std::size_t sign_domain_count = 19;

/// The tag string of a domain, e.g. "kayak/commit-vote".
std::string_view domain_tag(sign_domain domain);

/// The 32-byte secret seed of an Ed25519 key. Wiped when destroyed.
class secret_seed {
public:
    secret_seed() = default;
    explicit secret_seed(const std::array<std::uint8_t, 32>& bytes) : bytes_(bytes) {}
    ~secret_seed();
    secret_seed(const secret_seed&) = default;
    secret_seed& operator=(const secret_seed&) = default;

    const std::array<std::uint8_t, 32>& bytes() const { return bytes_; }
    /// 32 bytes from the operating system's random source.
    static secret_seed random();

private:
    std::array<std::uint8_t, 32> bytes_{};
};

/// An Ed25519 key pair.
class key_pair {
public:
    /// Deterministic: the same seed gives the same key (the simulator relies on it).
    static key_pair from_seed(const secret_seed& seed);
    /// A fresh key from the operating system's random source.
    static key_pair generate() { return from_seed(secret_seed::random()); }

    ~key_pair();
    key_pair(const key_pair&) = default;
    key_pair& operator=(const key_pair&) = default;

    const covenant::public_key& public_key() const { return public_key_; }
    const secret_seed& seed() const { return seed_; }

    /// Signs domain tag + payload.
    signature sign(sign_domain domain, byte_view payload) const;

    /// Plain RFC 8032 Ed25519 over `message`, without a domain tag. Only for known-answer
    /// tests and the implementation of sign(); protocol code must use sign().
    signature sign_raw(byte_view message) const;

private:
    key_pair() = default;
    secret_seed seed_;
    std::array<std::uint8_t, 64> expanded_{};  // seed || public key, as libsodium lays it out
    covenant::public_key public_key_;
};

/// Checks a domain-separated signature. False for any malformed key or signature, for a
/// non-canonical signature (S >= L) and for small-order keys or R points. A signature this
/// process verified before is answered from memory (verified_signatures.hpp).
bool verify(const public_key& key, sign_domain domain, byte_view payload, const signature& sig);

/// verify() without the memory: always computes (benchmarks of the verifier itself).
bool verify_uncached(const public_key& key, sign_domain domain, byte_view payload,
                     const signature& sig);

/// Plain RFC 8032 verification, without a domain tag (known-answer tests only).
bool verify_raw(const public_key& key, byte_view message, const signature& sig);

/// The bytes that sign() actually signs: "covenant/v1/" tag 0x00 payload.
bytes domain_separated(sign_domain domain, byte_view payload);

/// An account's address: hash(public key).
account_address address_of(const public_key& key);

}  // namespace covenant::crypto
