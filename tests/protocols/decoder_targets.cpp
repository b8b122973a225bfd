// The table of decoders and samples used by the fuzzers (see decoder_targets.hpp).
#include "decoder_targets.hpp"

#include "sample_messages.hpp"

namespace covenant::test {

using namespace protocols;

namespace {

// ---- splitting a message into skeleton and parts ----------------------------------
bytes part_of(const signer_signature& s) {
    bytes out(s.signer.begin(), s.signer.end());
    out.insert(out.end(), s.sig.begin(), s.sig.end());
    return out;
}
void take(std::vector<signer_signature>& list, std::set<bytes>& parts) {
    for (const auto& s : list) parts.insert(part_of(s));
    list.clear();
}
void split(certificate& c, std::set<bytes>& parts) { take(c.votes, parts); }
// A piggybacked certificate is self-authenticating and outside the leader's signature
// (proposal::signing_bytes covers database, view, seq and batch hash only): a prepare
// without it is as valid as one with it. So the whole certificate is a part: its votes,
// and the rest of it tagged with the field it came from.
void detach(std::optional<certificate>& c, std::uint8_t field, std::set<bytes>& parts) {
    if (!c) return;
    split(*c, parts);
    bytes rest{field};
    const bytes unsigned_rest = encode(*c);
    rest.insert(rest.end(), unsigned_rest.begin(), unsigned_rest.end());
    parts.insert(std::move(rest));
    c.reset();
}
void split(prepare_message& m, std::set<bytes>& parts) {
    detach(m.last_commit, 'L', parts);
    detach(m.justification, 'J', parts);
}
void split(commit_message& m, std::set<bytes>& parts) { split(m.prepare_certificate, parts); }
void split(fetch_reply& m, std::set<bytes>& parts) {
    for (auto& b : m.batches) {
        split(b.commit_certificate, parts);
        parts.insert(encode(prepare_message{proposal{}, b.batch, std::nullopt, std::nullopt}));
    }
    m.batches.clear();
    // The reply itself is unsigned (its envelope is signed): its database is bound only
    // through its batches, and an empty reply claims nothing.
    m.database = database_id{};
}
void split(shard_block& m, std::set<bytes>& parts) {
    for (auto& e : m.entries) split(e.commit_certificate, parts);
    take(m.signatures, parts);
}
void split(transaction& m, std::set<bytes>& parts) {
    if (auto* checkpoint = std::get_if<tx::shard_checkpoint>(&m.body))
        take(checkpoint->signatures, parts);
}
// The finality signatures are parts, and so is their round (which they sign): a block
// without any is a proposed block, with finality round 0.
void split(main_block& m, std::set<bytes>& parts) {
    for (auto& t : m.transactions) split(t, parts);
    if (!m.finality.empty()) {
        bytes round{'R'};
        for (int shift = 56; shift >= 0; shift -= 8)
            round.push_back(static_cast<std::uint8_t>(m.finality_round.value >> shift));
        parts.insert(std::move(round));
    }
    take(m.finality, parts);
    m.finality_round = view_number{};
}
// A proposal is signed whole; its block's transactions may carry parts of their own.
void split(main_chain::block_proposal& m, std::set<bytes>& parts) { split(m.block, parts); }
// A catch-up reply is unsigned (its envelope is signed): a shorter run of its blocks is as
// valid, and its head height is an unsigned hint. Each block is a part: its own skeleton
// and its parts (finality signatures, checkpoint signatures).
void split(main_chain::block_fetch_reply& m, std::set<bytes>& parts) {
    for (auto& b : m.blocks) {
        split(b, parts);
        parts.insert(encode(b));
    }
    m.blocks.clear();
    m.head_height = block_height{};
}
// A block vote's checkpoint signature is covered by nothing the decoder can check (the
// receiver checks it against the checkpoint it built itself): any 64 bytes, or none, decode.
void split(shard_block_vote& m, std::set<bytes>&) { m.checkpoint_signature.reset(); }
// A shard-block catch-up reply is unsigned too: each block is a part, with its own parts.
void split(shard_block_fetch_reply& m, std::set<bytes>& parts) {
    for (auto& b : m.blocks) {
        split(b, parts);
        parts.insert(encode(b));
    }
    m.blocks.clear();
    m.head_height = block_height{};
    m.database = database_id{};
}
template <class T>
void split(T&, std::set<bytes>&) {}  // covered whole by its signature

template <class Decode>
auto target_decoder(Decode decode) {
    return [decode](byte_view wire) -> std::optional<std::pair<bytes, message_form>> {
        auto decoded = decode(wire);
        if (!decoded.ok()) return std::nullopt;
        bytes reencoded = encode(*decoded);
        message_form form;
        split(*decoded, form.parts);
        form.skeleton = encode(*decoded);
        return std::make_pair(std::move(reencoded), std::move(form));
    };
}

template <class... T>
std::vector<bytes> encoded(const T&... messages) {
    return {encode(messages)...};
}

}  // namespace

namespace {

/// The second of three requests signed at once (one signature over their Merkle root).
client_request sample_request_signed_in_batch() {
    std::vector<client_request> requests{sample_request(3), sample_request(4), sample_request(5)};
    sign_requests({&requests[0], &requests[1], &requests[2]}, test_key(100));
    return requests[1];
}

std::optional<std::pair<bytes, message_form>> bundle_target(byte_view wire) {
    auto decoded = decode_bundle(wire);
    if (!decoded.ok()) return std::nullopt;
    message_form form;
    form.skeleton = encode_bundle(*decoded);
    return std::make_pair(form.skeleton, form);
}

}  // namespace

std::vector<decoder_target> all_decoder_targets() {
    std::vector<decoder_target> targets;
    targets.push_back({"request",
                       encoded(sample_request(), sample_request(9), sample_request_signed_in_batch()),
                       true, target_decoder(decode_client_request)});
    targets.push_back({"response", encoded(sample_response_with_receipt(), sample_rejection()),
                       true, target_decoder(decode_client_response)});
    targets.push_back({"prepare", encoded(sample_prepare()), true, target_decoder(decode_prepare)});
    targets.push_back({"vote",
                       encoded(sample_vote(vote_phase::prepare), sample_vote(vote_phase::commit)),
                       true, target_decoder(decode_vote)});
    targets.push_back({"commit", encoded(sample_commit()), true, target_decoder(decode_commit)});
    targets.push_back({"commit-certificate",
                       encoded(sample_certificate(sample_batch(2, 1), vote_phase::commit, 4)), true,
                       target_decoder(decode_commit_certificate)});
    targets.push_back({"execution", encoded(sample_execution()), true,
                       target_decoder(decode_execution)});
    targets.push_back({"suspect", encoded(sample_suspect()), true, target_decoder(decode_suspect)});
    targets.push_back({"new-view", encoded(sample_new_view()), true,
                       target_decoder(decode_new_view)});
    // A fetch request is unsigned on its own (its envelope is signed): a mutation may be
    // another valid request.
    targets.push_back({"fetch", encoded(sample_fetch()), false,
                       target_decoder(decode_fetch_batches)});
    targets.push_back({"fetch-reply", encoded(sample_fetch_reply()), true,
                       target_decoder(decode_fetch_reply)});
    targets.push_back({"shard-block", encoded(sample_shard_block()), true,
                       target_decoder(decode_shard_block)});
    targets.push_back({"shard-block-vote", encoded(sample_shard_block_vote()), true,
                       target_decoder(decode_shard_block_vote)});
    targets.push_back({"shard-block-fetch", encoded(sample_shard_block_fetch()), false,
                       target_decoder(decode_shard_block_fetch)});
    targets.push_back({"shard-block-fetch-reply", encoded(sample_shard_block_fetch_reply()), true,
                       target_decoder(decode_shard_block_fetch_reply)});
    std::vector<bytes> transactions;
    for (const auto& t : sample_transactions()) transactions.push_back(encode(t));
    targets.push_back({"transaction", transactions, true, target_decoder(decode_transaction)});
    targets.push_back({"main-block", encoded(sample_main_block()), true,
                       target_decoder(decode_main_block)});
    targets.push_back({"block-proposal",
                       encoded(sample_block_proposal(false), sample_block_proposal(true)), true,
                       target_decoder(decode_block_proposal)});
    targets.push_back({"block-vote",
                       encoded(sample_block_vote(main_chain::block_vote::kind::prevote),
                               sample_block_vote(main_chain::block_vote::kind::precommit),
                               sample_nil_vote()),
                       true, target_decoder(decode_block_vote)});
    targets.push_back({"producer-evidence",
                       encoded(sample_producer_evidence(main_chain::producer_evidence::kind::proposal),
                               sample_producer_evidence(main_chain::producer_evidence::kind::vote)),
                       true, target_decoder(decode_producer_evidence)});
    // A catch-up request is unsigned on its own, as a Kayak fetch is.
    targets.push_back({"block-fetch", encoded(sample_block_fetch()), false,
                       target_decoder(decode_block_fetch)});
    targets.push_back({"block-fetch-reply", encoded(sample_block_fetch_reply()), true,
                       target_decoder(decode_block_fetch_reply)});
    // A status query is unsigned on its own (its envelope is signed), as a fetch is.
    targets.push_back({"member-status-query", encoded(sample_member_status_query()), false,
                       target_decoder(decode_member_status_query)});
    targets.push_back({"member-status",
                       encoded(sample_member_status(true), sample_member_status(false)), true,
                       target_decoder(decode_member_status)});
    // A bundle is unsigned on its own (its envelope is signed), as a fetch is.
    targets.push_back({"bundle",
                       {encode_bundle({{message_kind::kayak_vote, {}, encode(sample_vote())},
                                       {message_kind::client_request,
                                        sample_database().view().to_bytes(),
                                        encode(sample_request())}})},
                       false, bundle_target});
    targets.push_back({"envelope",
                       encoded(sample_envelope(fuzz_envelope_difficulty),
                               sample_envelope(fuzz_envelope_difficulty, true)),
                       true,
                       target_decoder([](byte_view wire) {
                           return decode_envelope(wire, fuzz_envelope_difficulty);
                       })});
    return targets;
}

}  // namespace covenant::test
