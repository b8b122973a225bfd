// The Kayak replica state machine driven step by step, with no actors: each test feeds
// one input and checks the outputs and what reached the log. Members use real SQLite
// databases in a temporary directory, in-memory logs and shard chains.
#include <boost/test/unit_test.hpp>

#include "replica_group.hpp"

using namespace covenant;
using namespace covenant::protocols;

namespace {

using namespace covenant::test;
using group_under_test = replica_group;

std::vector<prepare_message> prepares_in(const kayak::replica_output& out) {
    return messages_of<prepare_message>(out, message_kind::kayak_prepare, decode_prepare);
}

// A group of four, started, whose leader proposes batches of two requests, overlapping a
// batch in flight only with a full one (in strong mode).
void start_small_batch_group(group_under_test& g) {
    g.batch_requests_max = 2;
    g.pipeline_only_full_batches = true;
    for (std::size_t i = 0; i < 4; ++i) g.start(i);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(replica_steps)

BOOST_AUTO_TEST_CASE(the_leader_proposes_a_request_to_every_follower) {
    group_under_test g(4);
    const auto out = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    const auto prepares = messages_of<prepare_message>(out, message_kind::kayak_prepare, decode_prepare);
    BOOST_REQUIRE_EQUAL(prepares.size(), 1u);
    BOOST_TEST(prepares[0].batch.header.seq.value == 1u);
    BOOST_TEST(prepares[0].batch.requests.size() == 1u);
    BOOST_TEST(out.messages[0].to.size() == 3u);
    // The leader logged the batch it proposed before sending it.
    BOOST_TEST(g.members[0].log->recover().accepted.count(sequence_number(1)) == 1u);
}

BOOST_AUTO_TEST_CASE(a_follower_persists_before_it_votes_and_votes_once_per_slot) {
    group_under_test g(4);
    const auto proposed = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    const auto prepare = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare)[0];
    const auto out = g.at(1).on_prepare(prepare, t0);
    const auto votes = messages_of<vote>(out, message_kind::kayak_vote, decode_vote);
    BOOST_REQUIRE_EQUAL(votes.size(), 1u);
    BOOST_TEST((votes[0].phase == vote_phase::prepare));
    BOOST_TEST(votes[0].batch_hash == prepare.batch.hash());
    BOOST_TEST(g.members[1].log->recover().accepted.at(sequence_number(1)).batch.hash() ==
               prepare.batch.hash());
    // The same PREPARE again: the vote again (it may have been lost), nothing new logged.
    const auto again = g.at(1).on_prepare(prepare, t0);
    BOOST_TEST(messages_of<vote>(again, message_kind::kayak_vote, decode_vote).size() == 1u);
}

BOOST_AUTO_TEST_CASE(q_prepare_votes_make_a_lock_then_q_commit_votes_commit_and_execute) {
    group_under_test g(4);
    const auto proposed = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    const auto prepare = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare)[0];
    std::vector<vote> prepare_votes;
    for (std::size_t i = 1; i < 4; ++i)
        prepare_votes.push_back(messages_of<vote>(g.at(i).on_prepare(prepare, t0), message_kind::kayak_vote, decode_vote)[0]);
    // Leader + one follower: 2 of q = 3, no certificate yet.
    BOOST_TEST(messages_of<commit_message>(g.at(0).on_vote(prepare_votes[0], t0), message_kind::kayak_commit, decode_commit).empty());
    const auto commit_out = g.at(0).on_vote(prepare_votes[1], t0);
    const auto commits = messages_of<commit_message>(commit_out, message_kind::kayak_commit, decode_commit);
    BOOST_REQUIRE_EQUAL(commits.size(), 1u);
    BOOST_TEST(commits[0].prepare_certificate.votes.size() == 3u);
    BOOST_TEST(g.members[0].log->recover().accepted.at(sequence_number(1)).prepared.has_value());

    // A follower locks (logged) before its commit vote.
    const auto locked = g.at(1).on_commit(commits[0], t0);
    BOOST_TEST(g.members[1].log->recover().accepted.at(sequence_number(1)).prepared.has_value());
    const auto commit_vote = messages_of<vote>(locked, message_kind::kayak_vote, decode_vote).at(0);
    BOOST_TEST((commit_vote.phase == vote_phase::commit));
    const auto commit_vote_2 = messages_of<vote>(g.at(2).on_commit(commits[0], t0), message_kind::kayak_vote, decode_vote).at(0);
    g.at(0).on_vote(commit_vote, t0);
    const auto committed = g.at(0).on_vote(commit_vote_2, t0);
    const auto certs = messages_of<certificate>(committed, message_kind::kayak_commit_certificate, decode_commit_certificate);
    BOOST_REQUIRE_EQUAL(certs.size(), 1u);
    BOOST_TEST(g.at(0).last_committed().value == 1u);
    BOOST_TEST(g.at(0).last_executed().value == 1u);
    // The follower commits from the certificate and reaches the leader's state.
    g.at(1).on_commit_certificate(certs[0], g.members[0].key.public_key(), t0);
    BOOST_TEST(g.at(1).last_executed().value == 1u);
    BOOST_TEST(g.at(1).state_digest() == g.at(0).state_digest());
}

BOOST_AUTO_TEST_CASE(the_leader_times_each_phase_of_a_strong_write) {
    // Proposed at t0, prepared at +5 ms, committed (and executed here) at +12, answered at
    // +20 when a follower's execution makes f+1: replica_stats::leader_timing sums these.
    group_under_test g(4);
    const auto proposed = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    const auto prepare = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare).at(0);
    std::vector<vote> prepare_votes;
    for (std::size_t i = 1; i < 3; ++i)
        prepare_votes.push_back(messages_of<vote>(g.at(i).on_prepare(prepare, t0 + 1), message_kind::kayak_vote, decode_vote).at(0));
    g.at(0).on_vote(prepare_votes[0], t0 + 3);
    const auto commit = messages_of<commit_message>(g.at(0).on_vote(prepare_votes[1], t0 + 5),
                                                    message_kind::kayak_commit, decode_commit).at(0);
    std::vector<vote> commit_votes;
    for (std::size_t i = 1; i < 3; ++i)
        commit_votes.push_back(messages_of<vote>(g.at(i).on_commit(commit, t0 + 6), message_kind::kayak_vote, decode_vote).at(0));
    g.at(0).on_vote(commit_votes[0], t0 + 9);
    const auto committed = g.at(0).on_vote(commit_votes[1], t0 + 12);
    BOOST_TEST(g.at(0).last_executed().value == 1u);
    BOOST_TEST(g.at(0).stats().leader_timing.batches == 0u);  // not answered yet
    const auto cert = messages_of<certificate>(committed, message_kind::kayak_commit_certificate,
                                               decode_commit_certificate).at(0);
    const auto executed = g.at(1).on_commit_certificate(cert, g.members[0].key.public_key(), t0 + 15);
    const auto execution = messages_of<execution_message>(executed, message_kind::kayak_execution, decode_execution).at(0);
    const auto answered = g.at(0).on_execution(execution, t0 + 20);
    BOOST_TEST(answered.replies.size() == 1u);
    const auto& t = g.at(0).stats().leader_timing;
    BOOST_TEST(t.batches == 1u);
    BOOST_TEST(t.prepare_ms == 5);
    BOOST_TEST(t.commit_ms == 7);
    BOOST_TEST(t.execute_ms == 0);
    BOOST_TEST(t.answer_ms == 8);
    BOOST_TEST(t.requests == 1u);
    BOOST_TEST(t.queued_ms == 0);
    // A follower times nothing.
    BOOST_TEST(g.at(1).stats().leader_timing.batches == 0u);
}

BOOST_AUTO_TEST_CASE(a_lock_survives_a_restart_and_refuses_a_conflicting_batch) {
    group_under_test g(4);
    const auto proposed = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    const auto prepare = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare)[0];
    std::vector<vote> votes;
    for (std::size_t i = 1; i < 3; ++i)
        votes.push_back(messages_of<vote>(g.at(i).on_prepare(prepare, t0), message_kind::kayak_vote, decode_vote)[0]);
    g.at(0).on_vote(votes[0], t0);
    const auto commit = messages_of<commit_message>(g.at(0).on_vote(votes[1], t0), message_kind::kayak_commit, decode_commit)[0];
    g.at(1).on_commit(commit, t0);  // member 1 is now locked on the batch
    g.start(1);                     // crash and restart on the same log
    BOOST_TEST(g.members[1].log->recover().accepted.at(sequence_number(1)).prepared.has_value());

    // View 1: its leader (member 1) must re-propose the locked batch; a different batch
    // at seq 1 from a later leader without a later certificate is refused by member 1.
    g.at(1).on_view_change(view_number(2), t0);  // member 2 leads view 2
    batch other;
    other.header.database = g.database;
    other.header.seq = sequence_number(1);
    other.header.timestamp_ms = t0;
    other.requests = {g.request(100, 1, "CREATE TABLE other(v)")};
    other.seal_header();
    prepare_message conflicting;
    conflicting.batch = other;
    conflicting.proposed = {g.database, view_number(2), sequence_number(1), other.hash(),
                            g.members[2].key.public_key(), {}};
    conflicting.proposed.sign(g.members[2].key);
    const auto out = g.at(1).on_prepare(conflicting, t0);
    BOOST_TEST(messages_of<vote>(out, message_kind::kayak_vote, decode_vote).empty());
    BOOST_TEST(g.at(1).stats().batches_refused == 1u);
    // With the earlier prepare certificate as justification, the locked batch itself is fine.
    prepare_message reproposal;
    reproposal.batch = prepare.batch;
    reproposal.proposed = {g.database, view_number(2), sequence_number(1), prepare.batch.hash(),
                           g.members[2].key.public_key(), {}};
    reproposal.proposed.sign(g.members[2].key);
    reproposal.justification = commit.prepare_certificate;
    BOOST_TEST(messages_of<vote>(g.at(1).on_prepare(reproposal, t0), message_kind::kayak_vote, decode_vote).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_new_leader_reproposes_the_highest_prepared_batch_first) {
    group_under_test g(4);
    const auto proposed = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE kept(v)"), t0);
    const auto prepare = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare)[0];
    std::vector<vote> votes;
    for (std::size_t i = 1; i < 4; ++i)
        votes.push_back(messages_of<vote>(g.at(i).on_prepare(prepare, t0), message_kind::kayak_vote, decode_vote)[0]);
    g.at(0).on_vote(votes[0], t0);
    const auto commit = messages_of<commit_message>(g.at(0).on_vote(votes[1], t0), message_kind::kayak_commit, decode_commit)[0];
    g.at(2).on_commit(commit, t0);  // only member 2 learned the certificate; the leader then dies

    // View 1 (leader: member 1). Members 2 and 3 send NEW-VIEW; member 1 joins itself.
    std::vector<new_view_message> new_views;
    for (std::size_t i : {2u, 3u}) {
        const auto out = g.at(i).on_view_change(view_number(1), t0);
        new_views.push_back(messages_of<new_view_message>(out, message_kind::kayak_new_view, decode_new_view).at(0));
    }
    BOOST_TEST(new_views[0].prepared.size() == 1u);  // member 2 carries the certificate
    g.at(1).on_view_change(view_number(1), t0);
    g.at(1).on_new_view(new_views[1], t0);
    const auto out = g.at(1).on_new_view(new_views[0], t0);
    const auto reproposed = messages_of<prepare_message>(out, message_kind::kayak_prepare, decode_prepare);
    BOOST_REQUIRE_EQUAL(reproposed.size(), 1u);
    BOOST_TEST(reproposed[0].batch.hash() == prepare.batch.hash());  // same batch, same hash
    BOOST_TEST(reproposed[0].proposed.view.value == 1u);
    BOOST_REQUIRE(reproposed[0].justification.has_value());
    BOOST_TEST(reproposed[0].justification->view.value == 0u);
}

BOOST_AUTO_TEST_CASE(a_member_voting_for_two_batches_in_one_slot_is_evidence) {
    group_under_test g(4);
    const auto proposed = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    const auto prepare = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare)[0];
    g.at(0).on_vote(g.signed_vote(3, vote_phase::prepare, 0, 1, prepare.batch.hash()), t0);
    digest other;
    other.data.fill(0x77);
    const auto out = g.at(0).on_vote(g.signed_vote(3, vote_phase::prepare, 0, 1, other), t0);
    BOOST_REQUIRE_EQUAL(out.evidence.size(), 1u);
    const auto& proof = std::get<tx::conflicting_votes>(out.evidence[0].proof);
    BOOST_TEST(proof.first.voter == g.pk(3));
    BOOST_TEST(proof.first.signature_valid());
    BOOST_TEST(proof.second.signature_valid());
    BOOST_TEST(proof.first.batch_hash != proof.second.batch_hash);
    // It is a valid evidence transaction body: it survives the codec's checks.
    BOOST_TEST(decode_evidence(encode(out.evidence[0])).ok());
    BOOST_TEST(g.members[0].log->evidence().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_follower_suspects_a_leader_that_makes_no_progress) {
    group_under_test g(4);
    const auto proposed = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    const auto prepare = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare)[0];
    g.at(1).on_prepare(prepare, t0);  // accepted; the leader then goes silent
    BOOST_TEST(g.at(1).on_tick(t0 + 1000).suspicions.empty());
    const auto out = g.at(1).on_tick(t0 + 5000);
    BOOST_REQUIRE_EQUAL(out.suspicions.size(), 1u);
    BOOST_TEST(out.suspicions[0].view.value == 0u);
    BOOST_TEST(out.suspicions[0].signature_valid());
    // Not again at once: one suspicion per timeout.
    BOOST_TEST(g.at(1).on_tick(t0 + 5100).suspicions.empty());
}

BOOST_AUTO_TEST_CASE(a_write_after_a_long_idle_spell_is_no_reason_to_suspect) {
    group_under_test g(4);
    // Nothing to do for over ten progress timeouts (4 s): the followers tick, idle.
    for (std::int64_t t = t0; t <= t0 + 50000; t += 1000)
        for (std::size_t i = 1; i < 4; ++i) BOOST_TEST(g.at(i).on_tick(t).suspicions.empty());
    const auto later = t0 + 50010;
    const auto proposed = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), later);
    const auto prepare = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare)[0];
    g.at(1).on_prepare(prepare, later);
    // Just after the write came: no suspicion; a timeout later with no commit: one.
    BOOST_TEST(g.at(1).on_tick(later + 10).suspicions.empty());
    BOOST_TEST(g.at(1).on_tick(later + 3000).suspicions.empty());
    BOOST_TEST(g.at(1).on_tick(later + 4100).suspicions.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_lone_request_makes_a_batch_when_its_batch_delay_is_over) {
    group_under_test g(4);
    g.batch_delay_ms = 2;
    for (std::size_t i = 0; i < 4; ++i) g.start(i);
    const auto queued = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    BOOST_TEST(messages_of<prepare_message>(queued, message_kind::kayak_prepare, decode_prepare).empty());
    // The host's timer: due when the request has waited batch_delay_ms (only at the leader).
    BOOST_REQUIRE(g.at(0).proposal_due_ms().has_value());
    BOOST_TEST(*g.at(0).proposal_due_ms() == t0 + 2);
    BOOST_TEST(!g.at(1).proposal_due_ms().has_value());
    BOOST_TEST(messages_of<prepare_message>(g.at(0).on_proposal_due(t0 + 1), message_kind::kayak_prepare,
                                            decode_prepare).empty());
    const auto proposed = g.at(0).on_proposal_due(t0 + 2);
    const auto prepares = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare);
    BOOST_REQUIRE_EQUAL(prepares.size(), 1u);
    BOOST_TEST(prepares[0].batch.requests.size() == 1u);
    // Nothing waits now; a second request waits for the first batch's prepare certificate
    // (a vote will propose it), so no timer either.
    BOOST_TEST(!g.at(0).proposal_due_ms().has_value());
    g.at(0).on_client_request(g.request(100, 2, "CREATE TABLE u(v)"), t0 + 3);
    BOOST_TEST(!g.at(0).proposal_due_ms().has_value());
}

BOOST_AUTO_TEST_CASE(executing_in_a_step_of_its_own_sends_the_commit_certificate_first) {
    group_under_test g(4);
    g.execute_in_own_step = true;
    for (std::size_t i = 0; i < 4; ++i) g.start(i);
    const auto proposed = g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    const auto prepare = messages_of<prepare_message>(proposed, message_kind::kayak_prepare, decode_prepare)[0];
    std::vector<vote> prepare_votes;
    for (std::size_t i = 1; i < 3; ++i)
        prepare_votes.push_back(messages_of<vote>(g.at(i).on_prepare(prepare, t0), message_kind::kayak_vote, decode_vote)[0]);
    g.at(0).on_vote(prepare_votes[0], t0);
    const auto commit = messages_of<commit_message>(g.at(0).on_vote(prepare_votes[1], t0), message_kind::kayak_commit, decode_commit)[0];
    std::vector<vote> commit_votes;
    for (std::size_t i = 1; i < 3; ++i)
        commit_votes.push_back(messages_of<vote>(g.at(i).on_commit(commit, t0), message_kind::kayak_vote, decode_vote)[0]);
    g.at(0).on_vote(commit_votes[0], t0);
    const auto committed = g.at(0).on_vote(commit_votes[1], t0);
    // The certificate goes out; the batch is committed (and logged) but not executed yet.
    const auto certs = messages_of<certificate>(committed, message_kind::kayak_commit_certificate, decode_commit_certificate);
    BOOST_REQUIRE_EQUAL(certs.size(), 1u);
    BOOST_TEST(g.at(0).last_committed().value == 1u);
    BOOST_TEST(g.at(0).last_executed().value == 0u);
    BOOST_TEST(g.at(0).execution_due());
    BOOST_TEST(g.members[0].log->load_committed(sequence_number(1), 1).size() == 1u);
    // Its own step executes it; nobody asked for the leader's execution.
    const auto executed = g.at(0).on_execution_due(t0);
    BOOST_TEST(g.at(0).last_executed().value == 1u);
    BOOST_TEST(!g.at(0).execution_due());
    BOOST_TEST(messages_of<execution_message>(executed, message_kind::kayak_execution, decode_execution).empty());
    // A follower the same way reaches the leader's state, and tells the leader.
    g.at(1).on_commit_certificate(certs[0], g.pk(0), t0);
    BOOST_TEST(g.at(1).last_executed().value == 0u);
    const auto follower_executed = g.at(1).on_execution_due(t0);
    BOOST_TEST(g.at(1).last_executed().value == 1u);
    BOOST_TEST(g.at(1).state_digest() == g.at(0).state_digest());
    BOOST_REQUIRE_EQUAL(follower_executed.messages.size(), 1u);
    BOOST_TEST((follower_executed.messages[0].kind == message_kind::kayak_execution));
    BOOST_TEST((follower_executed.messages[0].to == std::vector<public_key>{g.pk(0)}));
}

BOOST_AUTO_TEST_CASE(with_only_full_batches_overlapping_a_short_batch_waits_for_the_commit) {
    group_under_test g(4);
    start_small_batch_group(g);
    auto& leader = g.at(0);
    const auto first = prepares_in(leader.on_client_request(g.request(100, 1, "CREATE TABLE a(v)"), t0));
    BOOST_REQUIRE_EQUAL(first.size(), 1u);  // nothing in flight: it goes at once
    const digest h1 = first[0].batch.hash();
    BOOST_TEST(prepares_in(leader.on_client_request(g.request(101, 1, "CREATE TABLE b(v)"), t0)).empty());
    // Seq 1 prepared: without the setting the waiting request would go now; one request is
    // not a full batch, so it waits for seq 1 to commit (and no timer is due for it).
    for (std::size_t i = 1; i < 3; ++i)
        BOOST_TEST(prepares_in(leader.on_vote(g.signed_vote(i, vote_phase::prepare, 0, 1, h1), t0)).empty());
    BOOST_TEST(!leader.proposal_due_ms().has_value());
    leader.on_vote(g.signed_vote(1, vote_phase::commit, 0, 1, h1), t0);
    const auto second = prepares_in(leader.on_vote(g.signed_vote(2, vote_phase::commit, 0, 1, h1), t0));
    BOOST_REQUIRE_EQUAL(second.size(), 1u);
    BOOST_TEST(leader.last_committed().value == 1u);
    BOOST_TEST(second[0].batch.header.seq.value == 2u);
    BOOST_TEST(second[0].batch.requests.size() == 1u);
    // Two more make a full batch: it overlaps seq 2, once seq 2 is prepared.
    BOOST_TEST(prepares_in(leader.on_client_request(g.request(102, 1, "CREATE TABLE c(v)"), t0)).empty());
    BOOST_TEST(prepares_in(leader.on_client_request(g.request(103, 1, "CREATE TABLE d(v)"), t0)).empty());
    const digest h2 = second[0].batch.hash();
    leader.on_vote(g.signed_vote(1, vote_phase::prepare, 0, 2, h2), t0);
    const auto third = prepares_in(leader.on_vote(g.signed_vote(2, vote_phase::prepare, 0, 2, h2), t0));
    BOOST_REQUIRE_EQUAL(third.size(), 1u);
    BOOST_TEST(leader.last_committed().value == 1u);  // seq 2 still in flight
    BOOST_TEST(third[0].batch.header.seq.value == 3u);
    BOOST_TEST(third[0].batch.requests.size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_eventual_leader_overlaps_a_short_batch_without_waiting_for_the_commit) {
    // It has answered the batch in flight already: its clients' next requests need not
    // wait out that batch's commit round.
    group_under_test g(4, consistency_mode::eventual);
    start_small_batch_group(g);
    auto& leader = g.at(0);
    const auto first = prepares_in(leader.on_client_request(g.request(100, 1, "CREATE TABLE a(v)"), t0));
    BOOST_REQUIRE_EQUAL(first.size(), 1u);
    BOOST_TEST(leader.last_executed().value == 1u);  // executed (and answered) as proposed
    const digest h1 = first[0].batch.hash();
    // Before seq 1 is prepared, the next still waits (followers would only hold it).
    BOOST_TEST(prepares_in(leader.on_client_request(g.request(101, 1, "CREATE TABLE b(v)"), t0)).empty());
    leader.on_vote(g.signed_vote(1, vote_phase::prepare, 0, 1, h1), t0);
    const auto second = prepares_in(leader.on_vote(g.signed_vote(2, vote_phase::prepare, 0, 1, h1), t0));
    BOOST_REQUIRE_EQUAL(second.size(), 1u);  // one request, not a full batch: it goes anyway
    BOOST_TEST(leader.last_committed().value == 0u);
    BOOST_TEST(second[0].batch.header.seq.value == 2u);
    BOOST_TEST(second[0].batch.requests.size() == 1u);
    BOOST_TEST(leader.last_executed().value == 2u);
}

BOOST_AUTO_TEST_CASE(with_only_full_batches_a_batch_full_by_its_bytes_overlaps_too) {
    group_under_test g(4);
    g.pipeline_only_full_batches = true;  // batch_requests_max stays 256
    for (std::size_t i = 0; i < 4; ++i) g.start(i);
    auto& leader = g.at(0);
    const auto first = prepares_in(leader.on_client_request(g.request(100, 1, "CREATE TABLE a(v)"), t0));
    BOOST_REQUIRE_EQUAL(first.size(), 1u);
    // Five requests of about 900 KB: four fill a batch's 4 MiB, far short of 256 requests.
    const std::string padding(900'000, 'x');
    for (std::uint8_t c = 0; c < 5; ++c)
        BOOST_TEST(prepares_in(leader.on_client_request(
                       g.request(static_cast<std::uint8_t>(101 + c), 1,
                                 "CREATE TABLE t" + std::to_string(c) + "(v) /* " + padding + " */"),
                       t0))
                       .empty());
    const digest h1 = first[0].batch.hash();
    leader.on_vote(g.signed_vote(1, vote_phase::prepare, 0, 1, h1), t0);
    const auto second = prepares_in(leader.on_vote(g.signed_vote(2, vote_phase::prepare, 0, 1, h1), t0));
    BOOST_REQUIRE_EQUAL(second.size(), 1u);  // overlapping seq 1, which is only prepared
    BOOST_TEST(leader.last_committed().value == 0u);
    BOOST_TEST(second[0].batch.header.seq.value == 2u);
    BOOST_TEST(second[0].batch.requests.size() == 4u);
    // The fifth alone is no full batch: it waits.
    BOOST_TEST(!leader.proposal_due_ms().has_value());
}

BOOST_AUTO_TEST_CASE(a_database_file_behind_the_log_catches_up_from_the_log_at_start) {
    // The database file is written without an fsync per batch (the log is the durable
    // record): a power cut may take it back to an earlier batch, never past the log.
    group_under_test g(1);  // a group of one commits on its own vote
    g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
    BOOST_REQUIRE(g.at(0).last_executed().value == 1u);
    const std::string file = g.directory + "/m0.sqlite";
    namespace fs = std::filesystem;
    for (const char* suffix : {"", "-wal"})
        if (fs::exists(file + suffix)) fs::copy_file(file + suffix, file + ".behind" + suffix);
    g.at(0).on_client_request(g.request(100, 2, "INSERT INTO t VALUES(42)"), t0);
    BOOST_REQUIRE(g.at(0).last_executed().value == 2u);
    const digest after_two = g.at(0).state_digest();
    // The file as it was after batch 1; the log still holds batch 2 as committed.
    g.members[0].replica.reset();
    g.members[0].executor.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file + suffix);
    for (const char* suffix : {"", "-wal"})
        if (fs::exists(file + ".behind" + suffix)) fs::rename(file + ".behind" + suffix, file + suffix);
    {
        auto behind = storage::sql_executor::open(file);
        BOOST_REQUIRE(behind.ok());
        BOOST_REQUIRE((*behind)->applied_seq().value == 1u);
    }
    g.start(0);
    BOOST_TEST(g.at(0).last_committed().value == 2u);
    BOOST_TEST(g.at(0).last_executed().value == 2u);  // batch 2 executed again, from the log
    BOOST_TEST(g.at(0).state_digest() == after_two);
    // And it answers from that state.
    auto read = g.request(100, 0, "SELECT v FROM t");
    read.kind = query_kind::read;
    read.sign(test::test_key(100));
    const auto answer = g.at(0).on_client_request(read, t0);
    BOOST_REQUIRE_EQUAL(answer.replies.size(), 1u);
    const auto* outcome = std::get_if<request_outcome>(&answer.replies[0].response.body);
    BOOST_REQUIRE(outcome != nullptr);
    const auto* results = std::get_if<std::vector<statement_result>>(&outcome->body);
    BOOST_REQUIRE(results != nullptr);
    BOOST_REQUIRE_EQUAL(results->size(), 1u);
    BOOST_REQUIRE_EQUAL((*results)[0].rows.size(), 1u);
    BOOST_TEST(((*results)[0].rows[0][0] == sql_value::integer(42)));
}

BOOST_AUTO_TEST_SUITE_END()
