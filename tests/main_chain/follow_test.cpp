// What a miner follows on the main chain: its assignments (databases, members, view, roles,
// funding) and how they change from block to block; and applying a whole final block, the
// rule every follower shares (epoch, every transaction, state root), all or nothing.
#include <algorithm>

#include "ledger_fixture.hpp"
#include "protocols/main_chain/block_application.hpp"
#include "protocols/main_chain/chain_follower.hpp"
#include "protocols/main_chain/database_audit.hpp"
#include "protocols/main_chain/miner_assignments.hpp"

namespace covenant::test {
namespace {

using namespace protocols;
using main_chain::assignments_of;
using main_chain::compare_assignments;

BOOST_FIXTURE_TEST_SUITE(follow, ledger_fixture)

BOOST_AUTO_TEST_CASE(assignments_follow_creation_views_roles_funding_and_drop) {
    register_miners(5);
    const auto before_any = assignments_of(chain, miner_keys[0].public_key());
    BOOST_TEST(before_any.empty());

    const auto db = create_database(4, 1'000);
    const auto members = *chain.members(db);
    const auto& member = key_of(members[1]);
    const auto outsider = [&] {
        for (const auto& k : miner_keys)
            if (std::find(members.begin(), members.end(), k.public_key()) == members.end())
                return k.public_key();
        return members[0];
    }();
    BOOST_TEST(assignments_of(chain, outsider).empty());

    auto mine = assignments_of(chain, member.public_key());
    BOOST_TEST_REQUIRE(mine.size() == 1u);
    const auto& a = mine.at(db);
    BOOST_TEST((a.members == members));
    BOOST_TEST(a.view.value == 0u);
    BOOST_TEST((a.owner == address(alice)));
    BOOST_TEST((main_chain::effective_role(a, address(alice)) == role::admin));
    BOOST_TEST(!main_chain::effective_role(a, address(bob)).has_value());
    auto changes = compare_assignments(before_any, mine);
    BOOST_TEST_REQUIRE(changes.started.size() == 1u);
    BOOST_TEST((changes.started[0] == a));
    BOOST_TEST(compare_assignments(mine, mine).empty());

    // A view change through suspicions reaches the running replica as a view change.
    accept(bob, suspicion(db, view_number{0}, key_of(members[0])));
    accept(bob, suspicion(db, view_number{0}, key_of(members[2])));
    auto after_view = assignments_of(chain, member.public_key());
    changes = compare_assignments(mine, after_view);
    BOOST_TEST_REQUIRE(changes.view_changes.size() == 1u);
    BOOST_TEST(changes.view_changes[0].second.value == 1u);
    BOOST_TEST(changes.started.empty());
    BOOST_TEST(changes.restarted.empty());
    BOOST_TEST(changes.permissions_changed.empty());

    // A grant changes permissions only.
    accept(alice, tx::grant_role{db, address(bob), role::write});
    auto after_grant = assignments_of(chain, member.public_key());
    changes = compare_assignments(after_view, after_grant);
    BOOST_TEST_REQUIRE(changes.permissions_changed.size() == 1u);
    BOOST_TEST(changes.view_changes.empty());
    BOOST_TEST((main_chain::effective_role(changes.permissions_changed[0], address(bob)) ==
                role::write));

    // Out of funds: writers keep reading only.
    accept(bob, checkpoint(db, 1, {5'000}, members));
    auto broke = assignments_of(chain, member.public_key());
    BOOST_TEST(broke.at(db).out_of_funds);
    changes = compare_assignments(after_grant, broke);
    BOOST_TEST(changes.permissions_changed.size() == 1u);
    BOOST_TEST((main_chain::effective_role(broke.at(db), address(bob)) == role::read));
    BOOST_TEST((main_chain::effective_role(broke.at(db), address(alice)) == role::read));

    accept(alice, tx::drop_database{db});
    changes = compare_assignments(broke, assignments_of(chain, member.public_key()));
    BOOST_TEST_REQUIRE(changes.stopped.size() == 1u);
    BOOST_TEST((changes.stopped[0] == db));
}

BOOST_AUTO_TEST_CASE(a_changed_member_set_restarts_the_replica) {
    register_miners(3);
    main_chain::assignments before;
    main_chain::database_assignment a;
    a.id = database_id{};
    a.members = {miner_keys[0].public_key(), miner_keys[1].public_key()};
    before.emplace(a.id, a);
    auto after = before;
    after.at(a.id).members[1] = miner_keys[2].public_key();
    after.at(a.id).view = view_number{3};
    const auto changes = compare_assignments(before, after);
    BOOST_TEST(changes.restarted.size() == 1u);
    BOOST_TEST(changes.view_changes.empty());  // the restart carries the view
}

struct block_fixture : ledger_fixture {
    /// A block at `height` with `txs`, its header made from a copy of the chain.
    main_block block_of(std::vector<transaction> txs, std::uint64_t h) {
        main_block b;
        b.header.height = block_height{h};
        b.transactions = std::move(txs);
        b.seal_header();
        auto scratch = chain;
        scratch.begin_block(b.header.height);
        b.header.epoch = scratch.epoch();
        for (const auto& tx : b.transactions) BOOST_TEST_REQUIRE(scratch.apply(tx, b.header.height).ok());
        b.header.state_root = scratch.state_root();
        return b;
    }
    transaction pay(const crypto::key_pair& from, std::uint64_t nonce, std::uint64_t amount) {
        return make_tx(from, account_nonce{nonce}, 1, tx::transfer{address(bob), amount});
    }
};

BOOST_FIXTURE_TEST_CASE(a_whole_block_applies_or_nothing_does, block_fixture) {
    auto good = block_of({pay(alice, 1, 10), pay(alice, 2, 20)}, 1);
    const digest root_before = chain.state_root();

    auto wrong_root = good;
    wrong_root.header.state_root = root_before;
    auto refused = main_chain::apply_block(chain, wrong_root);
    BOOST_TEST_REQUIRE(!refused.ok());
    BOOST_TEST((refused.failure().code == main_chain::ledger_errc::block_mismatch));
    BOOST_TEST(chain.state_root() == root_before);

    auto wrong_epoch = good;
    wrong_epoch.header.epoch = epoch_number{1};
    BOOST_TEST(!main_chain::apply_block(chain, wrong_epoch).ok());
    BOOST_TEST(chain.state_root() == root_before);

    // The second transaction is refused (replayed nonce): nothing of the block applies.
    auto replayed = good;
    replayed.transactions[1] = pay(alice, 1, 20);
    refused = main_chain::apply_block(chain, replayed);
    BOOST_TEST_REQUIRE(!refused.ok());
    BOOST_TEST((refused.failure().code == main_chain::ledger_errc::bad_nonce));
    BOOST_TEST(chain.state_root() == root_before);
    BOOST_TEST(balance(bob) == 50'000u);

    auto applied = main_chain::apply_block(chain, good);
    BOOST_TEST_REQUIRE(applied.ok());
    BOOST_TEST(applied.value().size() == 2u);
    BOOST_TEST(balance(bob) == 50'030u);
    BOOST_TEST(chain.state_root() == good.header.state_root);
}

/// A one-producer chain (genesis names test_key(1)) built block by block on `chain`.
struct chain_fixture : block_fixture {
    main_chain::ledger genesis_state = chain;
    std::optional<main_chain::chain_head> head;

    main_block next_block(std::vector<transaction> txs) {
        auto b = block_of(std::move(txs), head ? head->height.value + 1 : 1);
        b.header.parent = head ? head->hash : digest{};
        b.header.timestamp_ms = static_cast<std::int64_t>(b.header.height.value) * 1000;
        b.header.proposer = alice.public_key();
        b.sign_proposal(alice);
        b.add_finality_vote(alice);
        BOOST_TEST_REQUIRE(main_chain::apply_block(chain, b).ok());
        head = main_chain::head_after(b);
        return b;
    }
};

BOOST_FIXTURE_TEST_CASE(a_follower_applies_final_blocks_and_refuses_the_rest, chain_fixture) {
    register_miners(4);  // on `chain` directly: rebuild the genesis the follower starts from
    genesis_state = chain;
    main_chain::chain_follower follower(genesis_state, std::nullopt, miner_keys[0].public_key());
    BOOST_TEST(follower.current_assignments().empty());

    const auto b1 = next_block({pay(alice, 1, 10)});
    const auto db = main_chain::ledger::database_id_for(address(alice), account_nonce{2});
    const auto b2 = next_block({make_tx(alice, account_nonce{2}, 1,
                                        tx::create_database{4, consistency_mode::strong, 1'000})});
    const auto b3 = next_block({pay(alice, 3, 30)});

    auto out = follower.on_final_blocks({b1, b2});
    BOOST_TEST(!out.refusal.has_value());
    BOOST_TEST(out.applied.size() == 2u);
    BOOST_TEST(follower.height().value == 2u);
    BOOST_TEST_REQUIRE(out.changes.started.size() == 1u);  // all four miners serve it
    BOOST_TEST((out.changes.started[0].id == db));
    BOOST_TEST(follower.current_assignments().count(db) == 1u);

    // Overlap is skipped; a gap, a foreign signer, a wrong root are refused, state unmoved.
    out = follower.on_final_blocks({b1, b2});
    BOOST_TEST(out.applied.empty());
    BOOST_TEST(!out.refusal.has_value());
    auto gap = b3;
    gap.header.height = block_height{4};
    out = follower.on_final_blocks({gap});
    BOOST_TEST_REQUIRE(out.refusal.has_value());
    BOOST_TEST(out.refusal->find("does not follow") != std::string::npos);
    auto foreign = b3;
    foreign.finality.clear();
    foreign.add_finality_vote(bob);
    out = follower.on_final_blocks({foreign});
    BOOST_TEST_REQUIRE(out.refusal.has_value());
    BOOST_TEST(out.refusal->find("finality") != std::string::npos);
    auto wrong_root = b3;
    wrong_root.header.state_root = b2.header.state_root;
    wrong_root.finality.clear();
    wrong_root.add_finality_vote(alice);
    out = follower.on_final_blocks({wrong_root});
    BOOST_TEST_REQUIRE(out.refusal.has_value());
    BOOST_TEST(out.refusal->find("state root") != std::string::npos);
    BOOST_TEST(follower.height().value == 2u);

    out = follower.on_final_blocks({b3});
    BOOST_TEST(!out.refusal.has_value());
    BOOST_TEST(out.changes.empty());
    BOOST_TEST(follower.state().state_root() == chain.state_root());
}

// What `cql verify` takes from the main chain: the chain re-verified block by block, the
// database's checkpoints with the height of the block that holds each, its groups; the first
// bad block stops it (nothing after it applied), and a dropped database is known as such.
BOOST_FIXTURE_TEST_CASE(a_database_audit_replays_the_chain_for_one_database, chain_fixture) {
    register_miners(4);
    genesis_state = chain;
    const auto db = main_chain::ledger::database_id_for(address(alice), account_nonce{1});
    const auto b1 = next_block({make_tx(alice, account_nonce{1}, 1,
                                        tx::create_database{4, consistency_mode::strong, 1'000})});
    const auto members = *chain.members(db);
    const auto b2 =
        next_block({make_tx(bob, account_nonce{1}, 1, checkpoint(db, 1, {10}, members))});
    const auto b3 = next_block({pay(alice, 2, 5)});

    auto audit = main_chain::database_audit::from_state(genesis_state, db);
    BOOST_TEST(audit.on_blocks({b1, b2}));
    BOOST_TEST(audit.on_blocks({b2, b3}));  // an overlap is skipped
    BOOST_TEST(audit.height().value == 3u);
    BOOST_TEST((*audit.head_hash() == b3.hash()));
    BOOST_TEST(!audit.fault().has_value());
    BOOST_TEST_REQUIRE(audit.checkpoints().size() == 1u);
    BOOST_TEST(audit.checkpoints()[0].main_height.value == 2u);
    BOOST_TEST(audit.checkpoints()[0].checkpoint.height.value == 1u);
    BOOST_TEST((audit.checkpoints()[0].transaction == b2.transactions[0].hash()));
    BOOST_TEST_REQUIRE(audit.record().has_value());
    BOOST_TEST((audit.record()->membership.at(0) == members));
    BOOST_TEST(!audit.dropped());

    auto bad = b2;
    bad.header.state_root = b1.header.state_root;
    bad.finality.clear();
    bad.add_finality_vote(alice);
    auto refused = main_chain::database_audit::from_state(genesis_state, db);
    BOOST_TEST(!refused.on_blocks({b1, bad, b3}));
    BOOST_TEST_REQUIRE(refused.fault().has_value());
    BOOST_TEST(refused.fault()->height.value == 2u);
    BOOST_TEST(refused.fault()->reason.find("state root") != std::string::npos,
               refused.fault()->reason);
    BOOST_TEST(refused.height().value == 1u);
    BOOST_TEST(refused.checkpoints().empty());
    BOOST_TEST(!refused.on_blocks({b3}));  // stopped for good

    const auto b4 = next_block({make_tx(alice, account_nonce{3}, 1, tx::drop_database{db})});
    BOOST_TEST(audit.on_blocks({b4}));
    BOOST_TEST(audit.dropped());
    BOOST_TEST(audit.record().has_value());  // as it was before the drop
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace covenant::test
