// Evidence of equivocation: conflicting votes, proposals and executions slash the signer's
// whole deposit (burned), mark it slashed and replace it; each way evidence is refused.
#include <algorithm>

#include <boost/test/unit_test.hpp>

#include "ledger_fixture.hpp"

namespace covenant::test {
namespace {

using namespace protocols;
using main_chain::ledger_errc;

digest filled(std::uint8_t b) {
    digest d;
    d.data.fill(b);
    return d;
}

vote make_vote(const crypto::key_pair& k, const database_id& db, std::uint8_t batch,
               std::uint64_t seq = 7, vote_phase phase = vote_phase::prepare) {
    vote v;
    v.phase = phase;
    v.database = db;
    v.view = view_number{0};
    v.seq = sequence_number{seq};
    v.batch_hash = filled(batch);
    v.voter = k.public_key();
    v.sign(k);
    return v;
}

proposal make_proposal(const crypto::key_pair& k, const database_id& db, std::uint8_t batch) {
    proposal p;
    p.database = db;
    p.view = view_number{0};
    p.seq = sequence_number{3};
    p.batch_hash = filled(batch);
    p.leader = k.public_key();
    p.sign(k);
    return p;
}

execution_message make_execution(const crypto::key_pair& k, const database_id& db,
                                 std::uint8_t results) {
    execution_message e;
    e.database = db;
    e.view = view_number{0};
    e.seq = sequence_number{3};
    e.batch_hash = filled(1);
    e.results_root = filled(results);
    e.state_digest = filled(9);
    e.signer = k.public_key();
    e.sign(k);
    return e;
}

tx::evidence votes(vote a, vote b) {
    return tx::evidence{tx::conflicting_votes{a, b}};
}

BOOST_FIXTURE_TEST_SUITE(evidence, ledger_fixture)

BOOST_AUTO_TEST_CASE(conflicting_votes_slash_and_replace) {
    register_miners(5, {1, 1, 1, 1, 5});  // miner 4 is the most expensive: left out
    const auto db = create_database(4);
    const auto members = *chain.members(db);
    const auto& spare = miner_keys[4];
    BOOST_TEST_REQUIRE(
        (std::find(members.begin(), members.end(), spare.public_key()) == members.end()));
    const auto& cheat = key_of(members[2]);
    const std::uint64_t tokens = chain.total_tokens();

    auto out = accept(bob, votes(make_vote(cheat, db, 1), make_vote(cheat, db, 2)));
    BOOST_TEST(out.slashed_amount == 2'000u);
    BOOST_TEST(chain.burned() == 2'000u);
    BOOST_TEST(chain.total_tokens() == tokens);
    const auto* record = chain.miner(cheat.public_key());
    BOOST_TEST(record->slashed);
    BOOST_TEST(record->deposit == 0u);
    BOOST_TEST(record->serving == 0u);
    // Replaced in the same slot by the spare miner; the cheat stays a past member.
    const auto& now = *chain.members(db);
    BOOST_TEST((now[2] == spare.public_key()));
    BOOST_TEST((now[0] == members[0] && now[1] == members[1] && now[3] == members[3]));
    BOOST_TEST(chain.database(db)->past_members.count(cheat.public_key()) == 1u);
    BOOST_TEST(chain.database(db)->membership_changes == 1u);
    BOOST_TEST(chain.miner(spare.public_key())->serving == 1u);
    // The new group holds from a view of its own; the old group stays on record for the
    // certificates it signed.
    BOOST_TEST(chain.view(db)->value == 1u);
    const auto& membership = chain.database(db)->membership;
    BOOST_TEST_REQUIRE(membership.size() == 2u);
    BOOST_TEST((membership.at(0) == members));
    BOOST_TEST((membership.at(1) == now));

    // The same offence again, and another offence by the slashed miner.
    expect_refused(bob, votes(make_vote(cheat, db, 1), make_vote(cheat, db, 2)),
                   ledger_errc::already_applied);
    expect_refused(bob, votes(make_vote(cheat, db, 1, 8), make_vote(cheat, db, 2, 8)),
                   ledger_errc::already_applied);
    // A slashed miner is never chosen again.
    tx::create_database c;
    c.miner_count = 5;
    expect_refused(alice, c, ledger_errc::no_miners);
}

BOOST_AUTO_TEST_CASE(proposals_and_executions_and_no_replacement_left) {
    register_miners(4);
    const auto db = create_database(4);
    const auto members = *chain.members(db);
    const auto& leader = key_of(members[0]);
    const auto& executor = key_of(members[1]);

    auto out = accept(bob, tx::evidence{tx::conflicting_proposals{make_proposal(leader, db, 1),
                                                                  make_proposal(leader, db, 2)}});
    BOOST_TEST(out.slashed_amount == 2'000u);
    // No eligible miner left: the member stays, awaiting replacement.
    BOOST_TEST((*chain.members(db) == members));
    BOOST_TEST(chain.database(db)->awaiting_replacement.count(leader.public_key()) == 1u);

    accept(bob, tx::evidence{tx::conflicting_executions{make_execution(executor, db, 1),
                                                        make_execution(executor, db, 2)}});
    BOOST_TEST(chain.miner(executor.public_key())->slashed);
    BOOST_TEST(chain.burned() == 4'000u);
}

BOOST_AUTO_TEST_CASE(a_past_member_can_still_be_slashed) {
    register_miners(3);
    const auto db = create_database(2);
    const auto& leaving = key_of(chain.members(db)->front());
    accept(leaving, tx::miner_exit{});  // replaced at once by the third miner
    const auto& now = *chain.members(db);
    BOOST_TEST_REQUIRE((std::find(now.begin(), now.end(), leaving.public_key()) == now.end()));
    accept(bob, votes(make_vote(leaving, db, 1, 2, vote_phase::commit),
                      make_vote(leaving, db, 2, 2, vote_phase::commit)));
    // Slashed while exiting: nothing comes back after the delay.
    const std::uint64_t before = balance(leaving);
    chain.release_matured(block_height{1'000});
    BOOST_TEST(balance(leaving) == before);
    BOOST_TEST(chain.miner(leaving.public_key()) == nullptr);
}

BOOST_AUTO_TEST_CASE(evidence_refusals) {
    register_miners(5, {1, 1, 1, 1, 5});
    const auto db = create_database(4);
    const auto members = *chain.members(db);
    const auto& m = key_of(members[0]);
    const auto& other = key_of(members[1]);

    // Not conflicts: the same batch, different slots, different voters, different phases.
    expect_refused(bob, votes(make_vote(m, db, 1), make_vote(m, db, 1)),
                   ledger_errc::not_a_conflict);
    expect_refused(bob, votes(make_vote(m, db, 1, 7), make_vote(m, db, 2, 8)),
                   ledger_errc::not_a_conflict);
    expect_refused(bob, votes(make_vote(m, db, 1), make_vote(other, db, 2)),
                   ledger_errc::not_a_conflict);
    expect_refused(bob,
                   votes(make_vote(m, db, 1, 7, vote_phase::prepare),
                         make_vote(m, db, 2, 7, vote_phase::commit)),
                   ledger_errc::not_a_conflict);
    expect_refused(bob,
                   tx::evidence{tx::conflicting_executions{make_execution(m, db, 1),
                                                           make_execution(m, db, 1)}},
                   ledger_errc::not_a_conflict);
    // A forged signature.
    auto forged = make_vote(m, db, 2);
    forged.batch_hash = filled(3);
    expect_refused(bob, votes(make_vote(m, db, 1), forged), ledger_errc::bad_signature);
    // A miner that was never a member (the spare), an unknown database, a non-miner.
    const auto& spare = miner_keys[4];
    expect_refused(bob, votes(make_vote(spare, db, 1), make_vote(spare, db, 2)),
                   ledger_errc::not_member);
    database_id nowhere;
    nowhere.data.fill(0x77);
    expect_refused(bob, votes(make_vote(m, nowhere, 1), make_vote(m, nowhere, 2)),
                   ledger_errc::unknown_database);
    BOOST_TEST(chain.burned() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace covenant::test
