// Tests of the block producers' consensus state machine (protocols/main_chain/producer,
// Tendermint's two vote phases): four producers in one process, a message pump that
// delivers every output message to the other producers -- at once, or with seeded loss,
// duplication and delay -- virtual time, and Byzantine producers whose outgoing messages the
// test rewrites. Outcomes are asserted: the same final blocks at every honest producer, the
// heights reached, tokens conserved, the evidence produced.
#define BOOST_TEST_MODULE producer
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "protocols/codec.hpp"
#include "protocols/group.hpp"
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

const block_proposal* proposal_in(const producer_message& m) {
    return std::get_if<block_proposal>(&m.body);
}
const block_vote* vote_in(const producer_message& m) { return std::get_if<block_vote>(&m.body); }

digest filled(std::uint8_t b) {
    digest d;
    d.data.fill(b);
    return d;
}

struct network {
    std::vector<crypto::key_pair> keys;
    producer_config config;
    std::vector<public_key> producer_set;
    std::optional<ledger> genesis_state;
    std::vector<producer> producers;
    std::vector<std::vector<protocols::main_block>> finals;  // per producer
    std::vector<producer_evidence> evidence;
    struct in_flight {
        std::size_t to;
        producer_message message;
    };
    std::map<std::pair<std::int64_t, std::uint64_t>, in_flight> queue;  // by (due, sent)
    std::uint64_t sent = 0;
    std::set<std::size_t> crashed;
    // Byzantine hook: may replace a producer's outgoing message (true: the hook sent what
    // it wanted instead, with send()).
    std::function<bool(std::size_t from, const producer_message&)> intercept;
    // Link filter: false drops the message on the link from -> to.
    std::function<bool(std::size_t from, std::size_t to, const producer_message&)> link;
    // Seeded faults on every link, when rng is set.
    std::optional<std::mt19937_64> rng;
    double loss = 0, duplication = 0;
    std::int64_t delay_max_ms = 0;
    std::int64_t now = 0;
    std::uint64_t genesis_tokens = 0;

    explicit network(const std::function<void(producer_config&)>& tune = {}) {
        genesis g;
        g.allocations[crypto::address_of(test_key(1).public_key())] = 100'000;
        g.allocations[crypto::address_of(test_key(2).public_key())] = 50'000;
        for (std::uint8_t i = 21; i <= 24; ++i) {
            keys.push_back(test_key(i));
            g.initial_producers.push_back(keys.back().public_key());
        }
        producer_set = g.initial_producers;
        config.block_interval_ms = 100;
        config.propose_timeout_ms = 1000;
        config.prevote_timeout_ms = 300;
        config.precommit_timeout_ms = 300;
        config.timeout_step_ms = 200;
        config.resend_interval_ms = 1000;
        config.transactions_per_block_max = 8;
        if (tune) tune(config);
        auto l = ledger::from_genesis(g);
        BOOST_REQUIRE(l.ok());
        genesis_state = l.value();
        genesis_tokens = l.value().total_tokens();
        for (auto& k : keys) producers.emplace_back(k, config, l.value());
        finals.resize(keys.size());
        for (std::size_t i = 0; i < producers.size(); ++i) handle(i, producers[i].start(now));
    }

    void send(std::size_t from, std::size_t to, producer_message m) {
        if (link && !link(from, to, m)) return;
        int copies = 1;
        if (rng) {
            std::uniform_real_distribution<double> chance(0, 1);
            if (chance(*rng) < loss) return;
            if (chance(*rng) < duplication) copies = 2;
        }
        for (int c = 0; c < copies; ++c) {
            std::int64_t due = now;
            if (rng && delay_max_ms > 0)
                due += std::uniform_int_distribution<std::int64_t>(0, delay_max_ms)(*rng);
            queue.emplace(std::make_pair(due, sent++), in_flight{to, m});
        }
    }

    void handle(std::size_t from, producer_output out) {
        for (auto& b : out.finalized) finals[from].push_back(std::move(b));
        for (auto& e : out.evidence) evidence.push_back(std::move(e));
        for (auto& m : out.messages) {
            if (crashed.count(from)) return;  // (an intercept may crash it mid-output)
            if (intercept && intercept(from, m)) continue;
            for (std::size_t to = 0; to < producers.size(); ++to)
                if (to != from) send(from, to, m);
        }
    }

    // Delivers `m` to `to` at once, ahead of everything in flight (the adversary's
    // scheduling).
    void deliver_now(std::size_t to, const producer_message& m) {
        if (!crashed.count(to)) handle(to, producers[to].on_message(m, now));
    }

    // Delivers every message due by now, in due order (those sent meanwhile too).
    void pump() {
        while (!queue.empty() && queue.begin()->first.first <= now) {
            in_flight next = std::move(queue.begin()->second);
            queue.erase(queue.begin());
            if (crashed.count(next.to)) continue;
            handle(next.to, producers[next.to].on_message(next.message, now));
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

    std::uint64_t min_final(const std::set<std::size_t>& among) const {
        std::uint64_t least = UINT64_MAX;
        for (auto i : among) least = std::min<std::uint64_t>(least, finals[i].size());
        return least;
    }

    const crypto::key_pair& key_of(const public_key& k) const {
        for (const auto& key : keys)
            if (key.public_key() == k) return key;
        BOOST_FAIL("not a producer key");
        return keys.front();
    }

    // Every producer's chain: hash-linked, decodable, a quorum of valid precommits of one
    // round (the finality round, not before the block's own round) as finality signatures,
    // and the same block at each height across the (honest) producers given.
    void check_chains(const std::set<std::size_t>& honest) {
        const protocols::group set(producer_set);
        std::map<std::uint64_t, digest> by_height;
        for (auto i : honest) {
            digest parent{};
            std::uint64_t h = 0;
            for (const auto& b : finals[i]) {
                BOOST_TEST(b.header.height.value == h + 1);
                BOOST_TEST((b.header.parent == parent));
                BOOST_TEST((b.finality_round >= b.header.round));
                const auto fault = protocols::signer_set_fault(
                    b.finality, set, set.quorum(), crypto::sign_domain::main_precommit,
                    b.finality_signing_bytes());
                BOOST_TEST(!fault.has_value(), "height " << h + 1 << ": " << fault.value_or(""));
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

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* value = std::getenv(name);
    return value ? std::strtoull(value, nullptr, 10) : fallback;
}

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
        // Nothing fails: every height decides in round 0, nothing is re-sent.
        BOOST_TEST(p.stats().round_changes == 0u);
        BOOST_TEST(p.stats().messages_refused == 0u, p.stats().last_refusal);
    }
    for (const auto& b : net.finals[0]) BOOST_TEST(b.finality_round.value == 0u);
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
    for (const auto& b : net.finals[0]) {
        later_round |= b.header.round.value > 0;
        BOOST_TEST((b.header.proposer != net.keys[1].public_key()));
    }
    BOOST_TEST(later_round);
}

// The proposer of a height crashes right after its proposal reached one producer: that
// producer prevotes it, the others time out and prevote nil, the round ends with nil
// precommits, and the next round's proposer decides the height.
BOOST_AUTO_TEST_CASE(proposer_crashing_mid_proposal_is_skipped) {
    network net;
    const std::uint64_t crash_height = 6;  // proposer(6, 0) is producer 2
    bool crashed = false;
    net.intercept = [&](std::size_t from, const producer_message& m) {
        const auto* p = proposal_in(m);
        if (from != 2 || p == nullptr || p->height().value != crash_height) return false;
        net.send(2, 0, m);
        net.crashed.insert(2);
        crashed = true;
        return true;
    };
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 1; n <= 12; ++n) {
        net.submit(n % 2 == 0 ? 0 : 3, transfer(alice, n, bob, 3));
        net.run(250);
    }
    net.run(8'000);
    BOOST_TEST(crashed);
    net.check_chains({0, 1, 3});
    BOOST_TEST_REQUIRE(net.min_final({0, 1, 3}) >= crash_height + 4);
    const auto& decided = net.finals[0][crash_height - 1];
    BOOST_TEST(decided.header.round.value >= 1u);
    BOOST_TEST((decided.header.proposer != net.keys[2].public_key()));
    for (auto i : {0, 1, 3})
        BOOST_TEST(net.producers[i].state().balance_of(crypto::address_of(bob.public_key())) ==
                   50'000u + 36u);
    BOOST_TEST(net.evidence.empty());
}

// The equivocation that stalled the one-vote-phase design: a Byzantine proposer sends
// block A to two honest producers and block B to the third, and never votes. No block gets
// a polka, the round ends with nil precommits, and the next proposer's round decides: the
// chain goes on. The honest producers learn both blocks (a vote for another block than the
// proposal held makes a producer re-send that proposal) and report the double proposal.
BOOST_AUTO_TEST_CASE(equivocating_proposer_cannot_stall_a_height) {
    network net;
    const auto byz = net.keys[0];
    std::set<std::uint64_t> equivocated;  // heights
    net.intercept = [&](std::size_t from, const producer_message& m) {
        if (from != 0) return false;
        if (vote_in(m) != nullptr) return true;  // withholds every vote
        const auto* p = proposal_in(m);
        if (p == nullptr || p->valid_round || p->proposer != byz.public_key()) return false;
        block_proposal b = *p;
        b.block.header.timestamp_ms += 1;
        b.block.sign_proposal(byz);
        b.sign(byz);
        net.send(0, 1, m);
        net.send(0, 2, m);
        net.send(0, 3, {b});
        equivocated.insert(p->height().value);
        return true;
    };
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 1; n <= 10; ++n) {
        net.submit(1 + n % 3, transfer(alice, n, bob, 7));
        net.run(300);
    }
    net.run(6000);
    BOOST_TEST(equivocated.size() >= 2u);
    net.check_chains({1, 2, 3});
    const auto reached = net.min_final({1, 2, 3});
    BOOST_TEST(reached >= 13u);
    // Every equivocated height below the honest producers' head was decided, by another
    // proposer in a later round: neither A nor B.
    std::set<std::uint64_t> passed;
    for (auto h : equivocated) {
        if (h > reached) continue;
        passed.insert(h);
        const auto& b = net.finals[1][h - 1];
        BOOST_TEST(b.header.round.value >= 1u);
        BOOST_TEST((b.header.proposer != byz.public_key()));
    }
    BOOST_TEST(passed.size() >= 2u);
    // Evidence: every report is valid and names the Byzantine proposer, and each
    // equivocated height that was passed is reported.
    std::set<std::uint64_t> reported;
    for (const auto& e : net.evidence) {
        BOOST_TEST(e.valid());
        BOOST_TEST((e.offender() == byz.public_key()));
        BOOST_TEST((e.what() == producer_evidence::kind::proposal));
        if (const auto* p = std::get_if<producer_evidence::proposals>(&e.proof))
            reported.insert(p->first.height.value);
        auto decoded = protocols::decode_producer_evidence(protocols::encode(e));
        BOOST_TEST(decoded.ok());
    }
    for (auto h : passed) BOOST_TEST(reported.count(h) == 1u, "height " << h << " reported");
    for (auto i : {1, 2, 3})
        BOOST_TEST(net.producers[i].state().balance_of(crypto::address_of(bob.public_key())) ==
                   50'000u + 70u);
}

// A Byzantine voter sends each prevote and precommit to one producer, a conflicting vote
// (nil for a block, a made-up block for nil) to another, and both to the third, ahead of
// the other messages in flight: the honest quorum decides, nobody forks, and the double
// prevotes and precommits are reported.
BOOST_AUTO_TEST_CASE(double_voting_producer_is_reported_and_forks_nothing) {
    network net;
    const auto byz = net.keys[3];
    std::size_t doubled = 0;
    net.intercept = [&](std::size_t from, const producer_message& m) {
        const auto* v = vote_in(m);
        if (from != 3 || v == nullptr || v->signer != net.keys[3].public_key()) return false;
        block_vote other = *v;
        if (other.block_hash) other.block_hash.reset();
        else other.block_hash = filled(0x77);
        other.sign(byz);
        net.deliver_now(0, m);
        net.deliver_now(0, {other});
        net.send(3, 1, m);
        net.send(3, 2, {other});
        ++doubled;
        return true;
    };
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 1; n <= 10; ++n) {
        net.submit(n % 3, transfer(alice, n, bob, 4));
        net.run(150);
    }
    net.run(3000);
    BOOST_TEST(doubled > 0u);
    net.check_chains({0, 1, 2});
    BOOST_TEST(net.min_final({0, 1, 2}) >= 10u);
    std::set<block_vote::kind> kinds;
    for (const auto& e : net.evidence) {
        BOOST_TEST(e.valid());
        BOOST_TEST((e.offender() == byz.public_key()));
        BOOST_TEST_REQUIRE((e.what() == producer_evidence::kind::vote));
        const auto& pair = std::get<producer_evidence::votes>(e.proof);
        BOOST_TEST((pair.first.height == pair.second.height && pair.first.round == pair.second.round));
        kinds.insert(pair.first.what);
        BOOST_TEST(protocols::decode_producer_evidence(protocols::encode(e)).ok());
    }
    BOOST_TEST(kinds.count(block_vote::kind::prevote) == 1u);
    BOOST_TEST(kinds.count(block_vote::kind::precommit) == 1u);
    for (auto i : {0, 1, 2})
        BOOST_TEST(net.producers[i].state().balance_of(crypto::address_of(bob.public_key())) ==
                   50'000u + 40u);
}

// Only producer 1 sees the polka for block A in round 0 of height 4 (the links drop the
// other prevotes it would take): it locks on A and precommits it, the others precommit nil,
// and round 0 ends undecided. In round 1 producer 1 proposes A again, with valid round 0 and
// the polka's prevotes, and everyone decides A: a block of round 0 final in round 1.
BOOST_AUTO_TEST_CASE(a_polka_is_proposed_again_in_the_next_round) {
    network net;
    const std::uint64_t h0 = 4;  // proposer(4, 0) = producer 0, proposer(4, 1) = producer 1
    net.link = [&](std::size_t from, std::size_t to, const producer_message& m) {
        if (const auto* p = proposal_in(m); p && p->height().value == h0 && p->round.value == 0)
            return to != 3;  // producer 3 never gets round 0's proposal
        const auto* v = vote_in(m);
        if (v == nullptr || v->height.value != h0 || v->round.value != 0 ||
            v->what != block_vote::kind::prevote)
            return true;
        // While the sender is in round 0 (later, producer 1 sends the polka on).
        if (net.producers[from].height().value != h0 || net.producers[from].round().value != 0)
            return true;
        static const std::set<std::pair<std::size_t, std::size_t>> dropped{{1, 0}, {1, 2}, {2, 3}};
        return dropped.count({from, to}) == 0;
    };
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 1; n <= 8; ++n) {
        net.submit(n % 4, transfer(alice, n, bob, 2));
        net.run(200);
    }
    net.run(4000);
    net.check_chains({0, 1, 2, 3});
    BOOST_TEST_REQUIRE(net.min_final({0, 1, 2, 3}) >= h0 + 2);
    for (std::size_t i = 0; i < 4; ++i) {
        const auto& b = net.finals[i][h0 - 1];
        BOOST_TEST(b.header.round.value == 0u);
        BOOST_TEST((b.header.proposer == net.keys[0].public_key()));
        BOOST_TEST(b.finality_round.value == 1u);
        BOOST_TEST(!net.producers[i].locked_round().has_value());  // unlocked above h0
    }
    BOOST_TEST(net.producers[1].stats().blocks_reproposed == 1u);
    for (auto i : {0, 2, 3}) BOOST_TEST(net.producers[i].stats().blocks_reproposed == 0u);
    BOOST_TEST(net.evidence.empty());
    for (auto& p : net.producers)
        BOOST_TEST(p.state().balance_of(crypto::address_of(bob.public_key())) == 50'000u + 16u);
}

// The lock is what keeps a block that may be final: at height 4 producer 0 decides A in
// round 0 from the precommits of 2 and 3, then crashes before anyone gets its precommit or
// its final block. Producer 1 never saw A (so it is not locked) and proposes a new block B
// in round 1; 2 and 3 are locked on A and prevote nil, so B gets no polka. In round 2
// producer 2 proposes A again with its polka, and 1, 2 and 3 decide A too: no fork.
// (Without the lock, 1, 2 and 3 would decide B.)
BOOST_AUTO_TEST_CASE(locked_producers_keep_a_block_that_may_be_final) {
    network net;
    const std::uint64_t h0 = 4;  // proposers: round 0 producer 0, round 1 producer 1, round 2 producer 2
    const auto decider = net.keys[0].public_key();
    net.link = [&](std::size_t from, std::size_t to, const producer_message& m) {
        if (const auto* p = proposal_in(m); p && p->height().value == h0 && p->round.value == 0)
            return to != 1;  // producer 1 never gets A in round 0
        const auto* v = vote_in(m);
        if (v == nullptr || v->height.value != h0 || v->round.value != 0) return true;
        if (v->what == block_vote::kind::prevote) return !(from == 3 && to == 1);  // no polka at 1
        return v->signer != decider;  // nobody gets producer 0's precommit
    };
    net.intercept = [&](std::size_t from, const producer_message& m) {
        const auto* b = std::get_if<protocols::main_block>(&m.body);
        if (from != 0 || b == nullptr || b->header.height.value != h0) return false;
        net.crashed.insert(0);  // decided, and gone before telling anyone
        return true;
    };
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 1; n <= 8; ++n) {
        net.submit(1 + n % 3, transfer(alice, n, bob, 3));
        net.run(200);
    }
    net.run(6000);
    BOOST_TEST_REQUIRE(net.crashed.count(0) == 1u);
    BOOST_TEST_REQUIRE(net.finals[0].size() == h0);  // final up to h0, then crashed
    const auto& decided = net.finals[0][h0 - 1];
    BOOST_TEST(decided.finality_round.value == 0u);
    net.check_chains({0, 1, 2, 3});  // one block per height, producer 0's A included
    BOOST_TEST_REQUIRE(net.min_final({1, 2, 3}) >= h0 + 2);
    for (auto i : {1, 2, 3}) {
        const auto& b = net.finals[i][h0 - 1];
        BOOST_TEST((b.hash() == decided.hash()));
        BOOST_TEST(b.finality_round.value == 2u);  // A again, in round 2
    }
    BOOST_TEST(net.producers[1].stats().blocks_proposed >= 1u);  // B, in round 1
    BOOST_TEST(net.producers[2].stats().blocks_reproposed == 1u);
    for (auto i : {1, 2, 3})
        BOOST_TEST(net.producers[i].state().balance_of(crypto::address_of(bob.public_key())) ==
                   50'000u + 24u);
}

// A producer that saw nothing takes the final blocks others send it: a block with a quorum
// of precommits of one round that validates is final; a certificate that mixes rounds, or
// is short of a quorum, is refused; a block of a later height waits for the ones below.
BOOST_AUTO_TEST_CASE(laggard_takes_final_blocks_with_one_round_certificates) {
    network net;
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 1; n <= 6; ++n) {
        net.submit(n % 4, transfer(alice, n, bob, 1));
        net.run(100);
    }
    net.run(500);
    const auto chain = net.finals[2];
    BOOST_TEST_REQUIRE(chain.size() >= 3u);

    producer late(net.keys[0], net.config, *net.genesis_state);
    late.start(net.now);
    auto out = late.on_block(chain[1], net.now);  // height 2 first: kept for later
    BOOST_TEST(out.finalized.empty());
    BOOST_TEST(late.height().value == 1u);

    auto mixed = chain[0];  // one precommit of the next round in a round-0 certificate
    auto& last = mixed.finality.back();
    last.sig = net.key_of(last.signer)
                   .sign(crypto::sign_domain::main_precommit,
                         protocols::producer_vote_signing_bytes(mixed.header.height,
                                                                mixed.finality_round.next(),
                                                                mixed.hash()));
    late.on_block(mixed, net.now);
    BOOST_TEST(late.height().value == 1u);
    BOOST_TEST(late.stats().last_refusal.find("bad signature") != std::string::npos,
               late.stats().last_refusal);

    auto relabelled = chain[0];  // the round changed under the signatures
    relabelled.finality_round = relabelled.finality_round.next();
    late.on_block(relabelled, net.now);
    BOOST_TEST(late.height().value == 1u);

    auto short_of_quorum = chain[0];
    short_of_quorum.finality.resize(2);
    late.on_block(short_of_quorum, net.now);
    BOOST_TEST(late.height().value == 1u);
    BOOST_TEST(late.stats().messages_refused == 3u);

    out = late.on_block(chain[0], net.now);
    BOOST_TEST_REQUIRE(out.finalized.size() == 2u);  // height 1, then the kept height 2
    BOOST_TEST((out.finalized[0].hash() == chain[0].hash()));
    BOOST_TEST((out.finalized[1].hash() == chain[1].hash()));
    BOOST_TEST(late.height().value == 3u);
    BOOST_TEST((late.state().state_root() == chain[1].header.state_root));
}

// Seeded sweep over lossy, duplicating, reordering links: for each seed a few hundred
// heights; no two producers ever finalize different blocks at one height, and every
// producer keeps finalizing (re-sent messages, round catch-up and final blocks re-sent to
// laggards carry it through). COVENANT_PRODUCER_SEEDS widens it.
BOOST_AUTO_TEST_CASE(lossy_links_never_fork_and_keep_finalizing) {
    const std::uint64_t seeds = env_or("COVENANT_PRODUCER_SEEDS", 4);
    const std::uint64_t heights = env_or("COVENANT_PRODUCER_HEIGHTS", 150);
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        BOOST_TEST_CONTEXT("seed " << seed) {
            network net([](producer_config& c) {
                c.block_interval_ms = 20;
                c.propose_timeout_ms = 200;
                c.prevote_timeout_ms = 100;
                c.precommit_timeout_ms = 100;
                c.timeout_step_ms = 50;
                c.resend_interval_ms = 150;
            });
            net.rng.emplace(seed);
            net.loss = 0.15;
            net.duplication = 0.1;
            net.delay_max_ms = 30;
            std::mt19937_64 submitter(seed * 7919);
            std::uint64_t nonce = 0;
            const std::int64_t limit_ms = static_cast<std::int64_t>(heights) * 4000;
            while (net.min_final({0, 1, 2, 3}) < heights && net.now < limit_ms) {
                if (nonce < 120 && submitter() % 4 == 0)
                    net.submit(submitter() % 4, transfer(alice, ++nonce, bob, 1));
                net.run(10);
            }
            BOOST_TEST(net.min_final({0, 1, 2, 3}) >= heights);
            net.check_chains({0, 1, 2, 3});
            std::uint64_t round_changes = 0, resent = 0;
            for (const auto& p : net.producers) {
                round_changes += p.stats().round_changes;
                resent += p.stats().messages_resent;
            }
            BOOST_TEST_MESSAGE("seed " << seed << ": " << net.min_final({0, 1, 2, 3})
                                       << " heights in " << net.now << " virtual ms, "
                                       << round_changes << " round changes, " << resent
                                       << " messages re-sent, " << nonce << " transfers");
            BOOST_TEST(net.evidence.empty());
        }
    }
}

// The same lossy links with a Byzantine producer: an equivocating proposer that never
// votes (so every honest producer's vote is needed), and a producer that sends different
// prevotes and precommits to different producers. The honest ones never fork and keep
// finalizing; the Byzantine one is reported.
BOOST_AUTO_TEST_CASE(byzantine_producer_on_lossy_links_never_forks) {
    const std::uint64_t seeds = env_or("COVENANT_PRODUCER_SEEDS", 4) / 2 + 1;
    const std::uint64_t heights = env_or("COVENANT_PRODUCER_HEIGHTS", 150) / 2;
    const auto alice = test_key(1), bob = test_key(2);
    for (int byzantine = 0; byzantine < 2; ++byzantine) {
        for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
            BOOST_TEST_CONTEXT((byzantine == 0 ? "equivocating proposer" : "double voter")
                               << ", seed " << seed) {
                network net([](producer_config& c) {
                    c.block_interval_ms = 20;
                    c.propose_timeout_ms = 200;
                    c.prevote_timeout_ms = 100;
                    c.precommit_timeout_ms = 100;
                    c.timeout_step_ms = 50;
                    c.resend_interval_ms = 150;
                });
                net.rng.emplace(seed * 31 + static_cast<std::uint64_t>(byzantine));
                net.loss = 0.2;
                net.duplication = 0.1;
                net.delay_max_ms = 100;
                const std::size_t byz = byzantine == 0 ? 0 : 3;
                const auto key = net.keys[byz];
                std::set<std::size_t> honest{0, 1, 2, 3};
                honest.erase(byz);
                if (byzantine == 0) {
                    net.intercept = [&net, key](std::size_t from, const producer_message& m) {
                        if (from != 0) return false;
                        if (vote_in(m) != nullptr) return true;
                        const auto* p = proposal_in(m);
                        if (p == nullptr || p->valid_round || p->proposer != key.public_key())
                            return false;
                        block_proposal b = *p;
                        b.block.header.timestamp_ms += 1;
                        b.block.sign_proposal(key);
                        b.sign(key);
                        net.send(0, 1, m);
                        net.send(0, 2, m);
                        net.send(0, 3, {b});
                        return true;
                    };
                } else {
                    net.intercept = [&net, key](std::size_t from, const producer_message& m) {
                        const auto* v = vote_in(m);
                        if (from != 3 || v == nullptr || v->signer != key.public_key())
                            return false;
                        block_vote other = *v;
                        if (other.block_hash) other.block_hash.reset();
                        else other.block_hash = filled(0x77);
                        other.sign(key);
                        net.send(3, 0, m);
                        net.send(3, 0, {other});
                        net.send(3, 1, m);
                        net.send(3, 2, {other});
                        return true;
                    };
                }
                std::uint64_t nonce = 0;
                const std::int64_t limit_ms = static_cast<std::int64_t>(heights) * 4000;
                while (net.min_final(honest) < heights && net.now < limit_ms) {
                    if (nonce < 60 && net.now % 100 == 0)
                        net.submit(*honest.begin(), transfer(alice, ++nonce, bob, 1));
                    net.run(10);
                }
                BOOST_TEST(net.min_final(honest) >= heights);
                net.check_chains(honest);
                // (A proposer that never votes and loses final blocks also never asks for
                // them again: it may fall behind for good, and then its proposals, for an
                // old height, are not seen as equivocation. A double voter keeps up.)
                if (byzantine == 1) BOOST_TEST(!net.evidence.empty());
                for (const auto& e : net.evidence) {
                    BOOST_TEST(e.valid());
                    BOOST_TEST((e.offender() == key.public_key()));
                }
            }
        }
    }
}
