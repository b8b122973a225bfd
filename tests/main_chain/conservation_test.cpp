// Properties over many transactions: a seeded random mix of valid and invalid
// transactions of every kind never changes the token total, a refused one never changes
// the state root, and two ledgers fed the same transactions keep the same state root
// (until one gets a transaction the other does not).
#include <algorithm>
#include <iterator>
#include <map>
#include <random>

#include <boost/test/unit_test.hpp>

#include "ledger_fixture.hpp"

namespace covenant::test {
namespace {

using namespace protocols;

/// Draws random transactions (about half of them invalid in some way) against a ledger.
class random_traffic {
  public:
    random_traffic(ledger_fixture& f, std::uint64_t seed) : f_(f), rng_(seed) {
        for (const auto& k : {f.alice, f.bob, f.carol}) senders_.push_back(k);
        for (const auto& k : f.miner_keys) senders_.push_back(k);
        senders_.push_back(test_key(50));  // never funded
    }

    std::uint64_t below(std::uint64_t n) {
        return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
    }
    bool chance(unsigned percent) { return below(100) < percent; }

    transaction next() {
        const auto& sender = senders_[below(senders_.size())];
        account_nonce nonce = f_.chain.next_nonce(ledger_fixture::address(sender));
        if (chance(5)) nonce = account_nonce{nonce.value + below(3)};
        if (chance(3) && nonce.value > 0) nonce = account_nonce{nonce.value - 1};
        const std::uint64_t fee = chance(5) ? 0 : 1 + below(3);
        auto tx = make_tx(sender, nonce, fee, body(sender));
        if (chance(3)) tx.sender_signature.data[below(64)] ^= 0x01;
        return tx;
    }

  private:
    std::uint64_t amount() {
        switch (below(4)) {
            case 0:
                return below(10);
            case 1:
                return below(2'000);
            case 2:
                return below(20'000);
            default:
                return chance(50) ? ~std::uint64_t{0} : below(200'000);
        }
    }
    const crypto::key_pair& any_key() { return senders_[below(senders_.size())]; }
    account_address any_address() { return ledger_fixture::address(any_key()); }
    database_id any_database() {
        const auto& dbs = f_.chain.databases();
        if (dbs.empty() || chance(10)) {
            database_id id;
            id.data.fill(static_cast<std::uint8_t>(below(256)));
            return id;
        }
        auto at = dbs.begin();
        std::advance(at, static_cast<long>(below(dbs.size())));
        return at->first;
    }
    const crypto::key_pair& member_or_any(const database_id& db) {
        const auto* members = f_.chain.members(db);
        if (members && !chance(15)) return f_.key_of((*members)[below(members->size())]);
        return f_.miner_keys[below(f_.miner_keys.size())];
    }

    body_type body(const crypto::key_pair& sender) {
        switch (below(13)) {
            case 0:
                return tx::transfer{any_address(), amount()};
            case 1:
                return tx::stake{amount()};
            case 2:
                return tx::unstake{amount()};
            case 3: {
                std::vector<account_address> picks;
                for (int i = 0; i < 2; ++i) picks.push_back(any_address());
                std::sort(picks.begin(), picks.end());
                picks.erase(std::unique(picks.begin(), picks.end()), picks.end());
                return tx::vote_producers{picks};
            }
            case 4: {
                auto r = f_.registration(sender, below(5), 1 + static_cast<std::uint32_t>(below(3)),
                                         chance(80) ? 1'000 + below(3'000) : below(1'000));
                if (chance(10)) r.pow_nonce += 1;  // most likely no longer enough work
                return r;
            }
            case 5:
                return tx::miner_exit{};
            case 6: {
                tx::create_database c;
                c.miner_count = static_cast<std::uint32_t>(below(5));
                c.advance_payment = amount();
                return c;
            }
            case 7:
                return tx::drop_database{any_database()};
            case 8: {
                const role r = static_cast<role>(below(3));
                return tx::grant_role{any_database(), any_address(), r};
            }
            case 9:
                return tx::revoke_role{any_database(), any_address()};
            case 10: {
                const auto db = any_database();
                const auto view = f_.chain.view(db);
                const view_number v{(view ? view->value : 0) + (chance(20) ? 1 : 0)};
                return f_.suspicion(db, v, member_or_any(db));
            }
            case 11: {
                const auto db = any_database();
                std::vector<public_key> signers;
                if (const auto* members = f_.chain.members(db))
                    for (const auto& m : *members)
                        if (chance(80)) signers.push_back(m);
                const auto* record = f_.chain.database(db);
                const std::uint64_t h =
                    (record && record->checkpoint_height ? record->checkpoint_height->value : 0) +
                    below(3);
                return f_.checkpoint(db, h, {below(500), below(500)}, signers);
            }
            default: {
                const auto db = any_database();
                const auto& k = member_or_any(db);
                auto make = [&](std::uint8_t batch) {
                    vote v;
                    v.database = db;
                    v.seq = sequence_number{below(3)};
                    v.batch_hash.data.fill(batch);
                    v.voter = k.public_key();
                    v.sign(k);
                    return v;
                };
                return tx::evidence{tx::conflicting_votes{make(1), make(chance(80) ? 2 : 1)}};
            }
        }
    }

    ledger_fixture& f_;
    std::mt19937_64 rng_;
    std::vector<crypto::key_pair> senders_;
};

BOOST_AUTO_TEST_SUITE(properties)

BOOST_AUTO_TEST_CASE(tokens_are_conserved_and_replicas_agree) {
    ledger_fixture a;
    ledger_fixture b;
    a.register_miners(3, {2, 1, 3});
    b.register_miners(3, {2, 1, 3});
    const std::uint64_t total = a.chain.total_tokens();
    random_traffic traffic(a, 20240501);

    std::size_t applied = 0;
    std::size_t refused = 0;
    std::map<int, std::size_t> refusals;
    std::map<std::size_t, std::size_t> applied_kinds;  // by transaction body index
    std::size_t view_changes = 0;
    for (int step = 0; step < 4'000; ++step) {
        if (step % 25 == 0) {
            a.height = b.height = block_height{a.height.value + 1 + traffic.below(4)};
            a.chain.release_matured(a.height);
            b.chain.release_matured(b.height);
        }
        const auto tx = traffic.next();
        const digest before = a.chain.state_root();
        const auto out_a = a.chain.apply(tx, a.height);
        const auto out_b = b.chain.apply(tx, b.height);
        BOOST_TEST_REQUIRE(out_a.ok() == out_b.ok());
        if (out_a.ok()) {
            ++applied;
            ++applied_kinds[tx.body.index()];
            if (out_a->view_change) ++view_changes;
        } else {
            ++refused;
            ++refusals[out_a.failure().code.value()];
            BOOST_TEST_REQUIRE((a.chain.state_root() == before), out_a.failure().message());
        }
        BOOST_TEST_REQUIRE(a.chain.total_tokens() == total);
        if (step % 100 == 0) BOOST_TEST_REQUIRE((a.chain.state_root() == b.chain.state_root()));
    }
    BOOST_TEST((a.chain.state_root() == b.chain.state_root()));
    BOOST_TEST_MESSAGE("applied " << applied << ", refused " << refused << ", databases "
                                  << a.chain.databases().size() << ", burned " << a.chain.burned()
                                  << ", view changes " << view_changes << ", kinds applied "
                                  << applied_kinds.size() << ", refusal reasons "
                                  << refusals.size());
    // The mix really exercises both sides and many rules.
    BOOST_TEST(applied > 1'000u);
    BOOST_TEST(refused > 1'000u);
    BOOST_TEST(refusals.size() >= 10u);
    BOOST_TEST(applied_kinds.size() >= 12u);
    BOOST_TEST(view_changes > 0u);

    // One transaction more on one side: the roots part.
    auto differing = a.submit(a.alice, tx::stake{1});
    if (!differing) differing = a.submit(a.carol, tx::stake{1}, 0);
    BOOST_TEST_REQUIRE(differing.ok());
    BOOST_TEST((a.chain.state_root() != b.chain.state_root()));
    BOOST_TEST(a.chain.total_tokens() == total);
}

BOOST_AUTO_TEST_CASE(state_root_tracks_each_difference) {
    ledger_fixture a;
    ledger_fixture b;
    BOOST_TEST((a.chain.state_root() == b.chain.state_root()));
    a.accept(a.alice, tx::transfer{ledger_fixture::address(a.bob), 5});
    b.accept(b.alice, tx::transfer{ledger_fixture::address(b.bob), 5});
    BOOST_TEST((a.chain.state_root() == b.chain.state_root()));
    a.accept(a.alice, tx::transfer{ledger_fixture::address(a.bob), 5});
    b.accept(b.alice, tx::transfer{ledger_fixture::address(b.bob), 6});
    BOOST_TEST((a.chain.state_root() != b.chain.state_root()));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace covenant::test
