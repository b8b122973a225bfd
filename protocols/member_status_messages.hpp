// The member-status query: anyone may ask a member of a database how far it is (its view,
// last committed and executed sequence, state digest and shard-chain head), and the member
// answers signed (domain member/status) over the asker's challenge, so the answer is fresh
// and whoever relays it (a client gateway to `cql info`) cannot alter it. The answer is
// what the member says about itself: it proves who said it, not that it is true; a client
// compares the members' answers with each other and with the shard chain. Wire form in
// protocols/schema/member_status.capnp; served by actors/miner/replica_actor.
#pragma once

#include <cstdint>

#include "common/bytes.hpp"
#include "common/ids.hpp"

namespace covenant::crypto {
class key_pair;
}

namespace covenant::protocols {

struct member_status_query {
    database_id database;
    digest challenge;  // chosen by the asker, unique per query
    friend bool operator==(const member_status_query& a, const member_status_query& b) {
        return a.database == b.database && a.challenge == b.challenge;
    }
};

/// What a replica knows of itself when it answers.
struct member_progress {
    view_number view;
    sequence_number last_committed;
    sequence_number last_executed;
    digest state_digest;
    block_height shard_height;  // 0: no shard block stored yet
    digest shard_head;          // the zero digest when shard_height is 0
};

struct member_status {
    database_id database;
    digest challenge;
    public_key member;
    member_progress progress;
    std::int64_t timestamp_ms = 0;  // the member's clock, not negative
    signature member_signature;

    /// The member's signed answer to `query`, at `now_ms` (asserted: not negative; a shard
    /// head only with a height).
    static member_status answer(const member_status_query& query, const member_progress& progress,
                                std::int64_t now_ms, const crypto::key_pair& member_key);

    bytes signing_bytes() const;
    void sign(const crypto::key_pair& member_key);
    bool signature_valid() const;
    friend bool operator==(const member_status& a, const member_status& b);
};

}  // namespace covenant::protocols
