// Canonical bytes and the signature of a member's status answer (see member_status_messages.hpp).
#include "protocols/member_status_messages.hpp"

#include "common/assert.hpp"
#include "crypto/signing.hpp"
#include "protocols/canonical.hpp"

namespace covenant::protocols {

member_status member_status::answer(const member_status_query& query,
                                    const member_progress& progress, std::int64_t now_ms,
                                    const crypto::key_pair& member_key) {
    COVENANT_ASSERT(now_ms >= 0, "a member's clock before the epoch");
    COVENANT_ASSERT((progress.shard_height.value == 0) == progress.shard_head.is_zero(),
                    "a shard head hash exactly when there is a shard block");
    member_status s;
    s.database = query.database;
    s.challenge = query.challenge;
    s.member = member_key.public_key();
    s.progress = progress;
    s.timestamp_ms = now_ms;
    s.sign(member_key);
    return s;
}

bytes member_status::signing_bytes() const {
    canonical_writer out;
    out.fixed(database).fixed(challenge).fixed(member);
    out.count(progress.view).count(progress.last_committed).count(progress.last_executed);
    out.fixed(progress.state_digest).count(progress.shard_height).fixed(progress.shard_head);
    out.i64(timestamp_ms);
    return out.take();
}

void member_status::sign(const crypto::key_pair& member_key) {
    COVENANT_ASSERT(member_key.public_key() == member, "member_status signed by the wrong key");
    member_signature = member_key.sign(crypto::sign_domain::member_status, signing_bytes());
}

bool member_status::signature_valid() const {
    return crypto::verify(member, crypto::sign_domain::member_status, signing_bytes(),
                          member_signature);
}

bool operator==(const member_status& a, const member_status& b) {
    const auto& p = a.progress;
    const auto& q = b.progress;
    return a.database == b.database && a.challenge == b.challenge && a.member == b.member &&
           p.view == q.view && p.last_committed == q.last_committed &&
           p.last_executed == q.last_executed && p.state_digest == q.state_digest &&
           p.shard_height == q.shard_height && p.shard_head == q.shard_head &&
           a.timestamp_ms == b.timestamp_ms && a.member_signature == b.member_signature;
}

}  // namespace covenant::protocols
