// Byzantine members against honest ones. The test plays a Byzantine leader (member 0's
// key, sending through member 0's router, its honest replica stopped) or a Byzantine
// follower, and checks that the honest members commit nothing bad, keep evidence of
// equivocation, and go on after a view change with identical state.
#include <boost/test/unit_test.hpp>

#include "sim/kayak_cluster.hpp"
#include "actors/router/router.hpp"
#include "protocols/codec.hpp"
#include "protocols/kayak/client_check.hpp"

using namespace covenant;
using namespace covenant::protocols;
using covenant::sim::cluster;
using covenant::sim::cluster_options;
using covenant::sim::statement;

namespace {

constexpr std::int64_t epoch_ms = 1'790'000'000'000;

client_request signed_request(cluster& c, std::size_t client, std::uint64_t sequence,
                              const std::string& sql) {
    client_request r;
    r.database.data.fill(0xdb);
    r.client = c.client_key(client).public_key();
    r.sequence = client_sequence(sequence);
    r.timestamp_ms = epoch_ms;
    r.kind = query_kind::write;
    r.statements = {statement(sql)};
    r.sign(c.client_key(client));
    return r;
}

// The Byzantine leader of view 0 (member 0) proposes `requests` at `seq` to `to`.
digest byzantine_prepare(cluster& c, std::vector<client_request> requests,
                         const std::vector<std::size_t>& to, std::int64_t time_offset_ms = 0) {
    prepare_message p;
    p.batch.header.database.data.fill(0xdb);
    p.batch.header.seq = sequence_number(1);
    p.batch.header.timestamp_ms = epoch_ms + time_offset_ms;
    p.batch.requests = std::move(requests);
    p.batch.seal_header();
    p.proposed.database = p.batch.header.database;
    p.proposed.view = view_number(0);
    p.proposed.seq = p.batch.header.seq;
    p.proposed.batch_hash = p.batch.hash();
    p.proposed.leader = c.member_key(0).public_key();
    p.proposed.sign(c.member_key(0));
    for (std::size_t member : to)
        caf::anon_send(c.router(0), actors::send_atom::value, c.node(member).view().to_bytes(),
                       static_cast<std::uint16_t>(message_kind::kayak_prepare), c.channel(),
                       encode(p));
    c.run_for(20);
    return p.proposed.batch_hash;
}

void require_nothing_committed(cluster& c) {
    for (std::size_t i = 1; i < c.size(); ++i) BOOST_TEST(c.status(i).last_committed == 0u, "member " << i);
}

// After the Byzantine leader is voted out, the honest members go on and agree.
void require_recovery_under_new_leader(cluster& c) {
    c.change_view(1);
    c.run_for(50);
    c.client_sequence(0) = 0;
    const auto create = c.write(1, {statement("CREATE TABLE t(v INTEGER)")});
    const auto insert = c.write(1, {statement("INSERT INTO t VALUES(5)")});
    c.run_for(200);
    for (const auto& w : {create, insert}) {
        auto r = c.response(w);
        BOOST_REQUIRE(r.has_value());
        BOOST_TEST(!kayak::write_response_fault(*r, w, c.group()).has_value());
    }
    std::optional<bytes> digest_seen;
    for (std::size_t i = 1; i < c.size(); ++i) {
        const auto s = c.status(i);
        BOOST_TEST(s.last_executed == c.status(1).last_committed);
        if (!digest_seen) digest_seen = s.state_digest;
        BOOST_TEST((s.state_digest == *digest_seen));
        BOOST_TEST(std::get<std::int64_t>(c.rows(i, "SELECT v FROM t").at(0).at(0).value) == 5);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(byzantine)

BOOST_AUTO_TEST_CASE(an_equivocating_leader_is_caught_and_nothing_conflicting_commits) {
    cluster c;
    c.crash(0);  // the test is member 0 now
    const auto a = signed_request(c, 0, 1, "CREATE TABLE a(x)");
    const auto b = signed_request(c, 0, 1, "CREATE TABLE b(x)");
    byzantine_prepare(c, {a}, {1, 2});
    byzantine_prepare(c, {b}, {1, 3});  // member 1 sees both
    BOOST_TEST(c.log(1).evidence().size() == 1u);
    BOOST_TEST(std::holds_alternative<tx::conflicting_proposals>(c.log(1).evidence()[0].proof));
    require_nothing_committed(c);
    require_recovery_under_new_leader(c);
    for (std::size_t i = 1; i < c.size(); ++i) {
        BOOST_TEST(c.rows(i, "SELECT name FROM sqlite_schema WHERE name IN ('a', 'b')").empty());
    }
}

BOOST_AUTO_TEST_CASE(a_forged_client_request_is_refused_by_every_follower) {
    cluster c;
    c.crash(0);
    auto forged = signed_request(c, 0, 1, "CREATE TABLE t(v INTEGER)");
    forged.statements[0].sql = "CREATE TABLE stolen(v INTEGER)";  // signature no longer matches
    byzantine_prepare(c, {forged}, {1, 2, 3});
    // A request from a key with no role on the database, correctly signed by it.
    byzantine_prepare(c, {signed_request(c, 3, 1, "CREATE TABLE stolen(v INTEGER)")}, {1, 2, 3});
    for (std::size_t i = 1; i < c.size(); ++i) {
        const auto s = c.status(i);
        BOOST_TEST(s.batches_refused >= 1u, "member " << i << ": " << s.last_refusal);
        BOOST_TEST(s.undecodable_payloads >= 1u, "member " << i);
    }
    require_nothing_committed(c);
    require_recovery_under_new_leader(c);
    for (std::size_t i = 1; i < c.size(); ++i)
        BOOST_TEST(c.rows(i, "SELECT name FROM sqlite_schema WHERE name = 'stolen'").empty());
}

BOOST_AUTO_TEST_CASE(a_leader_reordering_one_clients_requests_is_refused) {
    cluster c;
    c.crash(0);
    const auto first = signed_request(c, 0, 1, "CREATE TABLE t(v INTEGER)");
    const auto second = signed_request(c, 0, 2, "DROP TABLE t");
    byzantine_prepare(c, {second, first}, {1, 2, 3});  // the client's order reversed
    byzantine_prepare(c, {second}, {1, 2, 3});         // the first left out: a gap
    for (std::size_t i = 1; i < c.size(); ++i)
        BOOST_TEST(c.status(i).batches_refused >= 2u, "member " << i << ": " << c.status(i).last_refusal);
    require_nothing_committed(c);
    require_recovery_under_new_leader(c);
}

BOOST_AUTO_TEST_CASE(a_leader_lying_about_time_is_refused) {
    cluster c;
    c.crash(0);
    byzantine_prepare(c, {signed_request(c, 0, 1, "CREATE TABLE t(v)")}, {1, 2, 3},
                      /*an hour ahead*/ 3'600'000);
    for (std::size_t i = 1; i < c.size(); ++i) BOOST_TEST(c.status(i).batches_refused >= 1u);
    require_nothing_committed(c);
}

BOOST_AUTO_TEST_CASE(a_byzantine_follower_sending_garbage_and_false_votes_changes_nothing) {
    cluster c;
    c.write(0, {statement("CREATE TABLE t(v INTEGER)")});
    c.run_for(50);
    // Malformed bytes at the leader's door, and envelopes with garbage payloads from member 3.
    c.inject_wire(0, bytes(100, 0x55));
    for (auto kind : {message_kind::kayak_vote, message_kind::kayak_commit, message_kind::kayak_fetch_reply})
        caf::anon_send(c.router(3), actors::send_atom::value, c.node(0).view().to_bytes(),
                       static_cast<std::uint16_t>(kind), c.channel(), bytes(64, 0x33));
    // A validly signed vote from member 3 for a batch that does not exist.
    vote lie;
    lie.phase = vote_phase::commit;
    lie.database.data.fill(0xdb);
    lie.view = view_number(0);
    lie.seq = sequence_number(2);
    lie.batch_hash.data.fill(0x42);
    lie.voter = c.member_key(3).public_key();
    lie.sign(c.member_key(3));
    caf::anon_send(c.router(3), actors::send_atom::value, c.node(0).view().to_bytes(),
                   static_cast<std::uint16_t>(message_kind::kayak_vote), c.channel(), encode(lie));
    c.run_for(20);
    const auto after = c.write(0, {statement("INSERT INTO t VALUES(1)")});
    c.run_for(100);
    auto r = c.response(after);
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(!kayak::write_response_fault(*r, after, c.group()).has_value());
    BOOST_TEST(c.status(0).messages_refused >= 1u);
    BOOST_TEST(c.status(0).undecodable_payloads >= 3u);
    const auto target = c.status(0).last_committed;
    for (std::size_t i = 0; i < c.size(); ++i) {
        BOOST_TEST(c.status(i).last_executed == target);
        BOOST_TEST((c.status(i).state_digest == c.status(0).state_digest));
    }
}

// The envelope's channel only picks the subscriber: a follower that sends, on this
// database's channel, a vote signed for another database is refused by the replica's own
// check of the payload; on another database's channel its vote reaches no replica at all.
BOOST_AUTO_TEST_CASE(a_channel_does_not_vouch_for_the_database_of_its_payload) {
    cluster c;
    c.write(0, {statement("CREATE TABLE t(v INTEGER)")});
    c.run_for(50);
    const auto before = c.status(0);

    vote other;
    other.phase = vote_phase::prepare;
    other.database.data.fill(0xee);  // not the cluster's database (0xdb...)
    other.view = view_number(0);
    other.seq = sequence_number(before.last_committed + 1);
    other.batch_hash.data.fill(0x42);
    other.voter = c.member_key(3).public_key();
    other.sign(c.member_key(3));
    caf::anon_send(c.router(3), actors::send_atom::value, c.node(0).view().to_bytes(),
                   static_cast<std::uint16_t>(message_kind::kayak_vote), c.channel(), encode(other));
    c.run_for(20);
    const auto refused = c.status(0);
    BOOST_TEST(refused.messages_refused == before.messages_refused + 1);
    BOOST_TEST(refused.last_refusal.find("vote not for this leader's view") != std::string::npos,
               refused.last_refusal);

    // The same vote on its own database's channel: member 0 serves no such database.
    caf::anon_send(c.router(3), actors::send_atom::value, c.node(0).view().to_bytes(),
                   static_cast<std::uint16_t>(message_kind::kayak_vote),
                   other.database.view().to_bytes(), encode(other));
    c.run_for(20);
    const auto after = c.status(0);
    BOOST_TEST(after.messages_refused == refused.messages_refused);
    BOOST_TEST(after.undecodable_payloads == refused.undecodable_payloads);

    const auto w = c.write(0, {statement("INSERT INTO t VALUES(1)")});
    c.run_for(100);
    auto r = c.response(w);
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(!kayak::write_response_fault(*r, w, c.group()).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
