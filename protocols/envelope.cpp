// Canonical bytes and signature of the envelope.
#include "protocols/envelope.hpp"

#include "common/assert.hpp"
#include "crypto/hash.hpp"
#include "crypto/node_id.hpp"
#include "crypto/signing.hpp"
#include "protocols/canonical.hpp"

namespace covenant::protocols {

node_id envelope::sender_id() const { return crypto::compute_node_id(sender, sender_nonce); }

// The signature covers the payload through its SHA-256 digest, not whole: Ed25519 hashes
// what it signs twice with SHA-512 (once to verify), in software, while SHA-256 runs on the
// CPU's SHA instructions here; a leader's PREPARE of 100-row requests is ~130 KB, sealed
// once per follower, and signing it whole was a fifth of the leader's CPU (covenant-bench,
// strong_multirow). The digest binds the payload as the bytes did (collision resistance).
bytes envelope::signing_bytes() const {
    canonical_writer out;
    out.u16(static_cast<std::uint16_t>(kind))
        .fixed(sender)
        .u64(sender_nonce)
        .fixed(crypto::hash(payload))
        .data(channel);
    return out.take();
}
void envelope::sign(const crypto::key_pair& sender_key) {
    COVENANT_ASSERT(sender_key.public_key() == sender, "envelope signed by a non-sender");
    sender_signature = sender_key.sign(crypto::sign_domain::envelope, signing_bytes());
}
bool envelope::signature_valid() const {
    return crypto::verify(sender, crypto::sign_domain::envelope, signing_bytes(),
                          sender_signature);
}

}  // namespace covenant::protocols
