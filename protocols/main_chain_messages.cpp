// Canonical bytes, hashes and signatures of main-chain transactions and blocks.
#include "protocols/main_chain_messages.hpp"

#include <algorithm>
#include <tuple>

#include "common/assert.hpp"
#include "crypto/hash.hpp"
#include "crypto/signing.hpp"
#include "protocols/canonical.hpp"
#include "protocols/merkle.hpp"

namespace covenant::protocols {

using crypto::sign_domain;

bytes tx::shard_checkpoint::checkpoint_signing_bytes() const {
    canonical_writer out;
    out.fixed(database).count(height).fixed(head_hash).fixed(state_digest);
    out.u32(static_cast<std::uint32_t>(billing.size()));
    for (const auto& line : billing) out.fixed(line.user).u64(line.statements).u64(line.cost);
    return out.take();
}
namespace tx {
void evidence::canonicalize() {
    if (auto* v = std::get_if<conflicting_votes>(&proof)) {
        if (v->second.batch_hash < v->first.batch_hash) std::swap(v->first, v->second);
    } else if (auto* p = std::get_if<conflicting_proposals>(&proof)) {
        if (p->second.batch_hash < p->first.batch_hash) std::swap(p->first, p->second);
    } else {
        auto& e = std::get<conflicting_executions>(proof);
        if (std::tie(e.second.results_root, e.second.state_digest) <
            std::tie(e.first.results_root, e.first.state_digest))
            std::swap(e.first, e.second);
    }
}

bool operator==(const shard_checkpoint& a, const shard_checkpoint& b) {
    return a.database == b.database && a.height == b.height && a.head_hash == b.head_hash &&
           a.state_digest == b.state_digest && a.billing == b.billing &&
           a.signatures == b.signatures;
}
}  // namespace tx

namespace {
void write_vote(canonical_writer& out, const vote& v) {
    out.u8(static_cast<std::uint8_t>(v.phase)).fixed(v.database).count(v.view).count(v.seq);
    out.fixed(v.batch_hash).fixed(v.voter).fixed(v.voter_signature);
}
void write_proposal(canonical_writer& out, const proposal& p) {
    out.fixed(p.database).count(p.view).count(p.seq).fixed(p.batch_hash).fixed(p.leader);
    out.fixed(p.leader_signature);
}
void write_execution(canonical_writer& out, const execution_message& e) {
    out.fixed(e.database).count(e.view).count(e.seq).fixed(e.batch_hash).fixed(e.results_root);
    out.fixed(e.state_digest).fixed(e.signer).fixed(e.signer_signature);
}

struct body_writer {
    canonical_writer& out;
    void operator()(const tx::transfer& t) { out.fixed(t.to).u64(t.amount); }
    void operator()(const tx::stake& t) { out.u64(t.amount); }
    void operator()(const tx::unstake& t) { out.u64(t.amount); }
    void operator()(const tx::vote_producers& t) {
        out.u32(static_cast<std::uint32_t>(t.candidates.size()));
        for (const auto& c : t.candidates) out.fixed(c);
    }
    void operator()(const tx::register_miner& t) {
        out.u64(t.pow_nonce).u64(t.deposit).u32(t.capacity).u64(t.price_per_statement);
        out.text(t.endpoint);
    }
    void operator()(const tx::miner_exit&) {}
    void operator()(const tx::create_database& t) {
        out.u32(t.miner_count).u8(static_cast<std::uint8_t>(t.mode)).u64(t.advance_payment);
    }
    void operator()(const tx::drop_database& t) { out.fixed(t.database); }
    void operator()(const tx::grant_role& t) {
        out.fixed(t.database).fixed(t.user).u8(static_cast<std::uint8_t>(t.granted));
    }
    void operator()(const tx::revoke_role& t) { out.fixed(t.database).fixed(t.user); }
    void operator()(const tx::suspect_leader& t) {
        const auto& s = t.suspicion;
        out.fixed(s.database).count(s.view).count(s.last_committed).fixed(s.member);
        out.fixed(s.member_signature);
    }
    void operator()(const tx::shard_checkpoint& t) {
        const bytes inner = t.checkpoint_signing_bytes();
        out.data(inner);
        out.u32(static_cast<std::uint32_t>(t.signatures.size()));
        for (const auto& s : t.signatures) out.fixed(s.signer).fixed(s.sig);
    }
    void operator()(const tx::evidence& t) {
        out.u8(static_cast<std::uint8_t>(t.proof.index()));
        if (const auto* v = std::get_if<tx::conflicting_votes>(&t.proof)) {
            write_vote(out, v->first);
            write_vote(out, v->second);
        } else if (const auto* p = std::get_if<tx::conflicting_proposals>(&t.proof)) {
            write_proposal(out, p->first);
            write_proposal(out, p->second);
        } else {
            const auto& e = std::get<tx::conflicting_executions>(t.proof);
            write_execution(out, e.first);
            write_execution(out, e.second);
        }
    }
};
}  // namespace

bytes transaction::signing_bytes() const {
    canonical_writer out;
    out.fixed(sender).count(nonce).u64(fee).u8(static_cast<std::uint8_t>(body.index()));
    std::visit(body_writer{out}, body);
    return out.take();
}
digest transaction::hash() const { return crypto::hash(signing_bytes()); }
void transaction::sign(const crypto::key_pair& sender_key) {
    COVENANT_ASSERT(sender_key.public_key() == sender, "transaction signed by a non-sender");
    sender_signature = sender_key.sign(sign_domain::main_transaction, signing_bytes());
}
bool transaction::signature_valid() const {
    return crypto::verify(sender, sign_domain::main_transaction, signing_bytes(),
                          sender_signature);
}
bool operator==(const transaction& a, const transaction& b) {
    return a.sender == b.sender && a.nonce == b.nonce && a.fee == b.fee && a.body == b.body &&
           a.sender_signature == b.sender_signature;
}

digest main_block_header::hash() const {
    canonical_writer out;
    out.count(height).fixed(parent).count(epoch).count(round).fixed(proposer).i64(timestamp_ms);
    out.fixed(transactions_root).u32(transaction_count).fixed(state_root);
    return crypto::hash(out.get());
}
bool operator==(const main_block_header& a, const main_block_header& b) {
    return a.height == b.height && a.parent == b.parent && a.epoch == b.epoch &&
           a.round == b.round && a.proposer == b.proposer && a.timestamp_ms == b.timestamp_ms &&
           a.transactions_root == b.transactions_root &&
           a.transaction_count == b.transaction_count && a.state_root == b.state_root;
}

void main_block::seal_header() {
    std::vector<digest> hashes;
    hashes.reserve(transactions.size());
    for (const auto& t : transactions) hashes.push_back(t.hash());
    header.transactions_root = merkle_root(hashes);
    header.transaction_count = static_cast<std::uint32_t>(transactions.size());
}
void main_block::sign_proposal(const crypto::key_pair& proposer_key) {
    COVENANT_ASSERT(proposer_key.public_key() == header.proposer, "block signed by a non-proposer");
    proposer_signature = proposer_key.sign(sign_domain::main_block_proposal, hash().view());
}
bytes producer_vote_signing_bytes(block_height height, view_number round,
                                  const std::optional<digest>& block_hash) {
    canonical_writer out;
    out.count(height).count(round).boolean(block_hash.has_value());
    if (block_hash) out.fixed(*block_hash);
    return out.take();
}

bytes main_block::finality_signing_bytes() const {
    return producer_vote_signing_bytes(header.height, finality_round, hash());
}
void main_block::add_finality_vote(const crypto::key_pair& producer_key) {
    signer_signature entry{producer_key.public_key(),
                           producer_key.sign(sign_domain::main_precommit, finality_signing_bytes())};
    auto at = std::lower_bound(finality.begin(), finality.end(), entry,
                               [](const auto& a, const auto& b) { return a.signer < b.signer; });
    COVENANT_ASSERT(at == finality.end() || at->signer != entry.signer,
                    "producer voted twice on a block");
    finality.insert(at, entry);
}

}  // namespace covenant::protocols
