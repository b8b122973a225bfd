// Canonical bytes, hashes and signatures of Kayak's messages.
#include "protocols/kayak_messages.hpp"

#include <algorithm>

#include "common/assert.hpp"
#include "crypto/hash.hpp"
#include "crypto/signing.hpp"
#include "protocols/canonical.hpp"
#include "protocols/merkle.hpp"

namespace covenant::protocols {

using crypto::sign_domain;

digest batch_header::hash() const {
    canonical_writer out;
    out.fixed(database).count(seq).fixed(parent).i64(timestamp_ms);
    out.fixed(requests_root).u32(request_count).boolean(seals_block);
    return crypto::hash(out.get());
}
bool operator==(const batch_header& a, const batch_header& b) {
    return a.database == b.database && a.seq == b.seq && a.parent == b.parent &&
           a.timestamp_ms == b.timestamp_ms && a.requests_root == b.requests_root &&
           a.request_count == b.request_count && a.seals_block == b.seals_block;
}

digest batch::request_hash(std::size_t i) const {
    COVENANT_ASSERT(i < requests.size(), "batch: no such request");
    return request_hashes.size() == requests.size() ? request_hashes[i] : requests[i].hash();
}
void batch::seal_header() {
    request_hashes.clear();
    request_hashes.reserve(requests.size());
    for (const auto& r : requests) request_hashes.push_back(r.hash());
    seal_header_from_request_hashes();
}
void batch::seal_header_from_request_hashes() {
    COVENANT_ASSERT(request_hashes.size() == requests.size(), "batch: a hash per request");
    header.requests_root = merkle_root(request_hashes);
    header.request_count = static_cast<std::uint32_t>(requests.size());
}

// Every signed slot message follows the same pattern: canonical bytes, one domain.
#define COVENANT_SIGNED_MESSAGE(type, key_field, signature_field, domain)                    \
    void type::sign(const crypto::key_pair& k) {                                             \
        COVENANT_ASSERT(k.public_key() == key_field, #type " signed by the wrong key");      \
        signature_field = k.sign(domain, signing_bytes());                                   \
    }                                                                                        \
    bool type::signature_valid() const {                                                     \
        return crypto::verify(key_field, domain, signing_bytes(), signature_field);          \
    }

bytes proposal::signing_bytes() const {
    canonical_writer out;
    out.fixed(database).count(view).count(seq).fixed(batch_hash);
    return out.take();
}
COVENANT_SIGNED_MESSAGE(proposal, leader, leader_signature, sign_domain::kayak_proposal)
bool operator==(const proposal& a, const proposal& b) {
    return a.database == b.database && a.view == b.view && a.seq == b.seq &&
           a.batch_hash == b.batch_hash && a.leader == b.leader &&
           a.leader_signature == b.leader_signature;
}

namespace {
sign_domain vote_domain(vote_phase phase) {
    return phase == vote_phase::prepare ? sign_domain::kayak_prepare_vote
                                        : sign_domain::kayak_commit_vote;
}
}  // namespace

bytes vote::signing_bytes() const {
    // The same bytes as certificate::vote_signing_bytes(), so votes gather into certificates.
    canonical_writer out;
    out.u8(static_cast<std::uint8_t>(phase)).fixed(database).count(view).count(seq);
    out.fixed(batch_hash);
    return out.take();
}
void vote::sign(const crypto::key_pair& k) {
    COVENANT_ASSERT(k.public_key() == voter, "vote signed by the wrong key");
    voter_signature = k.sign(vote_domain(phase), signing_bytes());
}
bool vote::signature_valid() const {
    return crypto::verify(voter, vote_domain(phase), signing_bytes(), voter_signature);
}
bool operator==(const vote& a, const vote& b) {
    return a.phase == b.phase && a.database == b.database && a.view == b.view && a.seq == b.seq &&
           a.batch_hash == b.batch_hash && a.voter == b.voter &&
           a.voter_signature == b.voter_signature;
}

signer_signature sign_certificate_vote(const certificate& cert, const crypto::key_pair& voter) {
    return {voter.public_key(), voter.sign(vote_domain(cert.phase), cert.vote_signing_bytes())};
}

bytes execution_message::signing_bytes() const {
    return execution_signing_bytes(database, view, seq, batch_hash, results_root, state_digest);
}
COVENANT_SIGNED_MESSAGE(execution_message, signer, signer_signature, sign_domain::kayak_execution)
bool operator==(const execution_message& a, const execution_message& b) {
    return a.database == b.database && a.view == b.view && a.seq == b.seq &&
           a.batch_hash == b.batch_hash && a.results_root == b.results_root &&
           a.state_digest == b.state_digest && a.signer == b.signer &&
           a.signer_signature == b.signer_signature;
}

bytes suspect_message::signing_bytes() const {
    canonical_writer out;
    out.fixed(database).count(view).count(last_committed);
    return out.take();
}
COVENANT_SIGNED_MESSAGE(suspect_message, member, member_signature, sign_domain::kayak_suspect)
bool operator==(const suspect_message& a, const suspect_message& b) {
    return a.database == b.database && a.view == b.view && a.last_committed == b.last_committed &&
           a.member == b.member && a.member_signature == b.member_signature;
}

bytes new_view_message::signing_bytes() const {
    canonical_writer out;
    out.fixed(database).count(new_view).count(last_committed);
    out.u32(static_cast<std::uint32_t>(prepared.size()));
    for (const auto& p : prepared) {
        write_canonical(out, p.prepare_certificate);
        out.fixed(p.batch.hash());
    }
    return out.take();
}
COVENANT_SIGNED_MESSAGE(new_view_message, member, member_signature, sign_domain::kayak_new_view)
bool operator==(const new_view_message& a, const new_view_message& b) {
    return a.database == b.database && a.new_view == b.new_view &&
           a.last_committed == b.last_committed && a.member == b.member &&
           a.prepared == b.prepared && a.member_signature == b.member_signature;
}

#undef COVENANT_SIGNED_MESSAGE

}  // namespace covenant::protocols
