// Encoders and validating decoders for every message that crosses a process boundary.
//
// encode_*() turns a plain struct into Cap'n Proto bytes. decode_*() takes untrusted
// bytes and either returns a message that passed every check -- sizes, counts and limits
// (limits.hpp), enum ranges, fixed field lengths, UTF-8, canonical order of signer lists,
// internal consistency (roots, counts, slots) and every signature the message carries --
// or an error value naming what was wrong. Nothing past a decoder needs to distrust the
// message's own structure; what a decoder cannot know (who the current members are, the
// chain's state) is for the state machines to check.
#pragma once

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "protocols/envelope.hpp"
#include "protocols/errors.hpp"
#include "protocols/kayak_messages.hpp"
#include "protocols/main_chain/producer_messages.hpp"
#include "protocols/main_chain/sync_messages.hpp"
#include "protocols/main_chain_messages.hpp"
#include "protocols/member_status_messages.hpp"
#include "protocols/shard_chain_messages.hpp"
#include "protocols/sql_messages.hpp"

namespace covenant::protocols {

/// The simulator's injected bug skip-client-signature-check (kayak/injected_bugs.hpp): while
/// one of these lives on a thread, the decoders on that thread take client requests (alone
/// or inside batches) without checking their signatures. Nothing in production creates one.
class client_signatures_unchecked {
  public:
    client_signatures_unchecked();
    ~client_signatures_unchecked();
    client_signatures_unchecked(const client_signatures_unchecked&) = delete;
    client_signatures_unchecked& operator=(const client_signatures_unchecked&) = delete;
    /// True while one lives on this thread.
    static bool active();

  private:
    bool previous_;
};

bytes encode(const client_request& m);
bytes encode(const client_response& m);
bytes encode(const prepare_message& m);
bytes encode(const vote& m);
bytes encode(const commit_message& m);
bytes encode(const certificate& m);  // a certificate on its own (sent, or stored)
bytes encode(const batch& m);        // a batch on its own (stored in a replica's log)
bytes encode(const tx::evidence& m);
bytes encode(const execution_message& m);
bytes encode(const suspect_message& m);
bytes encode(const new_view_message& m);
bytes encode(const fetch_batches& m);
bytes encode(const fetch_reply& m);
bytes encode(const shard_block& m);
bytes encode(const shard_block_vote& m);
bytes encode(const shard_block_fetch& m);
bytes encode(const shard_block_fetch_reply& m);
bytes encode(const transaction& m);
bytes encode(const main_block& m);
bytes encode(const main_chain::block_proposal& m);
bytes encode(const main_chain::block_vote& m);
bytes encode(const main_chain::producer_evidence& m);
bytes encode(const main_chain::block_fetch& m);
bytes encode(const main_chain::block_fetch_reply& m);
bytes encode(const member_status_query& m);
bytes encode(const member_status& m);
bytes encode(const envelope& m);

result<client_request> decode_client_request(byte_view wire);
/// A decoded request with its hash (client_request::hash()), which the decoder computes
/// anyway to check the signature: a replica then need not encode and hash it again.
struct hashed_client_request {
    client_request request;
    digest hash;
};
result<hashed_client_request> decode_client_request_hashed(byte_view wire);
result<client_response> decode_client_response(byte_view wire);
result<prepare_message> decode_prepare(byte_view wire);
result<vote> decode_vote(byte_view wire);
result<commit_message> decode_commit(byte_view wire);
result<certificate> decode_commit_certificate(byte_view wire);
result<certificate> decode_certificate(byte_view wire, vote_phase phase);
result<batch> decode_batch(byte_view wire);
result<tx::evidence> decode_evidence(byte_view wire);
result<execution_message> decode_execution(byte_view wire);
result<suspect_message> decode_suspect(byte_view wire);
result<new_view_message> decode_new_view(byte_view wire);
result<fetch_batches> decode_fetch_batches(byte_view wire);
result<fetch_reply> decode_fetch_reply(byte_view wire);
result<shard_block> decode_shard_block(byte_view wire);
result<shard_block_vote> decode_shard_block_vote(byte_view wire);
result<shard_block_fetch> decode_shard_block_fetch(byte_view wire);
result<shard_block_fetch_reply> decode_shard_block_fetch_reply(byte_view wire);
result<transaction> decode_transaction(byte_view wire);
/// A block, proposed (no finality signatures, finalityRound 0) or final: besides the
/// parts, finalityRound not below the header's round and every finality signature a
/// precommit for the block in finalityRound. (Whether they are a quorum of the producer
/// set is for the caller: main_chain::finality_fault, the producer.)
result<main_block> decode_main_block(byte_view wire);
/// A round proposal: the block (decode_main_block's checks, without finality signatures),
/// height >= 1, rounds that fit (block_proposal::shape_fault) and the proposer's signature.
/// Whether the proposer is proposer(height, round) is for the producer.
result<main_chain::block_proposal> decode_block_proposal(byte_view wire);
/// A prevote or precommit: height >= 1, kind, a 32-byte hash or nil, the signature.
result<main_chain::block_vote> decode_block_vote(byte_view wire);
/// Evidence of a producer's equivocation: a real conflict (producer_evidence::shape_fault),
/// canonical order and both signatures.
result<main_chain::producer_evidence> decode_producer_evidence(byte_view wire);

/// A catch-up request: fromHeight >= 1, count 1..limits::main_blocks_per_fetch_max.
result<main_chain::block_fetch> decode_block_fetch(byte_view wire);
/// A catch-up reply: at most limits::main_blocks_per_fetch_max blocks, each a valid block
/// (decode_main_block's checks) with at least one finality signature, at consecutive
/// heights, each one's parent the hash of the one before, none above headHeight.
result<main_chain::block_fetch_reply> decode_block_fetch_reply(byte_view wire);

/// A member-status query: a 32-byte database id and challenge.
result<member_status_query> decode_member_status_query(byte_view wire);
/// A member's status: fixed sizes, a shard head exactly with a shard height above 0, a
/// timestamp not negative and the member's signature. (Whether the member is one of the
/// database's, and the challenge the one asked, is for the asker.)
result<member_status> decode_member_status(byte_view wire);

/// Checks the sender's proof of work (at least `node_id_difficulty` leading zero bits),
/// the channel (empty or 32 bytes) and the signature. The payload is left for the decoder
/// of its kind.
result<envelope> decode_envelope(byte_view wire, unsigned node_id_difficulty);

/// The payload of a bundle envelope, and its decoder: 1..limits::bundle_items_max items,
/// each of a known kind other than `bundle`, a channel of 0 or 32 bytes and a non-empty
/// payload (left for the decoder of its kind).
bytes encode_bundle(const std::vector<bundle_item>& items);
result<std::vector<bundle_item>> decode_bundle(byte_view wire);

/// Wraps a message in a signed envelope (the sender's node id proof is its nonce), on
/// `channel` (empty, or a database id for database traffic).
envelope seal_envelope(const crypto::key_pair& sender, std::uint64_t sender_nonce,
                       message_kind kind, bytes payload, bytes channel = {});

}  // namespace covenant::protocols
