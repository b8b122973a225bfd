// Valid, fully signed sample messages of every kind, built from fixed keys, for the codec
// and fuzz tests. Each sample exercises every field of its message (all value types,
// optional parts present, several signers).
#pragma once

#include <vector>

#include "crypto/signing.hpp"
#include "protocols/codec.hpp"

namespace covenant::test {

/// Deterministic key number `index` (seed = index repeated).
crypto::key_pair test_key(std::uint8_t index);

/// Keys 1..n sorted by public key, as certificates need them.
std::vector<crypto::key_pair> sorted_members(std::size_t n);
/// The database every sample message belongs to.
database_id sample_database();

protocols::client_request sample_request(std::uint64_t sequence = 1);
/// A request whose INSERT runs with three parameter sets, then an UPDATE with parameters.
protocols::client_request sample_request_with_parameter_sets(std::uint64_t sequence = 1);
protocols::batch sample_batch(std::uint64_t seq = 1, std::size_t requests = 3);
protocols::certificate sample_certificate(const protocols::batch& b, protocols::vote_phase phase,
                                          std::size_t signers = 3);
protocols::client_response sample_response_with_receipt();
protocols::client_response sample_rejection();
protocols::prepare_message sample_prepare();
protocols::vote sample_vote(protocols::vote_phase phase = protocols::vote_phase::prepare);
protocols::commit_message sample_commit();
protocols::execution_message sample_execution();
protocols::suspect_message sample_suspect();
protocols::new_view_message sample_new_view();
protocols::fetch_batches sample_fetch();
protocols::fetch_reply sample_fetch_reply();
protocols::shard_block sample_shard_block();
protocols::shard_block_vote sample_shard_block_vote();
protocols::shard_block_fetch sample_shard_block_fetch();
protocols::shard_block_fetch_reply sample_shard_block_fetch_reply();
std::vector<protocols::transaction> sample_transactions();  // one of every kind
/// A final block of round 1, its finality certificate three precommits of round 2.
protocols::main_block sample_main_block();
/// A vote for sample_main_block() in its finality round; the precommit carries the same
/// signature as the block's finality entry for its signer.
main_chain::block_vote sample_block_vote(
    main_chain::block_vote::kind what = main_chain::block_vote::kind::precommit);
/// A prevote for nil.
main_chain::block_vote sample_nil_vote();
/// sample_main_block() without finality proposed: as a new block in its own round by its
/// proposer, or (`again`) by another producer in a later round with a valid round.
main_chain::block_proposal sample_block_proposal(bool again = false);
/// Two conflicting headers at sample_main_block()'s height and round, both proposed by its
/// proposer (proposal); or another producer's precommit for that block and its precommit
/// for nil in the same round (vote). In canonical order.
main_chain::producer_evidence sample_producer_evidence(main_chain::producer_evidence::kind what);
/// A catch-up request, and a reply of two consecutive, hash-linked final blocks.
main_chain::block_fetch sample_block_fetch();
main_chain::block_fetch_reply sample_block_fetch_reply();
/// A vote in an envelope from a sender with at least `difficulty` bits of work; on the vote's
/// database channel if `on_channel`, else with no channel.
protocols::envelope sample_envelope(unsigned difficulty = 4, bool on_channel = false);
/// A status query for sample_database(), and a member's answer to it (with a shard head,
/// or before its first shard block).
protocols::member_status_query sample_member_status_query();
protocols::member_status sample_member_status(bool with_shard_head = true);

}  // namespace covenant::test
