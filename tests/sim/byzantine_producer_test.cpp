// A Byzantine block producer among four (f = 1) on a whole simulated network
// (sim/chain_cluster, byzantine_producers): it proposes two blocks for its turn to the two
// halves of the set, withholds, doubles or falsifies its votes, replays old messages and
// sends garbage. The honest producers must neither fork (every height they both stored
// holds the same block) nor stop (the chain keeps growing); a Byzantine miner beside it
// (byzantine_miners) must not stop the database's writes either.
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>

#include "sim/chain_cluster.hpp"
#include "sim/kayak_cluster.hpp"
#include "storage/main_chain_store.hpp"

using namespace covenant;
using namespace covenant::protocols;
using covenant::sim::byzantine_behavior;
using covenant::sim::byzantine_behaviors;
using covenant::sim::chain_cluster;
using covenant::sim::chain_cluster_options;

namespace {

/// The network, with each producer's stored chain readable (block hash by height).
class probed_network : public chain_cluster {
  public:
    using chain_cluster::chain_cluster;
    std::map<std::uint64_t, digest> stored_chain(std::size_t i) {
        auto store = storage::main_chain_store::open(producers_.at(i).path);
        BOOST_REQUIRE(store.ok());
        auto blocks = store.value()->load_all();
        BOOST_REQUIRE(blocks.ok());
        std::map<std::uint64_t, digest> out;
        for (const auto& b : blocks.value()) out[b.header.height.value] = b.hash();
        return out;
    }
};

/// The first height where two honest producers stored different blocks, or 0.
std::uint64_t fork_height(probed_network& net, const std::vector<std::size_t>& honest) {
    std::map<std::uint64_t, digest> seen;
    for (auto i : honest)
        for (const auto& [height, hash] : net.stored_chain(i)) {
            auto [at, inserted] = seen.emplace(height, hash);
            if (!inserted && at->second != hash) return height;
        }
    return 0;
}

void check_chain_with_byzantine_producer(byzantine_behaviors behaviors, std::uint64_t seed,
                                         std::uint32_t per_million = 300'000) {
    chain_cluster_options o;
    o.seed = seed;
    o.byzantine_per_million = per_million;
    o.byzantine_producers[1] = behaviors;
    probed_network net(o);
    const std::vector<std::size_t> honest{0, 2, 3};
    constexpr std::uint64_t target = 12;
    const bool grew = net.run_until(
        [&] {
            for (auto i : honest)
                if (net.producer_status(i).final_height < target) return false;
            return true;
        },
        30'000);
    for (auto i : honest) {
        const auto s = net.producer_status(i);
        BOOST_TEST_MESSAGE("producer " << i << ": height " << s.final_height << ", round changes "
                                       << s.round_changes << ", refused " << s.messages_refused
                                       << ", undecodable " << s.undecodable_payloads
                                       << ", evidence " << s.evidence_count);
    }
    BOOST_TEST(grew, "the honest producers kept finalizing blocks");
    if (behaviors.has(byzantine_behavior::equivocate)) {
        std::uint64_t evidence = 0;
        for (auto i : honest) evidence += net.producer_status(i).evidence_count;
        BOOST_TEST(evidence > 0u, "the double proposals were caught");
    }
    BOOST_TEST(fork_height(net, honest) == 0u, "no fork among the honest producers");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(byzantine_producer)

BOOST_AUTO_TEST_CASE(an_equivocating_producer_neither_forks_nor_stops_the_chain) {
    // Every one of its proposals is two blocks.
    check_chain_with_byzantine_producer({byzantine_behavior::equivocate}, 5, 1'000'000);
}

BOOST_AUTO_TEST_CASE(
    a_producer_withholding_and_falsifying_votes_neither_forks_nor_stops_the_chain) {
    check_chain_with_byzantine_producer(
        {byzantine_behavior::withhold_votes, byzantine_behavior::wrong_digests,
         byzantine_behavior::duplicate_votes},
        6);
}

BOOST_AUTO_TEST_CASE(a_producer_doing_everything_neither_forks_nor_stops_the_chain) {
    check_chain_with_byzantine_producer(byzantine_behaviors::all(), 7);
}

BOOST_AUTO_TEST_CASE(a_byzantine_miner_on_the_network_does_not_stop_its_database) {
    chain_cluster_options o;
    o.byzantine_miners[0] = byzantine_behaviors::all();
    chain_cluster net(o);
    net.register_miners();
    BOOST_TEST_REQUIRE(net.run_until([&] { return net.chain_height() >= 2; }, 5'000));
    const auto db = net.create_database(4, consistency_mode::strong);
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            for (std::size_t i = 0; i < net.miner_count(); ++i)
                if (net.miner_status(i).databases.size() != 1) return false;
            return true;
        },
        10'000));
    std::vector<std::size_t> honest;
    for (std::size_t i = 1; i < net.miner_count(); ++i) honest.push_back(i);
    // Writes through an honest member, sent again to every honest member now and then (a
    // client's timeout); the chain moves the view on the members' suspicions.
    std::vector<digest> sent;
    sent.push_back(
        net.write(db, honest[0], {sim::statement("CREATE TABLE t(k INTEGER PRIMARY KEY)")}));
    for (int k = 0; k < 5; ++k)
        sent.push_back(net.write(
            db, honest[0], {sim::statement("INSERT INTO t VALUES(" + std::to_string(k) + ")")}));
    auto rows_everywhere = [&] {
        for (auto i : honest) {
            auto r = net.replica_status(i, db);
            if (!r) return false;
            auto tables = net.rows(i, db, "SELECT name FROM sqlite_schema WHERE name = 't'");
            if (tables.empty()) return false;
            auto count = net.rows(i, db, "SELECT count(*) FROM t");
            if (std::get<std::int64_t>(count.at(0).at(0).value) != 5) return false;
        }
        return true;
    };
    bool done = false;
    for (int round = 0; round < 30 && !done; ++round) {
        done = net.run_until(rows_everywhere, 1'000);
        if (!done)
            for (const auto& w : sent)
                for (auto i : honest) net.send_again(w, i);
    }
    BOOST_TEST(done, "the honest members committed every write");
    std::set<bytes> digests;
    for (auto i : honest) digests.insert(net.replica_status(i, db)->state_digest);
    BOOST_TEST(digests.size() == 1u, "same state on the honest members");
    // Its conflicting signatures went to the chain as evidence, which slashed it.
    const auto* record = net.chain_state(0).miner(net.miner_key(0).public_key());
    BOOST_TEST_MESSAGE("the Byzantine miner " << (record && record->slashed ? "was" : "was not")
                                              << " slashed");
}

// chain_cluster_options::bugs reaches every miner's replicas: with nondeterministic-time,
// a statement reading 'now' leaves the members of one database with different digests at
// the same sequence (and none without it).
BOOST_AUTO_TEST_CASE(an_injected_bug_reaches_the_miners_of_a_whole_network) {
    for (bool bug : {false, true}) {
        chain_cluster_options o;
        if (bug) o.bugs.add(kayak::injected_bug::nondeterministic_time);
        chain_cluster net(o);
        net.register_miners();
        BOOST_TEST_REQUIRE(net.run_until([&] { return net.chain_height() >= 2; }, 5'000));
        const auto db = net.create_database(4, consistency_mode::strong);
        BOOST_TEST_REQUIRE(net.run_until(
            [&] {
                for (std::size_t i = 0; i < net.miner_count(); ++i)
                    if (net.miner_status(i).databases.size() != 1) return false;
                return true;
            },
            10'000));
        const auto leader =
            net.miner_index(*public_key::from_view(net.miner_status(0).databases[0].members[0]));
        const auto create = net.write(db, leader, {sim::statement("CREATE TABLE t(v TEXT)")});
        BOOST_TEST_REQUIRE(net.run_until([&] { return net.response(create).has_value(); }, 5'000));
        const auto now_write = net.write(
            db, leader,
            {sim::statement("INSERT INTO t VALUES(strftime('%Y-%m-%d %H:%M:%f', 'now'))")});
        const bool executed = net.run_until(
            [&] {
                for (std::size_t i = 0; i < net.miner_count(); ++i)
                    if (net.replica_status(i, db)->last_executed < 2) return false;
                return true;
            },
            5'000);
        for (std::size_t i = 0; i < net.miner_count(); ++i) {
            const auto s = *net.replica_status(i, db);
            BOOST_TEST_MESSAGE("bug " << bug << " miner " << i << ": executed " << s.last_executed
                                      << " committed " << s.last_committed << " view " << s.view
                                      << " refusal " << s.last_refusal);
        }
        if (auto r = net.response(now_write); r && std::holds_alternative<rejection>(r->body))
            BOOST_TEST_MESSAGE("refused: " << std::get<rejection>(r->body).message);
        BOOST_TEST_REQUIRE(executed);
        std::set<bytes> digests;
        for (std::size_t i = 0; i < net.miner_count(); ++i)
            digests.insert(net.replica_status(i, db)->state_digest);
        BOOST_TEST((digests.size() > 1) == bug,
                   (bug ? "with" : "without") << " the bug: " << digests.size() << " digests");
    }
}

BOOST_AUTO_TEST_SUITE_END()
