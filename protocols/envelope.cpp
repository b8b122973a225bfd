// Canonical bytes and signature of the envelope.
#include "protocols/envelope.hpp"

#include "common/assert.hpp"
#include "crypto/node_id.hpp"
#include "crypto/signing.hpp"
#include "protocols/canonical.hpp"

namespace covenant::protocols {

node_id envelope::sender_id() const { return crypto::compute_node_id(sender, sender_nonce); }

bytes envelope::signing_bytes() const {
    canonical_writer out;
    out.u16(static_cast<std::uint16_t>(kind)).fixed(sender).u64(sender_nonce).data(payload).data(
        channel);
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
