// Ed25519 through libsodium. Verification is strict (libsodium's default since 1.0.16):
// it rejects a non-canonical S (so a third party cannot turn one valid signature into
// another) and small-order public keys and R points (for which one signature would verify
// for every message). Botan 2's verifier does neither, so every node uses these rules. It
// is also about twice as fast at verifying on this machine kind, the first ceiling of the
// write path.
#include "crypto/signing.hpp"

#include <botan/mem_ops.h>
#include <botan/system_rng.h>
#include <sodium.h>

#include "common/assert.hpp"
#include "crypto/hash.hpp"
#include "crypto/verified_signatures.hpp"

namespace covenant::crypto {

std::string_view domain_tag(sign_domain domain) {
    switch (domain) {
        case sign_domain::envelope: return "envelope";
        case sign_domain::client_request: return "client/request";
        case sign_domain::client_response: return "client/response";
        case sign_domain::kayak_proposal: return "kayak/proposal";
        case sign_domain::kayak_prepare_vote: return "kayak/prepare-vote";
        case sign_domain::kayak_commit_vote: return "kayak/commit-vote";
        case sign_domain::kayak_execution: return "kayak/execution";
        case sign_domain::kayak_suspect: return "kayak/suspect";
        case sign_domain::kayak_new_view: return "kayak/new-view";
        case sign_domain::shard_block: return "shard/block";
        case sign_domain::main_transaction: return "main/transaction";
        case sign_domain::main_block_proposal: return "main/block-proposal";
        case sign_domain::shard_checkpoint: return "shard/checkpoint";
        case sign_domain::main_prevote: return "main/prevote";
        case sign_domain::main_precommit: return "main/precommit";
        case sign_domain::main_round_proposal: return "main/round-proposal";
        case sign_domain::member_status: return "member/status";
        case sign_domain::client_request_batch: return "client/request-batch";
        case sign_domain::client_response_batch: return "client/response-batch";
    }
    COVENANT_ASSERT(false, "sign_domain out of range");
    return {};
}

namespace {
void ensure_sodium_initialised() {
    // Thread-safe and idempotent; picks the fastest implementation for this CPU.
    static const int initialised = sodium_init();
    COVENANT_ASSERT(initialised >= 0, "libsodium failed to initialise");
}
}  // namespace

secret_seed::~secret_seed() { Botan::secure_scrub_memory(bytes_.data(), bytes_.size()); }

secret_seed secret_seed::random() {
    std::array<std::uint8_t, 32> raw{};
    Botan::system_rng().randomize(raw.data(), raw.size());
    secret_seed seed(raw);
    Botan::secure_scrub_memory(raw.data(), raw.size());
    return seed;
}

key_pair::~key_pair() { Botan::secure_scrub_memory(expanded_.data(), expanded_.size()); }

key_pair key_pair::from_seed(const secret_seed& seed) {
    ensure_sodium_initialised();
    key_pair pair;
    pair.seed_ = seed;
    crypto_sign_ed25519_seed_keypair(pair.public_key_.data.data(), pair.expanded_.data(),
                                     seed.bytes().data());
    return pair;
}

bytes domain_separated(sign_domain domain, byte_view payload) {
    static constexpr std::string_view prefix = "covenant/v1/";
    const std::string_view tag = domain_tag(domain);
    bytes message;
    message.reserve(prefix.size() + tag.size() + 1 + payload.size());
    message.insert(message.end(), prefix.begin(), prefix.end());
    message.insert(message.end(), tag.begin(), tag.end());
    message.push_back(0);  // tags contain no zero byte, so the prefix is unambiguous
    message.insert(message.end(), payload.begin(), payload.end());
    return message;
}

signature key_pair::sign_raw(byte_view message) const {
    signature sig;
    unsigned long long length = 0;
    int rc = crypto_sign_ed25519_detached(sig.data.data(), &length, message.data(),
                                          message.size(), expanded_.data());
    COVENANT_ASSERT(rc == 0 && length == signature::size(), "Ed25519 signing failed");
    return sig;
}

signature key_pair::sign(sign_domain domain, byte_view payload) const {
    signature sig = sign_raw(domain_separated(domain, payload));
    // Valid by construction: remembered (in a node's own process), so that a member does
    // not verify its own vote when it comes back inside a certificate (two of a follower's
    // six certificate checks per batch, in a 4-member group, were of its own signatures).
    if (remembering_own_signatures()) remember_valid(verification_key(public_key_, domain, payload, sig));
    return sig;
}

bool verify_raw(const public_key& key, byte_view message, const signature& sig) {
    ensure_sodium_initialised();
    return crypto_sign_ed25519_verify_detached(sig.data.data(), message.data(), message.size(),
                                               key.data.data()) == 0;
}

bool verify(const public_key& key, sign_domain domain, byte_view payload, const signature& sig) {
    const digest remembered = verification_key(key, domain, payload, sig);
    if (remembered_valid(remembered)) return true;
    if (!verify_uncached(key, domain, payload, sig)) return false;
    remember_valid(remembered);
    return true;
}

bool verify_uncached(const public_key& key, sign_domain domain, byte_view payload,
                     const signature& sig) {
    return verify_raw(key, domain_separated(domain, payload), sig);
}

account_address address_of(const public_key& key) {
    digest d = hash(key.view());
    account_address out;
    out.data = d.data;
    return out;
}

}  // namespace covenant::crypto
