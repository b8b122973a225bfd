// Limits: results bigger than the per-request bound fail the request (whichever statement
// crosses it), a request that runs past its execution budget fails with SQLITE_INTERRUPT
// (in a batch and in a read) and the same way on a fresh and on a warm replica, oversized
// values and too many statements fail cleanly; the batch goes on each time.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include "executor_support.hpp"
#include "protocols/limits.hpp"
#include "storage/execution_limits.hpp"

using namespace covenant;
using namespace covenant::test;

namespace {
const char* endless =
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c";
}

BOOST_AUTO_TEST_SUITE(executor_limits)

BOOST_AUTO_TEST_CASE(result_size_is_bounded_per_request) {
    temp_dir dir;
    auto executor = open_executor(dir.file("size.db"));
    const auto done = apply_batch(
        *executor,
        {
            // Exactly at the bound: column name "b" (16 + 1), one row (16), the blob (16 + n).
            write("SELECT zeroblob(?) AS b",
                  {positional(integer(static_cast<std::int64_t>(
                      storage::execution_limits::result_bytes_max - 49)))}),
            write("SELECT zeroblob(?) AS b",
                  {positional(integer(static_cast<std::int64_t>(
                      storage::execution_limits::result_bytes_max - 48)))}),
            // Two statements of 5 MiB each: the second crosses the bound.
            request({sql("SELECT zeroblob(5242880)"), sql("SELECT zeroblob(5242880)")}),
            // Many small rows.
            write("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 600000) "
                  "SELECT n FROM c"),
            write("SELECT 'still running'"),
        });
    const auto& big = results(done.outcomes[0]);
    BOOST_TEST(std::get<bytes>(big[0].rows[0][0].value).size() ==
               storage::execution_limits::result_bytes_max - 49);
    BOOST_TEST(failure(done.outcomes[1]).code == SQLITE_TOOBIG);
    const auto& two = failure(done.outcomes[2]);
    BOOST_TEST(two.statement_index == 1u);
    BOOST_TEST(two.code == SQLITE_TOOBIG);
    BOOST_TEST(two.message == "request returns more than 8388608 bytes of results");
    BOOST_TEST(failure(done.outcomes[3]).code == SQLITE_TOOBIG);
    results(done.outcomes[4]);
}

BOOST_AUTO_TEST_CASE(execution_budget_stops_endless_queries_the_same_way_everywhere) {
    temp_dir dir;
    auto warm = open_executor(dir.file("warm.db"));
    apply_batch(*warm, {write("CREATE TABLE t(x)"), write(endless)});  // warms the cache
    auto cold = open_executor(dir.file("cold.db"));
    apply_batch(*cold, {write("CREATE TABLE t(x)"), write("SELECT 1")});
    const std::vector<protocols::client_request> batch = {write(endless),
                                                          write("INSERT INTO t VALUES (1)")};
    const auto a = apply_batch(*warm, batch);
    const auto b = apply_batch(*cold, batch);
    BOOST_TEST(failure(a.outcomes[0]).code == SQLITE_INTERRUPT);
    BOOST_TEST(failure(a.outcomes[0]).message ==
               "request exceeded its execution budget of 100000000 virtual machine steps");
    results(a.outcomes[1]);
    BOOST_CHECK(a.outcomes == b.outcomes);
    const auto r = warm->execute_read(read(endless), context());
    BOOST_TEST(failure(r).code == SQLITE_INTERRUPT);
}

BOOST_AUTO_TEST_CASE(oversized_values_and_too_many_statements_fail_cleanly) {
    temp_dir dir;
    auto executor = open_executor(dir.file("oversized.db"));
    std::vector<protocols::sql_statement> many(protocols::limits::statements_per_request_max + 1,
                                               sql("SELECT 1"));
    const auto done = apply_batch(
        *executor,
        {
            write("SELECT length(?)",
                  {positional(text(std::string(protocols::limits::value_bytes_max + 1, 'x')))}),
            write("SELECT length(?)",
                  {positional(blob(bytes(protocols::limits::value_bytes_max + 1, 7)))}),
            request(many),
            write("SELECT zeroblob(1000000000)"),
            write(std::string(protocols::limits::sql_text_bytes_max + 1, ' ') + "SELECT 1"),
            write("SELECT 'fine'"),
        });
    BOOST_TEST(failure(done.outcomes[0]).code == SQLITE_TOOBIG);
    BOOST_TEST(failure(done.outcomes[1]).code == SQLITE_TOOBIG);
    BOOST_TEST(failure(done.outcomes[2]).code == SQLITE_TOOBIG);
    BOOST_TEST(failure(done.outcomes[2]).message == "request has 257 statements, limit 256");
    BOOST_TEST(failure(done.outcomes[3]).code == SQLITE_TOOBIG);
    BOOST_TEST(failure(done.outcomes[4]).code == SQLITE_TOOBIG);
    results(done.outcomes[5]);
}

BOOST_AUTO_TEST_SUITE_END()
