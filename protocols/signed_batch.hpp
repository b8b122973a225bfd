// One signature over many messages (issue 7): a signer with several messages to sign at
// once (a client's burst of requests, a member's answers to the requests of a batch or to
// a burst of reads) signs the Merkle root of their digests (protocols/merkle.hpp), and each
// message carries its position in that list and its path. Each message still stands alone
// as a record anyone can verify: its digest, its path and the one signature lead to a root
// signed by the signer's key. With the process-wide memory of verified signatures
// (crypto/verified_signatures.hpp) the receivers of a batch check the signature once.
//
// A list of one is signed the plain way (the message's own signing bytes, in the message's
// own domain), so a single message looks exactly as it did before batches existed.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/ids.hpp"
#include "crypto/signing.hpp"

namespace covenant::protocols {

/// Where a signed message sits in the list its signer signed at once.
struct batch_position {
    std::uint32_t index = 0;
    std::uint32_t count = 1;    // 1: the signature covers the message alone, no path
    std::vector<digest> path;   // merkle_path of the message's digest in the list
    bool alone() const { return count == 1; }
    friend bool operator==(const batch_position& a, const batch_position& b) {
        return a.index == b.index && a.count == b.count && a.path == b.path;
    }
};

/// The signature over a list of message digests and every message's position in it; the
/// list holds at least two digests.
struct batch_signing {
    signature sig;
    std::vector<batch_position> positions;
};
batch_signing sign_batch(const crypto::key_pair& signer, crypto::sign_domain batch_domain,
                         const std::vector<digest>& message_digests);

/// Whether `sig` by `signer` covers the message: over `signing_bytes` in `own_domain` when
/// the position is alone, else over the root its digest and path lead to, in
/// `batch_domain`.
bool batch_signature_valid(const public_key& signer, crypto::sign_domain own_domain,
                           crypto::sign_domain batch_domain, byte_view signing_bytes,
                           const digest& message_digest, const batch_position& at,
                           const signature& sig);

}  // namespace covenant::protocols
