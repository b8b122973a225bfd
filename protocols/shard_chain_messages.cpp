// Canonical bytes, hashes and signatures of shard-chain blocks.
#include "protocols/shard_chain_messages.hpp"

#include <algorithm>

#include "common/assert.hpp"
#include "crypto/hash.hpp"
#include "crypto/signing.hpp"
#include "protocols/canonical.hpp"
#include "protocols/merkle.hpp"

namespace covenant::protocols {

digest shard_entry::hash() const {
    // The view and the certificate prove the entry but are not part of what it records:
    // members may hold different valid certificates for one committed batch (one from the
    // view that committed it first, one from a later re-proposal), and must still build
    // the same block.
    canonical_writer out;
    out.count(seq).fixed(batch_hash).fixed(results_root).fixed(state_digest);
    return crypto::hash(out.get());
}
bool operator==(const shard_entry& a, const shard_entry& b) {
    return a.view == b.view && a.seq == b.seq && a.batch_hash == b.batch_hash &&
           a.results_root == b.results_root && a.state_digest == b.state_digest &&
           a.commit_certificate == b.commit_certificate;
}

digest shard_block_header::hash() const {
    canonical_writer out;
    out.fixed(database).count(height).fixed(parent).i64(timestamp_ms).count(first_seq);
    out.u32(entry_count).fixed(entries_root).fixed(state_digest);
    return crypto::hash(out.get());
}
bool operator==(const shard_block_header& a, const shard_block_header& b) {
    return a.database == b.database && a.height == b.height && a.parent == b.parent &&
           a.timestamp_ms == b.timestamp_ms && a.first_seq == b.first_seq &&
           a.entry_count == b.entry_count && a.entries_root == b.entries_root &&
           a.state_digest == b.state_digest;
}

void shard_block::seal_header() {
    COVENANT_ASSERT(!entries.empty(), "a shard block records at least one batch");
    std::vector<digest> hashes;
    for (const auto& e : entries) hashes.push_back(e.hash());
    header.first_seq = entries.front().seq;
    header.entry_count = static_cast<std::uint32_t>(entries.size());
    header.entries_root = merkle_root(hashes);
    header.state_digest = entries.back().state_digest;
}

bytes shard_block_signing_bytes(const database_id& database, block_height height,
                                const digest& block_hash) {
    canonical_writer out;
    out.fixed(database).count(height).fixed(block_hash);
    return out.take();
}

void shard_block::add_signature(const crypto::key_pair& member_key) {
    const bool added = add_signature(signer_signature{
        member_key.public_key(), member_key.sign(crypto::sign_domain::shard_block, signing_bytes())});
    COVENANT_ASSERT(added, "member signed a shard block twice");
}

bool shard_block::add_signature(const signer_signature& entry) {
    auto at = std::lower_bound(signatures.begin(), signatures.end(), entry,
                               [](const auto& a, const auto& b) { return a.signer < b.signer; });
    if (at != signatures.end() && at->signer == entry.signer) return false;
    signatures.insert(at, entry);
    return true;
}

void shard_block_vote::sign(const crypto::key_pair& member_key) {
    COVENANT_ASSERT(member_key.public_key() == signer, "shard block vote signed by the wrong key");
    signer_signature = member_key.sign(crypto::sign_domain::shard_block, signing_bytes());
}
bool shard_block_vote::signature_valid() const {
    return crypto::verify(signer, crypto::sign_domain::shard_block, signing_bytes(),
                          signer_signature);
}

}  // namespace covenant::protocols
