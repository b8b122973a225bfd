// Miner transactions: registration with proof of work and deposit, exit with the deposit
// returned after the delay, and their refusals.
#include <boost/test/unit_test.hpp>

#include "crypto/node_id.hpp"
#include "ledger_fixture.hpp"

namespace covenant::test {
namespace {

using namespace protocols;
using main_chain::ledger_errc;

BOOST_FIXTURE_TEST_SUITE(miners, ledger_fixture)

BOOST_AUTO_TEST_CASE(register_moves_the_deposit) {
    const auto& m = miner_keys[0];
    accept(m, registration(m, 7, 3, 2'500));
    const auto* record = chain.miner(m.public_key());
    BOOST_TEST_REQUIRE(record != nullptr);
    BOOST_TEST(record->deposit == 2'500u);
    BOOST_TEST(record->capacity == 3u);
    BOOST_TEST(record->price_per_statement == 7u);
    BOOST_TEST(!record->slashed);
    BOOST_TEST(balance(m) == 10'000u - 2'500u - 1u);
    expect_refused(m, registration(m, 7), ledger_errc::already_applied);
}

BOOST_AUTO_TEST_CASE(register_refusals) {
    const auto& m = miner_keys[0];
    auto r = registration(m, 7);
    // A nonce that does not meet the difficulty.
    auto weak = r;
    weak.pow_nonce = 0;
    while (crypto::node_id_meets_difficulty(m.public_key(), weak.pow_nonce,
                                            chain.parameters().node_id_difficulty))
        ++weak.pow_nonce;
    expect_refused(m, weak, ledger_errc::insufficient_work);

    auto small = r;
    small.deposit = 999;
    expect_refused(m, small, ledger_errc::invalid_value);
    auto no_capacity = r;
    no_capacity.capacity = 0;
    expect_refused(m, no_capacity, ledger_errc::invalid_value);
    auto no_endpoint = r;
    no_endpoint.endpoint.clear();
    expect_refused(m, no_endpoint, ledger_errc::invalid_value);
    auto too_rich = r;
    too_rich.deposit = 10'000;  // + fee
    expect_refused(m, too_rich, ledger_errc::insufficient_funds);
    BOOST_TEST(chain.miner(m.public_key()) == nullptr);
}

BOOST_AUTO_TEST_CASE(exit_returns_the_deposit_after_the_delay) {
    const auto& m = miner_keys[0];
    expect_refused(m, tx::miner_exit{}, ledger_errc::unknown_miner);
    accept(m, registration(m, 7));
    height = block_height{50};
    accept(m, tx::miner_exit{});
    BOOST_TEST(chain.miner(m.public_key())->exit_requested->value == 50u);
    expect_refused(m, tx::miner_exit{}, ledger_errc::already_applied);

    const std::uint64_t before = balance(m);
    chain.release_matured(block_height{69});
    BOOST_TEST(chain.miner(m.public_key()) != nullptr);
    BOOST_TEST(balance(m) == before);
    chain.release_matured(block_height{70});  // exit delay 20
    BOOST_TEST(chain.miner(m.public_key()) == nullptr);
    BOOST_TEST(balance(m) == before + 2'000u);
}

BOOST_AUTO_TEST_CASE(an_exiting_miner_is_not_chosen) {
    register_miners(2, {1, 2});
    accept(miner_keys[0], tx::miner_exit{});
    const auto db = create_database(1);
    BOOST_TEST(chain.members(db)->front() == miner_keys[1].public_key());
    tx::create_database two;
    two.miner_count = 2;
    expect_refused(alice, two, ledger_errc::no_miners);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace covenant::test
