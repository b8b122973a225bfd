// A node's memory of signatures it has already verified, so that each is checked once.
//
// The same signature reaches a node many times: the gate checks an envelope and the router
// decodes it again; a commit certificate comes inside COMMIT, again on the next PREPARE and
// in every client answer of its batch; a client checks the same certificate and execution
// signatures in each answer of one batch. Ed25519 verification is the write path's largest
// CPU cost (issue 7), so crypto::verify remembers the (key, domain, payload, signature) it
// found valid and answers a repeat from memory. In a process that runs one node
// (remember_own_signatures), what the node signs is remembered as it is signed: a
// certificate brings a member's own vote back to it. Processes that run many nodes (the
// simulator, the in-process benchmark) leave it off, or every node would skip checking
// every other's signatures and the figures would not be a network's.
//
// Only successes are remembered, under SHA-256 of everything the verification covered, so a
// hit means exactly this key verified exactly this signature over exactly these domain-tagged
// bytes: the answer is the one verification would give (verification is a pure function),
// and a node's decisions do not depend on what it remembers. A failure is checked again every
// time. The memory is bounded (oldest forgotten first) and shared by the process's threads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.hpp"
#include "common/ids.hpp"

namespace covenant::crypto {

enum class sign_domain : std::uint8_t;

/// What the process's memory of verified signatures did so far.
struct verified_signature_stats {
    std::uint64_t hits = 0;      // verifications answered from memory
    std::uint64_t misses = 0;    // verifications computed (valid or not)
    std::size_t remembered = 0;  // signatures held now
};

/// How many verified signatures the process remembers (the oldest go first).
inline constexpr std::size_t verified_signatures_kept = 1u << 16;

/// The memory key of one verification: SHA-256 over the key, the signature, the domain and
/// the payload.
digest verification_key(const public_key& key, sign_domain domain, byte_view payload,
                        const signature& sig);

/// True if `key` was verified before (and remembered).
bool remembered_valid(const digest& key);
/// Remembers a verification that succeeded.
void remember_valid(const digest& key);

/// Whether key_pair::sign remembers what it signs as verified (off unless set; a node's
/// process sets it at start).
void remember_own_signatures(bool on);
bool remembering_own_signatures();

verified_signature_stats verified_signatures_stats();
/// Forgets everything (tests; a benchmark measuring raw verification).
void forget_verified_signatures();

}  // namespace covenant::crypto
