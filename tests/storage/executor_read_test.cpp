// Reads: execute_read sees exactly the committed state (not a failed request's writes),
// cannot write in any way (DML, DDL, RETURNING), and what it tried leaves no trace.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include "executor_support.hpp"

using namespace covenant;
using namespace covenant::test;

BOOST_AUTO_TEST_SUITE(executor_reads)

BOOST_AUTO_TEST_CASE(reads_see_committed_data) {
    temp_dir dir;
    auto executor = open_executor(dir.file("reads.db"));
    BOOST_TEST(failure(executor->execute_read(read("SELECT * FROM t"), context())).message ==
               "no such table: t");
    apply_batch(*executor,
                {write("CREATE TABLE t(x)"), write("INSERT INTO t VALUES (1), (2)"),
                 request({sql("INSERT INTO t VALUES (3)"), sql("SELECT * FROM nowhere")})});
    const auto r = executor->execute_read(
        request({sql("SELECT sum(x) FROM t"),
                 sql("SELECT count(*) FROM t WHERE x = ?", {positional(integer(2))})},
                protocols::query_kind::read),
        context());
    BOOST_TEST(describe(results(r)[0].rows) == "[(3)]");
    BOOST_TEST(describe(results(r)[1].rows) == "[(1)]");
    // A write-kind request given to execute_read is still only a read.
    BOOST_TEST(describe(results(executor->execute_read(write("SELECT max(x) FROM t"), context()))[0]
                            .rows) == "[(2)]");
}

BOOST_AUTO_TEST_CASE(reads_cannot_write) {
    temp_dir dir;
    auto executor = open_executor(dir.file("readonly.db"));
    apply_batch(*executor, {write("CREATE TABLE t(x)"), write("INSERT INTO t VALUES (1)"),
                            write("CREATE INDEX tx ON t(x)")});
    const digest digest_before = executor->state_digest();
    for (const char* attempt :
         {"INSERT INTO t VALUES (2)", "UPDATE t SET x = 5", "DELETE FROM t", "CREATE TABLE u(y)",
          "DROP TABLE t", "ALTER TABLE t ADD COLUMN z", "INSERT INTO t VALUES (9) RETURNING x",
          "CREATE INDEX i ON t(x)", "REINDEX", "ANALYZE"}) {
        const auto r = executor->execute_read(
            request({sql("SELECT 1"), sql(attempt)}, protocols::query_kind::read), context());
        BOOST_TEST(failure(r).code == SQLITE_READONLY, attempt);
        BOOST_TEST(failure(r).statement_index == 1u, attempt);
    }
    BOOST_TEST(describe(query(*executor, "SELECT x FROM t")) == "[(1)]");
    BOOST_TEST(describe(query(
                   *executor,
                   "SELECT name FROM sqlite_schema WHERE name <> 'covenant_meta' ORDER BY name")) ==
               "[('t')('tx')]");
    BOOST_TEST(executor->state_digest() == digest_before);
    BOOST_TEST(executor->applied_seq().value == 1u);
    // The executor still writes afterwards.
    apply_batch(*executor, {write("INSERT INTO t VALUES (2)")});
    BOOST_TEST(describe(query(*executor, "SELECT x FROM t ORDER BY x")) == "[(1)(2)]");
}

BOOST_AUTO_TEST_SUITE_END()
