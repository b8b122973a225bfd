// DPoS epochs: the producer set of each epoch is elected at its first height from the
// candidates' delegated stake (top producers_max, by weight then address), and carries over
// when too few qualify; the set and the epoch are part of the state root.
#include <algorithm>

#include "ledger_fixture.hpp"

namespace covenant::test {
namespace {

using namespace protocols;

struct epoch_fixture : ledger_fixture {
    epoch_fixture() {
        main_chain::genesis g;
        g.parameters = test_parameters();
        g.parameters.epoch_length = 10;
        g.parameters.producers_max = 3;
        g.parameters.producers_min = 2;
        for (std::uint8_t i = 1; i <= 8; ++i)
            g.allocations[address(test_key(i))] = 10'000;
        g.initial_producers = {test_key(1).public_key()};
        auto made = main_chain::ledger::from_genesis(g);
        BOOST_TEST_REQUIRE(made.ok());
        chain = std::move(made).value();
    }
    void vote(std::uint8_t voter, std::uint64_t stake, std::vector<std::uint8_t> candidates) {
        accept(test_key(voter), tx::stake{stake});
        std::vector<account_address> list;
        for (auto c : candidates) list.push_back(address(test_key(c)));
        std::sort(list.begin(), list.end());
        accept(test_key(voter), tx::vote_producers{list});
    }
};

BOOST_FIXTURE_TEST_SUITE(epochs, epoch_fixture)

BOOST_AUTO_TEST_CASE(epoch_of_heights) {
    BOOST_TEST(chain.epoch_of(block_height{0}).value == 0u);
    BOOST_TEST(chain.epoch_of(block_height{1}).value == 0u);
    BOOST_TEST(chain.epoch_of(block_height{10}).value == 0u);
    BOOST_TEST(chain.epoch_of(block_height{11}).value == 1u);
    BOOST_TEST(chain.epoch_of(block_height{25}).value == 2u);
}

BOOST_AUTO_TEST_CASE(the_top_candidates_by_delegated_stake_form_the_next_set) {
    // Candidates 2..5 stake; 6, 7 and 8 vote with different weights.
    for (std::uint8_t c = 2; c <= 5; ++c) accept(test_key(c), tx::stake{100});
    vote(6, 3'000, {2, 3});
    vote(7, 2'000, {4});
    vote(8, 1'000, {3, 5});
    // Weights: 2 -> 3000, 3 -> 4000, 4 -> 2000, 5 -> 1000.
    const std::vector<public_key> expected{test_key(3).public_key(), test_key(2).public_key(),
                                           test_key(4).public_key()};
    BOOST_TEST((chain.elect_producers() == expected));

    // Within epoch 0 the genesis set stays, whatever the votes.
    chain.begin_block(block_height{10});
    BOOST_TEST(chain.epoch().value == 0u);
    BOOST_TEST(chain.producers().size() == 1u);
    const digest before = chain.state_root();
    chain.begin_block(block_height{11});
    BOOST_TEST(chain.epoch().value == 1u);
    BOOST_TEST((chain.producers() == expected));
    BOOST_TEST(chain.state_root() != before);

    // Votes change during epoch 1; the set changes only at epoch 2.
    vote(5, 9'000, {5});
    chain.begin_block(block_height{20});
    BOOST_TEST((chain.producers() == expected));
    chain.begin_block(block_height{21});
    const std::vector<public_key> next{test_key(5).public_key(), test_key(3).public_key(),
                                       test_key(2).public_key()};
    BOOST_TEST((chain.producers() == next));
}

BOOST_AUTO_TEST_CASE(ties_are_broken_by_address_and_unvoted_candidates_never_qualify) {
    accept(test_key(2), tx::stake{100});
    accept(test_key(3), tx::stake{100});
    accept(test_key(4), tx::stake{100});  // staked but nobody votes for it
    vote(6, 1'000, {2, 3});
    auto set = chain.elect_producers();
    BOOST_TEST_REQUIRE(set.size() == 2u);
    BOOST_TEST((crypto::address_of(set[0]) < crypto::address_of(set[1])));
    BOOST_TEST((std::find(set.begin(), set.end(), test_key(4).public_key()) == set.end()));
}

BOOST_AUTO_TEST_CASE(too_few_candidates_keep_the_previous_set) {
    accept(test_key(2), tx::stake{100});
    vote(6, 1'000, {2});  // one qualifies, producers_min is 2
    BOOST_TEST(chain.elect_producers().empty());
    chain.begin_block(block_height{11});
    BOOST_TEST(chain.epoch().value == 1u);
    BOOST_TEST((chain.producers() == std::vector<public_key>{test_key(1).public_key()}));

    // A candidate that unstakes everything stops being one.
    accept(test_key(3), tx::stake{100});
    vote(7, 1'000, {3});
    BOOST_TEST(chain.elect_producers().size() == 2u);
    height = block_height{12};
    accept(test_key(3), tx::unstake{100});
    BOOST_TEST(chain.elect_producers().empty());
}

BOOST_AUTO_TEST_CASE(two_ledgers_through_the_same_epochs_agree) {
    auto other = chain;
    for (auto* l : {&chain, &other}) {
        for (std::uint64_t h = 1; h <= 35; ++h) l->begin_block(block_height{h});
    }
    BOOST_TEST(chain.state_root() == other.state_root());
    BOOST_TEST(chain.epoch().value == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace covenant::test
