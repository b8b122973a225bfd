// Codec tests: every message survives encode -> decode unchanged (and re-encodes to the
// same bytes), each check a decoder makes rejects the message it is meant to reject, with
// the right error, and a request's canonical bytes keep their layout.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <set>

#include "codec_support_for_tests.hpp"
#include "crypto/node_id.hpp"
#include "protocols/canonical.hpp"
#include "protocols/limits.hpp"
#include "sample_messages.hpp"

using namespace covenant;
using namespace covenant::protocols;
using covenant::test::expect_error;

namespace {
template <class T, class Decode>
void check_round_trip(const T& original, Decode decode) {
    const bytes wire = encode(original);
    auto decoded = decode(wire);
    BOOST_REQUIRE_MESSAGE(decoded.ok(), (decoded.ok() ? "" : decoded.failure().message()));
    BOOST_TEST((*decoded == original));
    BOOST_TEST((encode(*decoded) == wire));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(round_trips)

BOOST_AUTO_TEST_CASE(client_messages) {
    check_round_trip(test::sample_request(), decode_client_request);
    check_round_trip(test::sample_request_with_parameter_sets(), decode_client_request);
    check_round_trip(test::sample_response_with_receipt(), decode_client_response);
    check_round_trip(test::sample_rejection(), decode_client_response);
}

BOOST_AUTO_TEST_CASE(kayak_messages) {
    check_round_trip(test::sample_prepare(), decode_prepare);
    check_round_trip(test::sample_vote(vote_phase::prepare), decode_vote);
    check_round_trip(test::sample_vote(vote_phase::commit), decode_vote);
    check_round_trip(test::sample_commit(), decode_commit);
    check_round_trip(test::sample_certificate(test::sample_batch(2, 1), vote_phase::commit, 4),
                     decode_commit_certificate);
    check_round_trip(test::sample_execution(), decode_execution);
    check_round_trip(test::sample_suspect(), decode_suspect);
    check_round_trip(test::sample_new_view(), decode_new_view);
    auto without_prepared = test::sample_new_view();
    without_prepared.prepared.clear();
    without_prepared.sign(test::test_key(1));
    check_round_trip(without_prepared, decode_new_view);
    check_round_trip(test::sample_fetch(), decode_fetch_batches);
    check_round_trip(test::sample_fetch_reply(), decode_fetch_reply);
}

BOOST_AUTO_TEST_CASE(chain_messages) {
    check_round_trip(test::sample_shard_block(), decode_shard_block);
    check_round_trip(test::sample_shard_block_vote(), decode_shard_block_vote);
    // A vote's signature is exactly the one the block carries for that member.
    const auto vote = test::sample_shard_block_vote();
    const auto block = test::sample_shard_block();
    BOOST_TEST(std::count(block.signatures.begin(), block.signatures.end(),
                          signer_signature{vote.signer, vote.signer_signature}) == 1);
    const auto transactions = test::sample_transactions();
    BOOST_TEST(transactions.size() == 15u);  // every kind, evidence in its three forms
    for (const auto& t : transactions) check_round_trip(t, decode_transaction);
    check_round_trip(test::sample_main_block(), decode_main_block);
}

BOOST_AUTO_TEST_CASE(producer_messages) {
    using E = main_chain::producer_evidence;
    using V = main_chain::block_vote;
    check_round_trip(test::sample_block_vote(V::kind::prevote), decode_block_vote);
    check_round_trip(test::sample_block_vote(V::kind::precommit), decode_block_vote);
    check_round_trip(test::sample_nil_vote(), decode_block_vote);
    // A precommit carries exactly the signature the final block carries for its signer.
    const auto vote = test::sample_block_vote(V::kind::precommit);
    const auto block = test::sample_main_block();
    BOOST_TEST((vote.round == block.finality_round));
    BOOST_TEST(std::count(block.finality.begin(), block.finality.end(),
                          signer_signature{vote.signer, vote.sig}) == 1);
    check_round_trip(test::sample_block_proposal(false), decode_block_proposal);
    check_round_trip(test::sample_block_proposal(true), decode_block_proposal);
    for (auto what : {E::kind::proposal, E::kind::vote}) {
        const auto e = test::sample_producer_evidence(what);
        BOOST_TEST(e.valid());
        BOOST_TEST(e.canonical());
        BOOST_TEST((e.what() == what));
        check_round_trip(e, decode_producer_evidence);
    }
}

BOOST_AUTO_TEST_CASE(envelopes) {
    const auto e = test::sample_envelope(8);
    const bytes wire = encode(e);
    auto decoded = decode_envelope(wire, 8);
    BOOST_REQUIRE(decoded.ok());
    BOOST_TEST((*decoded == e));
    BOOST_TEST(crypto::leading_zero_bits(decoded->sender_id()) >= 8u);
    auto inner = decode_vote(decoded->payload);
    BOOST_REQUIRE(inner.ok());
    BOOST_TEST((*inner == test::sample_vote()));
    BOOST_TEST(decoded->channel.empty());

    // On a channel (a database id): it travels and is signed with the rest.
    const auto on_channel = test::sample_envelope(8, true);
    BOOST_TEST(on_channel.channel.size() == envelope_channel_bytes);
    auto decoded_on_channel = decode_envelope(encode(on_channel), 8);
    BOOST_REQUIRE(decoded_on_channel.ok());
    BOOST_TEST((*decoded_on_channel == on_channel));
    BOOST_TEST((decoded_on_channel->channel == test::sample_vote().database.view().to_bytes()));
}

BOOST_AUTO_TEST_CASE(values_travel_exactly) {
    auto r = test::sample_request();
    r.statements[0].parameters = {
        {"", sql_value::real(std::numeric_limits<double>::infinity())},
        {"", sql_value::real(-std::numeric_limits<double>::denorm_min())},
        {"", sql_value::real(-0.0)},
        {"", sql_value::integer(std::numeric_limits<std::int64_t>::max())},
        {"", sql_value::text("")},
        {"", sql_value::blob({})},
        {"", sql_value::text(std::string("\0\0", 2))}};
    r.sign(test::test_key(100));
    auto decoded = decode_client_request(encode(r));
    BOOST_REQUIRE(decoded.ok());
    const auto& p = decoded->statements[0].parameters;
    BOOST_TEST(std::isinf(std::get<double>(p[0].value.value)));
    BOOST_TEST(std::get<double>(p[1].value.value) == -std::numeric_limits<double>::denorm_min());
    BOOST_TEST(std::signbit(std::get<double>(p[2].value.value)));
    BOOST_TEST(std::get<std::int64_t>(p[3].value.value) == std::numeric_limits<std::int64_t>::max());
    BOOST_TEST(std::get<std::string>(p[4].value.value).empty());
    BOOST_TEST(std::get<bytes>(p[5].value.value).empty());
    BOOST_TEST(std::get<std::string>(p[6].value.value).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_request_decoded_with_its_hash_has_the_hash_it_would_compute) {
    auto r = test::sample_request();
    r.statements[0].parameter_sets = {{{"", sql_value::integer(1)}}, {{"", sql_value::integer(2)}}};
    r.statements[0].parameters.clear();
    r.sign(test::test_key(100));
    auto decoded = decode_client_request_hashed(encode(r));
    BOOST_REQUIRE(decoded.ok());
    BOOST_TEST((decoded->request == r));
    BOOST_TEST((decoded->hash == r.hash()));
    BOOST_TEST((decoded->hash == decoded->request.hash()));
    auto forged = r;
    forged.statements[0].sql = "DROP TABLE t";
    expect_error(decode_client_request_hashed(encode(forged)), protocol_errc::bad_signature);
}

BOOST_AUTO_TEST_CASE(misaligned_input_is_accepted) {
    const bytes wire = encode(test::sample_request());
    bytes shifted(wire.size() + 1);
    std::memcpy(shifted.data() + 1, wire.data(), wire.size());
    auto decoded = decode_client_request(byte_view(shifted.data() + 1, wire.size()));
    BOOST_TEST(decoded.ok());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rejections)

BOOST_AUTO_TEST_CASE(framing) {
    expect_error(decode_vote(bytes{}), protocol_errc::malformed);
    expect_error(decode_vote(bytes(13, 0)), protocol_errc::malformed);
    expect_error(decode_vote(bytes(limits::message_bytes_max + 8, 0)), protocol_errc::too_large);
    bytes trailing = encode(test::sample_vote());
    trailing.insert(trailing.end(), 8, 0);
    expect_error(decode_vote(trailing), protocol_errc::malformed);
    // A message of another schema is not silently read as this one.
    BOOST_TEST(!decode_vote(encode(test::sample_suspect())).ok());
}

BOOST_AUTO_TEST_CASE(requests) {
    auto forged = test::sample_request();
    forged.statements[0].sql = "DROP TABLE t";  // signed text altered
    expect_error(decode_client_request(encode(forged)), protocol_errc::bad_signature);

    auto wrong_client = test::sample_request();
    wrong_client.client = test::test_key(101).public_key();
    expect_error(decode_client_request(encode(wrong_client)), protocol_errc::bad_signature);

    auto none = test::sample_request();
    none.statements.clear();
    expect_error(decode_client_request(encode(none)), protocol_errc::invalid_value);

    auto many = test::sample_request();
    many.statements.assign(limits::statements_per_request_max + 1, many.statements[0]);
    expect_error(decode_client_request(encode(many)), protocol_errc::limit_exceeded);

    auto nan = test::sample_request();
    nan.statements[0].parameters[0].value = sql_value::real(std::nan(""));
    nan.sign(test::test_key(100));
    expect_error(decode_client_request(encode(nan)), protocol_errc::invalid_value);

    auto bad_utf8 = test::sample_request();
    bad_utf8.statements[0].sql = "SELECT '\xc0\xaf'";  // overlong '/'
    bad_utf8.sign(test::test_key(100));
    expect_error(decode_client_request(encode(bad_utf8)), protocol_errc::invalid_value);

    auto nul_in_sql = test::sample_request();
    nul_in_sql.statements[0].sql = std::string("SELECT 1;\0DROP TABLE t", 22);
    nul_in_sql.sign(test::test_key(100));
    expect_error(decode_client_request(encode(nul_in_sql)), protocol_errc::invalid_value);

    auto bad_name = test::sample_request();
    bad_name.statements[1].parameters[0].name = "a";
    bad_name.sign(test::test_key(100));
    expect_error(decode_client_request(encode(bad_name)), protocol_errc::invalid_value);

    auto negative_time = test::sample_request();
    negative_time.timestamp_ms = -1;
    negative_time.sign(test::test_key(100));
    expect_error(decode_client_request(encode(negative_time)), protocol_errc::invalid_value);

    auto unknown_kind = test::sample_request();
    unknown_kind.kind = static_cast<query_kind>(5);
    unknown_kind.sign(test::test_key(100));
    expect_error(decode_client_request(encode(unknown_kind)), protocol_errc::unknown_enum);
}

BOOST_AUTO_TEST_CASE(requests_with_parameter_sets) {
    auto both = test::sample_request_with_parameter_sets();
    both.statements[0].parameters = both.statements[0].parameter_sets[0];
    both.sign(test::test_key(100));
    expect_error(decode_client_request(encode(both)), protocol_errc::invalid_value);

    auto too_many_sets = test::sample_request_with_parameter_sets();
    too_many_sets.statements[0].parameter_sets.assign(limits::parameter_sets_per_statement_max + 1, {});
    too_many_sets.sign(test::test_key(100));
    expect_error(decode_client_request(encode(too_many_sets)), protocol_errc::limit_exceeded);

    // Within each statement's bound, beyond the request's.
    auto too_many_runs = test::sample_request_with_parameter_sets();
    too_many_runs.statements.resize(2);
    for (auto& st : too_many_runs.statements) {
        st.parameters.clear();
        st.parameter_sets.assign(limits::statement_runs_per_request_max / 2, {});
    }
    too_many_runs.statements[1].parameter_sets.emplace_back();
    too_many_runs.sign(test::test_key(100));
    expect_error(decode_client_request(encode(too_many_runs)), protocol_errc::limit_exceeded);
    too_many_runs.statements[1].parameter_sets.pop_back();
    too_many_runs.sign(test::test_key(100));
    BOOST_TEST(decode_client_request(encode(too_many_runs)).ok());

    auto bad_name = test::sample_request_with_parameter_sets();
    bad_name.statements[0].parameter_sets[1][0].name = "k";
    bad_name.sign(test::test_key(100));
    expect_error(decode_client_request(encode(bad_name)), protocol_errc::invalid_value);
}

BOOST_AUTO_TEST_CASE(shared_pointers_cannot_amplify_a_message) {
    // Sanity: a few statements sharing a short list decode all the way to the (forged)
    // signature, so the raw builder makes well-formed messages.
    expect_error(decode_client_request(test::encode_request_with_shared_parameter_lists(2, 3)),
                 protocol_errc::bad_signature);
    // 256 statements x 32,766 shared parameters: 8.4 million elements from ~5 KB.
    const bytes amplified = test::encode_request_with_shared_parameter_lists(256, 32'766);
    BOOST_TEST(amplified.size() < 10'000u);
    auto decoded = decode_client_request(amplified);
    BOOST_REQUIRE(!decoded.ok());
    const auto code = decoded.failure().code;
    BOOST_TEST((code == make_error_code(protocol_errc::malformed) ||
                code == make_error_code(protocol_errc::limit_exceeded)),
               decoded.failure().message());
}

BOOST_AUTO_TEST_CASE(fixed_sizes) {
    const bytes short_key = test::encode_request_with_short_database();
    expect_error(decode_client_request(short_key), protocol_errc::wrong_size);
}

BOOST_AUTO_TEST_CASE(certificates) {
    const batch b = test::sample_batch(3, 1);
    auto unsorted = test::sample_certificate(b, vote_phase::commit, 3);
    std::swap(unsorted.votes[0], unsorted.votes[2]);
    expect_error(decode_commit_certificate(encode(unsorted)), protocol_errc::not_canonical);

    auto duplicate = test::sample_certificate(b, vote_phase::commit, 3);
    duplicate.votes[1] = duplicate.votes[0];
    expect_error(decode_commit_certificate(encode(duplicate)), protocol_errc::not_canonical);

    auto empty = test::sample_certificate(b, vote_phase::commit, 3);
    empty.votes.clear();
    expect_error(decode_commit_certificate(encode(empty)), protocol_errc::invalid_value);

    // Prepare votes do not make a commit certificate, even relabelled.
    auto relabelled = test::sample_certificate(b, vote_phase::prepare, 3);
    relabelled.phase = vote_phase::commit;
    expect_error(decode_commit_certificate(encode(relabelled)), protocol_errc::bad_signature);

    auto other_batch = test::sample_certificate(b, vote_phase::commit, 3);
    other_batch.batch_hash.data[0] ^= 1;
    expect_error(decode_commit_certificate(encode(other_batch)), protocol_errc::bad_signature);

    // A commit message must carry a prepare certificate.
    expect_error(decode_commit(encode(commit_message{test::sample_certificate(b, vote_phase::commit)})),
                 protocol_errc::inconsistent);
}

BOOST_AUTO_TEST_CASE(batches_and_prepares) {
    auto altered_root = test::sample_prepare();
    altered_root.batch.requests.pop_back();  // header still counts two
    expect_error(decode_prepare(encode(altered_root)), protocol_errc::inconsistent);

    auto swapped = test::sample_prepare();
    std::swap(swapped.batch.requests[0], swapped.batch.requests[1]);  // root no longer matches
    expect_error(decode_prepare(encode(swapped)), protocol_errc::inconsistent);

    auto foreign = test::sample_prepare();
    foreign.batch.requests[0].database.data[0] ^= 1;
    foreign.batch.requests[0].sign(test::test_key(100));
    foreign.batch.seal_header();
    foreign.proposed.batch_hash = foreign.batch.hash();
    foreign.proposed.sign(test::sorted_members(4)[2]);
    expect_error(decode_prepare(encode(foreign)), protocol_errc::inconsistent);

    auto other_batch = test::sample_prepare();
    other_batch.proposed.seq = other_batch.proposed.seq.next();
    other_batch.proposed.sign(test::sorted_members(4)[2]);
    expect_error(decode_prepare(encode(other_batch)), protocol_errc::inconsistent);

    auto late_commit = test::sample_prepare();
    late_commit.last_commit = test::sample_certificate(test::sample_batch(9, 1), vote_phase::commit);
    expect_error(decode_prepare(encode(late_commit)), protocol_errc::inconsistent);

    auto orphan = test::sample_prepare();  // seq 1 must start from the zero parent
    orphan.batch = test::sample_batch(1, 1);
    orphan.batch.header.parent.data[0] = 1;
    orphan.batch.seal_header();
    orphan.proposed.seq = sequence_number(1);
    orphan.proposed.batch_hash = orphan.batch.hash();
    orphan.last_commit.reset();
    orphan.proposed.sign(test::sorted_members(4)[2]);
    expect_error(decode_prepare(encode(orphan)), protocol_errc::inconsistent);

    auto twice = test::sample_prepare();  // the same signed request twice would run twice
    twice.batch.requests[1] = twice.batch.requests[0];
    twice.batch.seal_header();
    twice.proposed.batch_hash = twice.batch.hash();
    twice.proposed.sign(test::sorted_members(4)[2]);
    expect_error(decode_prepare(encode(twice)), protocol_errc::inconsistent);

    auto forged_leader = test::sample_prepare();
    forged_leader.proposed.leader = test::test_key(77).public_key();
    expect_error(decode_prepare(encode(forged_leader)), protocol_errc::bad_signature);
}

// Members take each request's hash from the batch (to execute it, commit it, track it):
// the decoder and seal_header must leave the right ones there.
BOOST_AUTO_TEST_CASE(a_batch_carries_its_request_hashes_from_the_decoder_and_from_sealing) {
    const auto sent = test::sample_prepare();
    auto decoded = decode_prepare(encode(sent));
    BOOST_REQUIRE(decoded.ok());
    const auto& b = decoded->batch;
    BOOST_REQUIRE_EQUAL(b.request_hashes.size(), b.requests.size());
    BOOST_REQUIRE_GE(b.requests.size(), 2u);
    for (std::size_t i = 0; i < b.requests.size(); ++i) {
        BOOST_TEST((b.request_hashes[i] == b.requests[i].hash()));
        BOOST_TEST((b.request_hash(i) == b.requests[i].hash()));
    }
    BOOST_TEST((b.request_hashes[0] != b.request_hashes[1]));

    // Built by hand, a batch knows none and computes them when asked.
    protocols::batch by_hand;
    by_hand.requests = b.requests;
    BOOST_TEST(by_hand.request_hashes.empty());
    BOOST_TEST((by_hand.request_hash(1) == b.requests[1].hash()));

    // Resealed after its requests changed, the hashes are the new requests'.
    auto changed = b;
    changed.requests[1] = test::sample_request(4242);
    changed.seal_header();
    BOOST_TEST((changed.request_hashes[1] == test::sample_request(4242).hash()));
    BOOST_TEST((changed.header.requests_root != b.header.requests_root));
}

BOOST_AUTO_TEST_CASE(responses) {
    auto wrong_outcome = test::sample_response_with_receipt();
    auto& outcome = std::get<request_outcome>(wrong_outcome.body);
    std::get<std::vector<statement_result>>(outcome.body)[0].last_insert_id = 43;  // invented
    wrong_outcome.sign(test::sorted_members(4)[0]);
    expect_error(decode_client_response(encode(wrong_outcome)), protocol_errc::inconsistent);

    auto wrong_index = test::sample_response_with_receipt();
    wrong_index.receipt->leaf_index = 0;
    wrong_index.sign(test::sorted_members(4)[0]);
    expect_error(decode_client_response(encode(wrong_index)), protocol_errc::inconsistent);

    auto forged_execution = test::sample_response_with_receipt();
    forged_execution.receipt->executions[0].sig.data[5] ^= 1;
    forged_execution.sign(test::sorted_members(4)[0]);
    expect_error(decode_client_response(encode(forged_execution)), protocol_errc::bad_signature);

    auto other_certificate = test::sample_response_with_receipt();
    other_certificate.receipt->commit_certificate =
        test::sample_certificate(test::sample_batch(6, 1), vote_phase::commit);
    other_certificate.sign(test::sorted_members(4)[0]);
    expect_error(decode_client_response(encode(other_certificate)), protocol_errc::inconsistent);

    auto rejected_with_receipt = test::sample_rejection();
    rejected_with_receipt.receipt = test::sample_response_with_receipt().receipt;
    rejected_with_receipt.sign(test::sorted_members(4)[1]);
    expect_error(decode_client_response(encode(rejected_with_receipt)), protocol_errc::inconsistent);

    auto unsigned_change = test::sample_rejection();
    std::get<rejection>(unsigned_change.body).reason = rejection_reason::overloaded;
    expect_error(decode_client_response(encode(unsigned_change)), protocol_errc::bad_signature);

    auto other_state = test::sample_response_with_receipt();  // must be the certified state
    other_state.state_digest.data[0] ^= 1;
    other_state.sign(test::sorted_members(4)[0]);
    expect_error(decode_client_response(encode(other_state)), protocol_errc::inconsistent);

    auto unknown_reason = test::sample_rejection();
    std::get<rejection>(unknown_reason.body).reason = static_cast<rejection_reason>(200);
    unknown_reason.sign(test::sorted_members(4)[1]);
    expect_error(decode_client_response(encode(unknown_reason)), protocol_errc::unknown_enum);
}

BOOST_AUTO_TEST_CASE(view_changes_and_catch_up) {
    auto later_view = test::sample_new_view();
    later_view.new_view = view_number(2);  // the prepared batches are from view 2
    later_view.sign(test::test_key(1));
    expect_error(decode_new_view(encode(later_view)), protocol_errc::inconsistent);

    auto descending = test::sample_new_view();
    std::swap(descending.prepared[0], descending.prepared[1]);
    descending.sign(test::test_key(1));
    expect_error(decode_new_view(encode(descending)), protocol_errc::inconsistent);

    auto already_committed = test::sample_new_view();
    already_committed.last_committed = sequence_number(8);
    already_committed.sign(test::test_key(1));
    expect_error(decode_new_view(encode(already_committed)), protocol_errc::inconsistent);

    auto zero_count = test::sample_fetch();
    zero_count.count = 0;
    expect_error(decode_fetch_batches(encode(zero_count)), protocol_errc::invalid_value);
    auto too_many = test::sample_fetch();
    too_many.count = limits::fetch_batches_max + 1;
    expect_error(decode_fetch_batches(encode(too_many)), protocol_errc::invalid_value);

    auto gap = test::sample_fetch_reply();
    gap.batches.erase(gap.batches.begin());
    gap.batches.push_back(test::sample_fetch_reply().batches[1]);  // seq 21 twice
    expect_error(decode_fetch_reply(encode(gap)), protocol_errc::inconsistent);
}

BOOST_AUTO_TEST_CASE(shard_blocks) {
    auto gap = test::sample_shard_block();
    gap.entries.erase(gap.entries.begin() + 1);
    gap.seal_header();
    gap.signatures.clear();
    for (const auto& key : test::sorted_members(3)) gap.add_signature(key);
    expect_error(decode_shard_block(encode(gap)), protocol_errc::inconsistent);

    auto altered_digest = test::sample_shard_block();
    altered_digest.header.state_digest.data[0] ^= 1;
    expect_error(decode_shard_block(encode(altered_digest)), protocol_errc::inconsistent);

    auto altered_entry = test::sample_shard_block();
    altered_entry.entries[0].results_root.data[0] ^= 1;  // no longer matches the entries root
    expect_error(decode_shard_block(encode(altered_entry)), protocol_errc::inconsistent);

    auto relinked = test::sample_shard_block();
    relinked.header.parent.data[0] ^= 1;  // signatures were over the old header
    expect_error(decode_shard_block(encode(relinked)), protocol_errc::bad_signature);

    auto unsigned_block = test::sample_shard_block();
    unsigned_block.signatures.clear();
    expect_error(decode_shard_block(encode(unsigned_block)), protocol_errc::invalid_value);
}

BOOST_AUTO_TEST_CASE(transactions) {
    const auto sender = test::test_key(50);
    auto resign = [&](transaction t) {
        t.sign(sender);
        return t;
    };
    auto all = test::sample_transactions();

    auto zero = all[0];
    std::get<tx::transfer>(zero.body).amount = 0;
    expect_error(decode_transaction(encode(resign(zero))), protocol_errc::invalid_value);

    auto replay_nonce_zero = all[0];
    replay_nonce_zero.nonce = account_nonce(0);
    expect_error(decode_transaction(encode(resign(replay_nonce_zero))), protocol_errc::invalid_value);

    auto unsorted = all[3];
    auto& candidates = std::get<tx::vote_producers>(unsorted.body).candidates;
    std::swap(candidates[0], candidates[1]);
    expect_error(decode_transaction(encode(resign(unsorted))), protocol_errc::not_canonical);

    auto no_miners = all[6];
    std::get<tx::create_database>(no_miners.body).miner_count = 0;
    expect_error(decode_transaction(encode(resign(no_miners))), protocol_errc::invalid_value);

    auto unknown_role = all[8];
    std::get<tx::grant_role>(unknown_role.body).granted = static_cast<role>(9);
    expect_error(decode_transaction(encode(resign(unknown_role))), protocol_errc::unknown_enum);

    auto not_conflicting = all[12];
    auto& votes = std::get<tx::conflicting_votes>(std::get<tx::evidence>(not_conflicting.body).proof);
    votes.second = votes.first;
    expect_error(decode_transaction(encode(resign(not_conflicting))), protocol_errc::inconsistent);

    auto reversed = all[12];
    auto& pair = std::get<tx::conflicting_votes>(std::get<tx::evidence>(reversed.body).proof);
    std::swap(pair.first, pair.second);  // the same offence in the other order
    expect_error(decode_transaction(encode(resign(reversed))), protocol_errc::not_canonical);

    auto billed_twice = all[11];
    auto& lines = std::get<tx::shard_checkpoint>(billed_twice.body).billing;
    lines.push_back(lines.front());
    expect_error(decode_transaction(encode(resign(billed_twice))), protocol_errc::not_canonical);

    auto altered_billing = all[11];
    std::get<tx::shard_checkpoint>(altered_billing.body).billing[0].cost = 1;
    expect_error(decode_transaction(encode(resign(altered_billing))), protocol_errc::bad_signature);

    auto forged = all[1];
    std::get<tx::stake>(forged.body).amount = 1'000'000;  // not re-signed
    expect_error(decode_transaction(encode(forged)), protocol_errc::bad_signature);
}

BOOST_AUTO_TEST_CASE(main_blocks) {
    auto dropped = test::sample_main_block();
    dropped.transactions.pop_back();
    expect_error(decode_main_block(encode(dropped)), protocol_errc::inconsistent);

    auto other_proposer = test::sample_main_block();
    other_proposer.header.proposer = test::test_key(77).public_key();
    expect_error(decode_main_block(encode(other_proposer)), protocol_errc::bad_signature);

    auto repeated = test::sample_main_block();
    repeated.transactions.push_back(repeated.transactions.front());
    repeated.seal_header();
    repeated.sign_proposal(test::sorted_members(4)[1]);
    repeated.finality.clear();
    repeated.finality_round = view_number{0};
    expect_error(decode_main_block(encode(repeated)), protocol_errc::inconsistent);

    auto unsigned_finality = test::sample_main_block();
    unsigned_finality.finality.clear();  // allowed: a proposed block, before its precommits
    unsigned_finality.finality_round = view_number{0};
    BOOST_TEST(decode_main_block(encode(unsigned_finality)).ok());
    // ... but only with finality round 0, so that one block has one encoding.
    unsigned_finality.finality_round = view_number{2};
    expect_error(decode_main_block(encode(unsigned_finality)), protocol_errc::not_canonical);
}

// The finality round is signed by every finality signature: precommits of one round do not
// make a certificate of another, and precommits of different rounds never combine.
BOOST_AUTO_TEST_CASE(main_block_finality_round) {
    const auto producers = test::sorted_members(4);
    auto relabelled = test::sample_main_block();
    relabelled.finality_round = view_number{3};  // not re-signed
    expect_error(decode_main_block(encode(relabelled)), protocol_errc::bad_signature);

    auto mixed = test::sample_main_block();  // two precommits of round 2, one of round 3
    main_block round3 = mixed;
    round3.finality.clear();
    round3.finality_round = view_number{3};
    round3.add_finality_vote(producers[3]);
    mixed.finality.push_back(round3.finality.front());
    expect_error(decode_main_block(encode(mixed)), protocol_errc::bad_signature);
    // ... while all three of round 3 are a certificate of round 3.
    round3.add_finality_vote(producers[0]);
    round3.add_finality_vote(producers[1]);
    check_round_trip(round3, decode_main_block);

    // A block is not precommitted before the round it was built in.
    auto early = test::sample_main_block();  // built in round 1
    early.finality.clear();
    early.finality_round = view_number{0};
    for (std::size_t i = 0; i < 3; ++i) early.add_finality_vote(producers[i]);
    expect_error(decode_main_block(encode(early)), protocol_errc::inconsistent);

    // The old one-phase finality vote (a signature over the bare header hash) is no
    // precommit.
    auto bare = test::sample_main_block();
    BOOST_REQUIRE((bare.finality.front().signer == producers[0].public_key()));
    bare.finality.front().sig = producers[0].sign(crypto::sign_domain::main_precommit,
                                                  bare.hash().view());
    expect_error(decode_main_block(encode(bare)), protocol_errc::bad_signature);
}

BOOST_AUTO_TEST_CASE(producer_votes) {
    using V = main_chain::block_vote;
    // Everything in a vote is signed: height, round, kind and target.
    auto other_block = test::sample_block_vote(V::kind::prevote);
    other_block.block_hash->data[0] ^= 1;
    expect_error(decode_block_vote(encode(other_block)), protocol_errc::bad_signature);

    auto to_nil = test::sample_block_vote(V::kind::precommit);
    to_nil.block_hash.reset();
    expect_error(decode_block_vote(encode(to_nil)), protocol_errc::bad_signature);

    auto from_nil = test::sample_nil_vote();
    from_nil.block_hash = test::sample_main_block().hash();
    expect_error(decode_block_vote(encode(from_nil)), protocol_errc::bad_signature);

    auto other_round = test::sample_block_vote(V::kind::precommit);
    other_round.round = other_round.round.next();
    expect_error(decode_block_vote(encode(other_round)), protocol_errc::bad_signature);

    auto other_height = test::sample_nil_vote();
    other_height.height = block_height(11);
    expect_error(decode_block_vote(encode(other_height)), protocol_errc::bad_signature);

    // A prevote is not a precommit (the domains differ), nor the other way round.
    auto promoted = test::sample_block_vote(V::kind::prevote);
    promoted.what = V::kind::precommit;
    expect_error(decode_block_vote(encode(promoted)), protocol_errc::bad_signature);
    auto demoted = test::sample_block_vote(V::kind::precommit);
    demoted.what = V::kind::prevote;
    expect_error(decode_block_vote(encode(demoted)), protocol_errc::bad_signature);

    auto other_signer = test::sample_block_vote(V::kind::precommit);
    other_signer.signer = test::test_key(77).public_key();
    expect_error(decode_block_vote(encode(other_signer)), protocol_errc::bad_signature);

    const auto key = test::sorted_members(4)[3];
    auto genesis = test::sample_nil_vote();
    genesis.height = block_height{0};
    genesis.sign(key);
    expect_error(decode_block_vote(encode(genesis)), protocol_errc::invalid_value);

    auto unknown = test::sample_nil_vote();
    unknown.what = static_cast<V::kind>(2);
    expect_error(decode_block_vote(encode(unknown)), protocol_errc::unknown_enum);
}

BOOST_AUTO_TEST_CASE(producer_proposals) {
    const auto producers = test::sorted_members(4);
    const auto resigned = [&](main_chain::block_proposal p, const crypto::key_pair& key) {
        p.sign(key);
        return p;
    };
    // Round, valid round, block and proposer are signed.
    auto later = test::sample_block_proposal(true);
    later.round = later.round.next();
    expect_error(decode_block_proposal(encode(later)), protocol_errc::bad_signature);
    auto other_valid_round = test::sample_block_proposal(true);
    other_valid_round.valid_round = view_number{3};
    expect_error(decode_block_proposal(encode(other_valid_round)), protocol_errc::bad_signature);
    auto impostor = test::sample_block_proposal(true);
    impostor.proposer = producers[3].public_key();
    expect_error(decode_block_proposal(encode(impostor)), protocol_errc::bad_signature);

    // The block's own header signature is checked too.
    auto altered = test::sample_block_proposal(false);
    altered.block.header.timestamp_ms += 1;  // the block's header signature no longer holds
    expect_error(decode_block_proposal(encode(resigned(altered, producers[1]))),
                 protocol_errc::bad_signature);

    // A new block is proposed in its own round, by its own proposer.
    auto wrong_round = test::sample_block_proposal(false);
    wrong_round.round = view_number{2};
    expect_error(decode_block_proposal(encode(resigned(wrong_round, producers[1]))),
                 protocol_errc::inconsistent);
    auto not_its_proposer = test::sample_block_proposal(false);
    expect_error(decode_block_proposal(encode(resigned(not_its_proposer, producers[2]))),
                 protocol_errc::inconsistent);
    // An old block again needs valid round < round, and not below the block's round.
    auto valid_round_too_high = test::sample_block_proposal(true);
    valid_round_too_high.valid_round = valid_round_too_high.round;
    expect_error(decode_block_proposal(encode(resigned(valid_round_too_high, producers[2]))),
                 protocol_errc::inconsistent);
    auto valid_round_too_low = test::sample_block_proposal(true);
    valid_round_too_low.valid_round = view_number{0};  // the block is of round 1
    expect_error(decode_block_proposal(encode(resigned(valid_round_too_low, producers[2]))),
                 protocol_errc::inconsistent);
    // A proposal carries no finality certificate.
    auto with_finality = test::sample_block_proposal(false);
    with_finality.block = test::sample_main_block();
    expect_error(decode_block_proposal(encode(resigned(with_finality, producers[1]))),
                 protocol_errc::inconsistent);
}

BOOST_AUTO_TEST_CASE(producer_equivocation_evidence) {
    using E = main_chain::producer_evidence;
    using V = main_chain::block_vote;
    const auto producers = test::sorted_members(4);
    const auto proposer = producers[1], voter = producers[3];
    const auto resign_headers = [&](E::proposals p) {
        p.first_signature = proposer.sign(crypto::sign_domain::main_block_proposal, p.first.hash().view());
        p.second_signature = proposer.sign(crypto::sign_domain::main_block_proposal, p.second.hash().view());
        E e{p};
        e.canonicalize();
        return e;
    };
    const auto proposals = [](const E& e) { return std::get<E::proposals>(e.proof); };
    const auto votes = [](const E& e) { return std::get<E::votes>(e.proof); };

    for (auto what : {E::kind::proposal, E::kind::vote}) {
        auto swapped = test::sample_producer_evidence(what);
        if (what == E::kind::proposal) {
            auto p = proposals(swapped);
            std::swap(p.first, p.second);
            std::swap(p.first_signature, p.second_signature);
            swapped.proof = p;
        } else {
            auto v = votes(swapped);
            std::swap(v.first, v.second);
            swapped.proof = v;
        }
        BOOST_TEST(swapped.valid());  // one offence, two encodings: only the ordered one is taken
        BOOST_TEST(!swapped.canonical());
        expect_error(decode_producer_evidence(encode(swapped)), protocol_errc::not_canonical);
    }

    // Proposals: the same header twice, another height or round, another proposer.
    auto same = proposals(test::sample_producer_evidence(E::kind::proposal));
    same.second = same.first;
    same.second_signature = same.first_signature;
    expect_error(decode_producer_evidence(encode(E{same})), protocol_errc::inconsistent);

    auto other_height = proposals(test::sample_producer_evidence(E::kind::proposal));
    other_height.second.height = other_height.second.height.next();
    expect_error(decode_producer_evidence(encode(resign_headers(other_height))),
                 protocol_errc::inconsistent);

    auto other_round = proposals(test::sample_producer_evidence(E::kind::proposal));
    other_round.second.round = other_round.second.round.next();
    expect_error(decode_producer_evidence(encode(resign_headers(other_round))),
                 protocol_errc::inconsistent);

    auto framed = proposals(test::sample_producer_evidence(E::kind::proposal));
    framed.second.proposer = voter.public_key();  // the proposer's signature on both still
    expect_error(decode_producer_evidence(encode(resign_headers(framed))),
                 protocol_errc::inconsistent);

    auto forged = test::sample_producer_evidence(E::kind::proposal);
    std::get<E::proposals>(forged.proof).second_signature.data[0] ^= 1;
    expect_error(decode_producer_evidence(encode(forged)), protocol_errc::bad_signature);

    // Votes: same target, another slot, another signer, a forged signature.
    const auto sample_votes = votes(test::sample_producer_evidence(E::kind::vote));
    const auto resign_votes = [&](V first, V second) {
        first.sign(voter);
        second.sign(voter);
        E e{E::votes{first, second}};
        e.canonicalize();
        return e;
    };
    auto repeated = sample_votes;
    repeated.second = repeated.first;
    expect_error(decode_producer_evidence(encode(E{repeated})), protocol_errc::inconsistent);

    auto other_vote_round = sample_votes;
    other_vote_round.second.round = other_vote_round.second.round.next();
    expect_error(decode_producer_evidence(
                     encode(resign_votes(other_vote_round.first, other_vote_round.second))),
                 protocol_errc::inconsistent);

    auto other_kind = sample_votes;  // a prevote for B and a precommit for nil are no offence
    other_kind.first.what = V::kind::prevote;
    expect_error(decode_producer_evidence(encode(resign_votes(other_kind.first, other_kind.second))),
                 protocol_errc::inconsistent);

    auto two_signers = sample_votes;
    two_signers.second.sign(producers[2]);
    E two{two_signers};
    two.canonicalize();
    expect_error(decode_producer_evidence(encode(two)), protocol_errc::inconsistent);

    auto forged_vote = test::sample_producer_evidence(E::kind::vote);
    std::get<E::votes>(forged_vote.proof).first.sig.data[0] ^= 1;
    expect_error(decode_producer_evidence(encode(forged_vote)), protocol_errc::bad_signature);
}

BOOST_AUTO_TEST_CASE(envelopes) {
    const auto e = test::sample_envelope(4);
    // Unless the sender mined at least the network's difficulty, the envelope is refused.
    if (crypto::leading_zero_bits(e.sender_id()) < 20)
        expect_error(decode_envelope(encode(e), 20), protocol_errc::insufficient_work);

    auto altered = e;
    altered.payload.back() ^= 1;
    expect_error(decode_envelope(encode(altered), 4), protocol_errc::bad_signature);

    auto relabelled = e;
    relabelled.kind = message_kind::kayak_execution;  // the kind is signed too
    expect_error(decode_envelope(encode(relabelled), 4), protocol_errc::bad_signature);

    auto unknown = e;
    unknown.kind = static_cast<message_kind>(message_kind_count);
    expect_error(decode_envelope(encode(unknown), 4), protocol_errc::unknown_enum);

    auto empty = e;
    empty.payload.clear();
    expect_error(decode_envelope(encode(empty), 4), protocol_errc::invalid_value);

    // The channel is signed: moving an envelope to another channel, or off its channel,
    // breaks the signature.
    const auto on_channel = test::sample_envelope(4, true);
    auto moved = on_channel;
    moved.channel[0] ^= 1;
    expect_error(decode_envelope(encode(moved), 4), protocol_errc::bad_signature);
    auto dropped = on_channel;
    dropped.channel.clear();
    expect_error(decode_envelope(encode(dropped), 4), protocol_errc::bad_signature);
    auto added = e;
    added.channel = on_channel.channel;
    expect_error(decode_envelope(encode(added), 4), protocol_errc::bad_signature);

    // A channel is empty or 32 bytes, even when validly signed.
    const auto sender = test::test_key(9);
    for (std::size_t size : {1u, 31u, 33u, 64u}) {
        auto odd = on_channel;
        odd.channel.assign(size, 0xdb);
        odd.sign(sender);
        expect_error(decode_envelope(encode(odd), 4), protocol_errc::wrong_size);
    }
}

BOOST_AUTO_TEST_CASE(votes_and_executions_vouch_for_the_envelope_their_signer_sends) {
    // An envelope whose every message is a vote or an execution signed by its sender is
    // authenticated by those signatures; its own is not needed (here it is broken).
    auto from = [](std::uint8_t key_index, message_kind kind, bytes payload) {
        const auto key = test::test_key(key_index);
        const auto mined = crypto::mine_node_id(key.public_key(), 4, 0, 1u << 20);
        BOOST_REQUIRE(mined.has_value());
        auto e = seal_envelope(key, mined->nonce, kind, std::move(payload));
        e.sender_signature.data[0] ^= 1;
        return e;
    };
    const auto vote = test::sample_vote();            // signed by test key 3
    const auto execution = test::sample_execution();  // signed by test key 2
    auto own_vote = decode_envelope(encode(from(3, message_kind::kayak_vote, encode(vote))), 4);
    BOOST_REQUIRE(own_vote.ok());
    BOOST_TEST(own_vote->payload == encode(vote));
    BOOST_TEST(decode_envelope(encode(from(2, message_kind::kayak_execution, encode(execution))), 4).ok());
    const bytes both_phases = encode_bundle(
        {{message_kind::kayak_vote, {}, encode(vote)},
         {message_kind::kayak_vote, {}, encode(test::sample_vote(vote_phase::commit))}});
    BOOST_TEST(decode_envelope(encode(from(3, message_kind::bundle, both_phases)), 4).ok());

    // Anything else needs the envelope's signature: someone else's vote, a vote altered,
    // a bundle with one message not its sender's or of another kind.
    expect_error(decode_envelope(encode(from(4, message_kind::kayak_vote, encode(vote))), 4),
                 protocol_errc::bad_signature);
    auto altered = encode(vote);
    altered[altered.size() / 2] ^= 1;
    expect_error(decode_envelope(encode(from(3, message_kind::kayak_vote, altered)), 4),
                 protocol_errc::bad_signature);
    const bytes mixed_signers = encode_bundle({{message_kind::kayak_vote, {}, encode(vote)},
                                               {message_kind::kayak_execution, {}, encode(execution)}});
    expect_error(decode_envelope(encode(from(3, message_kind::bundle, mixed_signers)), 4),
                 protocol_errc::bad_signature);
    const bytes other_kind = encode_bundle(
        {{message_kind::kayak_vote, {}, encode(vote)},
         {message_kind::member_status_query, {}, encode(test::sample_member_status_query())}});
    expect_error(decode_envelope(encode(from(3, message_kind::bundle, other_kind)), 4),
                 protocol_errc::bad_signature);
    // A vote relabelled as an execution decodes as neither.
    expect_error(decode_envelope(encode(from(3, message_kind::kayak_execution, encode(vote))), 4),
                 protocol_errc::bad_signature);
}

BOOST_AUTO_TEST_SUITE_END()

// Main-chain catch-up: a fetch and its reply round-trip; the reply's blocks must be final,
// consecutive and linked, and none above the head height the server claims.
BOOST_AUTO_TEST_SUITE(main_chain_catch_up)

BOOST_AUTO_TEST_CASE(round_trips) {
    check_round_trip(test::sample_block_fetch(), decode_block_fetch);
    check_round_trip(test::sample_block_fetch_reply(), decode_block_fetch_reply);
    main_chain::block_fetch_reply empty;  // a server without the blocks asked for
    empty.head_height = block_height(3);
    check_round_trip(empty, decode_block_fetch_reply);
}

BOOST_AUTO_TEST_CASE(fetch_bounds) {
    auto zero_count = test::sample_block_fetch();
    zero_count.count = 0;
    expect_error(decode_block_fetch(encode(zero_count)), protocol_errc::invalid_value);
    auto too_many = test::sample_block_fetch();
    too_many.count = static_cast<std::uint32_t>(limits::main_blocks_per_fetch_max + 1);
    expect_error(decode_block_fetch(encode(too_many)), protocol_errc::invalid_value);
    auto from_genesis = test::sample_block_fetch();
    from_genesis.from_height = block_height(0);
    expect_error(decode_block_fetch(encode(from_genesis)), protocol_errc::invalid_value);
}

BOOST_AUTO_TEST_CASE(reply_blocks_are_a_final_chain) {
    auto swapped = test::sample_block_fetch_reply();
    std::swap(swapped.blocks[0], swapped.blocks[1]);
    expect_error(decode_block_fetch_reply(encode(swapped)), protocol_errc::inconsistent);

    auto repeated = test::sample_block_fetch_reply();
    repeated.blocks[1] = repeated.blocks[0];
    expect_error(decode_block_fetch_reply(encode(repeated)), protocol_errc::inconsistent);

    auto unlinked = test::sample_block_fetch_reply();  // block 6 from another fork
    auto& other = unlinked.blocks[1];
    other.header.parent.data[0] ^= 1;
    const auto proposer = test::sorted_members(4)[6 % 4];
    other.sign_proposal(proposer);
    other.finality.clear();
    for (std::size_t i = 0; i < 3; ++i) other.add_finality_vote(test::sorted_members(4)[i]);
    expect_error(decode_block_fetch_reply(encode(unlinked)), protocol_errc::inconsistent);

    auto proposed_only = test::sample_block_fetch_reply();
    proposed_only.blocks[1].finality.clear();
    expect_error(decode_block_fetch_reply(encode(proposed_only)), protocol_errc::invalid_value);

    auto forged = test::sample_block_fetch_reply();
    forged.blocks[0].header.state_root.data[0] ^= 1;  // no longer what was signed
    expect_error(decode_block_fetch_reply(encode(forged)), protocol_errc::bad_signature);

    auto above_head = test::sample_block_fetch_reply();
    above_head.head_height = block_height(5);
    expect_error(decode_block_fetch_reply(encode(above_head)), protocol_errc::inconsistent);

    auto shorter = test::sample_block_fetch_reply();  // a shorter run is still a reply
    shorter.blocks.erase(shorter.blocks.begin());
    BOOST_TEST(decode_block_fetch_reply(encode(shorter)).ok());
}

BOOST_AUTO_TEST_SUITE_END()

// Shard-chain catch-up: a fetch and its reply round-trip; the reply's blocks must be signed,
// of the database named, consecutive and linked, and none above the head height claimed.
BOOST_AUTO_TEST_SUITE(shard_chain_catch_up)

BOOST_AUTO_TEST_CASE(round_trips) {
    check_round_trip(test::sample_shard_block_fetch(), decode_shard_block_fetch);
    check_round_trip(test::sample_shard_block_fetch_reply(), decode_shard_block_fetch_reply);
    shard_block_fetch_reply empty;  // a member without the blocks asked for
    empty.database = test::sample_database();
    empty.head_height = block_height(2);
    check_round_trip(empty, decode_shard_block_fetch_reply);
}

BOOST_AUTO_TEST_CASE(fetch_bounds) {
    auto zero_count = test::sample_shard_block_fetch();
    zero_count.count = 0;
    expect_error(decode_shard_block_fetch(encode(zero_count)), protocol_errc::invalid_value);
    auto too_many = test::sample_shard_block_fetch();
    too_many.count = static_cast<std::uint32_t>(limits::shard_blocks_per_fetch_max + 1);
    expect_error(decode_shard_block_fetch(encode(too_many)), protocol_errc::invalid_value);
    auto from_zero = test::sample_shard_block_fetch();
    from_zero.from_height = block_height(0);
    expect_error(decode_shard_block_fetch(encode(from_zero)), protocol_errc::invalid_value);
}

BOOST_AUTO_TEST_CASE(reply_blocks_are_a_signed_chain_of_one_database) {
    auto swapped = test::sample_shard_block_fetch_reply();
    std::swap(swapped.blocks[0], swapped.blocks[1]);
    expect_error(decode_shard_block_fetch_reply(encode(swapped)), protocol_errc::inconsistent);

    auto other_database = test::sample_shard_block_fetch_reply();
    other_database.database.data[0] ^= 1;
    expect_error(decode_shard_block_fetch_reply(encode(other_database)), protocol_errc::inconsistent);

    auto unlinked = test::sample_shard_block_fetch_reply();
    unlinked.blocks[1].header.parent.data[0] ^= 1;
    unlinked.blocks[1].signatures.clear();
    for (const auto& key : test::sorted_members(3)) unlinked.blocks[1].add_signature(key);
    expect_error(decode_shard_block_fetch_reply(encode(unlinked)), protocol_errc::inconsistent);

    auto forged = test::sample_shard_block_fetch_reply();
    forged.blocks[0].header.timestamp_ms += 1;  // no longer what was signed
    expect_error(decode_shard_block_fetch_reply(encode(forged)), protocol_errc::bad_signature);

    auto above_head = test::sample_shard_block_fetch_reply();
    above_head.head_height = block_height(4);
    expect_error(decode_shard_block_fetch_reply(encode(above_head)), protocol_errc::inconsistent);

    auto shorter = test::sample_shard_block_fetch_reply();
    shorter.blocks.pop_back();
    BOOST_TEST(decode_shard_block_fetch_reply(encode(shorter)).ok());
}

BOOST_AUTO_TEST_SUITE_END()

// The member-status query and its answer: both round-trip; the answer must be signed by the
// member it names, have a shard head exactly with a shard height, and no negative time.
BOOST_AUTO_TEST_SUITE(member_status_messages)

BOOST_AUTO_TEST_CASE(round_trips) {
    check_round_trip(test::sample_member_status_query(), decode_member_status_query);
    check_round_trip(test::sample_member_status(), decode_member_status);
    check_round_trip(test::sample_member_status(false), decode_member_status);
}

BOOST_AUTO_TEST_CASE(answer_checks) {
    const auto good = test::sample_member_status();
    BOOST_TEST(good.signature_valid());
    BOOST_TEST((good.challenge == test::sample_member_status_query().challenge));

    auto altered = good;  // any field changed after signing
    altered.progress.last_committed = sequence_number(42);
    expect_error(decode_member_status(encode(altered)), protocol_errc::bad_signature);
    auto other_member = good;
    other_member.member = test::sorted_members(3)[0].public_key();
    expect_error(decode_member_status(encode(other_member)), protocol_errc::bad_signature);
    auto other_challenge = good;
    other_challenge.challenge.data[0] ^= 1;
    expect_error(decode_member_status(encode(other_challenge)), protocol_errc::bad_signature);

    auto head_without_height = good;
    head_without_height.progress.shard_height = block_height(0);
    head_without_height.sign(test::sorted_members(3)[2]);
    expect_error(decode_member_status(encode(head_without_height)), protocol_errc::inconsistent);
    auto height_without_head = test::sample_member_status(false);
    height_without_head.progress.shard_height = block_height(3);
    height_without_head.sign(test::sorted_members(3)[2]);
    expect_error(decode_member_status(encode(height_without_head)), protocol_errc::inconsistent);
    auto negative_time = good;
    negative_time.timestamp_ms = -1;
    negative_time.sign(test::sorted_members(3)[2]);
    expect_error(decode_member_status(encode(negative_time)), protocol_errc::invalid_value);

    // Another domain's signature over the same bytes does not verify.
    auto wrong_domain = good;
    wrong_domain.member_signature =
        test::sorted_members(3)[2].sign(crypto::sign_domain::shard_block, good.signing_bytes());
    expect_error(decode_member_status(encode(wrong_domain)), protocol_errc::bad_signature);
}

BOOST_AUTO_TEST_CASE(fixed_sizes) {
    expect_error(
        decode_member_status_query(test::encode_member_status_query_with_short_challenge()),
        protocol_errc::wrong_size);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- canonical bytes of requests ------------------------------------------------------

BOOST_AUTO_TEST_SUITE(canonical_requests)

namespace {
void write_parameters(canonical_writer& out, const std::vector<sql_parameter>& parameters) {
    out.u32(static_cast<std::uint32_t>(parameters.size()));
    for (const auto& p : parameters) {
        out.text(p.name);
        write_canonical(out, p.value);
    }
}
canonical_writer request_head(const client_request& r) {
    canonical_writer out;
    out.fixed(r.database).fixed(r.client).count(r.sequence).i64(r.timestamp_ms);
    out.u8(static_cast<std::uint8_t>(r.kind));
    out.u32(static_cast<std::uint32_t>(r.statements.size()));
    return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_request_without_parameter_sets_keeps_its_layout) {
    // The layout every request had before parameter sets: what clients signed then is
    // what they sign now.
    const auto r = test::sample_request();
    auto out = request_head(r);
    for (const auto& st : r.statements) {
        out.text(st.sql);
        write_parameters(out, st.parameters);
    }
    BOOST_TEST((r.signing_bytes() == out.take()));
}

BOOST_AUTO_TEST_CASE(parameter_sets_follow_a_marker_no_parameter_count_can_be) {
    const auto r = test::sample_request_with_parameter_sets();
    auto out = request_head(r);
    out.text(r.statements[0].sql).u32(parameter_sets_marker).u32(3);
    for (const auto& set : r.statements[0].parameter_sets) write_parameters(out, set);
    out.text(r.statements[1].sql);
    write_parameters(out, r.statements[1].parameters);
    BOOST_TEST((r.signing_bytes() == out.take()));
    BOOST_TEST(parameter_sets_marker > limits::parameters_per_statement_max);
    BOOST_TEST(statement_runs(r) == 4u);
}

BOOST_AUTO_TEST_CASE(one_set_two_sets_and_plain_parameters_are_different_requests) {
    auto plain = test::sample_request_with_parameter_sets();
    plain.statements.resize(1);
    auto one_set = plain;
    plain.statements[0].parameters = plain.statements[0].parameter_sets[0];
    plain.statements[0].parameter_sets.clear();
    one_set.statements[0].parameter_sets.resize(1);
    auto two_statements = plain;
    two_statements.statements.push_back(plain.statements[0]);
    two_statements.statements[1].parameters = one_set.statements[0].parameters;  // empty
    auto two_sets = one_set;
    two_sets.statements[0].parameter_sets.emplace_back();
    const std::set<digest> hashes{plain.hash(), one_set.hash(), two_statements.hash(),
                                  two_sets.hash()};
    BOOST_TEST(hashes.size() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
