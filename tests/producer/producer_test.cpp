// Tests of the block producers' consensus state machine (protocols/main_chain/producer,
// Tendermint's two vote phases): four producers in one process, a message pump that
// delivers every output message to the other producers -- at once, or with seeded loss,
// duplication and delay -- virtual time, and Byzantine producers whose outgoing messages the
// test rewrites. Outcomes are asserted: the same final blocks at every honest producer, the
// heights reached, tokens conserved, the evidence produced. The DPoS epoch tests run four
// more producers that start as followers and are elected (or not) for a later epoch; the
// chains are checked against the set of each height from a ledger replay.
#define BOOST_TEST_MODULE producer
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "protocols/codec.hpp"
#include "protocols/group.hpp"
#include "protocols/main_chain/block_application.hpp"
#include "protocols/main_chain/producer.hpp"
#include "sample_messages.hpp"

using namespace covenant;
using namespace covenant::main_chain;
using covenant::test::test_key;

namespace {

protocols::transaction signed_tx(const crypto::key_pair& from, std::uint64_t nonce,
                                 decltype(protocols::transaction::body) body) {
    protocols::transaction tx;
    tx.sender = from.public_key();
    tx.nonce = account_nonce{nonce};
    tx.fee = 1;
    tx.body = std::move(body);
    tx.sign(from);
    return tx;
}

protocols::transaction transfer(const crypto::key_pair& from, std::uint64_t nonce,
                                const crypto::key_pair& to, std::uint64_t amount) {
    return signed_tx(from, nonce,
                     protocols::tx::transfer{crypto::address_of(to.public_key()), amount});
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
    std::vector<crypto::key_pair> keys;  // the genesis producers', then the followers'
    producer_config config;
    std::vector<public_key> genesis_set;
    // What check_chains found: the producer set of each height, from a ledger replay.
    std::map<std::uint64_t, std::vector<public_key>> set_at;
    std::optional<ledger> genesis_state;
    std::vector<producer> producers;
    std::vector<std::vector<protocols::main_block>> finals;  // per producer
    // What each producer output in to_persist at the height it decides: what its caller
    // makes durable before sending, and gives back to a restarted producer.
    std::vector<std::vector<producer_record>> records;
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
    // Sees each message as it is delivered (before the producer takes it).
    std::function<void(std::size_t to, const producer_message&)> delivered;
    // Seeded faults on every link, when rng is set.
    std::optional<std::mt19937_64> rng;
    double loss = 0, duplication = 0;
    std::int64_t delay_max_ms = 0;
    std::int64_t now = 0;
    std::uint64_t genesis_tokens = 0;

    // Four genesis producers (test keys 21..24), then a producer state machine for each of
    // `followers` too (not in the genesis set: they follow until an election picks them).
    explicit network(const std::function<void(producer_config&)>& tune = {},
                     const std::function<void(genesis&)>& shape = {},
                     const std::vector<crypto::key_pair>& followers = {}) {
        genesis g;
        g.allocations[crypto::address_of(test_key(1).public_key())] = 100'000;
        g.allocations[crypto::address_of(test_key(2).public_key())] = 50'000;
        for (std::uint8_t i = 21; i <= 24; ++i) {
            keys.push_back(test_key(i));
            g.initial_producers.push_back(keys.back().public_key());
        }
        for (const auto& k : followers) keys.push_back(k);
        if (shape) shape(g);
        genesis_set = g.initial_producers;
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
        records.resize(keys.size());
        for (std::size_t i = 0; i < producers.size(); ++i) handle(i, producers[i].start(now));
    }

    // Producer i again, after a crash, from what its disk would hold: its final blocks (the
    // ledger replayed from genesis) and, `with_records`, its records of the height after
    // them (without: the restarted producer forgets what it signed there).
    void restart(std::size_t i, bool with_records = true) {
        ledger state = *genesis_state;
        digest hash{};
        std::int64_t time = 0;
        for (const auto& b : finals[i]) {
            BOOST_REQUIRE(apply_block(state, b).ok());
            hash = b.hash();
            time = b.header.timestamp_ms;
        }
        producers[i] =
            producer(keys[i], config, std::move(state), block_height(finals[i].size()), hash, time);
        std::vector<producer_record> kept;
        for (const auto& r : records[i])
            if (r.height() == producers[i].height()) kept.push_back(r);
        records[i] = with_records ? kept : std::vector<producer_record>{};
        if (with_records) {
            const auto refused = producers[i].restore(kept);
            BOOST_REQUIRE_MESSAGE(!refused, refused.value_or(""));
        }
        crashed.erase(i);
        handle(i, producers[i].start(now));
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
        // Durable before anything of the output is sent; final heights' records dropped.
        for (auto& r : out.to_persist) records[from].push_back(std::move(r));
        for (auto& b : out.finalized) finals[from].push_back(std::move(b));
        if (!out.finalized.empty()) {
            auto& mine = records[from];
            mine.erase(std::remove_if(mine.begin(), mine.end(),
                                      [&](const producer_record& r) {
                                          return r.height().value <= finals[from].size();
                                      }),
                       mine.end());
        }
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
            if (delivered) delivered(next.to, next.message);
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
    // round (the finality round, not before the block's own round) as finality signatures
    // -- from the producer set of the block's height, which a replay of the chain from
    // genesis gives (it changes at epochs) --, applying to that replay with the header's
    // epoch and state root, and the same block at each height across the (honest)
    // producers given. Each producer's state is the replay's at its last final block.
    void check_chains(const std::set<std::size_t>& honest) {
        std::map<std::uint64_t, digest> by_height;
        for (auto i : honest) {
            digest parent{};
            std::uint64_t h = 0;
            ledger replay = *genesis_state;
            for (const auto& b : finals[i]) {
                BOOST_TEST(b.header.height.value == h + 1);
                BOOST_TEST((b.header.parent == parent));
                BOOST_TEST((b.finality_round >= b.header.round));
                const auto members = replay.producers_for(b.header.height);
                auto [known_set, first] = set_at.emplace(b.header.height.value, members);
                BOOST_TEST((first || known_set->second == members), "set of height " << h + 1);
                const protocols::group set(members);
                BOOST_TEST(set.contains(b.header.proposer), "proposer of height " << h + 1);
                const auto fault = protocols::signer_set_fault(
                    b.finality, set, set.quorum(), crypto::sign_domain::main_precommit,
                    b.finality_signing_bytes());
                BOOST_TEST(!fault.has_value(), "height " << h + 1 << ": " << fault.value_or(""));
                auto decoded = protocols::decode_main_block(protocols::encode(b));
                BOOST_TEST_REQUIRE(decoded.ok(), (decoded.ok() ? std::string() : decoded.failure().message()));
                BOOST_TEST((decoded.value() == b));
                auto [at, fresh] = by_height.emplace(b.header.height.value, b.hash());
                BOOST_TEST((fresh || at->second == b.hash()), "fork at height " << h + 1);
                auto applied = apply_block(replay, b);
                BOOST_TEST_REQUIRE(applied.ok(), "height " << h + 1 << ": "
                                                     << (applied.ok() ? std::string()
                                                                      : applied.failure().message()));
                parent = b.hash();
                h = b.header.height.value;
            }
            BOOST_TEST(producers[i].height().value == h + 1);
            BOOST_TEST((producers[i].state().state_root() == replay.state_root()));
            BOOST_TEST(replay.total_tokens() == genesis_tokens);
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

// ---- restarts: a producer's own records ----------------------------------------------

namespace {

std::size_t proposer_index(const network& net, std::uint64_t h, std::uint64_t r) {
    const auto& key = net.producers[0].proposer_of(block_height(h), view_number(r));
    for (std::size_t i = 0; i < net.keys.size(); ++i)
        if (net.keys[i].public_key() == key) return i;
    BOOST_FAIL("the proposer is a producer");
    return 0;
}

std::uint64_t height_of(const producer_message& m) {
    if (const auto* p = proposal_in(m)) return p->height().value;
    if (const auto* v = vote_in(m)) return v->height.value;
    if (const auto* b = std::get_if<protocols::main_block>(&m.body)) return b->header.height.value;
    return 0;  // a transaction
}

// What a restart scenario ends with. The crashed producer is `p`; `h0` the height it was
// deciding.
struct restart_outcome {
    std::vector<producer_record> before;  // p's records when it crashed
    std::uint64_t restored = 0;           // records p took back at the restart
    std::optional<view_number> restored_lock;
    bool decided_before_heal = false;  // p decided h0 before the others came back
    std::optional<digest> decided;     // the block final at h0
    std::size_t evidence_against_p = 0;
    std::size_t evidence_against_others = 0;
    std::uint64_t reached = 0;  // heights final at every producer at the end
};

const producer_record* record_of(const std::vector<producer_record>& records,
                                 producer_record::kind what) {
    for (const auto& r : records)
        if (r.what() == what) return &r;
    return nullptr;
}

// The common part: transfers to make blocks of, the crash (by the scenario's intercept),
// a wait in which the others must not decide h0 without p, p's restart (with or without
// its records; `on_restart` first), then, once p has decided h0 (or 5 s passed), `heal` and
// every producer still down restarted, and time for the chain to go on with everyone.
// (Blocks come every 300 ms at least, so that a producer that rejoins a height behind still
// finds the others' recent final blocks: the pure producer keeps only a few for laggards.)
// Producer `from` sends `m` to everyone else and crashes right after.
void send_then_crash(network& net, std::size_t from, const producer_message& m) {
    for (std::size_t to = 0; to < net.producers.size(); ++to)
        if (to != from) net.send(from, to, m);
    net.crashed.insert(from);
}

// An intercept that lets producer p's first vote at height h0 out, then crashes p.
std::function<bool(std::size_t, const producer_message&)> crash_after_first_vote(
    network& net, std::size_t p, std::uint64_t h0, bool& crashed) {
    return [&net, p, h0, &crashed](std::size_t from, const producer_message& m) {
        const auto* v = vote_in(m);
        if (from != p || crashed || v == nullptr || v->height.value != h0) return false;
        send_then_crash(net, p, m);
        crashed = true;
        return true;
    };
}

restart_outcome run_restart(network& net, std::size_t p, std::uint64_t h0, const bool& crashed,
                            bool with_records, const std::function<void()>& on_restart,
                            const std::function<void()>& heal) {
    restart_outcome o;
    const auto alice = test_key(1), bob = test_key(2);
    std::uint64_t nonce = 0;
    while (!crashed && net.now < 20'000) {
        if (net.now % 200 == 0) net.submit(p == 0 ? 1 : 0, transfer(alice, ++nonce, bob, 1));
        net.run(10);
    }
    BOOST_TEST_REQUIRE(crashed);
    o.before = net.records[p];
    net.run(3000);
    for (std::size_t i = 0; i < net.producers.size(); ++i)
        if (!net.crashed.count(i))
            BOOST_TEST_REQUIRE(net.producers[i].height().value <= h0,
                               "nobody decides h0 without p");
    on_restart();
    net.restart(p, with_records);
    o.restored = net.producers[p].stats().records_restored;
    o.restored_lock = net.producers[p].locked_round();
    for (const std::int64_t until = net.now + 5000; net.finals[p].size() < h0 && net.now < until;)
        net.run(10);
    o.decided_before_heal = net.finals[p].size() >= h0;
    heal();
    for (std::size_t i = 0; i < net.producers.size(); ++i)
        if (net.crashed.count(i)) net.restart(i);
    for (std::uint64_t k = 0; k < 8; ++k) {
        net.submit(p, transfer(alice, ++nonce, bob, 1));
        net.run(500);
    }
    net.run(3000);
    net.check_chains({0, 1, 2, 3});
    for (const auto& f : net.finals)
        if (f.size() >= h0) o.decided = f[h0 - 1].hash();
    for (const auto& e : net.evidence) {
        BOOST_TEST(e.valid());
        if (e.offender() == net.keys[p].public_key())
            ++o.evidence_against_p;
        else
            ++o.evidence_against_others;
    }
    o.reached = net.min_final({0, 1, 2, 3});
    return o;
}

void slow_blocks(producer_config& c) {
    c.block_interval_ms = 300;
}

// Height 4: its round-0 proposer p crashes right after sending its proposal and its
// prevote, while x (the proposer of round 3) is cut off from height 4, so the two others
// cannot decide without p: they prevote p's block, precommit it and wait. p restarts and
// must propose that block again, not a new one (it would carry another timestamp).
restart_outcome restart_after_proposing(bool with_records) {
    network net(slow_blocks);
    const std::uint64_t h0 = 4;
    const std::size_t p = proposer_index(net, h0, 0), x = proposer_index(net, h0, 3);
    bool cut = true, crashed = false;
    net.link = [&](std::size_t from, std::size_t to, const producer_message& m) {
        return !(cut && (from == x || to == x) && height_of(m) == h0);
    };
    net.intercept = crash_after_first_vote(net, p, h0, crashed);
    return run_restart(
        net, p, h0, crashed, with_records, [] {}, [&] { cut = false; });
}

// Height 4: producer p (the proposer of round 2) never gets round 0's proposal, prevotes
// nil when its wait runs out and crashes right after; x (the proposer of round 3) is cut off
// from height 4. The two others prevote the block, see no polka, precommit nil and wait for
// a third precommit. p restarts, and now round 0's proposal (re-sent by its proposer)
// reaches it: it must not prevote it.
restart_outcome restart_after_prevoting_nil(bool with_records) {
    network net(slow_blocks);
    const std::uint64_t h0 = 4;
    const std::size_t p = proposer_index(net, h0, 2), x = proposer_index(net, h0, 3);
    bool cut = true, crashed = false;
    net.link = [&](std::size_t from, std::size_t to, const producer_message& m) {
        if (!cut || height_of(m) != h0) return true;
        if (from == x || to == x) return false;
        const auto* proposal = proposal_in(m);
        return !(to == p && proposal != nullptr && proposal->round.value == 0 && !crashed);
    };
    net.intercept = crash_after_first_vote(net, p, h0, crashed);
    return run_restart(
        net, p, h0, crashed, with_records, [] {}, [&] { cut = false; });
}

// Height 4, proposers q, a, p, x for rounds 0..3: x never gets round 0's proposal and
// prevotes nil; p's prevote reaches nobody. So only p sees the polka for q's block B: it
// locks on B, precommits it and crashes right after; the others precommit nil, and x
// crashes right after that. In round 1 a proposes a new block C, which cannot get a polka
// without p. Restarted, p must still be locked on B (B may be final somewhere, for all it
// knows): it prevotes nil for C, and in round 2 proposes B again with its polka, which
// everyone then decides. (Unlocked, p would prevote C and C would be decided.)
restart_outcome restart_after_precommitting(bool with_records) {
    network net(slow_blocks);
    const std::uint64_t h0 = 4;
    const std::size_t p = proposer_index(net, h0, 2), x = proposer_index(net, h0, 3);
    bool round0 = true, crashed = false, x_crashed = false;
    net.link = [&](std::size_t from, std::size_t to, const producer_message& m) {
        if (!round0 || height_of(m) != h0) return true;
        if (const auto* proposal = proposal_in(m); proposal && proposal->round.value == 0)
            return to != x;
        const auto* v = vote_in(m);
        return !(v && from == p && v->what == block_vote::kind::prevote && v->round.value == 0);
    };
    net.intercept = [&](std::size_t from, const producer_message& m) {
        const auto* v = vote_in(m);
        if (v == nullptr || v->height.value != h0 || v->what != block_vote::kind::precommit)
            return false;
        if ((from == p && !crashed) || (from == x && !x_crashed)) {
            send_then_crash(net, from, m);
            (from == p ? crashed : x_crashed) = true;
            return true;
        }
        return false;
    };
    return run_restart(
        net, p, h0, crashed, with_records,
        [&] {
            BOOST_TEST_REQUIRE(x_crashed);
            round0 = false;
        },
        [] {});
}

}  // namespace

// A producer that crashed right after proposing (and prevoting its block) takes back its
// records at the restart: it sends the same proposal and prevote again, the block it
// proposed is decided, nobody reports it, and the chain goes on. The same crash without
// the records makes it propose a second block for the round: evidence against an honest
// producer (so the test bites).
BOOST_AUTO_TEST_CASE(a_restarted_proposer_proposes_the_same_block_again) {
    const auto kept = restart_after_proposing(true);
    BOOST_TEST(kept.decided_before_heal);
    BOOST_TEST_REQUIRE(kept.before.size() == 2u);
    const auto* proposal = record_of(kept.before, producer_record::kind::proposal);
    BOOST_TEST_REQUIRE(proposal != nullptr);
    BOOST_TEST(record_of(kept.before, producer_record::kind::prevote) != nullptr);
    BOOST_TEST(kept.restored == 2u);
    BOOST_TEST_REQUIRE(kept.decided.has_value());
    BOOST_TEST((*kept.decided == std::get<block_proposal>(proposal->body).block.hash()));
    BOOST_TEST(kept.evidence_against_p == 0u);
    BOOST_TEST(kept.evidence_against_others == 0u);
    BOOST_TEST(kept.reached >= 8u);

    const auto forgot = restart_after_proposing(false);
    BOOST_TEST(forgot.restored == 0u);
    BOOST_TEST(forgot.evidence_against_p > 0u, "without its records it equivocates");
    BOOST_TEST(forgot.reached >= 6u);
}

// A producer that prevoted nil (round 0's proposal never reached it) and crashed right after
// keeps that prevote when the proposal reaches it after the restart: no second prevote, no
// evidence, and the height is decided in a later round. Without its records it prevotes the
// block and is reported.
BOOST_AUTO_TEST_CASE(a_restarted_producer_keeps_its_nil_prevote) {
    const auto kept = restart_after_prevoting_nil(true);
    BOOST_TEST(kept.decided_before_heal);
    BOOST_TEST_REQUIRE(kept.before.size() == 1u);
    const auto* prevote = record_of(kept.before, producer_record::kind::prevote);
    BOOST_TEST_REQUIRE(prevote != nullptr);
    BOOST_TEST(!std::get<block_vote>(prevote->body).block_hash.has_value());
    BOOST_TEST(kept.restored == 1u);
    BOOST_TEST(kept.decided.has_value());
    BOOST_TEST(kept.evidence_against_p == 0u);
    BOOST_TEST(kept.evidence_against_others == 0u);
    BOOST_TEST(kept.reached >= 8u);

    const auto forgot = restart_after_prevoting_nil(false);
    BOOST_TEST(forgot.evidence_against_p > 0u, "without its records it equivocates");
}

// A producer that locked on a block only it saw a polka for, precommitted it and crashed
// keeps its lock after the restart: it refuses the next round's new block, proposes the
// locked one again with its polka in its own round, and that block is decided. Without its
// records it forgets the lock and the other block is decided.
BOOST_AUTO_TEST_CASE(a_restarted_producer_keeps_its_lock) {
    const auto kept = restart_after_precommitting(true);
    BOOST_TEST(kept.decided_before_heal);
    const auto* precommit = record_of(kept.before, producer_record::kind::precommit);
    const auto* polka = record_of(kept.before, producer_record::kind::polka);
    BOOST_TEST_REQUIRE(precommit != nullptr);
    BOOST_TEST_REQUIRE(polka != nullptr);
    BOOST_TEST(record_of(kept.before, producer_record::kind::prevote) != nullptr);
    BOOST_TEST(kept.before.size() == 3u);
    const auto locked = std::get<block_vote>(precommit->body).block_hash;
    BOOST_TEST_REQUIRE(locked.has_value());
    BOOST_TEST((std::get<producer_polka>(polka->body).block.hash() == *locked));
    BOOST_TEST(kept.restored == 3u);
    BOOST_TEST((kept.restored_lock == view_number(0)));
    BOOST_TEST_REQUIRE(kept.decided.has_value());
    BOOST_TEST((*kept.decided == *locked));
    BOOST_TEST(kept.evidence_against_p == 0u);
    BOOST_TEST(kept.evidence_against_others == 0u);
    BOOST_TEST(kept.reached >= 8u);

    const auto forgot = restart_after_precommitting(false);
    BOOST_TEST(!forgot.restored_lock.has_value());
    BOOST_TEST_REQUIRE(forgot.decided.has_value());
    BOOST_TEST((*forgot.decided != *locked), "without its lock it helps decide another block");
}

namespace {

// A new block for height 1, round r, by proposer(1, r), proposed in round r: what that
// producer's maybe_propose would build with an empty mempool at `time`.
block_proposal new_proposal(const network& net, std::uint64_t r, std::int64_t time) {
    const auto& key = net.key_of(net.producers[0].proposer_of(block_height(1), view_number(r)));
    ledger scratch = *net.genesis_state;
    scratch.begin_block(block_height(1));
    block_proposal p;
    p.round = view_number(r);
    auto& b = p.block;
    b.header.height = block_height(1);
    b.header.epoch = scratch.epoch();
    b.header.round = view_number(r);
    b.header.proposer = key.public_key();
    b.header.timestamp_ms = time;
    b.seal_header();
    b.header.state_root = scratch.state_root();
    b.sign_proposal(key);
    p.sign(key);
    return p;
}

block_vote signed_vote(const crypto::key_pair& key, std::uint64_t h, std::uint64_t r,
                       block_vote::kind what, std::optional<digest> target) {
    block_vote v{block_height(h), view_number(r), what, target, {}, {}};
    v.sign(key);
    return v;
}

// This producer's vote of (round, kind) among `out`'s messages, if it sent one.
std::optional<block_vote> own_vote_in(const producer_output& out, const public_key& me,
                                      std::uint64_t r, block_vote::kind what) {
    for (const auto& m : out.messages)
        if (const auto* v = vote_in(m);
            v && v->signer == me && v->round.value == r && v->what == what)
            return *v;
    return std::nullopt;
}

}  // namespace

// Records that are not this producer's at its height are refused, and leave it as it was:
// another height, another signer, a vote altered after signing, two votes for one slot,
// another producer's proposal, a polka short of a quorum or of a block that does not
// validate, records of a producer outside the set. Records that are its own put it back
// where they say: their highest round, at the step its votes there say, re-sending them.
BOOST_AUTO_TEST_CASE(restore_takes_only_records_that_are_its_own) {
    network net;
    const std::size_t j = proposer_index(net, 1, 3);  // proposes none of rounds 0..2
    const auto& key = net.keys[j];
    const auto pre = block_vote::kind::prevote, pc = block_vote::kind::precommit;
    const auto refused = [&](const std::vector<producer_record>& records) {
        producer fresh(key, net.config, *net.genesis_state);
        const auto why = fresh.restore(records);
        BOOST_TEST((!fresh.locked_round().has_value() && fresh.stats().records_restored == 0u));
        BOOST_TEST_MESSAGE("refused: " << why.value_or("(taken)"));
        return why.has_value();
    };
    const auto b0 = new_proposal(net, 0, 50);
    BOOST_TEST(refused({{signed_vote(key, 2, 0, pre, std::nullopt)}}));
    BOOST_TEST(refused({{signed_vote(net.keys[(j + 1) % 4], 1, 0, pre, std::nullopt)}}));
    auto altered = signed_vote(key, 1, 0, pre, std::nullopt);
    altered.round = view_number(1);
    BOOST_TEST(refused({{altered}}));
    BOOST_TEST(refused({{signed_vote(key, 1, 0, pre, std::nullopt)},
                        {signed_vote(key, 1, 0, pre, b0.block.hash())}}));
    BOOST_TEST(refused({{b0}}));  // proposer(1, 0)'s proposal among j's records
    std::vector<block_vote> polka;
    for (std::size_t i = 0; i < 4; ++i)
        if (i != j) polka.push_back(signed_vote(net.keys[i], 1, 0, pre, b0.block.hash()));
    BOOST_TEST(refused({{producer_polka{view_number(0), b0.block, {polka[0], polka[1]}}}}));
    auto bad_block = b0.block;
    bad_block.header.state_root = filled(0x42);
    bad_block.sign_proposal(net.key_of(bad_block.header.proposer));
    std::vector<block_vote> bad_polka;
    for (std::size_t i = 0; i < 4; ++i)
        if (i != j) bad_polka.push_back(signed_vote(net.keys[i], 1, 0, pre, bad_block.hash()));
    BOOST_TEST(refused({{producer_polka{view_number(0), bad_block, bad_polka}}}));
    {
        const auto outsider = test_key(40);
        producer follower(outsider, net.config, *net.genesis_state);
        BOOST_TEST(
            follower.restore({{signed_vote(outsider, 1, 0, pre, std::nullopt)}}).has_value());
    }

    // Its own: a prevote and a precommit for b0 in round 0 with their polka, a nil prevote
    // in round 2. It resumes in round 2 at the prevote step, locked on b0 at round 0.
    const auto own_prevote = signed_vote(key, 1, 0, pre, b0.block.hash());
    const auto own_precommit = signed_vote(key, 1, 0, pc, b0.block.hash());
    const auto own_nil = signed_vote(key, 1, 2, pre, std::nullopt);
    polka.push_back(own_prevote);
    producer back(key, net.config, *net.genesis_state);
    const auto why = back.restore({{own_nil},
                                   {own_precommit},
                                   {producer_polka{view_number(0), b0.block, polka}},
                                   {own_prevote}});
    BOOST_TEST_REQUIRE(!why.has_value(), why.value_or(""));
    BOOST_TEST(back.stats().records_restored == 4u);
    BOOST_TEST((back.locked_round() == view_number(0)));
    const auto out = back.start(100);
    BOOST_TEST(back.round().value == 2u);
    BOOST_TEST(out.to_persist.empty(), "nothing new signed");
    const auto resent = own_vote_in(out, key.public_key(), 2, pre);
    BOOST_TEST_REQUIRE(resent.has_value());
    BOOST_TEST((*resent == own_nil));
    // Its prevote timeout then makes it precommit nil in round 2: a new slot, recorded.
    producer_output later;
    for (std::int64_t t = 200; t < 5000 && later.to_persist.empty(); t += 100) {
        for (std::size_t i = 0; i < 4; ++i)
            if (i != j)
                later.append(back.on_vote(signed_vote(net.keys[i], 1, 2, pre, std::nullopt), t));
        later.append(back.on_tick(t));
    }
    BOOST_TEST_REQUIRE(later.to_persist.size() == 1u);
    const auto& nil_precommit = std::get<block_vote>(later.to_persist.front().body);
    BOOST_TEST(
        (nil_precommit.what == pc && nil_precommit.round.value == 2u && !nil_precommit.block_hash));
}

// The lock needs no block (see producer::restore): a producer restored with nothing but its
// precommit for b0 in round 0 -- b0 unknown to it -- prevotes nil for round 1's new block
// (an unlocked producer would prevote it), and once round 2 brings b0 again with its polka
// of round 0, it takes b0 and prevotes it.
BOOST_AUTO_TEST_CASE(a_restored_lock_binds_without_its_block) {
    network net;
    const std::size_t j = proposer_index(net, 1, 3);
    const auto& key = net.keys[j];
    const auto pre = block_vote::kind::prevote, pc = block_vote::kind::precommit;
    const auto b0 = new_proposal(net, 0, 50);
    const auto c1 = new_proposal(net, 1, 60);
    const auto other = [&](std::size_t k) -> const crypto::key_pair& {
        return net.keys[k < j ? k : k + 1];  // the k-th producer other than j
    };

    producer locked(key, net.config, *net.genesis_state);
    BOOST_TEST_REQUIRE(!locked.restore({{signed_vote(key, 1, 0, pc, b0.block.hash())}}));
    producer unlocked(key, net.config, *net.genesis_state);
    producer_output round1[2];
    std::size_t n = 0;
    for (auto* p : {&locked, &unlocked}) {
        auto& out = round1[n++];
        out.append(p->start(0));
        // Round 1: its proposal, and a round-1 vote of a second producer (f + 1 = 2 of them
        // take this one to round 1).
        out.append(p->on_proposal(c1, 100));
        out.append(p->on_vote(signed_vote(other(0), 1, 1, pre, c1.block.hash()), 100));
        BOOST_TEST(p->round().value == 1u);
    }
    const auto locked_vote = own_vote_in(round1[0], key.public_key(), 1, pre);
    const auto unlocked_vote = own_vote_in(round1[1], key.public_key(), 1, pre);
    BOOST_TEST_REQUIRE((locked_vote && unlocked_vote));
    BOOST_TEST(!locked_vote->block_hash.has_value(), "locked on b0: nil for c1");
    BOOST_TEST((unlocked_vote->block_hash == c1.block.hash()));

    // Round 2: b0 again, with valid round 0 and its polka (three other producers' prevotes).
    block_proposal again;
    again.block = b0.block;
    again.round = view_number(2);
    again.valid_round = view_number(0);
    again.sign(net.key_of(locked.proposer_of(block_height(1), view_number(2))));
    producer_output round2;
    for (std::size_t k = 0; k < 3; ++k)
        round2.append(locked.on_vote(signed_vote(other(k), 1, 0, pre, b0.block.hash()), 200));
    round2.append(locked.on_proposal(again, 200));
    round2.append(locked.on_vote(signed_vote(other(0), 1, 2, pre, b0.block.hash()), 200));
    BOOST_TEST_REQUIRE(locked.round().value == 2u);
    const auto taken = own_vote_in(round2, key.public_key(), 2, pre);
    BOOST_TEST_REQUIRE(taken.has_value());
    BOOST_TEST((taken->block_hash == b0.block.hash()));
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

// ---- DPoS epochs ----------------------------------------------------------------------

namespace {

constexpr std::uint64_t epoch_blocks = 10;

// Four genesis producers (A, network indices 0..3) and four funded key pairs (B, indices
// 4..7) whose producer state machines run from the start as followers; epochs of 10 blocks,
// sets of exactly 4.
struct epoch_network {
    std::vector<crypto::key_pair> b_keys{test_key(31), test_key(32), test_key(33), test_key(34)};
    std::int64_t block_interval_ms;
    network net{[this](producer_config& c) { c.block_interval_ms = block_interval_ms; },
                [this](genesis& g) {
                    g.parameters.epoch_length = epoch_blocks;
                    g.parameters.producers_max = 4;
                    g.parameters.producers_min = 4;
                    for (const auto& k : b_keys)
                        g.allocations[crypto::address_of(k.public_key())] = 10'000;
                },
                b_keys};
    const std::set<std::size_t> a{0, 1, 2, 3}, b{4, 5, 6, 7}, all{0, 1, 2, 3, 4, 5, 6, 7};
    // The heights of the proposals and votes each producer signed (seen as they are sent:
    // its own, or another's that it relays).
    std::vector<std::set<std::uint64_t>> spoke = std::vector<std::set<std::uint64_t>>(8);

    explicit epoch_network(std::int64_t block_interval = 100) : block_interval_ms(block_interval) {
        net.intercept = [this](std::size_t, const producer_message& m) {
            if (const auto* p = proposal_in(m)) spoke[index_of(p->proposer)].insert(p->height().value);
            if (const auto* v = vote_in(m)) spoke[index_of(v->signer)].insert(v->height.value);
            return false;
        };
    }

    std::size_t index_of(const public_key& k) const {
        for (std::size_t i = 0; i < net.keys.size(); ++i)
            if (net.keys[i].public_key() == k) return i;
        BOOST_FAIL("not a key of the network");
        return 0;
    }

    std::uint64_t first_height_of(epoch_number e) const { return e.value * epoch_blocks + 1; }
    epoch_number epoch_of(std::uint64_t h) const {
        return net.genesis_state->epoch_of(block_height{h});
    }

    // Runs until every producer in `among` has `height` final (or a virtual minute passed).
    void run_until_final(const std::set<std::size_t>& among, std::uint64_t height) {
        for (const std::int64_t limit = net.now + 60'000;
             net.min_final(among) < height && net.now < limit;)
            net.run(50);
        BOOST_TEST_REQUIRE(net.min_final(among) >= height);
    }

    // The height of the final block (at producer 0) that holds `tx`, once there is one.
    std::optional<std::uint64_t> final_height_of(const protocols::transaction& tx) const {
        for (const auto& block : net.finals[0])
            for (const auto& t : block.transactions)
                if (t == tx) return block.header.height.value;
        return std::nullopt;
    }

    // Blocks from..to (inclusive) at each producer of `among` that has them: of their
    // height's epoch, proposed by expected[(height + round) mod n], finalized by a quorum of
    // `expected` alone.
    void check_blocks(const std::set<std::size_t>& among, std::uint64_t from, std::uint64_t to,
                      const std::vector<public_key>& expected) {
        const protocols::group set(expected);
        for (auto i : among) {
            for (std::uint64_t h = from; h <= to && h <= net.finals[i].size(); ++h) {
                BOOST_TEST_CONTEXT("producer " << i << ", height " << h) {
                    const auto& block = net.finals[i][h - 1];
                    BOOST_TEST(block.header.height.value == h);
                    BOOST_TEST(block.header.epoch.value == epoch_of(h).value);
                    const auto turn = (h + block.header.round.value) % expected.size();
                    BOOST_TEST((block.header.proposer == expected[turn]));
                    BOOST_TEST(block.finality.size() >= set.quorum());
                    for (const auto& s : block.finality) BOOST_TEST(set.contains(s.signer));
                    BOOST_TEST(!finality_fault(block, expected).has_value());
                }
            }
        }
    }

    std::vector<public_key> keys_of(const std::set<std::size_t>& which) const {
        std::vector<public_key> out;
        for (auto i : which) out.push_back(net.keys[i].public_key());
        return out;
    }

    // Candidates `b_keys[0..n)` stake (each its own transaction, sent through its own
    // follower), and once those are final, alice stakes 40'000 and votes for all of them
    // and bob stakes 1'000 and votes for the last two: the last two weigh 41'000, the
    // others 40'000. Returns alice's vote, and the set the election gives (by weight, then
    // address).
    std::pair<protocols::transaction, std::vector<public_key>> stake_and_vote(
        std::size_t n, std::uint64_t alice_nonce, std::uint64_t bob_nonce) {
        std::vector<protocols::transaction> stakes;
        for (std::size_t k = 0; k < n; ++k) {
            const auto& key = b_keys[k];
            const auto next = net.producers[4 + k].state().next_nonce(
                crypto::address_of(key.public_key()));
            stakes.push_back(signed_tx(key, next.value, protocols::tx::stake{100}));
            net.submit(4 + k, stakes.back());
        }
        for (const std::int64_t limit = net.now + 10'000; net.now < limit;) {
            net.run(50);
            bool all_final = true;
            for (const auto& tx : stakes) all_final &= final_height_of(tx).has_value();
            if (all_final) break;
        }
        for (const auto& tx : stakes) BOOST_TEST_REQUIRE(final_height_of(tx).has_value());

        std::vector<account_address> voted, top;
        for (std::size_t k = 0; k < n; ++k) voted.push_back(crypto::address_of(b_keys[k].public_key()));
        for (std::size_t k = n >= 2 ? n - 2 : 0; k < n; ++k)
            top.push_back(crypto::address_of(b_keys[k].public_key()));
        std::sort(voted.begin(), voted.end());
        std::sort(top.begin(), top.end());
        const auto alice = test_key(1), bob = test_key(2);
        net.submit(1, signed_tx(alice, alice_nonce, protocols::tx::stake{40'000}));
        const auto vote = signed_tx(alice, alice_nonce + 1, protocols::tx::vote_producers{voted});
        net.submit(1, vote);
        net.submit(2, signed_tx(bob, bob_nonce, protocols::tx::stake{1'000}));
        net.submit(2, signed_tx(bob, bob_nonce + 1, protocols::tx::vote_producers{top}));

        std::vector<std::pair<int, account_address>> ranked;  // (0 for the heavier, address)
        for (std::size_t k = 0; k < n; ++k) {
            const auto address = crypto::address_of(b_keys[k].public_key());
            const bool heavier = std::find(top.begin(), top.end(), address) != top.end();
            ranked.emplace_back(heavier ? 0 : 1, address);
        }
        std::sort(ranked.begin(), ranked.end());
        std::vector<public_key> elected;
        for (const auto& [weight, address] : ranked)
            for (const auto& key : b_keys)
                if (crypto::address_of(key.public_key()) == address) elected.push_back(key.public_key());
        return {vote, elected};
    }

    // Runs until `tx` is final at producer 0 (and the other votes with it).
    std::uint64_t run_until_included(const protocols::transaction& tx) {
        for (const std::int64_t limit = net.now + 10'000;
             !final_height_of(tx) && net.now < limit;)
            net.run(50);
        BOOST_TEST_REQUIRE(final_height_of(tx).has_value());
        net.run(500);
        return *final_height_of(tx);
    }

    void check_same_heads(const std::set<std::size_t>& among) {
        const auto& first = net.producers[*among.begin()];
        for (auto i : among) {
            BOOST_TEST(net.producers[i].height().value == first.height().value, "producer " << i);
            BOOST_TEST((net.producers[i].final_hash() == first.final_hash()), "producer " << i);
            BOOST_TEST((net.producers[i].state().state_root() == first.state().state_root()),
                       "producer " << i);
        }
    }
};

// How the links behave around the switch.
struct epoch_links {
    // Every link delays messages (up to 250 ms, well over a 20 ms block interval) and
    // duplicates some, from this seed: votes, final blocks and the next height's messages
    // arrive out of order and twice around the switch.
    std::optional<std::uint64_t> seed;
    // The first proposer of the new set gets no message of the old epoch's last height
    // until the others are 3 heights into the new epoch: meanwhile it holds (defers) the new
    // set's proposals, votes and final blocks, and takes them once it gets there.
    bool hold_first_proposer = false;
};

// The votes cast in epoch 0 elect the four B keys: from the first height of the next epoch
// on, B proposes and finalizes every block (A follows without a word), so A can crash and
// the chain goes on, through the next election (the same set again), with transactions.
// Links turn instant before the heads are compared.
void elected_set_takes_over(const epoch_links& links) {
    epoch_network t(links.seed ? 20 : 100);
    auto& net = t.net;
    const auto a_set = t.keys_of(t.a);
    BOOST_TEST_REQUIRE((net.genesis_set == a_set));
    if (links.seed) {
        net.rng.emplace(*links.seed);
        net.duplication = 0.1;
        net.delay_max_ms = 250;
    }
    const auto height_of = [](const producer_message& m) -> std::uint64_t {
        if (const auto* p = proposal_in(m)) return p->height().value;
        if (const auto* v = vote_in(m)) return v->height.value;
        if (const auto* b = std::get_if<protocols::main_block>(&m.body)) return b->header.height.value;
        return 0;
    };
    std::uint64_t switch_height = UINT64_MAX;
    std::size_t early = 0;  // messages of the new epoch delivered to a producer still in the old
    net.delivered = [&](std::size_t to, const producer_message& m) {
        const auto h = height_of(m);
        if (h >= switch_height && h != 0 && net.producers[to].height().value < switch_height)
            ++early;
    };
    std::optional<std::size_t> held_at;  // the producer whose messages are held
    std::vector<std::pair<std::size_t, producer_message>> held;  // (from, message)
    net.link = [&](std::size_t from, std::size_t to, const producer_message& m) {
        if (!held_at || to != *held_at || height_of(m) + 1 != switch_height) return true;
        held.emplace_back(from, m);
        return false;
    };

    const auto [vote, elected] = t.stake_and_vote(4, 1, 1);
    const std::uint64_t voted_at = t.run_until_included(vote);
    const epoch_number switch_epoch = t.epoch_of(voted_at).next();
    switch_height = t.first_height_of(switch_epoch);
    BOOST_TEST_MESSAGE("votes final at height " << voted_at << ", new set from height "
                                                << switch_height);
    if (!links.seed) BOOST_TEST(switch_epoch.value == 1u);  // (the votes fit in epoch 0 then)
    BOOST_TEST((net.producers[0].state().elect_producers() == elected));

    if (links.hold_first_proposer) {
        const auto& first = elected[switch_height % elected.size()];  // proposer(switch, 0)
        for (auto i : t.b)
            if (net.keys[i].public_key() == first) held_at = i;
        BOOST_TEST_REQUIRE(held_at.has_value());
        std::set<std::size_t> others = t.all;
        others.erase(*held_at);
        t.run_until_final(others, switch_height + 3);
        BOOST_TEST(net.finals[*held_at].size() == switch_height - 2);
        BOOST_TEST(!held.empty());
        BOOST_TEST(early > 0u);
        BOOST_TEST(t.spoke[*held_at].empty());
        const std::size_t late = *held_at;
        BOOST_TEST_MESSAGE("producer " << late << ": " << held.size() << " messages held, "
                                       << early << " of the new epoch delivered early");
        held_at.reset();  // the held messages now arrive, and the links pass everything
        for (const auto& [from, m] : held) net.send(from, late, m);
        t.run_until_final(t.all, switch_height + 4);
        // It took the final blocks of the new set it had kept, and then takes part.
        BOOST_TEST(net.producers[late].stats().messages_refused == 0u,
                   net.producers[late].stats().last_refusal);
        t.run_until_final(t.all, switch_height + epoch_blocks / 2);
        BOOST_TEST_REQUIRE(!t.spoke[late].empty());
        BOOST_TEST(*t.spoke[late].rbegin() > switch_height + 4);
    }

    // Into the new epoch with everyone running: A follows it.
    t.run_until_final(t.all, switch_height + epoch_blocks / 2);
    if (links.seed) {
        net.rng.reset();  // instant links again: the producers get level
        net.run(300);
        BOOST_TEST_MESSAGE("seed " << *links.seed << ": " << early
                                   << " messages of the new epoch delivered early");
    }
    t.check_blocks(t.all, 1, switch_height - 1, a_set);
    t.check_blocks(t.all, switch_height, switch_height + epoch_blocks, elected);
    for (auto i : t.all) {
        BOOST_TEST_CONTEXT("producer " << i) {
            const auto& p = net.producers[i];
            BOOST_TEST(p.state().epoch().value >= switch_epoch.value);
            BOOST_TEST((p.state().producers() == elected));
            // Proposals and votes: A's only below the switch, B's only from it on.
            BOOST_TEST_REQUIRE(!t.spoke[i].empty());
            if (t.a.count(i)) BOOST_TEST(*t.spoke[i].rbegin() < switch_height);
            else BOOST_TEST(*t.spoke[i].begin() >= switch_height);
            BOOST_TEST(p.stats().blocks_finalized >= switch_height + epoch_blocks / 2);
            BOOST_TEST(p.stats().messages_refused == 0u, p.stats().last_refusal);
        }
    }
    for (auto i : t.b) BOOST_TEST(net.producers[i].stats().blocks_proposed >= 1u);
    t.check_same_heads(t.all);

    // A is no longer needed: crashed, the chain goes on with B alone, across the next
    // election (which elects B again) and with transfers.
    for (auto i : t.a) net.crashed.insert(i);
    const auto a_final = net.min_final(t.a);
    const auto alice = test_key(1), bob = test_key(2);
    for (std::uint64_t n = 3; n <= 12; ++n) {
        net.submit(4 + n % 4, transfer(alice, n, bob, 5));
        net.run(100);
    }
    const std::uint64_t target = t.first_height_of(switch_epoch.next()) + epoch_blocks / 2;
    t.run_until_final(t.b, target);
    net.run(500);
    for (auto i : t.a) BOOST_TEST(net.finals[i].size() == a_final);
    t.check_blocks(t.b, switch_height, net.min_final(t.b), elected);
    net.check_chains(t.all);
    for (std::uint64_t h = 1; h <= net.min_final(t.b); ++h)
        BOOST_TEST((net.set_at.at(h) == (h < switch_height ? a_set : elected)), "height " << h);
    t.check_same_heads(t.b);
    for (auto i : t.b) {
        const auto& p = net.producers[i];
        BOOST_TEST(p.state().epoch().value >= switch_epoch.value + 1);
        BOOST_TEST((p.state().producers() == elected));
        BOOST_TEST(p.state().balance_of(crypto::address_of(bob.public_key())) ==
                   50'000u - 1'000u - 2u + 50u);
        BOOST_TEST(p.state().total_tokens() == net.genesis_tokens);
        BOOST_TEST(p.mempool_size() == 0u);
    }
    BOOST_TEST(net.evidence.empty());
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_elected_set_takes_over_at_the_next_epoch) { elected_set_takes_over({}); }

BOOST_AUTO_TEST_CASE(a_new_producer_behind_the_switch_replays_the_new_sets_messages) {
    elected_set_takes_over({std::nullopt, true});
}

BOOST_AUTO_TEST_CASE(an_elected_set_takes_over_on_reordering_links) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed)
        BOOST_TEST_CONTEXT("seed " << seed) { elected_set_takes_over({seed, false}); }
}

// Only three candidates qualify for a set of at least four: the election of epoch 1 keeps
// the genesis set, which goes on proposing and finalizing (the candidates follow). Once a
// fourth candidate stakes and is voted for during epoch 1, the set changes at epoch 2.
BOOST_AUTO_TEST_CASE(too_few_candidates_keep_the_old_set_until_enough_qualify) {
    epoch_network t;
    auto& net = t.net;
    const auto a_set = t.keys_of(t.a);

    const auto [vote, three] = t.stake_and_vote(3, 1, 1);
    const std::uint64_t voted_at = t.run_until_included(vote);
    BOOST_TEST_REQUIRE(t.epoch_of(voted_at).value == 0u);
    BOOST_TEST(three.size() == 3u);
    std::size_t qualified = 0;
    for (const auto& [address, weight] : net.producers[0].state().producer_candidates())
        qualified += weight > 0 ? 1 : 0;
    BOOST_TEST(qualified == 3u);
    BOOST_TEST(net.producers[0].state().elect_producers().empty());

    // Through epoch 1 on the genesis set.
    const std::uint64_t epoch_1 = t.first_height_of(epoch_number{1});
    t.run_until_final(t.all, epoch_1 + 1);
    for (auto i : t.all) {
        BOOST_TEST(net.producers[i].state().epoch().value == 1u);
        BOOST_TEST((net.producers[i].state().producers() == a_set));
    }

    // The fourth candidate stakes, alice and bob vote again: all four qualify.
    const auto [vote_again, elected] = t.stake_and_vote(4, 3, 3);
    const std::uint64_t revoted_at = t.run_until_included(vote_again);
    const epoch_number switch_epoch = t.epoch_of(revoted_at).next();
    const std::uint64_t switch_height = t.first_height_of(switch_epoch);
    BOOST_TEST_MESSAGE("fourth candidate voted in at height " << revoted_at
                                                             << ", new set from height "
                                                             << switch_height);
    BOOST_TEST(switch_epoch.value >= 2u);
    t.run_until_final(t.all, switch_height + epoch_blocks / 2);

    t.check_blocks(t.all, 1, switch_height - 1, a_set);
    t.check_blocks(t.all, switch_height, net.min_final(t.all), elected);
    for (auto i : t.all) {
        BOOST_TEST_CONTEXT("producer " << i) {
            BOOST_TEST_REQUIRE(!t.spoke[i].empty());
            if (t.a.count(i)) BOOST_TEST(*t.spoke[i].rbegin() < switch_height);
            else BOOST_TEST(*t.spoke[i].begin() >= switch_height);
            BOOST_TEST(net.producers[i].stats().messages_refused == 0u,
                       net.producers[i].stats().last_refusal);
        }
    }
    net.check_chains(t.all);
    for (std::uint64_t h = 1; h <= net.min_final(t.all); ++h)
        BOOST_TEST((net.set_at.at(h) == (h < switch_height ? a_set : elected)), "height " << h);
    t.check_same_heads(t.all);
    BOOST_TEST(net.evidence.empty());
}
