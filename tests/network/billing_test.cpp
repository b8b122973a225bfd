// Shard-chain checkpoints end to end, in one process: the miners of a database sign each
// shard block's checkpoint with its billing (the statements each client ran, at the sum of
// the members' prices), gather a quorum on their block votes, and the database's leader
// submits it; the chain records the head and pays the members from the owner's advance
// payment. An owner whose payment runs out is marked: its users' role falls to read, so
// their writes are refused and nothing refused is written.
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "network_support.hpp"
#include "sim/chain_cluster.hpp"

using namespace covenant;
using namespace covenant::protocols;
using namespace covenant::network_test;
using covenant::sim::chain_cluster;

namespace {

std::vector<std::size_t> members_of(chain_cluster& net, const database_id& db) {
    std::vector<std::size_t> out;
    const auto state = net.chain_state();
    for (const auto& m : *state.members(db)) out.push_back(net.miner_index(m));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(checkpoints_record_shard_heads_and_bill_the_owner) {
    chain_cluster net;
    const std::uint64_t genesis_tokens = net.producer_status(0).total_tokens;
    net.register_miners();  // price 1 each: the database pays 4 per statement
    BOOST_TEST_REQUIRE(net.run_until([&] { return net.chain_height() >= 2; }, 5'000));
    const std::uint64_t advance = 100'000;
    const auto db = net.create_database(4, consistency_mode::strong, advance);
    BOOST_TEST_REQUIRE(net.run_until([&] { return net.miner_status(0).databases.size() == 1; }, 10'000));
    const auto members = members_of(net, db);
    std::map<std::size_t, std::uint64_t> balance_before, nonce_before;
    {
        const auto state = net.chain_state();
        for (auto m : members) {
            const auto address = crypto::address_of(net.miner_key(m).public_key());
            balance_before[m] = state.balance_of(address);
            nonce_before[m] = state.next_nonce(address).value;
        }
    }

    // One statement per request, one request per batch: batch seq n has run n statements.
    auto create = net.write(db, members[0], {sql("CREATE TABLE t(k INTEGER PRIMARY KEY)")});
    BOOST_TEST_REQUIRE(net.run_until([&] { return succeeded(net.response(create)); }, 5'000));
    for (int k = 0; k < 40; ++k) {
        auto w = net.write(db, members[0], {sql("INSERT INTO t VALUES (" + std::to_string(k) + ")")});
        BOOST_TEST_REQUIRE(net.run_until([&] { return succeeded(net.response(w)); }, 5'000));
    }
    // Every stored block gets its checkpoint on the chain.
    std::uint64_t shard_height = 0;
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            shard_height = net.replica_status(members[0], db)->shard_height;
            const auto* record = net.chain_state().database(db);
            return shard_height >= 3 && record->checkpoint_height &&
                   record->checkpoint_height->value == shard_height;
        },
        10'000));

    const auto state = net.chain_state();
    const auto* record = state.database(db);
    const auto chain = net.shard_chain(members[1], db);
    BOOST_TEST_REQUIRE(chain.size() >= shard_height);
    const auto& head = chain.at(shard_height - 1);
    BOOST_TEST((record->checkpoint_head == head.hash()));
    BOOST_TEST((record->checkpoint_state == head.header.state_digest));
    // Billed: 4 per statement for every batch in the checkpointed blocks, split equally;
    // whoever submitted a checkpoint paid its fee (1).
    const std::uint64_t statements = head.entries.back().seq.value;
    BOOST_TEST(advance - record->advance_payment == 4 * statements);
    std::uint64_t submitted = 0;
    for (auto m : members) {
        const auto address = crypto::address_of(net.miner_key(m).public_key());
        const std::uint64_t fees = state.next_nonce(address).value - nonce_before[m];
        submitted += fees;
        BOOST_TEST(state.balance_of(address) + fees - balance_before[m] == statements);
    }
    BOOST_TEST(submitted == shard_height);  // one transaction per checkpoint: the leader's
    BOOST_TEST(!record->out_of_funds);
    BOOST_TEST(state.total_tokens() == genesis_tokens);
}

BOOST_AUTO_TEST_CASE(an_owner_out_of_funds_loses_writes) {
    chain_cluster net;
    net.register_miners();
    BOOST_TEST_REQUIRE(net.run_until([&] { return net.chain_height() >= 2; }, 5'000));
    // Enough for 5 statements at 4 each.
    const auto db = net.create_database(4, consistency_mode::strong, 20);
    BOOST_TEST_REQUIRE(net.run_until([&] { return net.miner_status(0).databases.size() == 1; }, 10'000));
    const auto members = members_of(net, db);
    auto create = net.write(db, members[0], {sql("CREATE TABLE t(k INTEGER PRIMARY KEY)")});
    BOOST_TEST_REQUIRE(net.run_until([&] { return succeeded(net.response(create)); }, 5'000));

    // Writes go on until a checkpoint bills more than is left; then the chain marks the
    // owner. A write racing the mark may be judged under the old role by the leader and the
    // new one by a follower (docs/main-chain.md): it waits, and the client sends it again
    // once every member has followed the chain past the mark; then it is refused.
    int written = 0;
    digest last{};
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            if (refused(net.response(last))) return true;
            if (last == digest{} || succeeded(net.response(last))) {
                if (last != digest{}) ++written;
                last = net.write(db, members[0], {sql("INSERT INTO t VALUES (" + std::to_string(written) + ")")});
            }
            return net.chain_state().database(db)->out_of_funds;
        },
        30'000));
    const std::uint64_t marked_by = net.chain_height();
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            for (auto m : members)
                if (net.miner_status(m).chain_height < marked_by) return false;
            return true;
        },
        10'000));
    if (succeeded(net.response(last))) {
        ++written;
        last = net.write(db, members[0], {sql("INSERT INTO t VALUES (" + std::to_string(written) + ")")});
    }
    int checks = 0;
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            if (!net.response(last) && ++checks % 20 == 0) net.send_again(last, members[0]);
            return refused(net.response(last));
        },
        10'000));
    const auto state = net.chain_state();
    BOOST_TEST(state.database(db)->out_of_funds);
    BOOST_TEST(state.database(db)->advance_payment == 0u);
    BOOST_TEST(written > 5);  // billing lags behind: a checkpoint comes with each block
    const auto rejected = std::get<rejection>(net.response(last)->body);
    BOOST_TEST((rejected.reason == rejection_reason::not_permitted));
    // Nothing refused was written; what was written stays readable.
    for (auto m : members) {
        const auto rows = net.rows(m, db, "SELECT count(*) FROM t");
        BOOST_TEST((rows.at(0).at(0) == sql_value::integer(written)));
    }
}
