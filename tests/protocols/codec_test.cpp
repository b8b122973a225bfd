// Codec tests: every message survives encode -> decode unchanged (and re-encodes to the
// same bytes), and each check a decoder makes rejects the message it is meant to reject,
// with the right error.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>

#include "codec_support_for_tests.hpp"
#include "crypto/node_id.hpp"
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
    check_round_trip(test::sample_block_vote(), decode_block_vote);
    // A finality vote carries exactly the signature the final block carries for its signer.
    const auto vote = test::sample_block_vote();
    const auto block = test::sample_main_block();
    BOOST_TEST(std::count(block.finality.begin(), block.finality.end(),
                          signer_signature{vote.signer, vote.sig}) == 1);
    check_round_trip(test::sample_round_change_vote(), decode_round_change_vote);
    for (auto what : {E::kind::proposal, E::kind::vote}) {
        const auto e = test::sample_producer_evidence(what);
        BOOST_TEST(e.valid());
        BOOST_TEST((e.first.hash() < e.second.hash()));
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
    expect_error(decode_main_block(encode(repeated)), protocol_errc::inconsistent);

    auto unsigned_finality = test::sample_main_block();
    unsigned_finality.finality.clear();  // allowed: a proposal before its votes
    BOOST_TEST(decode_main_block(encode(unsigned_finality)).ok());
}

BOOST_AUTO_TEST_CASE(producer_votes) {
    auto other_block = test::sample_block_vote();
    other_block.block_hash.data[0] ^= 1;  // not re-signed
    expect_error(decode_block_vote(encode(other_block)), protocol_errc::bad_signature);

    auto other_signer = test::sample_block_vote();
    other_signer.signer = test::test_key(77).public_key();
    expect_error(decode_block_vote(encode(other_signer)), protocol_errc::bad_signature);

    auto genesis = test::sample_block_vote();
    genesis.height = block_height{0};
    expect_error(decode_block_vote(encode(genesis)), protocol_errc::invalid_value);

    // Height and round are unsigned hints: changing them keeps the vote valid.
    auto refiled = test::sample_block_vote();
    refiled.round = view_number(9);
    BOOST_TEST(decode_block_vote(encode(refiled)).ok());

    auto later_round = test::sample_round_change_vote();
    later_round.round = later_round.round.next();  // not re-signed: the round is signed
    expect_error(decode_round_change_vote(encode(later_round)), protocol_errc::bad_signature);

    auto other_height = test::sample_round_change_vote();
    other_height.height = block_height(11);
    expect_error(decode_round_change_vote(encode(other_height)), protocol_errc::bad_signature);

    const auto key = test::sorted_members(4)[3];
    auto round_zero = test::sample_round_change_vote();
    round_zero.round = view_number{0};
    round_zero.sig = key.sign(crypto::sign_domain::main_round_change,
                              main_chain::round_change_signing_bytes(round_zero.height,
                                                                     round_zero.round));
    BOOST_TEST(round_zero.signature_valid());
    expect_error(decode_round_change_vote(encode(round_zero)), protocol_errc::invalid_value);

    // A finality vote's signature is no round-change vote (domains differ).
    auto cross = test::sample_round_change_vote();
    cross.sig = key.sign(crypto::sign_domain::main_block_vote,
                         main_chain::round_change_signing_bytes(cross.height, cross.round));
    expect_error(decode_round_change_vote(encode(cross)), protocol_errc::bad_signature);
}

BOOST_AUTO_TEST_CASE(producer_equivocation_evidence) {
    using E = main_chain::producer_evidence;
    const auto proposer = test::sorted_members(4)[1];
    const auto resign = [&](E e) {
        const auto domain = e.what == E::kind::proposal ? crypto::sign_domain::main_block_proposal
                                                        : crypto::sign_domain::main_block_vote;
        const auto key = e.what == E::kind::proposal ? proposer : test::sorted_members(4)[3];
        e.first_signature = key.sign(domain, e.first.hash().view());
        e.second_signature = key.sign(domain, e.second.hash().view());
        return e;
    };

    auto swapped = test::sample_producer_evidence(E::kind::vote);
    std::swap(swapped.first, swapped.second);
    std::swap(swapped.first_signature, swapped.second_signature);
    BOOST_TEST(swapped.valid());  // one offence, two encodings: only the ordered one is taken
    expect_error(decode_producer_evidence(encode(swapped)), protocol_errc::not_canonical);

    auto same = test::sample_producer_evidence(E::kind::proposal);
    same.second = same.first;
    same.second_signature = same.first_signature;
    expect_error(decode_producer_evidence(encode(same)), protocol_errc::inconsistent);

    auto other_height = test::sample_producer_evidence(E::kind::vote);
    other_height.second.height = other_height.second.height.next();
    other_height = resign(other_height);
    other_height.canonicalize();
    expect_error(decode_producer_evidence(encode(other_height)), protocol_errc::inconsistent);

    auto other_round = test::sample_producer_evidence(E::kind::proposal);
    other_round.second.round = other_round.second.round.next();
    other_round = resign(other_round);
    other_round.canonicalize();
    expect_error(decode_producer_evidence(encode(other_round)), protocol_errc::inconsistent);

    // A proposal offence needs the offender as proposer of both headers.
    auto not_proposer = test::sample_producer_evidence(E::kind::vote);
    not_proposer.what = E::kind::proposal;
    expect_error(decode_producer_evidence(encode(not_proposer)), protocol_errc::inconsistent);

    // Proposal signatures are not vote signatures: the kind is bound by the domain.
    auto relabelled = test::sample_producer_evidence(E::kind::proposal);
    relabelled.what = E::kind::vote;
    expect_error(decode_producer_evidence(encode(relabelled)), protocol_errc::bad_signature);

    auto framed = test::sample_producer_evidence(E::kind::vote);
    framed.offender = test::test_key(77).public_key();
    expect_error(decode_producer_evidence(encode(framed)), protocol_errc::bad_signature);

    auto forged = test::sample_producer_evidence(E::kind::proposal);
    forged.second_signature.data[0] ^= 1;
    expect_error(decode_producer_evidence(encode(forged)), protocol_errc::bad_signature);

    auto unknown = test::sample_producer_evidence(E::kind::vote);
    unknown.what = static_cast<E::kind>(2);
    expect_error(decode_producer_evidence(encode(unknown)), protocol_errc::unknown_enum);
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
}

BOOST_AUTO_TEST_SUITE_END()
