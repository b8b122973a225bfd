// The shared ledger fixture of the main-chain tests.
#include "ledger_fixture.hpp"

#include "crypto/node_id.hpp"

namespace covenant::test {

using namespace protocols;
using main_chain::ledger_errc;

main_chain::chain_parameters test_parameters() {
    main_chain::chain_parameters p;
    p.minimum_fee = 1;
    p.unstake_delay = 10;
    p.miner_exit_delay = 20;
    p.minimum_miner_deposit = 1'000;
    p.node_id_difficulty = 4;
    return p;
}

transaction make_tx(const crypto::key_pair& key, account_nonce nonce, std::uint64_t fee,
                    body_type body) {
    transaction tx;
    tx.sender = key.public_key();
    tx.nonce = nonce;
    tx.fee = fee;
    tx.body = std::move(body);
    tx.sign(key);
    return tx;
}

namespace {
main_chain::ledger make_chain() {
    main_chain::genesis g;
    g.parameters = test_parameters();
    g.allocations[crypto::address_of(test_key(1).public_key())] = 100'000;
    g.allocations[crypto::address_of(test_key(2).public_key())] = 50'000;
    g.allocations[crypto::address_of(test_key(3).public_key())] = 1'000;
    for (std::uint8_t i = 11; i <= 16; ++i)
        g.allocations[crypto::address_of(test_key(i).public_key())] = 10'000;
    g.initial_producers = {test_key(1).public_key()};
    auto made = main_chain::ledger::from_genesis(g);
    BOOST_TEST_REQUIRE(made.ok());
    return std::move(made).value();
}
}  // namespace

ledger_fixture::ledger_fixture() : chain(make_chain()) {
    for (std::uint8_t i = 11; i <= 16; ++i) miner_keys.push_back(test_key(i));
}

const crypto::key_pair& ledger_fixture::key_of(const public_key& pk) const {
    auto known = known_keys_.find(pk);
    if (known != known_keys_.end()) return known->second;
    for (int i = 1; i <= 64; ++i) {
        auto k = test_key(static_cast<std::uint8_t>(i));
        if (k.public_key() == pk) return known_keys_.emplace(pk, k).first->second;
    }
    BOOST_FAIL("no test key for " + pk.hex());
    return miner_keys.front();
}

result<main_chain::apply_outcome> ledger_fixture::submit(const crypto::key_pair& sender,
                                                         body_type body, std::uint64_t fee) {
    return chain.apply(make_tx(sender, chain.next_nonce(address(sender)), fee, std::move(body)),
                       height);
}

main_chain::apply_outcome ledger_fixture::accept(const crypto::key_pair& sender, body_type body,
                                                 std::uint64_t fee) {
    auto out = submit(sender, std::move(body), fee);
    if (!out) BOOST_FAIL("transaction refused: " + out.failure().message());
    return out.value();
}

void ledger_fixture::expect_refused(const transaction& tx, ledger_errc code) {
    const digest before = chain.state_root();
    const std::uint64_t tokens = chain.total_tokens();
    auto out = chain.apply(tx, height);
    BOOST_TEST_REQUIRE(!out.ok());
    BOOST_TEST(out.failure().code == make_error_code(code), out.failure().message());
    BOOST_TEST(!out.failure().detail.empty());
    BOOST_TEST(chain.state_root() == before, "a refused transaction changed the state");
    BOOST_TEST(chain.total_tokens() == tokens);
}

void ledger_fixture::expect_refused(const crypto::key_pair& sender, body_type body,
                                    ledger_errc code, std::uint64_t fee) {
    expect_refused(make_tx(sender, chain.next_nonce(address(sender)), fee, std::move(body)), code);
}

tx::register_miner ledger_fixture::registration(const crypto::key_pair& miner, std::uint64_t price,
                                                std::uint32_t capacity,
                                                std::uint64_t deposit) const {
    auto mined = crypto::mine_node_id(miner.public_key(), chain.parameters().node_id_difficulty, 0,
                                      1u << 20);
    BOOST_TEST_REQUIRE(mined.has_value());
    tx::register_miner r;
    r.pow_nonce = mined->nonce;
    r.deposit = deposit;
    r.capacity = capacity;
    r.price_per_statement = price;
    r.endpoint = "miner.example:4661";
    return r;
}

void ledger_fixture::register_miners(std::size_t n, std::vector<std::uint64_t> prices) {
    for (std::size_t i = 0; i < n; ++i)
        accept(miner_keys[i], registration(miner_keys[i], i < prices.size() ? prices[i] : 10));
}

database_id ledger_fixture::create_database(std::uint32_t miners, std::uint64_t payment) {
    tx::create_database c;
    c.miner_count = miners;
    c.advance_payment = payment;
    auto out = accept(alice, c);
    BOOST_TEST_REQUIRE(out.created_database.has_value());
    return *out.created_database;
}

tx::suspect_leader ledger_fixture::suspicion(const database_id& db, view_number view,
                                             const crypto::key_pair& member) const {
    suspect_message s;
    s.database = db;
    s.view = view;
    s.last_committed = sequence_number{0};
    s.member = member.public_key();
    s.sign(member);
    return tx::suspect_leader{s};
}

tx::shard_checkpoint ledger_fixture::checkpoint(const database_id& db, std::uint64_t h,
                                                std::vector<std::uint64_t> costs,
                                                const std::vector<public_key>& signers) const {
    tx::shard_checkpoint c;
    c.database = db;
    c.height = block_height{h};
    c.head_hash.data.fill(static_cast<std::uint8_t>(h));
    c.state_digest.data.fill(static_cast<std::uint8_t>(h + 1));
    for (std::size_t i = 0; i < costs.size(); ++i) {
        billing_line line;
        line.user.data.fill(static_cast<std::uint8_t>(i + 1));
        line.statements = costs[i];
        line.cost = costs[i];
        c.billing.push_back(line);
    }
    const bytes signed_bytes = c.checkpoint_signing_bytes();
    std::vector<public_key> sorted = signers;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& pk : sorted)
        c.signatures.push_back(
            {pk, key_of(pk).sign(crypto::sign_domain::shard_checkpoint, signed_bytes)});
    return c;
}

}  // namespace covenant::test
