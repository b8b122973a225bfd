// Database transactions: creation with deterministic members, drop, roles, suspicions of
// the leader with the f+1 view change, and shard checkpoints with billing.
#include <algorithm>

#include <boost/test/unit_test.hpp>

#include "ledger_fixture.hpp"

namespace covenant::test {
namespace {

using namespace protocols;
using main_chain::ledger_errc;

BOOST_FIXTURE_TEST_SUITE(databases, ledger_fixture)

BOOST_AUTO_TEST_CASE(create_picks_cheapest_then_lowest_address) {
    // Prices: miners 0 and 1 tie at 5, miner 2 at 3, miner 3 at 9.
    register_miners(4, {5, 5, 3, 9});
    const account_nonce nonce = chain.next_nonce(address(alice));
    const auto db = create_database(3, 10'000);
    BOOST_TEST((db == main_chain::ledger::database_id_for(address(alice), nonce)));

    const auto& members = *chain.members(db);
    BOOST_TEST_REQUIRE(members.size() == 3u);
    BOOST_TEST((members[0] == miner_keys[2].public_key()));
    const bool zero_first = crypto::address_of(miner_keys[0].public_key()) <
                            crypto::address_of(miner_keys[1].public_key());
    BOOST_TEST((members[1] == miner_keys[zero_first ? 0 : 1].public_key()));
    BOOST_TEST((members[2] == miner_keys[zero_first ? 1 : 0].public_key()));

    BOOST_TEST(chain.view(db)->value == 0u);
    BOOST_TEST(*chain.funding(db) == 10'000u);
    BOOST_TEST((chain.role_of(db, address(alice)) == role::admin));
    BOOST_TEST(!chain.role_of(db, address(bob)).has_value());
    BOOST_TEST(balance(alice) == 100'000u - 10'000u - 1u);
    BOOST_TEST(chain.miner(members[0])->serving == 1u);
    BOOST_TEST(chain.miner(miner_keys[3].public_key())->serving == 0u);
}

BOOST_AUTO_TEST_CASE(member_selection_is_deterministic) {
    ledger_fixture other;
    register_miners(5, {4, 4, 4, 2, 8});
    other.register_miners(5, {4, 4, 4, 2, 8});
    const auto a = create_database(4);
    const auto b = other.create_database(4);
    BOOST_TEST((a == b));
    BOOST_TEST((*chain.members(a) == *other.chain.members(b)));
    BOOST_TEST((chain.state_root() == other.chain.state_root()));
}

BOOST_AUTO_TEST_CASE(create_refusals_and_capacity) {
    tx::create_database c;
    c.miner_count = 1;
    expect_refused(alice, c, ledger_errc::no_miners);  // none registered
    accept(miner_keys[0], registration(miner_keys[0], 1, /*capacity=*/1));
    accept(miner_keys[1], registration(miner_keys[1], 2, /*capacity=*/1));
    c.miner_count = 0;
    expect_refused(alice, c, ledger_errc::invalid_value);
    c.miner_count = 3;
    expect_refused(alice, c, ledger_errc::no_miners);
    c.miner_count = 1;
    c.advance_payment = 1'000'000;
    expect_refused(alice, c, ledger_errc::insufficient_funds);

    const auto first = create_database(1);
    const auto second = create_database(1);  // miner 0 is full: miner 1 serves it
    BOOST_TEST((chain.members(first)->front() == miner_keys[0].public_key()));
    BOOST_TEST((chain.members(second)->front() == miner_keys[1].public_key()));
    c.advance_payment = 0;
    expect_refused(alice, c, ledger_errc::no_miners);  // both full

    // Dropping frees capacity, and refunds the owner.
    const std::uint64_t before = balance(alice);
    expect_refused(bob, tx::drop_database{first}, ledger_errc::not_authorized);
    expect_refused(alice, tx::drop_database{database_id{}}, ledger_errc::unknown_database);
    accept(alice, tx::drop_database{first});
    BOOST_TEST(chain.database(first) == nullptr);
    BOOST_TEST(balance(alice) == before + 10'000u - 1u);
    BOOST_TEST(chain.miner(miner_keys[0].public_key())->serving == 0u);
    const auto third = create_database(1);
    BOOST_TEST((chain.members(third)->front() == miner_keys[0].public_key()));
}

BOOST_AUTO_TEST_CASE(roles_are_granted_and_revoked_by_admins) {
    register_miners(1);
    const auto db = create_database(1);
    expect_refused(bob, tx::grant_role{db, address(bob), role::admin}, ledger_errc::not_authorized);
    expect_refused(alice, tx::grant_role{database_id{}, address(bob), role::read},
                   ledger_errc::unknown_database);
    accept(alice, tx::grant_role{db, address(bob), role::write});
    BOOST_TEST((chain.role_of(db, address(bob)) == role::write));
    // A writer is no admin.
    expect_refused(bob, tx::grant_role{db, address(carol), role::read},
                   ledger_errc::not_authorized);
    expect_refused(bob, tx::revoke_role{db, address(alice)}, ledger_errc::not_authorized);
    // The last admin can neither be revoked nor demoted.
    expect_refused(alice, tx::revoke_role{db, address(alice)}, ledger_errc::invalid_value);
    expect_refused(alice, tx::grant_role{db, address(alice), role::read},
                   ledger_errc::invalid_value);
    expect_refused(alice, tx::revoke_role{db, address(carol)}, ledger_errc::unknown_account);

    accept(alice, tx::grant_role{db, address(bob), role::admin});
    accept(bob, tx::revoke_role{db, address(alice)});
    BOOST_TEST(!chain.role_of(db, address(alice)).has_value());
    // The new admin may drop it; the refund still goes to the owner.
    const std::uint64_t before = balance(alice);
    accept(bob, tx::drop_database{db});
    BOOST_TEST(balance(alice) == before + 10'000u);
}

BOOST_AUTO_TEST_CASE(f_plus_one_suspicions_change_the_view) {
    register_miners(5);
    const auto db = create_database(4);  // f = 1: two suspicions needed
    const auto members = *chain.members(db);
    const auto& m0 = key_of(members[0]);
    const auto& m1 = key_of(members[1]);
    const auto& outsider = key_of([&] {
        for (const auto& k : miner_keys)
            if (std::find(members.begin(), members.end(), k.public_key()) == members.end())
                return k.public_key();
        return members[0];
    }());

    // Anyone may carry a suspicion; the suspicion's own signer must be a member.
    auto out = accept(bob, suspicion(db, view_number{0}, m0));
    BOOST_TEST(!out.view_change.has_value());
    BOOST_TEST(chain.view(db)->value == 0u);
    expect_refused(bob, suspicion(db, view_number{0}, m0), ledger_errc::already_applied);
    expect_refused(bob, suspicion(db, view_number{0}, outsider), ledger_errc::not_member);
    expect_refused(bob, suspicion(db, view_number{1}, m1), ledger_errc::stale);
    expect_refused(bob, suspicion(database_id{}, view_number{0}, m1),
                   ledger_errc::unknown_database);
    auto forged = suspicion(db, view_number{0}, m1);
    forged.suspicion.last_committed = sequence_number{9};
    expect_refused(bob, forged, ledger_errc::bad_signature);

    out = accept(m1, suspicion(db, view_number{0}, m1));
    BOOST_TEST_REQUIRE(out.view_change.has_value());
    BOOST_TEST(out.view_change->value == 1u);
    BOOST_TEST((*out.view_change_database == db));
    BOOST_TEST(chain.view(db)->value == 1u);
    BOOST_TEST(chain.database(db)->suspicions.empty());

    // A suspicion of the old view is now stale; the new view needs two fresh ones.
    expect_refused(bob, suspicion(db, view_number{0}, m0), ledger_errc::stale);
    accept(bob, suspicion(db, view_number{1}, m0));
    BOOST_TEST(chain.view(db)->value == 1u);
}

BOOST_AUTO_TEST_CASE(checkpoint_needs_a_quorum_and_pays_the_members) {
    register_miners(4);
    const auto db = create_database(4, 1'000);  // quorum 3 of 4
    const auto members = *chain.members(db);
    const std::vector<public_key> two{members[0], members[1]};
    const std::vector<public_key> three{members[0], members[1], members[2]};

    expect_refused(bob, checkpoint(db, 1, {10}, two), ledger_errc::no_quorum);
    // A non-member's signature counts for nothing.
    auto padded = checkpoint(db, 1, {10}, two);
    const auto& outsider = test_key(42);
    padded.signatures.push_back(
        {outsider.public_key(),
         outsider.sign(crypto::sign_domain::shard_checkpoint, padded.checkpoint_signing_bytes())});
    expect_refused(bob, padded, ledger_errc::no_quorum);
    // A member's signature over other bytes.
    auto tampered = checkpoint(db, 1, {10}, three);
    tampered.billing.front().cost = 1;
    expect_refused(bob, tampered, ledger_errc::bad_signature);
    expect_refused(bob, checkpoint(database_id{}, 1, {10}, three), ledger_errc::unknown_database);

    std::map<public_key, std::uint64_t> before;
    for (const auto& m : members) before[m] = chain.balance_of(crypto::address_of(m));
    accept(bob, checkpoint(db, 5, {300, 102}, three));  // 402 = 4 * 100 + 2
    BOOST_TEST(*chain.funding(db) == 1'000u - 402u);
    BOOST_TEST(!chain.database(db)->out_of_funds);
    BOOST_TEST(chain.database(db)->checkpoint_height->value == 5u);
    account_address lowest = crypto::address_of(members[0]);
    for (const auto& m : members) lowest = std::min(lowest, crypto::address_of(m));
    for (const auto& m : members) {
        const auto a = crypto::address_of(m);
        BOOST_TEST(chain.balance_of(a) - before[m] == (a == lowest ? 102u : 100u));
    }

    expect_refused(bob, checkpoint(db, 5, {1}, three), ledger_errc::stale);
    expect_refused(bob, checkpoint(db, 4, {1}, three), ledger_errc::stale);

    // Short of funds: pays what is there, and marks the database.
    accept(bob, checkpoint(db, 6, {10'000}, members));
    BOOST_TEST(*chain.funding(db) == 0u);
    BOOST_TEST(chain.database(db)->out_of_funds);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace covenant::test
