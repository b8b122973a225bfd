// Tests of the block producers' consensus state machine (protocols/main_chain/producer):
// four producers in one process, a message pump that delivers every output message to the
// other producers (or drops it), virtual time.
#define BOOST_TEST_MODULE producer
#include <boost/test/unit_test.hpp>

#include <deque>
#include <functional>
#include <map>
#include <set>

#include "protocols/codec.hpp"
#include "protocols/main_chain/producer.hpp"
#include "sample_messages.hpp"

using namespace covenant;
using namespace covenant::main_chain;
using covenant::test::test_key;

namespace {

protocols::transaction transfer(const crypto::key_pair& from, std::uint64_t nonce,
                                const crypto::key_pair& to, std::uint64_t amount) {
    protocols::transaction tx;
    tx.sender = from.public_key();
    tx.nonce = account_nonce{nonce};
    tx.fee = 1;
    tx.body = protocols::tx::transfer{crypto::address_of(to.public_key()), amount};
    tx.sign(from);
    return tx;
}

struct network {
    std::vector<crypto::key_pair> keys;
    std::vector<producer> producers;
    std::vector<std::vector<protocols::main_block>> finals;  // per producer
    std::vector<producer_evidence> evidence;
    std::deque<std::pair<std::size_t, producer_message>> queue;
    std::set<std::size_t> crashed;
    // Byzantine hook: may replace a producer's outgoing message by per-recipient messages.
    std::function<bool(std::size_t from, const producer_message&)> intercept;
    std::int64_t now = 0;
    std::uint64_t genesis_tokens = 0;

    network() {
        genesis g;
        g.allocations[crypto::address_of(test_key(1).public_key())] = 100'000;
        g.allocations[crypto::address_of(test_key(2).public_key())] = 50'000;
        producer_config cfg;
        for (std::uint8_t i = 21; i <= 24; ++i) {
            keys.push_back(test_key(i));
            cfg.producers.push_back(keys.back().public_key());
        }
        g.initial_producers = cfg.producers;
        cfg.block_interval_ms = 100;
        cfg.round_timeout_ms = 1000;
        cfg.transactions_per_block_max = 8;
        auto l = ledger::from_genesis(g);
        BOOST_REQUIRE(l.ok());
        genesis_tokens = l.value().total_tokens();
        for (auto& k : keys) producers.emplace_back(k, cfg, l.value());
        finals.resize(keys.size());
        for (std::size_t i = 0; i < producers.size(); ++i) handle(i, producers[i].start(now));
    }

    void send(std::size_t to, producer_message m) { queue.emplace_back(to, std::move(m)); }

    void handle(std::size_t from, producer_output out) {
        for (auto& b : out.finalized) finals[from].push_back(std::move(b));
        for (auto& e : out.evidence) evidence.push_back(std::move(e));
        if (crashed.count(from)) return;
        for (auto& m : out.messages) {
            if (intercept && intercept(from, m)) continue;
            for (std::size_t to = 0; to < producers.size(); ++to)
                if (to != from) send(to, m);
        }
    }

    void pump() {
        while (!queue.empty()) {
            auto [to, m] = std::move(queue.front());
            queue.pop_front();
            if (crashed.count(to)) continue;
            handle(to, producers[to].on_message(m, now));
        }
    }

    void run(std::int64_t ms) {
        for (std::int64_t end = now + ms; now < end;) {
            pump();
            now += 10;
            for (std::size_t i = 0; i < producers.size(); ++i)
                if (!crashed.count(i)) handle(i, producers[i].on_tick(now));
        }
        pump();
    }

    void submit(std::size_t at, const protocols::transaction& tx) {
        handle(at, producers[at].on_transaction(tx, now));
    }

    // Every producer's chain: hash-linked, decodable, >= q finality signatures, and the
    // same block at each height across the (honest) producers given.
    void check_chains(const std::set<std::size_t>& honest) {
        std::map<std::uint64_t, digest> by_height;
        for (auto i : honest) {
            digest parent{};
            std::uint64_t h = 0;
            for (const auto& b : finals[i]) {
                BOOST_TEST(b.header.height.value == h + 1);
                BOOST_TEST((b.header.parent == parent));
                BOOST_TEST(b.finality.size() >= 3u);
                auto decoded = protocols::decode_main_block(protocols::encode(b));
                BOOST_TEST_REQUIRE(decoded.ok(), (decoded.ok() ? std::string() : decoded.failure().message()));
                BOOST_TEST((decoded.value() == b));
                auto [at, fresh] = by_height.emplace(b.header.height.value, b.hash());
                BOOST_TEST((fresh || at->second == b.hash()), "fork at height " << h + 1);
                parent = b.hash();
                h = b.header.height.value;
            }
            BOOST_TEST(producers[i].state().total_tokens() == genesis_tokens);
        }
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(transactions_become_final_everywhere) {
    network net;
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 1; n <= 20; ++n) {
        net.submit(n % 4, transfer(alice, n, bob, 10));
        net.run(30);
    }
    net.run(3000);
    net.check_chains({0, 1, 2, 3});
    const auto bob_address = crypto::address_of(bob.public_key());
    std::size_t txs = 0;
    for (const auto& b : net.finals[0]) txs += b.transactions.size();
    BOOST_TEST(txs == 20u);
    BOOST_TEST(net.finals[0].size() >= 5u);
    for (auto& p : net.producers) {
        BOOST_TEST(p.state().balance_of(bob_address) == 50'000u + 200u);
        BOOST_TEST((p.state().state_root() == net.producers[0].state().state_root()));
        BOOST_TEST(p.mempool_size() == 0u);
    }
    // Same state root after each height: the headers agree and each producer's chain is
    // the same sequence of blocks (checked above).
    for (std::size_t i = 1; i < 4; ++i) {
        const auto n = std::min(net.finals[0].size(), net.finals[i].size());
        for (std::size_t k = 0; k < n; ++k)
            BOOST_TEST((net.finals[i][k].header.state_root == net.finals[0][k].header.state_root));
    }
    BOOST_TEST(net.evidence.empty());
}

BOOST_AUTO_TEST_CASE(crashed_producer_is_skipped) {
    network net;
    net.crashed.insert(1);
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 1; n <= 10; ++n) {
        net.submit(0, transfer(alice, n, bob, 5));
        net.run(200);
    }
    net.run(10'000);
    net.check_chains({0, 2, 3});
    BOOST_TEST(net.finals[0].size() >= 8u);
    BOOST_TEST(net.finals[1].empty());
    BOOST_TEST(net.producers[0].stats().round_changes > 0u);
    for (auto i : {0, 2, 3}) {
        BOOST_TEST(net.producers[i].state().balance_of(crypto::address_of(bob.public_key())) ==
                   50'000u + 50u);
        BOOST_TEST(net.producers[i].height().value == net.producers[0].height().value);
    }
    // Blocks of the crashed producer's turns came from later rounds.
    bool later_round = false;
    for (const auto& b : net.finals[0]) later_round |= b.header.round.value > 0;
    BOOST_TEST(later_round);
}

BOOST_AUTO_TEST_CASE(equivocating_proposer_does_not_fork) {
    network net;
    bool done = false;
    const auto byz = net.keys[0];
    net.intercept = [&](std::size_t from, const producer_message& m) {
        if (from != 0 || done) return false;
        const auto* block = std::get_if<protocols::main_block>(&m.body);
        if (block == nullptr || !block->finality.empty()) return false;
        done = true;
        // Block A to producer 1, block B (another timestamp) to producers 2 and 3, and the
        // Byzantine producer's vote for B to them as well.
        protocols::main_block b = *block;
        b.header.timestamp_ms += 1;
        b.sign_proposal(byz);
        net.send(1, m);
        net.send(2, {b});
        net.send(3, {b});
        block_vote v{b.header.height, b.header.round, b.hash(), byz.public_key(),
                     byz.sign(crypto::sign_domain::main_block_vote, b.hash().view())};
        net.send(2, {v});
        net.send(3, {v});
        return true;
    };
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 1; n <= 10; ++n) {
        net.submit(1 + n % 3, transfer(alice, n, bob, 7));
        net.run(100);
    }
    net.run(5000);
    BOOST_TEST(done);
    net.check_chains({1, 2, 3});
    BOOST_TEST(net.finals[1].size() >= 6u);
    BOOST_TEST(!net.evidence.empty());
    bool proposal_evidence = false;
    for (const auto& e : net.evidence) {
        BOOST_TEST(e.valid());
        BOOST_TEST((e.offender == byz.public_key()));
        proposal_evidence |= e.what == producer_evidence::kind::proposal;
    }
    BOOST_TEST(proposal_evidence);
    for (auto i : {1, 2, 3})
        BOOST_TEST(net.producers[i].state().balance_of(crypto::address_of(bob.public_key())) ==
                   50'000u + 70u);
}
