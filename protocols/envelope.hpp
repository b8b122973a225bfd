// The envelope: the only thing that travels between nodes (DESIGN.md section 3). It names
// its sender by public key and proof-of-work nonce, says what kind of payload it carries
// and, for database traffic, on which channel (the database id), and is signed by the
// sender over all of that.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.hpp"
#include "common/ids.hpp"

namespace covenant::crypto {
class key_pair;
}

namespace covenant::protocols {

enum class message_kind : std::uint16_t {
    client_request,
    client_response,
    kayak_prepare,
    kayak_vote,
    kayak_commit,
    kayak_commit_certificate,
    kayak_execution,
    kayak_suspect,
    kayak_new_view,
    kayak_fetch,
    kayak_fetch_reply,
    shard_block,
    main_transaction,
    main_block,
    shard_block_vote,
    main_block_vote,
    main_block_proposal,
    main_producer_evidence,
    main_block_fetch,
    main_block_fetch_reply,
    shard_block_fetch,
    shard_block_fetch_reply,
    member_status_query,  // anyone asks a member how far it is (protocols/member_status.hpp)
    member_status,        // the member's signed answer
    bundle,               // several messages to one node under one signature (bundle_item)
    kayak_execution_wanted,  // a member's execution, and a request for the receiver's of that batch
};
inline constexpr std::uint16_t message_kind_count = 26;

/// A channel is empty (main-chain traffic) or exactly this long (a database id).
inline constexpr std::size_t envelope_channel_bytes = 32;
inline bool valid_envelope_channel(byte_view channel) {
    return channel.empty() || channel.size() == envelope_channel_bytes;
}

/// One message of a bundle envelope: what an envelope of its own would carry but the
/// sender's key, nonce and signature, which the bundle's envelope carries once for all of
/// them. A router seals the messages it is handed for one destination while it is busy
/// into one bundle, so a burst of answers or requests costs one signature and one network
/// write; the receiving router delivers the items one by one as if each had come alone.
struct bundle_item {
    message_kind kind = message_kind::client_request;  // never `bundle`: bundles do not nest
    bytes channel;                                      // empty or 32 bytes, as an envelope's
    bytes payload;
    friend bool operator==(const bundle_item& a, const bundle_item& b) {
        return a.kind == b.kind && a.channel == b.channel && a.payload == b.payload;
    }
};

struct envelope {
    public_key sender;
    std::uint64_t sender_nonce = 0;
    message_kind kind = message_kind::client_request;
    bytes payload;
    signature sender_signature;
    /// Empty or 32 bytes (decoders refuse anything else). Senders of database traffic set it
    /// to the database id so that the receiving router can hand the envelope to that
    /// database's replica; it selects a subscriber and nothing else (the payload carries
    /// its own database id, which is what the receiver checks).
    bytes channel;

    /// hash(sender || sender_nonce): the sender's node id.
    node_id sender_id() const;
    bytes signing_bytes() const;
    void sign(const crypto::key_pair& sender_key);
    bool signature_valid() const;
    friend bool operator==(const envelope& a, const envelope& b) {
        return a.sender == b.sender && a.sender_nonce == b.sender_nonce && a.kind == b.kind &&
               a.payload == b.payload && a.sender_signature == b.sender_signature &&
               a.channel == b.channel;
    }
};

}  // namespace covenant::protocols
