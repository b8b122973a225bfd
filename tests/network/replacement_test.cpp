// A member replaced by the main chain, end to end in one process: evidence against a member
// is final, the chain burns its deposit and puts a spare miner in its place, in a view of
// its own; the replacement (here the new view's leader) catches up on batches that the old
// group committed, checking their certificates against that group; writes go on; every
// member of the new group holds the same rows and digest; their shard chains verify
// against the database's groups by view; tokens are conserved; a member that stays starts
// its replica for the new group only once the old one has closed the files.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "network_support.hpp"
#include "protocols/kayak/client_check.hpp"
#include "protocols/shard_chain.hpp"
#include "sim/chain_cluster.hpp"

using namespace covenant;
using namespace covenant::protocols;
using namespace covenant::network_test;
using covenant::sim::chain_cluster;

namespace {

std::vector<public_key> members_served(chain_cluster& net, std::size_t i, const database_id& db) {
    for (const auto& d : net.miner_status(i).databases)
        if (d.id == db.view().to_bytes()) {
            std::vector<public_key> out;
            for (const auto& m : d.members) out.push_back(*public_key::from_view(m));
            return out;
        }
    return {};
}

vote signed_vote(const crypto::key_pair& voter, const database_id& db, std::uint8_t hash_byte) {
    vote v;
    v.phase = vote_phase::prepare;
    v.database = db;
    v.view = view_number(0);
    v.seq = sequence_number(1'000);
    v.batch_hash.data.fill(hash_byte);
    v.voter = voter.public_key();
    v.sign(voter);
    return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_member_replaced_by_the_chain_is_caught_up_by_its_replacement) {
    sim::chain_cluster_options options;
    options.miners = 5;  // four members and a spare
    chain_cluster net(options);
    const std::uint64_t genesis_tokens = net.producer_status(0).total_tokens;
    net.register_miners();
    BOOST_TEST_REQUIRE(net.run_until([&] { return net.chain_height() >= 2; }, 5'000));
    const auto db = net.create_database(4, consistency_mode::strong);
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            std::size_t serving = 0;
            for (std::size_t i = 0; i < net.miner_count(); ++i)
                serving += net.miner_status(i).databases.size();
            return serving == 4;
        },
        10'000));
    std::size_t first = 0;
    while (members_served(net, first, db).empty()) ++first;
    const std::vector<public_key> old_members = members_served(net, first, db);
    std::vector<std::size_t> old_index;
    for (const auto& m : old_members) old_index.push_back(net.miner_index(m));
    std::size_t spare = 0;
    while (std::count(old_index.begin(), old_index.end(), spare) != 0) ++spare;
    const std::size_t leader = old_index[0];
    // The member in slot 1 is replaced: its successor in that slot leads view 1, so the
    // newcomer must catch up before it can propose anything.
    const std::size_t cheat = old_index[1];

    auto create = net.write(db, leader, {sql("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")});
    BOOST_TEST_REQUIRE(net.run_until([&] { return succeeded(net.response(create)); }, 5'000));
    for (int k = 0; k < 20; ++k) {
        auto w = net.write(db, leader, {sql("INSERT INTO t VALUES (" + std::to_string(k) + ", 'old')")});
        BOOST_TEST_REQUIRE(net.run_until([&] { return succeeded(net.response(w)); }, 5'000));
    }

    // Anyone may report two conflicting votes the member signed for one slot.
    const auto& cheat_key = net.miner_key(cheat);
    net.submit(net.owner(), tx::evidence{tx::conflicting_votes{signed_vote(cheat_key, db, 1),
                                                               signed_vote(cheat_key, db, 2)}});
    std::vector<public_key> new_members = old_members;
    new_members[1] = net.miner_key(spare).public_key();
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            for (std::size_t i = 0; i < net.miner_count(); ++i) {
                const bool member = i != cheat && (i == spare || std::count(old_index.begin(), old_index.end(), i));
                const auto st = net.replica_status(i, db);
                if (member != st.has_value()) return false;
                if (member && (st->view != 1 || members_served(net, i, db) != new_members)) return false;
            }
            return true;
        },
        20'000));
    const protocols::group_history groups(std::map<view_number, protocols::group>{
        {view_number(0), protocols::group(old_members)}, {view_number(1), protocols::group(new_members)}});

    // Writes go on through the newcomer, the leader of view 1, and its answers verify
    // against the groups by view.
    for (int k = 20; k < 30; ++k) {
        auto w = net.write(db, spare, {sql("INSERT INTO t VALUES (" + std::to_string(k) + ", 'new')")});
        BOOST_TEST_REQUIRE(net.run_until([&] { return succeeded(net.response(w)); }, 10'000));
        BOOST_TEST(!kayak::write_response_fault(*net.response(w), w, groups).has_value());
    }
    BOOST_TEST(net.replica_status(spare, db)->view == 1u);  // no further view change was needed

    // Every member of the new group holds all 31 batches' rows with one digest.
    std::vector<std::size_t> now_index;
    for (const auto& m : new_members) now_index.push_back(net.miner_index(m));
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            std::set<bytes> digests;
            for (auto i : now_index) {
                const auto st = net.replica_status(i, db);
                if (!st || st->last_executed < 31) return false;
                digests.insert(st->state_digest);
            }
            return digests.size() == 1;
        },
        10'000));
    for (auto i : now_index) {
        const auto rows = net.rows(i, db, "SELECT count(*), sum(v = 'old') FROM t");
        BOOST_TEST((rows.at(0).at(0) == sql_value::integer(30)));
        BOOST_TEST((rows.at(0).at(1) == sql_value::integer(20)));
    }
    BOOST_TEST(net.replica_status(spare, db)->catch_up_batches >= 21u);

    // Shard chains: blocks sealed by the old group and by the new one, each verifying
    // against the group of its views, on every member, the newcomer included.
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            for (auto i : now_index)
                if (net.replica_status(i, db)->shard_height < 3) return false;
            return true;
        },
        10'000));
    for (auto i : now_index) {
        const auto chain = net.shard_chain(i, db);
        const auto fault = verify_shard_chain(chain, groups);
        BOOST_TEST(!fault.has_value(), "miner " << i << ": " << (fault ? fault->reason : ""));
        BOOST_TEST((&shard_block_group(chain.front(), groups) == &groups.at(view_number(0))));
    }

    // The slashed deposit is burned, not lost: the token total stays that of genesis.
    BOOST_TEST(net.producer_status(0).total_tokens == genesis_tokens);
    // The members that stayed restarted their replicas for the new group, each only once
    // the old replica had ended and closed the database's files.
    BOOST_TEST(net.replica_overlaps() == 0u);
}
