// Refusals: every statement that would reach state outside the database, change the
// connection's settings, or break the batch's transaction fails its request with
// SQLITE_AUTH and "not allowed: ...", changes nothing (rows, schema, settings; the digest
// moves only by the chain step), does not stop the batch, and refusal_reason() names the
// same thing beforehand. Allowed introspection (PRAGMA table_info and friends) works.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include "crypto/hash.hpp"
#include "executor_support.hpp"
#include "protocols/merkle.hpp"
#include "storage/state_digest.hpp"

using namespace covenant;
using namespace covenant::test;

namespace {

struct refused_case {
    std::string sql;
    std::string message_start;  // the outcome's message starts with this
    bool seen_statically;       // refusal_reason() finds it too
};

const std::vector<refused_case>& refused_cases() {
    static const std::vector<refused_case> cases = {
        {"ATTACH DATABASE '/tmp/covenant_attached.db' AS other", "not allowed: ATTACH", true},
        {"DETACH DATABASE other", "not allowed: DETACH", true},
        {"SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')", "not allowed: load_extension",
         true},
        {"SELECT \"LOAD_EXTENSION\"('x')", "not allowed: load_extension", true},
        {"PRAGMA journal_mode=DELETE", "not allowed: PRAGMA journal_mode", true},
        {"PRAGMA synchronous=OFF", "not allowed: PRAGMA synchronous", true},
        {"PRAGMA main.synchronous = 0", "not allowed: PRAGMA synchronous", true},
        {"PRAGMA writable_schema=ON", "not allowed: PRAGMA writable_schema", true},
        {"PRAGMA foreign_keys=OFF", "not allowed: PRAGMA foreign_keys", true},
        {"PRAGMA user_version=7", "not allowed: PRAGMA user_version", true},
        {"PRAGMA database_list", "not allowed: PRAGMA database_list", true},
        {"SELECT * FROM pragma_database_list", "not allowed: PRAGMA database_list", true},
        {"BEGIN", "not allowed: BEGIN", true},
        {"BEGIN IMMEDIATE TRANSACTION", "not allowed: BEGIN", true},
        {"COMMIT", "not allowed: COMMIT", true},
        {"END TRANSACTION", "not allowed: COMMIT", true},
        {"ROLLBACK", "not allowed: ROLLBACK", true},
        {"SAVEPOINT mine", "not allowed: SAVEPOINT", true},
        {"RELEASE covenant_request", "not allowed: RELEASE", true},
        {"ROLLBACK TO covenant_request", "not allowed: ROLLBACK TO", true},
        {"CREATE TEMP TABLE scratch(x)", "not allowed: TEMP objects", true},
        {"CREATE TEMPORARY VIEW v AS SELECT 1", "not allowed: TEMP objects", true},
        {"CREATE TABLE temp.scratch(x)", "not allowed: TEMP objects", true},
        {"CREATE TABLE IF NOT EXISTS \"TEMP\".scratch(x)", "not allowed: TEMP objects", true},
        {"VACUUM", "not allowed: VACUUM", true},
        {"VACUUM INTO '/tmp/covenant_vacuum_copy.db'", "not allowed: VACUUM", true},
        {"SELECT * FROM covenant_meta", "not allowed: covenant_meta", true},
        {"UPDATE covenant_meta SET applied_seq = 0", "not allowed: covenant_meta", true},
        {"DROP TABLE [Covenant_Meta]", "not allowed: covenant_meta", true},
        {"SELECT * FROM pragma_table_info('covenant_meta')", "not allowed: covenant_meta", false},
        {"PRAGMA table_info('covenant_meta')", "not allowed: covenant_meta", true},
        {"INSERT OR ROLLBACK INTO t VALUES (1)", "not allowed: ROLLBACK conflict resolution", true},
        {"CREATE TABLE r(x UNIQUE ON CONFLICT ROLLBACK)",
         "not allowed: ROLLBACK conflict resolution", true},
        {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT RAISE(ROLLBACK, 'no'); END",
         "not allowed: ROLLBACK conflict resolution", true},
        {"SELECT * FROM dbstat", "not allowed: dbstat", true},
        {"EXPLAIN SELECT 1", "not allowed: EXPLAIN", true},
        {"explain /* listing */ CREATE INDEX i ON t(x)", "not allowed: EXPLAIN", true},
        {"SELECT * FROM sqlite_stmt", "not allowed: sqlite_stmt", true},
        {"INSERT INTO sqlite_stat1 VALUES ('t', NULL, '1000')", "not allowed: writing sqlite_stat1",
         false},
        {"DELETE FROM sqlite_stat1", "not allowed: writing sqlite_stat1", false},
        {"WITH x AS (SELECT 1) UPDATE sqlite_stat1 SET stat = '1'",
         "not allowed: writing sqlite_stat1", false},
        {"DROP TABLE sqlite_stat1", "not allowed: writing sqlite_stat1", false},
    };
    return cases;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(executor_refusals)

BOOST_AUTO_TEST_CASE(refused_statements_fail_their_request_and_change_nothing) {
    temp_dir dir;
    auto executor = open_executor(dir.file("refusals.db"));
    apply_batch(*executor,
                {write("CREATE TABLE t(x)"), write("INSERT INTO t VALUES (1)"),
                 write("CREATE INDEX tx ON t(x)"), write("ANALYZE"), write("ANALYZE"),
                 write("CREATE TABLE dropped(y)"), write("CREATE INDEX dy ON dropped(y)"),
                 write("INSERT INTO dropped VALUES (1)"), write("ANALYZE"), write("DROP INDEX dy"),
                 write("DROP TABLE dropped")});
    // ANALYZE again and DROP rewrite sqlite_stat1 as SQLite's own bookkeeping: allowed.
    BOOST_TEST(describe(query(*executor, "SELECT tbl FROM sqlite_stat1 ORDER BY tbl")) ==
               "[('covenant_meta')('t')]");
    const auto schema_before =
        query(*executor, "SELECT type, name, sql FROM sqlite_schema ORDER BY name");

    for (const auto& c : refused_cases()) {
        BOOST_TEST_CONTEXT(c.sql) {
            const digest before = executor->state_digest();
            const auto seq = executor->applied_seq().next();
            const auto done = executor->execute_batch(
                seq, context(), {write(c.sql), write("SELECT count(*) FROM t")});
            const auto& f = failure(done.outcomes[0]);
            BOOST_TEST(f.code == SQLITE_AUTH);
            BOOST_TEST(f.statement_index == 0u);
            BOOST_TEST(f.message.rfind(c.message_start, 0) == 0, "message: " << f.message);
            // The batch went on.
            BOOST_TEST(describe(results(done.outcomes[1])[0].rows) == "[(1)]");
            // Nothing changed but the chain step (no row changes hashed).
            std::vector<digest> leaves;
            for (const auto& o : done.outcomes) leaves.push_back(o.hash());
            const digest expected = storage::next_state_digest(
                before, seq, protocols::merkle_root(leaves), crypto::hash(byte_view()));
            BOOST_TEST(done.state_digest == expected);
            // The static check says the same, in the same words.
            const auto reason = storage::sql_executor::refusal_reason(write(c.sql));
            if (c.seen_statically) {
                BOOST_REQUIRE(reason.has_value());
                BOOST_TEST(*reason == "statement 0: " + f.message);
            }
            // Reads refuse it as well (or refuse it as a write).
            const auto r = executor->execute_read(read(c.sql), context());
            BOOST_TEST((failure(r).code == SQLITE_AUTH || failure(r).code == SQLITE_READONLY));
        }
    }
    BOOST_TEST(
        describe(query(*executor, "SELECT type, name, sql FROM sqlite_schema ORDER BY name")) ==
        describe(schema_before));
    BOOST_TEST(describe(query(*executor, "SELECT x FROM t")) == "[(1)]");
    BOOST_TEST(describe(query(*executor, "PRAGMA foreign_key_check")) == "[]");
    // The settings the refused PRAGMAs tried to change are as the executor set them: WAL
    // and FULL, checked through a second connection of our own.
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open_v2(dir.file("refusals.db").c_str(), &db, SQLITE_OPEN_READONLY,
                                  nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    BOOST_REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    BOOST_TEST(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
    BOOST_TEST(!std::filesystem::exists("/tmp/covenant_vacuum_copy.db"));
    BOOST_TEST(!std::filesystem::exists("/tmp/covenant_attached.db"));
}

BOOST_AUTO_TEST_CASE(refusal_reason_accepts_ordinary_sql) {
    for (const char* ok : {
             "SELECT 'ATTACH', 'BEGIN', 'load_extension', 'covenant_meta'",
             "CREATE TABLE t(id INTEGER PRIMARY KEY, note TEXT DEFAULT 'PRAGMA x')",
             "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET note = 'x'; END",
             "INSERT OR REPLACE INTO t VALUES (1, 'temp')",
             "SELECT * FROM temp_values",
             "PRAGMA table_info(t)",
             "PRAGMA main.index_list('t')",
             "WITH x AS (SELECT 1) SELECT * FROM x",
             "EXPLAIN QUERY PLAN SELECT * FROM t",
             "SELECT RAISE(ABORT, 'rollback')",
         }) {
        const auto reason = storage::sql_executor::refusal_reason(write(ok));
        BOOST_TEST(!reason.has_value(), ok << ": " << reason.value_or(""));
    }
    BOOST_TEST(*storage::sql_executor::refusal_reason(
                   request({sql("SELECT 1"), sql("ATTACH 'x' AS y")})) ==
               "statement 1: not allowed: ATTACH");
    BOOST_TEST(*storage::sql_executor::refusal_reason(write("  ;  ")) ==
               "statement 0: statement is empty");
}

BOOST_AUTO_TEST_CASE(a_text_that_passed_once_passes_again_and_a_refused_one_stays_refused) {
    // refusal_reason() remembers the texts that passed; what it answers must not change.
    const auto insert = sql("INSERT INTO t VALUES (?, ?)");
    for (int round = 0; round < 3; ++round) {
        BOOST_TEST(!storage::sql_executor::refusal_reason(request({insert, insert, insert})));
        BOOST_TEST(*storage::sql_executor::refusal_reason(
                       request({insert, insert, sql("DETACH y")})) ==
                   "statement 2: not allowed: DETACH");
        BOOST_TEST(*storage::sql_executor::refusal_reason(request({insert, sql("")})) ==
                   "statement 1: statement is empty");
    }
}

BOOST_AUTO_TEST_CASE(allowed_introspection_works) {
    temp_dir dir;
    auto executor = open_executor(dir.file("pragmas.db"));
    const auto done = apply_batch(
        *executor, {write("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x')"),
                    write("CREATE INDEX t_name ON t(name)"), write("PRAGMA table_info(t)"),
                    write("SELECT name, type FROM pragma_table_info('t') ORDER BY cid"),
                    write("PRAGMA index_list('t')"), write("PRAGMA index_info(t_name)"),
                    write("PRAGMA foreign_key_check"),
                    request({sql("INSERT INTO t(name) VALUES ('a'), ('b')"), sql("ANALYZE")}),
                    write("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = 't'")});
    const auto& info = results(done.outcomes[2])[0];
    BOOST_TEST(info.columns ==
               (std::vector<std::string>{"cid", "name", "type", "notnull", "dflt_value", "pk"}));
    BOOST_TEST(describe(info.rows) ==
               "[(0, 'id', 'INTEGER', 0, NULL, 1)(1, 'name', 'TEXT', 1, ''x'', 0)]");
    BOOST_TEST(describe(results(done.outcomes[3])[0].rows) ==
               "[('id', 'INTEGER')('name', 'TEXT')]");
    BOOST_TEST(results(done.outcomes[4])[0].rows.size() == 1u);
    BOOST_TEST(describe(results(done.outcomes[5])[0].rows) == "[(0, 1, 'name')]");
    results(done.outcomes[6]);
    results(done.outcomes[7]);
    BOOST_TEST(describe(results(done.outcomes[8])[0].rows) == "[('t', 't_name', '2 1')]");
}

BOOST_AUTO_TEST_CASE(full_text_search_and_rtree_work) {
    temp_dir dir;
    auto executor = open_executor(dir.file("fts.db"));
    const auto done = apply_batch(
        *executor,
        {write("CREATE VIRTUAL TABLE docs USING fts5(body)"),
         write("INSERT INTO docs(body) VALUES ('the quick brown fox'), ('lazy dogs sleep')"),
         write("SELECT body FROM docs WHERE docs MATCH 'quick'"),
         write("CREATE VIRTUAL TABLE old_docs USING fts4(body)"),
         write("INSERT INTO old_docs(body) VALUES ('alpha beta'), ('gamma')"),
         write("SELECT body FROM old_docs WHERE old_docs MATCH 'gamma'"),
         write("CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1)"),
         write("INSERT INTO boxes VALUES (1, 0, 10), (2, 20, 30)"),
         write("SELECT id FROM boxes WHERE x0 <= 5 AND x1 >= 5"),
         write("INSERT INTO docs_data VALUES (99, x'00')")});
    BOOST_TEST(describe(results(done.outcomes[2])[0].rows) == "[('the quick brown fox')]");
    BOOST_TEST(describe(results(done.outcomes[5])[0].rows) == "[('gamma')]");
    BOOST_TEST(describe(results(done.outcomes[8])[0].rows) == "[(1)]");
    // Shadow tables are not writable (SQLITE_DBCONFIG_DEFENSIVE).
    BOOST_TEST(failure(done.outcomes[9]).message.find("may not be modified") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_largest_rowid_is_refused) {
    temp_dir dir;
    auto executor = open_executor(dir.file("rowid.db"));
    const auto done = apply_batch(
        *executor, {write("CREATE TABLE t(x)"),
                    write("INSERT INTO t(rowid, x) VALUES (9223372036854775807, 1)"),
                    request({sql("INSERT INTO t(rowid, x) VALUES (9223372036854775806, 1)"),
                             sql("UPDATE t SET rowid = rowid + 1")}),
                    write("INSERT INTO t(rowid, x) VALUES (9223372036854775806, 2)")});
    BOOST_TEST(failure(done.outcomes[1]).code == SQLITE_AUTH);
    BOOST_TEST(failure(done.outcomes[1]).message.find("9223372036854775807") != std::string::npos);
    BOOST_TEST(failure(done.outcomes[2]).statement_index == 1u);
    results(done.outcomes[3]);
    BOOST_TEST(describe(query(*executor, "SELECT rowid, x FROM t")) ==
               "[(9223372036854775806, 2)]");
}

BOOST_AUTO_TEST_SUITE_END()
