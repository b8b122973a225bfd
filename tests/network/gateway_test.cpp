// The client gateway's actor end to end, in one process with virtual time (sim/
// gateway_cluster): it follows the chain, creates a database through it and waits until
// final, and the miners the chain picked serve it; writes come back only with a commit
// certificate and f+1 matching result signatures, reads signed by a member, every value
// type exact. A Byzantine member's invented answers are never returned (another member's
// verified answer is); a user without a role is refused by the members and the chain
// agrees, and is served once granted on the chain; transactions the ledger would refuse are
// refused at once with its reason; a restarted gateway resumes its chain and its request
// numbering. Inspection (cql info, cql verify): every member answers a status query signed
// over the caller's challenge; a member's stored shard blocks and the chain's final blocks,
// relayed, verify from the genesis and from height 1 (a crashed member: no answer, unreachable).
#define BOOST_TEST_MODULE gateway
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "protocols/client/client_errors.hpp"
#include "protocols/codec.hpp"
#include "protocols/main_chain/database_audit.hpp"
#include "protocols/main_chain/ledger_errors.hpp"
#include "protocols/main_chain/miner_assignments.hpp"
#include "protocols/shard_chain_audit.hpp"
#include "sim/gateway_cluster.hpp"

using namespace covenant;
using namespace covenant::protocols;
using covenant::sim::gateway_cluster;

namespace {

sql_statement sql(std::string text, std::vector<sql_value> params = {}) {
    sql_statement s;
    s.sql = std::move(text);
    for (auto& p : params) s.parameters.push_back(sql_parameter{"", std::move(p)});
    return s;
}

const std::vector<statement_result>& results(const actors::sql_answer& a) {
    return std::get<std::vector<statement_result>>(std::get<request_outcome>(a.response.body).body);
}

bool ok(const std::optional<actors::sql_answer>& a) {
    return a && !a->failure && std::holds_alternative<request_outcome>(a->response.body) &&
           std::holds_alternative<std::vector<statement_result>>(
               std::get<request_outcome>(a->response.body).body);
}

std::string text(const std::optional<error>& e) {
    return e ? e->message() : "none";
}

std::string failure_of(const std::optional<actors::sql_answer>& a) {
    if (!a) return "no answer";
    return a->failure ? a->failure->message() : "none";
}

/// Registers the miners, waits for the chain, creates a database of four through gateway 0.
database_id make_database(gateway_cluster& net, consistency_mode mode = consistency_mode::strong) {
    net.register_miners();
    BOOST_TEST_REQUIRE(net.run_until([&] { return net.chain_height() >= 2; }, 5'000));
    auto created = net.submit(0, tx::create_database{4, mode, 100'000});
    BOOST_TEST_REQUIRE(created.has_value());
    BOOST_TEST_REQUIRE(!created->failure, text(created->failure));
    BOOST_TEST_REQUIRE(created->database.has_value());
    BOOST_TEST(created->database->members.size() == 4u);
    BOOST_TEST(created->height >= 3u);
    const auto db = created->database->id;
    auto table = net.exec(0, db, {sql("CREATE TABLE t(k INTEGER PRIMARY KEY, v)")});
    BOOST_TEST_REQUIRE(ok(table), failure_of(table));
    return db;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_database_created_through_the_gateway_serves_verified_writes_and_reads) {
    gateway_cluster net;
    const std::uint64_t before = net.account(0).balance;
    const auto db = make_database(net);

    // The gateway lists it: owned, admin, four members, the leader of view 0.
    const auto listed = net.databases(0);
    BOOST_TEST_REQUIRE(listed.databases.size() == 1u);
    BOOST_TEST((listed.databases[0].id == db));
    BOOST_TEST((listed.databases[0].role == role::admin));
    BOOST_TEST((listed.databases[0].leader == listed.databases[0].members[0]));
    // The advance payment and the fee left the account.
    BOOST_TEST(net.account(0).balance == before - 100'000 - 1);
    BOOST_TEST(net.account(0).next_nonce.value == 2u);

    // A write with every value type as parameters: committed, proven, exact.
    const bytes blob{0, 1, 2, 0xff};
    const std::vector<sql_value> values{sql_value::integer(-9'007'199'254'740'993),
                                        sql_value::real(0.1), sql_value::text("héllo"),
                                        sql_value::blob(blob), sql_value::null()};
    std::vector<sql_statement> inserts;
    for (std::size_t i = 0; i < values.size(); ++i)
        inserts.push_back(sql("INSERT INTO t VALUES (?, ?)",
                              {sql_value::integer(static_cast<std::int64_t>(i + 1)), values[i]}));
    auto written = net.exec(0, db, inserts);
    BOOST_TEST_REQUIRE(ok(written), failure_of(written));
    BOOST_TEST(written->receipt);
    BOOST_TEST(written->certificate_signers >= 3u);  // q of 4
    BOOST_TEST(written->result_signers >= 2u);       // f+1 of 4
    BOOST_TEST_REQUIRE(results(*written).size() == values.size());
    for (const auto& r : results(*written)) BOOST_TEST(r.affected_rows == 1u);
    BOOST_TEST(results(*written).back().last_insert_id == 5);

    auto read = net.query(0, db, sql("SELECT v FROM t ORDER BY k"));
    BOOST_TEST_REQUIRE(ok(read), failure_of(read));
    BOOST_TEST_REQUIRE(results(*read).size() == 1u);
    const auto& rows = results(*read)[0].rows;
    BOOST_TEST_REQUIRE(rows.size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i) BOOST_TEST((rows[i].at(0) == values[i]));
    BOOST_TEST(results(*read)[0].columns == std::vector<std::string>{"v"});

    // What the miners hold is what was written.
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            for (std::size_t m = 0; m < net.miner_count(); ++m)
                if (net.rows(m, db, "SELECT count(*) FROM t")[0][0] != sql_value::integer(5))
                    return false;
            return true;
        },
        5'000));

    // A failing statement is a verified outcome too, and nothing of its request applied.
    auto failing = net.exec(
        0, db, {sql("INSERT INTO t VALUES (100, 'x')"), sql("INSERT INTO t VALUES (1, 'dup')")});
    BOOST_TEST_REQUIRE(failing.has_value());
    BOOST_TEST(!failing->failure);
    BOOST_TEST(std::holds_alternative<protocols::sql_failure>(
        std::get<request_outcome>(failing->response.body).body));

    // Restarted on its data directory: the chain comes back from its store at once, and the
    // next write takes the next sequence (no replica says it is stale).
    const auto height = net.gateway_status(0).chain_height;
    net.restart_gateway(0);
    BOOST_TEST(net.gateway_status(0).chain_height >= height);
    auto after = net.exec(0, db, {sql("INSERT INTO t VALUES (6, 'after the restart')")});
    BOOST_TEST_REQUIRE(ok(after), failure_of(after));
    auto count = net.query(0, db, sql("SELECT count(*) FROM t"));
    BOOST_TEST_REQUIRE(ok(count), failure_of(count));
    BOOST_TEST((results(*count)[0].rows.at(0).at(0) == sql_value::integer(6)));
    BOOST_TEST(net.gateway_status(0).answers_refused == 0u);
}

BOOST_AUTO_TEST_CASE(a_byzantine_members_invented_answers_are_never_returned) {
    gateway_cluster net;
    const auto db = make_database(net);
    const auto leader = net.miner_index(net.databases(0).databases.at(0).leader);
    net.make_byzantine(leader);

    // The leader invents a write's results with a receipt it signed alone: refused; a
    // follower's verified answer is returned instead.
    auto written = net.exec(0, db, {sql("INSERT INTO t VALUES (1, 'a')")});
    BOOST_TEST_REQUIRE(ok(written), failure_of(written));
    BOOST_TEST(results(*written).at(0).affected_rows == 1u);  // not the invented 1001
    BOOST_TEST(!(written->response.responder == net.miner_key(leader).public_key()));
    BOOST_TEST(written->certificate_signers >= 3u);
    // The gateway checks the leader's invented answer when it arrives before an honest
    // one; a write whose honest answer came first leaves it unread. More writes, until one
    // invented answer was checked and refused.
    for (int i = 0; i < 8 && net.gateway_status(0).answers_refused == 0; ++i) {
        auto more = net.exec(0, db, {sql("INSERT INTO t VALUES (?, 'more')", {sql_value::integer(100 + i)})});
        BOOST_TEST_REQUIRE(ok(more), failure_of(more));
        BOOST_TEST(results(*more).at(0).affected_rows == 1u);
        BOOST_TEST(!(more->response.responder == net.miner_key(leader).public_key()));
    }
    const auto refused_writes = net.gateway_status(0).answers_refused;
    BOOST_TEST(refused_writes >= 1u);

    // Reads spread over the members; whenever the Byzantine one serves, its forged rows are
    // refused and another member's are returned.
    std::uint64_t refused = refused_writes;
    for (int i = 0; i < 12 && refused == refused_writes; ++i) {
        auto read = net.query(0, db, sql("SELECT v FROM t WHERE k = ?", {sql_value::integer(1)}));
        BOOST_TEST_REQUIRE(ok(read), failure_of(read));
        BOOST_TEST((results(*read).at(0).rows.at(0).at(0) == sql_value::text("a")));
        BOOST_TEST(!(read->response.responder == net.miner_key(leader).public_key()));
        refused = net.gateway_status(0).answers_refused;
    }
    BOOST_TEST(refused > refused_writes, "no read reached the Byzantine member");
}

BOOST_AUTO_TEST_CASE(a_user_needs_a_role_on_the_chain_and_the_ledger_refuses_at_once) {
    gateway_cluster net;
    const auto db = make_database(net);
    const auto user = crypto::address_of(net.gateway_key(1).public_key());

    // The ledger's refusals come back at once, with its reason, and nothing is sent.
    auto too_much = net.submit(0, tx::transfer{user, 10'000'000'000ull}, 1'000);
    BOOST_TEST_REQUIRE(too_much.has_value());
    BOOST_TEST_REQUIRE(too_much->failure.has_value());
    BOOST_TEST((too_much->failure->code == main_chain::ledger_errc::insufficient_funds));
    auto paid = net.submit(0, tx::transfer{user, 5'000});
    BOOST_TEST_REQUIRE(paid.has_value());
    BOOST_TEST_REQUIRE(!paid->failure, text(paid->failure));
    BOOST_TEST_REQUIRE(net.run_until([&] { return net.account(1).balance == 5'000; }, 5'000));
    auto not_admin = net.submit(1, tx::grant_role{db, user, role::admin}, 1'000);
    BOOST_TEST_REQUIRE(not_admin.has_value());
    BOOST_TEST_REQUIRE(not_admin->failure.has_value());
    BOOST_TEST((not_admin->failure->code == main_chain::ledger_errc::not_authorized));

    // No role: the members refuse it, the chain agrees, nothing is written.
    auto denied = net.exec(1, db, {sql("INSERT INTO t VALUES (7, 'intruder')")});
    BOOST_TEST_REQUIRE(denied.has_value());
    BOOST_TEST_REQUIRE(denied->failure.has_value());
    BOOST_TEST((denied->failure->code == client::client_errc::not_permitted),
               text(denied->failure));
    auto unread = net.query(1, db, sql("SELECT * FROM t"));
    BOOST_TEST_REQUIRE(unread.has_value());
    BOOST_TEST_REQUIRE(unread->failure.has_value());
    BOOST_TEST((unread->failure->code == client::client_errc::not_permitted));
    BOOST_TEST(net.databases(1).databases.empty());

    // Read granted: reads served, writes still refused.
    auto granted = net.submit(0, tx::grant_role{db, user, role::read});
    BOOST_TEST_REQUIRE(granted.has_value());
    BOOST_TEST_REQUIRE(!granted->failure, text(granted->failure));
    // Gateway 1 follows the chain on its own: it lists the database once it has the grant.
    BOOST_TEST(net.run_until([&] { return net.databases(1).databases.size() == 1u; }, 5'000));
    auto readable = net.query(1, db, sql("SELECT count(*) FROM t"));
    BOOST_TEST_REQUIRE(ok(readable), failure_of(readable));
    BOOST_TEST((results(*readable)[0].rows.at(0).at(0) == sql_value::integer(0)));
    auto still_denied = net.exec(1, db, {sql("INSERT INTO t VALUES (8, 'reader')")});
    BOOST_TEST_REQUIRE(still_denied.has_value());
    BOOST_TEST_REQUIRE(still_denied->failure.has_value());
    BOOST_TEST((still_denied->failure->code == client::client_errc::not_permitted));

    // Write granted: the same user's write commits (its refused requests' sequences were
    // free again, so none is missing).
    auto writer = net.submit(0, tx::grant_role{db, user, role::write});
    BOOST_TEST_REQUIRE(writer.has_value());
    BOOST_TEST_REQUIRE(!writer->failure, text(writer->failure));
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            auto dbs = net.databases(1).databases;
            return dbs.size() == 1 && dbs[0].role == role::write;
        },
        5'000));
    auto allowed = net.exec(1, db, {sql("INSERT INTO t VALUES (9, 'writer')")});
    BOOST_TEST_REQUIRE(ok(allowed), failure_of(allowed));
    for (std::size_t m = 0; m < net.miner_count(); ++m) {
        BOOST_TEST_REQUIRE(net.run_until(
            [&] {
                return net.rows(m, db, "SELECT count(*) FROM t")[0][0] == sql_value::integer(1);
            },
            5'000));
        BOOST_TEST(net.rows(m, db, "SELECT k FROM t WHERE k IN (7, 8)").empty());
    }
}

BOOST_AUTO_TEST_CASE(members_answer_signed_and_their_chains_verify_from_outside) {
    gateway_cluster net;
    const auto db = make_database(net);
    BOOST_TEST_REQUIRE(ok(net.exec(0, db, {sql("INSERT INTO t VALUES (1, 'a')")})));
    net.run_for(5'500);  // past seal_every_ms: the next batch ends a shard block
    BOOST_TEST_REQUIRE(ok(net.exec(0, db, {sql("INSERT INTO t VALUES (2, 'b')")})));

    bytes challenge(32, 0x5c);
    std::optional<actors::member_report> report;
    BOOST_TEST_REQUIRE(net.run_until(
        [&] {
            report = net.members(0, db, 500, challenge);
            if (!report || report->failure) return false;
            for (const auto& m : report->members)
                if (!m.status || m.status->progress.shard_height.value == 0) return false;
            return true;
        },
        10'000));
    BOOST_TEST(report->members.size() == 4u);
    const auto members = report->database.members;
    std::size_t leaders = 0;
    for (const auto& m : report->members) {
        auto decoded = decode_member_status(m.signed_status);  // the member's own bytes
        BOOST_TEST_REQUIRE(decoded.ok());
        BOOST_TEST((decoded->member == m.member));
        BOOST_TEST((decoded->challenge.view().to_bytes() == challenge));
        BOOST_TEST((decoded->database == db));
        BOOST_TEST(decoded->progress.last_executed.value >= 3u);
        BOOST_TEST(
            (decoded->progress.state_digest == report->members[0].status->progress.state_digest));
        leaders += m.leader ? 1 : 0;
    }
    BOOST_TEST(leaders == 1u);
    // A challenge in use, a database the chain does not have.
    auto unknown = net.members(0, database_id{}, 500);
    BOOST_TEST_REQUIRE(unknown.has_value());
    BOOST_TEST(unknown->failure.has_value());

    // The main chain from the genesis, its final blocks as the gateway stored them.
    auto chain = main_chain::database_audit::start(net.genesis(), db);
    BOOST_TEST_REQUIRE(chain.ok());
    for (std::uint64_t from = 1;;) {
        const auto page = net.main_blocks(0, from, 64);
        BOOST_TEST_REQUIRE(!page.failure);
        if (page.blocks.empty()) break;
        std::vector<main_block> blocks;
        for (const auto& raw : page.blocks) blocks.push_back(decode_main_block(raw).value());
        BOOST_TEST_REQUIRE(chain->on_blocks(blocks), chain->fault()->reason);
        from += blocks.size();
    }
    BOOST_TEST_REQUIRE(chain->record().has_value());
    const auto listed = net.checkpoints(0, db);
    BOOST_TEST(!listed.failure);
    BOOST_TEST((listed.membership == chain->record()->membership));
    BOOST_TEST(listed.checkpoints.size() == chain->checkpoints().size());

    // Every member's shard chain, relayed; one member crashed first.
    const auto crashed = net.miner_index(members[3]);
    net.crash_miner(crashed);
    protocols::shard_chain_audit audit(db, main_chain::groups_of(chain->record()->membership),
                                       members, chain->checkpoints());
    for (const auto& member : members) {
        while (auto next = audit.next_height(member)) {
            auto page =
                net.shard_blocks(0, actors::shard_blocks_request{db, member, *next, 16, 1'000});
            BOOST_TEST_REQUIRE(page.has_value());
            if (page->failure) {
                audit.on_unreachable(member, page->failure->message());
                continue;
            }
            std::vector<shard_block> blocks;
            for (const auto& raw : page->blocks) blocks.push_back(decode_shard_block(raw).value());
            audit.on_blocks(member, blocks, page->head_height);
        }
    }
    audit.finish();
    const auto faults = audit.faults();
    BOOST_TEST_REQUIRE(faults.size() == 1u);
    BOOST_TEST((faults[0].kind == protocols::audit_fault_kind::unreachable));
    BOOST_TEST((faults[0].member == members[3]));
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(audit.members()[i].verified.height.value >= 1u);

    // The crashed member's status is missing, the others still answer.
    auto after = net.members(0, db, 500);
    BOOST_TEST_REQUIRE(after.has_value());
    std::size_t answered = 0;
    for (const auto& m : after->members) {
        if (m.status) ++answered;
        if (m.member == members[3]) BOOST_TEST(m.problem == "no answer in time");
    }
    BOOST_TEST(answered == 3u);
    // Blocks of someone who was never a member are not relayed.
    auto stranger =
        net.shard_blocks(0, actors::shard_blocks_request{db, net.gateway_key(1).public_key(),
                                                         block_height(1), 16, 500});
    BOOST_TEST_REQUIRE(stranger.has_value());
    BOOST_TEST(stranger->failure.has_value());
}
