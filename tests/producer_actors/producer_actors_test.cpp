// Block producer actors in one process (sim/producer_cluster): four producers, each with its
// router and SQLite store, talking through the simulated network under CAF's deterministic
// scheduler with virtual time. Checks: blocks become final with one head hash and state
// root everywhere and are on disk; client transfers are included and balances and total
// tokens hold; a crashed producer, the proposer included, does not stop the chain; a
// restarted producer reloads its store and catches up from peers; one whose store is lost
// catches up from genesis; a corrupt store is refused at start; an isolated producer
// catches up once the partition heals; a peer that claims heights it does not serve cannot
// hold up catching up; a producer that crashes mid-height takes back what it signed there
// and signs nothing else for those slots (no evidence against it, its block decided);
// damaged own records are refused at start; bad payloads from a peer are counted, never
// applied; over a seeded
// lossy network, with a producer crashing and catching up, the chain never forks and ends
// with one head (COVENANT_PRODUCER_ACTOR_SEEDS=N widens that sweep, default 3).
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "protocols/codec.hpp"
#include "protocols/main_chain/producer_wire.hpp"
#include "sim/producer_cluster.hpp"
#include "storage/main_chain_store.hpp"
#include "storage/producer_record_store.hpp"

using namespace covenant;
using sim::producer_cluster;
using sim::producer_cluster_options;

namespace {

void require_no_fork(const producer_cluster& c) {
    const auto fork = c.fork();
    BOOST_TEST_REQUIRE(!fork.has_value(), (fork ? *fork : std::string()));
}

/// Every running producer: stored chain as long as its final height, tokens conserved,
/// nothing undecodable, no evidence.
void check_running(producer_cluster& c) {
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (!c.alive(i)) continue;
        const auto s = c.status(i);
        BOOST_TEST(s.stored_height == s.final_height, "producer " << i);
        BOOST_TEST(s.total_tokens == c.genesis_tokens(), "producer " << i);
        BOOST_TEST(s.undecodable_payloads == 0u, "producer " << i);
        BOOST_TEST(s.evidence_count == 0u, "producer " << i);
        const auto chain = c.stored_chain(i);
        BOOST_TEST_REQUIRE(chain.size() == s.final_height);
        if (!chain.empty()) {
            BOOST_TEST((chain.back().hash().view().to_bytes() == s.head_hash));
            BOOST_TEST((chain.back().header.state_root.view().to_bytes() == s.state_root));
        }
    }
}

std::uint64_t height_of(producer_cluster& c, std::size_t i) {
    return c.status(i).final_height;
}

/// One line about producer i, for the test log (--log_level=message).
void describe(producer_cluster& c, std::size_t i) {
    const auto s = c.status(i);
    BOOST_TEST_MESSAGE("producer " << i << ": height " << s.final_height << ", round " << s.round
                                   << ", proposed " << s.blocks_proposed << ", round changes "
                                   << s.round_changes << ", fetches " << s.fetches_sent << " sent ("
                                   << s.fetches_unanswered << " unanswered) / " << s.fetches_served
                                   << " served, blocks fetched " << s.blocks_fetched << ", refused "
                                   << s.messages_refused << " (" << s.last_refusal << ")");
}

/// Makes the stored block at `height` another stored block's bytes: a file altered on disk.
void corrupt_store(const std::string& path, std::uint64_t height) {
    sqlite3* db = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const std::string sql =
        "UPDATE main_block SET encoded = (SELECT encoded FROM main_block"
        " WHERE height = " +
        std::to_string(height + 1) + ") WHERE height = " + std::to_string(height);
    BOOST_TEST(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    BOOST_TEST(sqlite3_changes(db) == 1);
    sqlite3_close(db);
}

/// Runs `sql` on the store file behind the producer's back.
void alter_file(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    BOOST_TEST(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK,
               sqlite3_errmsg(db));
    BOOST_TEST(sqlite3_changes(db) == 1);
    sqlite3_close(db);
}

/// The SQL blob literal of `b`.
std::string blob_literal(const bytes& b) {
    return "X'" + to_hex(b) + "'";
}

/// The SQL condition that picks the row of `r`.
std::string slot_of(const main_chain::producer_record& r) {
    return " WHERE height = " + std::to_string(r.height().value) +
           " AND round = " + std::to_string(r.round().value) +
           " AND kind = " + std::to_string(static_cast<int>(r.what()));
}

}  // namespace

BOOST_AUTO_TEST_CASE(blocks_become_final_with_one_head_and_state_root) {
    producer_cluster c;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(10); }, 5000));
    check_running(c);
    require_no_fork(c);
    for (std::size_t i = 0; i < c.size(); ++i) {
        const auto s = c.status(i);
        BOOST_TEST(s.blocks_proposed > 0u, "producer " << i << " took its turns");
        BOOST_TEST(s.blocks_fetched == 0u, "nobody fell behind");
        BOOST_TEST(s.fetch_replies_refused == 0u);
    }
}

BOOST_AUTO_TEST_CASE(transfers_submitted_to_one_producer_are_final_everywhere) {
    producer_cluster c;
    constexpr std::uint64_t transfers = 30, amount = 100, fee = 1;
    const std::uint64_t initial = producer_cluster_options{}.account_balance;
    for (std::uint64_t k = 0; k < transfers; ++k) {
        const auto verdict = c.submit(1, c.transfer(0, 1, amount, fee));
        BOOST_TEST(verdict.accepted, verdict.reason);
        c.run_for(7);
    }
    auto forged = c.transfer(2, 3, 5);
    forged.fee = 0;  // changed after signing
    const auto refused = c.submit(1, forged);
    BOOST_TEST(!refused.accepted);
    BOOST_TEST(!refused.reason.empty());

    const auto spent = transfers * (amount + fee);
    BOOST_TEST_REQUIRE(c.run_until(
        [&] {
            if (!c.converged(1)) return false;
            for (std::size_t i = 0; i < c.size(); ++i)
                if (c.balance(i, c.address(0)) != initial - spent) return false;
            return true;
        },
        5000));
    for (std::size_t i = 0; i < c.size(); ++i) {
        BOOST_TEST(c.balance(i, c.address(1)) == initial + transfers * amount);
        BOOST_TEST(c.balance(i, c.address(2)) == initial);
        BOOST_TEST(c.status(i).mempool_size == 0u);
    }
    std::uint64_t included = 0;
    for (const auto& block : c.stored_chain(0)) included += block.transactions.size();
    BOOST_TEST(included == transfers);
    check_running(c);
    require_no_fork(c);
}

BOOST_AUTO_TEST_CASE(crashed_proposer_does_not_stop_the_chain) {
    producer_cluster c;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(3); }, 3000));
    const std::uint64_t h = height_of(c, 0);
    const std::size_t victim = c.proposer_index(block_height(h + 1), view_number(0));
    c.crash(victim);
    const std::size_t survivor = (victim + 1) % c.size();
    for (std::uint64_t k = 0; k < 5; ++k)
        BOOST_TEST(c.submit(survivor, c.transfer(0, 2, 10)).accepted);
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(h + 8); }, 20000));
    BOOST_TEST(c.status(survivor).round_changes > 0u);
    describe(c, survivor);
    BOOST_TEST(c.balance(survivor, c.address(2)) ==
               producer_cluster_options{}.account_balance + 50);
    check_running(c);
    require_no_fork(c);  // the victim's store is a prefix of the others'
}

BOOST_AUTO_TEST_CASE(restarted_producer_reloads_its_store_and_catches_up) {
    producer_cluster c;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(5); }, 3000));
    c.crash(2);
    const auto stored = c.stored_chain(2);
    BOOST_TEST_REQUIRE(stored.size() >= 5u);
    for (std::uint64_t k = 0; k < 10; ++k) {
        BOOST_TEST(c.submit(0, c.transfer(1, 3, 25)).accepted);
        c.run_for(50);
    }
    BOOST_TEST_REQUIRE(c.run_until([&] { return height_of(c, 0) >= stored.size() + 20; }, 10000));

    BOOST_TEST_REQUIRE(c.restart(2).ok());
    const auto reloaded = c.status(2);  // before it has heard from anyone
    BOOST_TEST(reloaded.final_height == stored.size());
    BOOST_TEST((reloaded.head_hash == stored.back().hash().view().to_bytes()));
    BOOST_TEST((reloaded.state_root == stored.back().header.state_root.view().to_bytes()));

    const std::uint64_t target = height_of(c, 0) + 2;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(target); }, 10000));
    const auto caught_up = c.status(2);
    BOOST_TEST(caught_up.blocks_fetched >= 20u);
    BOOST_TEST(caught_up.fetches_sent >= 3u, "fetches of at most 8 blocks each");
    BOOST_TEST(caught_up.fetched_blocks_refused == 0u);
    BOOST_TEST(c.balance(2, c.address(3)) == producer_cluster_options{}.account_balance + 250);
    describe(c, 2);
    check_running(c);
    require_no_fork(c);
}

BOOST_AUTO_TEST_CASE(producer_with_a_lost_store_catches_up_from_genesis) {
    producer_cluster c;
    for (std::uint64_t k = 0; k < 6; ++k)
        BOOST_TEST(c.submit(k % 4, c.transfer(k % 2, 2, 7)).accepted);
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(15); }, 5000));
    c.crash(3);
    c.delete_store(3);
    BOOST_TEST_REQUIRE(c.restart(3).ok());
    BOOST_TEST(c.status(3).final_height == 0u);
    const std::uint64_t target = height_of(c, 0) + 2;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(target); }, 10000));
    BOOST_TEST(c.status(3).blocks_fetched >= 15u);
    BOOST_TEST(c.balance(3, c.address(2)) == producer_cluster_options{}.account_balance + 42);
    describe(c, 3);
    check_running(c);
    require_no_fork(c);
}

BOOST_AUTO_TEST_CASE(corrupt_store_is_refused_at_start) {
    producer_cluster c;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(4); }, 3000));
    c.crash(1);
    corrupt_store(c.store_path(1), 2);
    const auto refused = c.restart(1);
    BOOST_TEST_REQUIRE(!refused.ok());
    BOOST_TEST((refused.failure().code.category() == storage::main_store_category()),
               refused.failure().message());
    BOOST_TEST(!c.alive(1));
    // The others go on; the producer comes back once its store is replaced.
    const std::uint64_t h = height_of(c, 0);
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(h + 3); }, 10000));
    c.delete_store(1);
    BOOST_TEST_REQUIRE(c.restart(1).ok());
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(h + 6); }, 10000));
    check_running(c);
    require_no_fork(c);
}

BOOST_AUTO_TEST_CASE(isolated_producer_catches_up_after_the_partition_heals) {
    producer_cluster c;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(3); }, 3000));
    c.isolate(0);
    const std::uint64_t h = height_of(c, 1);
    BOOST_TEST_REQUIRE(c.run_until([&] { return height_of(c, 1) >= h + 12; }, 15000));
    BOOST_TEST(height_of(c, 0) <= h + 1);
    c.isolate(0, false);
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(h + 12); }, 10000));
    BOOST_TEST(c.status(0).blocks_fetched >= 10u);
    describe(c, 0);
    check_running(c);
    require_no_fork(c);
}

BOOST_AUTO_TEST_CASE(a_peer_claiming_heights_it_does_not_serve_cannot_hold_up_catch_up) {
    producer_cluster c;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(3); }, 3000));
    c.crash(2);
    const std::uint64_t stored = c.stored_chain(2).size();
    BOOST_TEST_REQUIRE(c.run_until([&] { return height_of(c, 0) >= stored + 20; }, 10000));
    // Producer 1 keeps claiming a height far ahead (a validly signed vote) but nothing it
    // sends reaches producer 2: fetches to it go unanswered.
    c.cut(1, 2);
    main_chain::block_vote claim;
    claim.height = block_height(1'000'000);
    claim.round = view_number(0);
    claim.what = main_chain::block_vote::kind::prevote;
    claim.sign(c.producer_key(1));
    const auto wire = main_chain::encode_producer_message({claim});
    const bytes forged =
        protocols::encode(protocols::seal_envelope(c.producer_key(1), 0, wire.kind, wire.payload));
    BOOST_TEST_REQUIRE(c.restart(2).ok());
    const bool caught_up = c.run_until(
        [&] {
            c.inject_wire(2, forged);
            return height_of(c, 2) + 1 >= height_of(c, 0);
        },
        5000);
    BOOST_TEST_REQUIRE(caught_up);
    const auto s = c.status(2);
    BOOST_TEST(s.blocks_fetched >= 20u, "fetched from the peers that serve");
    BOOST_TEST(s.fetches_unanswered == 1u, "the peer that did not answer was not asked again");
    describe(c, 2);
    c.cut(1, 2, false);
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(stored + 22); }, 5000));
    require_no_fork(c);
}

// A producer crashes right after it proposed a block (its proposal and its prevote on disk,
// then sent) while another producer is cut off, so the two left cannot decide that height
// without it. Restarted on its store, it takes those records back and sends the same
// proposal and prevote again: its records for those slots stay the ones it held at the
// crash, the height decides the block it proposed before the crash, nobody holds evidence
// against it, and the chain goes on with one head. (Restarted without its records, it
// would propose a second block for the round -- another timestamp -- and be reported.)
BOOST_AUTO_TEST_CASE(a_producer_restarted_mid_height_signs_nothing_new_for_its_slots) {
    using kind = main_chain::producer_record::kind;
    producer_cluster c;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(2); }, 3000));
    const std::size_t victim = 0, cut_off = 3;
    c.isolate(cut_off);
    // Step by step (1 ms, less than any link's delay) until the victim has proposed: it has
    // then heard nothing back yet.
    const auto proposed = c.status(victim).blocks_proposed;
    std::uint64_t h = 0;
    for (int t = 0; t < 5000 && h == 0; ++t) {
        c.run_for(1);
        const auto s = c.status(victim);
        if (s.blocks_proposed > proposed) h = s.final_height + 1;
    }
    BOOST_TEST_REQUIRE(h > 0u);
    c.crash(victim);
    // Its proposal and its prevote for it (and, if it proposes in a later round because the
    // cut-off producer's round came first, its nil votes of the rounds before).
    const auto before = c.stored_records(victim);
    std::map<std::pair<std::uint64_t, kind>, main_chain::producer_record> slots;
    for (const auto& r : before) {
        BOOST_TEST(r.height().value == h);
        slots.emplace(std::make_pair(r.round().value, r.what()), r);
    }
    const auto proposal = std::find_if(before.begin(), before.end(),
                                       [](const auto& r) { return r.what() == kind::proposal; });
    BOOST_TEST_REQUIRE((proposal != before.end()));
    const std::uint64_t round = proposal->round().value;
    BOOST_TEST_REQUIRE(slots.count({round, kind::prevote}) == 1u);
    BOOST_TEST(slots.count({round, kind::precommit}) == 0u);
    const digest proposed_block = std::get<main_chain::block_proposal>(proposal->body).block.hash();
    BOOST_TEST(
        (std::get<main_chain::block_vote>(slots.at({round, kind::prevote}).body).block_hash ==
         proposed_block));
    BOOST_TEST_MESSAGE("crashed at height " << h << ", round " << round << ", holding "
                                            << before.size() << " records");

    c.run_for(1500);
    for (std::size_t i : {1, 2}) BOOST_TEST_REQUIRE(height_of(c, i) == h - 1, "stalled without it");

    BOOST_TEST_REQUIRE(c.restart(victim).ok());
    BOOST_TEST(c.status(victim).records_restored == before.size());
    // Until the height is final at the victim (its records of it are then deleted), every
    // record it holds for a slot it had signed before the crash is the one from before.
    std::size_t checks = 0;
    for (int t = 0; t < 3000 && height_of(c, victim) < h; t += 2) {
        for (const auto& r : c.stored_records(victim)) {
            auto held = std::find_if(before.begin(), before.end(), [&](const auto& b) {
                return b.height() == r.height() && b.round() == r.round() && b.what() == r.what();
            });
            if (held == before.end()) continue;
            BOOST_TEST((*held == r), "slot of kind " << static_cast<int>(r.what()));
            ++checks;
        }
        c.run_for(2);
    }
    BOOST_TEST(checks >= before.size());
    BOOST_TEST_REQUIRE(height_of(c, victim) >= h);
    BOOST_TEST(c.status(victim).votes_repeated == 0u, "no rule asked for a signed slot again");

    c.isolate(cut_off, false);
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(h + 3); }, 10000));
    BOOST_TEST((c.stored_chain(1).at(h - 1).hash() == proposed_block));
    describe(c, victim);
    check_running(c);  // no evidence anywhere
    require_no_fork(c);
}

// A producer's own records damaged on disk, or not its own, are an error value at start and
// no actor; put back, the producer starts on them and catches up.
BOOST_AUTO_TEST_CASE(damaged_own_records_are_refused_at_start) {
    producer_cluster c;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(2); }, 3000));
    const std::size_t victim = 1;
    std::vector<main_chain::producer_record> records;
    for (int t = 0; t < 3000 && records.empty(); ++t) {
        c.run_for(1);
        records = c.stored_records(victim);
    }
    BOOST_TEST_REQUIRE(!records.empty());
    c.crash(victim);
    records = c.stored_records(victim);
    const auto r = records.front();
    const auto path = c.store_path(victim);
    const bytes original = storage::producer_record_store::encode(r);
    const auto refused = [&](const std::string& words) {
        const auto started = c.restart(victim);
        BOOST_TEST_REQUIRE(!started.ok());
        BOOST_TEST((started.failure().code ==
                    storage::make_error_code(storage::main_store_errc::corrupt_record)),
                   started.failure().message());
        BOOST_TEST(started.failure().message().find(words) != std::string::npos,
                   started.failure().message());
        BOOST_TEST(!c.alive(victim));
    };

    bytes flipped = original;
    flipped[flipped.size() / 2] ^= 0x10;
    alter_file(path, "UPDATE producer_record SET encoded = " + blob_literal(flipped) + slot_of(r));
    refused("record of height");
    alter_file(path, "UPDATE producer_record SET encoded = " + blob_literal(original) + slot_of(r));

    alter_file(path, "UPDATE producer_record SET height = height + 5" + slot_of(r));
    refused("above the height being decided");
    alter_file(path, "UPDATE producer_record SET height = height - 5 WHERE height = " +
                         std::to_string(r.height().value + 5));

    // Well-formed and validly signed, but another producer's vote.
    main_chain::block_vote theirs{
        r.height(), view_number(9), main_chain::block_vote::kind::prevote, std::nullopt, {}, {}};
    theirs.sign(c.producer_key(2));
    alter_file(path, "INSERT INTO producer_record (height, round, kind, encoded) VALUES (" +
                         std::to_string(r.height().value) + ", 9, 0, " +
                         blob_literal(storage::producer_record_store::encode({theirs})) + ")");
    refused("another producer");
    alter_file(path, "DELETE FROM producer_record WHERE round = 9");

    BOOST_TEST_REQUIRE(c.restart(victim).ok());
    BOOST_TEST(c.status(victim).records_restored == records.size());
    const std::uint64_t target = height_of(c, 0) + 2;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(target); }, 10000));
    check_running(c);
    require_no_fork(c);
}

BOOST_AUTO_TEST_CASE(bad_payloads_from_a_peer_are_counted_and_refused) {
    using protocols::message_kind;
    producer_cluster c;
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(2); }, 3000));
    // Through producer 1's real router and signed envelope, to producer 0.
    c.send_as(1, 0, message_kind::main_block, bytes(24, 0xab));
    c.send_as(1, 0, message_kind::main_block_fetch, bytes(8, 0x01));
    // A reply nobody asked for: its blocks would be valid, but are not even looked at.
    main_chain::block_fetch_reply unsolicited;
    unsolicited.head_height = block_height(1000);
    unsolicited.blocks = c.stored_chain(1);
    c.send_as(1, 0, message_kind::main_block_fetch_reply, protocols::encode(unsolicited));
    // A well-formed fetch is served, and the reply refused by producer 1, which did not ask.
    c.send_as(1, 0, message_kind::main_block_fetch,
              protocols::encode(main_chain::block_fetch{block_height(1), 4}));
    c.run_for(20);
    const auto s = c.status(0);
    BOOST_TEST(s.undecodable_payloads == 2u);
    BOOST_TEST(s.fetch_replies_refused == 1u);
    BOOST_TEST(s.blocks_fetched == 0u);
    BOOST_TEST(s.fetches_served >= 1u);
    BOOST_TEST(c.status(1).fetch_replies_refused >= 1u);
    const std::uint64_t h = height_of(c, 0);
    BOOST_TEST_REQUIRE(c.run_until([&] { return c.converged(h + 3); }, 5000));
    require_no_fork(c);
}

BOOST_AUTO_TEST_CASE(lossy_network_sweep_never_forks) {
    const char* configured = std::getenv("COVENANT_PRODUCER_ACTOR_SEEDS");
    const std::uint64_t seeds = configured ? std::strtoull(configured, nullptr, 10) : 3;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        BOOST_TEST_CONTEXT("seed " << seed) {
            producer_cluster_options o;
            o.seed = seed;
            o.faults = {100'000, 20'000, 1, 30, true};  // 10% lost, 2% twice, reordered
            producer_cluster c(o);
            // One producer crashes for a while and restarts on its store: it catches up
            // through a lossy network (by fetches, whose losses are retried, or from the
            // final blocks its peers send laggards).
            const std::size_t victim = seed % c.size();
            for (std::uint64_t k = 0; k < 10; ++k) {
                const std::size_t to = (victim + 1 + k % 3) % c.size();
                BOOST_TEST(c.submit(to, c.transfer(k % 3, 3, 11)).accepted);
                c.run_for(200);
                if (k == 2) c.crash(victim);
            }
            BOOST_TEST_REQUIRE(c.restart(victim).ok());
            c.run_for(3000);
            const auto faults = c.net_stats();
            BOOST_TEST(faults.dropped > 0u);
            BOOST_TEST(faults.duplicated > 0u);
            c.set_faults({0, 0, 1, 3, false});
            BOOST_TEST(c.run_until([&] { return c.converged(1); }, 15000));
            require_no_fork(c);
            for (std::size_t i = 0; i < c.size(); ++i) {
                BOOST_TEST(c.status(i).total_tokens == c.genesis_tokens());
                // The restarted producer took back what it had signed: nobody reports it.
                BOOST_TEST(c.status(i).evidence_count == 0u);
                BOOST_TEST(c.balance(i, c.address(3)) ==
                           producer_cluster_options{}.account_balance + 110);
                describe(c, i);
            }
        }
    }
}
