// State digests: the chain formula holds, a batch that changes nothing moves the digest
// only by the chain step, the digest tells apart databases whose rows differ (tables with
// rowids, without a primary key, WITHOUT ROWID) or whose schema differs (a table, a
// column, an index), and a rolled-back request leaves no trace in it.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include "crypto/hash.hpp"
#include "executor_support.hpp"
#include "protocols/merkle.hpp"
#include "storage/state_digest.hpp"

using namespace covenant;
using namespace covenant::test;

namespace {

digest run(const std::string& path,
           const std::vector<std::vector<protocols::client_request>>& batches) {
    auto executor = open_executor(path);
    for (const auto& batch : batches) apply_batch(*executor, batch);
    return executor->state_digest();
}

/// The digest after `batch` if it changed no row and no schema.
digest chain_step_only(const digest& before, sequence_number seq,
                       const storage::batch_execution& done) {
    std::vector<digest> leaves;
    for (const auto& o : done.outcomes) leaves.push_back(o.hash());
    return storage::next_state_digest(before, seq, protocols::merkle_root(leaves),
                                      crypto::hash(byte_view()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(executor_digests)

BOOST_AUTO_TEST_CASE(reads_and_failures_move_the_digest_only_by_the_chain_step) {
    temp_dir dir;
    auto executor = open_executor(dir.file("chain.db"));
    apply_batch(*executor, {write("CREATE TABLE t(x)")});
    const digest before = executor->state_digest();
    const auto done =
        apply_batch(*executor, {write("SELECT * FROM t"),
                                request({sql("INSERT INTO t VALUES (1)"), sql("nonsense")}),
                                read("SELECT count(*) FROM t")});
    BOOST_TEST(done.state_digest == chain_step_only(before, sequence_number(2), done));
    BOOST_TEST(done.state_digest == executor->state_digest());

    const digest before_write = executor->state_digest();
    const auto wrote = apply_batch(*executor, {write("INSERT INTO t VALUES (1)")});
    BOOST_TEST(wrote.state_digest != chain_step_only(before_write, sequence_number(3), wrote));
}

BOOST_AUTO_TEST_CASE(a_different_row_gives_a_different_digest) {
    temp_dir dir;
    int file = 0;
    const auto path = [&] { return dir.file(std::to_string(file++) + ".db"); };
    for (const char* table : {"CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
                              "CREATE TABLE t(id, v)",  // no primary key
                              "CREATE TABLE t(id TEXT PRIMARY KEY, v) WITHOUT ROWID"}) {
        BOOST_TEST_CONTEXT(table) {
            // Identical request objects: replicas of the same batches.
            const std::vector<protocols::client_request> setup = {
                write(table), write("INSERT INTO t VALUES ('1', 'a'), ('2', 'b')")};
            const std::vector<protocols::client_request> to_c = {
                write("UPDATE t SET v = 'c' WHERE id = '2'")};
            const std::vector<protocols::client_request> remove = {
                write("DELETE FROM t WHERE id = '1'")};
            const digest c1 = run(path(), {setup, to_c});
            const digest c2 = run(path(), {setup, to_c});
            BOOST_TEST(c1 == c2);
            BOOST_TEST(run(path(), {setup, remove}) == run(path(), {setup, remove}));
            BOOST_TEST(c1 != run(path(), {setup, remove}));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_tampered_row_shows_in_the_next_digest) {
    // Two replicas with the same history, one of whose files is then changed behind the
    // executor's back (as a faulty replica's would be), run the same batch: same outcomes
    // and results root, different digests. Tables with rowids, without a primary key and
    // WITHOUT ROWID alike.
    temp_dir dir;
    int file = 0;
    for (const char* table : {"CREATE TABLE t(id INTEGER PRIMARY KEY, x)", "CREATE TABLE t(id, x)",
                              "CREATE TABLE t(id INTEGER PRIMARY KEY, x) WITHOUT ROWID"}) {
        BOOST_TEST_CONTEXT(table) {
            const std::vector<protocols::client_request> setup = {
                write(table), write("INSERT INTO t VALUES (1, 1)")};
            const std::vector<protocols::client_request> later = {write("UPDATE t SET x = x + 10")};
            const std::string path_a = dir.file(std::to_string(file++));
            const std::string path_b = dir.file(std::to_string(file++));
            const digest same = run(path_a, {setup});
            BOOST_TEST(same == run(path_b, {setup}));
            sqlite3* raw = nullptr;
            BOOST_REQUIRE(sqlite3_open(path_b.c_str(), &raw) == SQLITE_OK);
            BOOST_REQUIRE(sqlite3_exec(raw, "UPDATE t SET x = 2", nullptr, nullptr, nullptr) ==
                          SQLITE_OK);
            sqlite3_close(raw);
            auto a = open_executor(path_a);
            auto b = open_executor(path_b);
            BOOST_TEST(a->state_digest() == b->state_digest());
            const auto next_a = apply_batch(*a, later);
            const auto next_b = apply_batch(*b, later);
            BOOST_CHECK(next_a.outcomes == next_b.outcomes);
            BOOST_TEST(next_a.results_root == next_b.results_root);
            BOOST_TEST(next_a.state_digest != next_b.state_digest);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_tampered_schema_shows_at_the_next_schema_change) {
    temp_dir dir;
    const std::vector<protocols::client_request> setup = {write("CREATE TABLE t(x)")};
    const std::vector<protocols::client_request> rows = {write("INSERT INTO t VALUES (1)")};
    const std::vector<protocols::client_request> ddl = {write("CREATE TABLE u(y)")};
    const std::string path_a = dir.file("a.db");
    const std::string path_b = dir.file("b.db");
    run(path_a, {setup});
    run(path_b, {setup});
    sqlite3* raw = nullptr;
    BOOST_REQUIRE(sqlite3_open(path_b.c_str(), &raw) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(raw, "CREATE INDEX extra ON t(x)", nullptr, nullptr, nullptr) ==
                  SQLITE_OK);
    sqlite3_close(raw);
    auto a = open_executor(path_a);
    auto b = open_executor(path_b);
    // A batch that changes no schema does not hash the schema (cost): still equal.
    BOOST_TEST(apply_batch(*a, rows).state_digest == apply_batch(*b, rows).state_digest);
    // The next schema change hashes the whole schema: now they differ.
    BOOST_TEST(apply_batch(*a, ddl).state_digest != apply_batch(*b, ddl).state_digest);
}

BOOST_AUTO_TEST_CASE(a_different_schema_gives_a_different_digest) {
    temp_dir dir;
    int file = 0;
    const auto path = [&] { return dir.file(std::to_string(file++) + ".db"); };
    const auto create_a = std::vector<protocols::client_request>{write("CREATE TABLE t(a)")};
    BOOST_TEST(run(path(), {create_a}) == run(path(), {create_a}));
    // The same request text in another column name or type: the outcome is the same kind
    // (success, no rows) but the schema differs.
    const auto create_b = std::vector<protocols::client_request>{write("CREATE TABLE t(b)")};
    const digest with_a = run(path(), {create_a});
    BOOST_TEST(with_a != run(path(), {create_b}));
    // Schema changes without any row change, after the same first batch.
    const auto index = std::vector<protocols::client_request>{write("CREATE INDEX i ON t(a)")};
    const auto alter = std::vector<protocols::client_request>{write("ALTER TABLE t ADD COLUMN b")};
    const digest indexed = run(path(), {create_a, index});
    const digest altered = run(path(), {create_a, alter});
    BOOST_TEST(indexed != altered);
    BOOST_TEST(indexed == run(path(), {create_a, index}));
}

BOOST_AUTO_TEST_CASE(the_chain_links_each_batch_to_the_one_before) {
    temp_dir dir;
    auto executor = open_executor(dir.file("link.db"));
    const auto first = apply_batch(*executor, {write("SELECT 1")});
    const auto second = apply_batch(*executor, {write("SELECT 1")});
    BOOST_TEST(first.results_root != second.results_root);  // requests differ (sequence)
    BOOST_TEST(second.state_digest ==
               chain_step_only(first.state_digest, sequence_number(2), second));
    BOOST_TEST(first.state_digest == chain_step_only(digest{}, sequence_number(1), first));
}

BOOST_AUTO_TEST_SUITE_END()
