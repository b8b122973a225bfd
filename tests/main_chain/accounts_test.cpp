// Account transactions: genesis, transfer, stake, unstake and its delay, producer votes;
// and the checks every transaction passes (signature, nonce, fee, funds).
#include <boost/test/unit_test.hpp>

#include "ledger_fixture.hpp"

namespace covenant::test {
namespace {

using namespace protocols;
using main_chain::ledger_errc;

tx::transfer pay(const crypto::key_pair& to, std::uint64_t amount) {
    return tx::transfer{crypto::address_of(to.public_key()), amount};
}

BOOST_FIXTURE_TEST_SUITE(accounts, ledger_fixture)

BOOST_AUTO_TEST_CASE(genesis_allocates_and_refuses_overflow) {
    BOOST_TEST(balance(alice) == 100'000u);
    BOOST_TEST(balance(bob) == 50'000u);
    BOOST_TEST(chain.total_tokens() == 100'000u + 50'000u + 1'000u + 6 * 10'000u);
    BOOST_TEST(chain.initial_producers().size() == 1u);
    BOOST_TEST(chain.next_nonce(address(alice)).value == 1u);  // the codec refuses nonce 0

    main_chain::genesis g;
    g.allocations[address(alice)] = ~std::uint64_t{0};
    g.allocations[address(bob)] = 1;
    auto made = main_chain::ledger::from_genesis(g);
    BOOST_TEST_REQUIRE(!made.ok());
    BOOST_TEST(made.failure().code == make_error_code(ledger_errc::overflow));
}

BOOST_AUTO_TEST_CASE(transfer_moves_tokens_and_pays_the_fee) {
    accept(alice, pay(bob, 1'000), 5);
    BOOST_TEST(balance(alice) == 100'000u - 1'000u - 5u);
    BOOST_TEST(balance(bob) == 51'000u);
    BOOST_TEST(chain.fee_pool() == 5u);
    BOOST_TEST(chain.next_nonce(address(alice)).value == 2u);
    // To a new account, and to oneself.
    accept(bob, pay(test_key(40), 7));
    BOOST_TEST(chain.balance_of(crypto::address_of(test_key(40).public_key())) == 7u);
    accept(bob, pay(bob, 100));
    BOOST_TEST(balance(bob) == 51'000u - 7u - 1u - 1u);
}

BOOST_AUTO_TEST_CASE(transfer_refusals) {
    // Bad signature: signed, then altered.
    auto forged = make_tx(alice, account_nonce{1}, 1, pay(bob, 10));
    std::get<tx::transfer>(forged.body).amount = 10'000;
    expect_refused(forged, ledger_errc::bad_signature);
    // Signed by someone else than the sender.
    auto wrong_signer = make_tx(bob, account_nonce{1}, 1, pay(bob, 10));
    wrong_signer.sender = alice.public_key();
    expect_refused(wrong_signer, ledger_errc::bad_signature);

    // Replayed nonce.
    const auto first = make_tx(alice, account_nonce{1}, 1, pay(bob, 10));
    BOOST_TEST(decode_transaction(encode(first)).ok());  // what the ledger takes, the wire carries
    BOOST_TEST_REQUIRE(chain.apply(first, height).ok());
    expect_refused(first, ledger_errc::bad_nonce);
    // Nonce gap.
    expect_refused(make_tx(alice, account_nonce{3}, 1, pay(bob, 10)), ledger_errc::bad_nonce);

    // Insufficient funds: amount, then amount + fee.
    expect_refused(carol, pay(bob, 1'001), ledger_errc::insufficient_funds);
    expect_refused(carol, pay(bob, 1'000), ledger_errc::insufficient_funds);
    // Fee too low, fee not payable, amount + fee overflowing.
    expect_refused(carol, pay(bob, 1), ledger_errc::fee_too_low, 0);
    expect_refused(test_key(41), pay(bob, 1), ledger_errc::insufficient_funds);
    expect_refused(carol, pay(bob, ~std::uint64_t{0}), ledger_errc::overflow);
    expect_refused(carol, pay(bob, 0), ledger_errc::invalid_value);

    accept(carol, pay(bob, 999));
    BOOST_TEST(balance(carol) == 0u);
}

BOOST_AUTO_TEST_CASE(stake_unstake_and_release_after_the_delay) {
    accept(bob, tx::stake{5'000});
    BOOST_TEST(chain.account(address(bob))->staked == 5'000u);
    BOOST_TEST(balance(bob) == 50'000u - 5'001u);
    expect_refused(bob, tx::stake{0}, ledger_errc::invalid_value);
    expect_refused(bob, tx::stake{50'000}, ledger_errc::insufficient_funds);
    expect_refused(bob, tx::unstake{5'001}, ledger_errc::insufficient_funds);
    expect_refused(carol, tx::unstake{1}, ledger_errc::insufficient_funds);

    height = block_height{100};
    accept(bob, tx::unstake{2'000});
    const auto* account = chain.account(address(bob));
    BOOST_TEST(account->staked == 3'000u);
    BOOST_TEST(account->unstaking_total() == 2'000u);
    BOOST_TEST(account->unstaking.begin()->first == 110u);  // unstake delay 10

    const std::uint64_t before = balance(bob);
    chain.release_matured(block_height{109});
    BOOST_TEST(balance(bob) == before);
    chain.release_matured(block_height{110});
    BOOST_TEST(balance(bob) == before + 2'000u);
    BOOST_TEST(chain.account(address(bob))->unstaking.empty());
}

BOOST_AUTO_TEST_CASE(votes_for_candidates_weighted_by_stake) {
    accept(bob, tx::stake{1'000});  // bob becomes a candidate
    accept(carol, tx::stake{500});  // so does carol
    accept(alice, tx::stake{7'000});
    std::vector<account_address> both{address(bob), address(carol)};
    std::sort(both.begin(), both.end());
    accept(alice, tx::vote_producers{both});
    auto weights = chain.producer_candidates();
    BOOST_TEST(weights.at(address(bob)) == 7'000u);
    BOOST_TEST(weights.at(address(carol)) == 7'000u);
    BOOST_TEST(weights.at(address(alice)) == 0u);

    // A new vote replaces the previous one.
    accept(alice, tx::vote_producers{{address(bob)}});
    weights = chain.producer_candidates();
    BOOST_TEST(weights.at(address(bob)) == 7'000u);
    BOOST_TEST(weights.at(address(carol)) == 0u);

    // Unknown candidate (no stake), unsorted list.
    expect_refused(alice, tx::vote_producers{{address(test_key(42))}},
                   ledger_errc::unknown_account);
    std::vector<account_address> reversed{both.rbegin(), both.rend()};
    expect_refused(alice, tx::vote_producers{reversed}, ledger_errc::invalid_value);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace covenant::test
