// Signing and checking messages signed together (see signed_batch.hpp).
#include "protocols/signed_batch.hpp"

#include "common/assert.hpp"
#include "protocols/merkle.hpp"

namespace covenant::protocols {

batch_signing sign_batch(const crypto::key_pair& signer, crypto::sign_domain batch_domain,
                         const std::vector<digest>& message_digests) {
    COVENANT_ASSERT(message_digests.size() >= 2, "a signed batch holds two messages or more");
    const digest root = merkle_root(message_digests);
    batch_signing out;
    out.sig = signer.sign(batch_domain, root.view());
    auto paths = merkle_paths(message_digests);
    out.positions.reserve(message_digests.size());
    for (std::size_t i = 0; i < message_digests.size(); ++i)
        out.positions.push_back({static_cast<std::uint32_t>(i),
                                 static_cast<std::uint32_t>(message_digests.size()),
                                 std::move(paths[i])});
    return out;
}

bool batch_signature_valid(const public_key& signer, crypto::sign_domain own_domain,
                           crypto::sign_domain batch_domain, byte_view signing_bytes,
                           const digest& message_digest, const batch_position& at,
                           const signature& sig) {
    if (at.alone()) {
        if (at.index != 0 || !at.path.empty()) return false;
        return crypto::verify(signer, own_domain, signing_bytes, sig);
    }
    const auto root = merkle_root_from_path(message_digest, at.index, at.count, at.path);
    if (!root) return false;
    return crypto::verify(signer, batch_domain, root->view(), sig);
}

}  // namespace covenant::protocols
