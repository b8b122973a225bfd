// Determinism (DESIGN.md section 5): two replicas with different files, one of them
// restarted before every batch, applying the same batches get identical outcomes, results
// roots and state digests, even when the batches use random(), randomblob(), every form of
// 'now', 'localtime', changes(), total_changes() and last_insert_rowid(); their 'now' is
// the batch's agreed time, not the wall clock; random values depend on the batch seed and
// the request's index, and follow SQLite's shapes.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <set>

#include <sqlite3.h>

#include "executor_support.hpp"

using namespace covenant;
using namespace covenant::test;

namespace {

// 2001-09-09 01:46:40.000 UTC.
constexpr std::int64_t agreed_ms = 1'000'000'000'000;

std::vector<protocols::client_request> nondeterministic_batch() {
    return {
        request({sql("CREATE TABLE t(id INTEGER PRIMARY KEY, r INTEGER DEFAULT (random()), "
                     "b BLOB, at TEXT DEFAULT CURRENT_TIMESTAMP)"),
                 sql("INSERT INTO t(b) VALUES (randomblob(16)), (randomblob(3))"),
                 sql("INSERT INTO t(b, at) VALUES (randomblob(8), datetime('now'))")}),
        write("SELECT random(), random(), randomblob(32), hex(randomblob(4))"),
        write("SELECT datetime('now'), date('now'), time('now'), julianday('now'), "
              "unixepoch('now'), strftime('%s %f', 'now'), CURRENT_TIMESTAMP, CURRENT_DATE, "
              "CURRENT_TIME"),
        write("SELECT datetime('now', 'localtime'), datetime(0, 'unixepoch', 'localtime'), "
              "datetime(0, 'unixepoch', 'utc')"),
        request({sql("INSERT INTO t(b) VALUES (x'00')"), sql("UPDATE t SET b = randomblob(2)"),
                 sql("SELECT changes(), total_changes(), last_insert_rowid()")}),
        write("SELECT * FROM t ORDER BY random()"),
        write("EXPLAIN QUERY PLAN SELECT id, hex(b) FROM t WHERE r > ? ORDER BY at",
              {positional(integer(0))}),
        write("EXPLAIN QUERY PLAN SELECT * FROM t WHERE id IN (SELECT id FROM t WHERE r < 0)"),
        write("SELECT sqlite_version(), sqlite_source_id()"),
        write("SELECT id, r, hex(b), at FROM t ORDER BY id"),
    };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(executor_determinism)

BOOST_AUTO_TEST_CASE(two_replicas_agree_on_everything) {
    // The host time zone must not matter: run in one that is not UTC.
    ::setenv("TZ", "America/New_York", 1);
    ::tzset();
    temp_dir dir;
    auto first = open_executor(dir.file("first.db"));
    const std::string second_path = dir.file("second.db");
    for (int round = 0; round < 3; ++round) {
        const auto ctx =
            context(agreed_ms + round * 1'500, static_cast<std::uint8_t>(0x40 + round));
        const auto batch = nondeterministic_batch();
        const auto a = first->execute_batch(first->applied_seq().next(), ctx, batch);
        auto second = open_executor(second_path);  // restarted before every batch
        const auto b = second->execute_batch(second->applied_seq().next(), ctx, batch);
        BOOST_CHECK_MESSAGE(a.outcomes == b.outcomes, "round " << round);
        // On a mismatch, show the first statement's rows of each side.
        for (std::size_t i = 0; i < a.outcomes.size(); ++i)
            if (!(a.outcomes[i] == b.outcomes[i]) &&
                std::holds_alternative<std::vector<protocols::statement_result>>(
                    a.outcomes[i].body) &&
                std::holds_alternative<std::vector<protocols::statement_result>>(
                    b.outcomes[i].body))
                BOOST_TEST_MESSAGE(
                    "outcome " << i << ": " << describe(std::get<0>(a.outcomes[i].body)[0].rows)
                               << "\n vs " << describe(std::get<0>(b.outcomes[i].body)[0].rows));
        BOOST_TEST(a.results_root == b.results_root);
        BOOST_TEST(a.state_digest == b.state_digest);
        // Later rounds create nothing new: only the first request fails (table exists).
        for (std::size_t i = 1; i < a.outcomes.size(); ++i) results(a.outcomes[i]);
    }
    ::unsetenv("TZ");
    ::tzset();
}

BOOST_AUTO_TEST_CASE(now_is_the_batch_time_not_the_wall_clock) {
    temp_dir dir;
    auto executor = open_executor(dir.file("time.db"));
    const auto done = executor->execute_batch(
        sequence_number(1), context(agreed_ms + 123, 1),
        {write("SELECT datetime('now'), strftime('%Y-%m-%d %H:%M:%f', 'now'), unixepoch('now'), "
               "CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME, julianday('now'), "
               "unixepoch() * 1000")});
    const auto& row = results(done.outcomes[0])[0].rows.at(0);
    BOOST_TEST(row[0] == text("2001-09-09 01:46:40"));
    BOOST_TEST(row[1] == text("2001-09-09 01:46:40.123"));
    BOOST_TEST(row[2] == integer(1'000'000'000));
    BOOST_TEST(row[3] == text("2001-09-09 01:46:40"));
    BOOST_TEST(row[4] == text("2001-09-09"));
    BOOST_TEST(row[5] == text("01:46:40"));
    // SQLite's own arithmetic: Julian day in ms over ms per day.
    BOOST_TEST(row[6] ==
               real(static_cast<double>(agreed_ms + 123 + 210'866'760'000'000) / 86'400'000.0));
    const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    const auto seen_ms = std::get<std::int64_t>(row[7].value);
    BOOST_TEST(seen_ms == 1'000'000'000'000);
    BOOST_TEST(wall_ms - seen_ms > 100'000'000'000);  // years away from the wall clock

    // Reads see their own context's time.
    const auto r = executor->execute_read(read("SELECT datetime('now')"), context(0, 1));
    BOOST_TEST(results(r)[0].rows[0][0] == text("1970-01-01 00:00:00"));
}

BOOST_AUTO_TEST_CASE(times_beyond_sqlite_range_give_null_not_overflow) {
    temp_dir dir;
    auto executor = open_executor(dir.file("far.db"));
    for (const std::int64_t t : {std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::min(), std::int64_t{-1}}) {
        const auto r = executor->execute_read(read("SELECT datetime('now'), CURRENT_TIMESTAMP"),
                                              context(t, 1));
        BOOST_TEST(results(r)[0].rows.size() == 1u);
    }
}

BOOST_AUTO_TEST_CASE(random_values_depend_on_seed_and_request_index) {
    temp_dir dir;
    auto a = open_executor(dir.file("a.db"));
    auto b = open_executor(dir.file("b.db"));
    const auto same = write("SELECT random(), randomblob(8)");
    const auto x = apply_batch(*a, {same, same}, context(agreed_ms, 1));
    const auto y = apply_batch(*b, {same, same}, context(agreed_ms, 2));
    const auto& x0 = results(x.outcomes[0])[0].rows[0];
    const auto& x1 = results(x.outcomes[1])[0].rows[0];
    const auto& y0 = results(y.outcomes[0])[0].rows[0];
    BOOST_TEST(x0 != x1);  // another request index
    BOOST_TEST(x0 != y0);  // another seed
    const auto again = apply_batch(*b, {same, same}, context(agreed_ms, 1));
    BOOST_TEST(results(again.outcomes[0])[0].rows[0] == x0);
    BOOST_TEST(results(again.outcomes[1])[0].rows[0] == x1);
}

BOOST_AUTO_TEST_CASE(random_functions_keep_sqlite_shapes) {
    temp_dir dir;
    auto executor = open_executor(dir.file("shapes.db"));
    const auto done = apply_batch(
        *executor,
        {write("SELECT length(randomblob(0)), length(randomblob(-5)), length(randomblob(1000)), "
               "typeof(random()), typeof(randomblob(2))"),
         write("SELECT count(DISTINCT r), min(r) > -9223372036854775808 FROM "
               "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 2000) "
               "SELECT random() AS r FROM c)"),
         write("SELECT randomblob(20000000)")});
    BOOST_TEST(describe(results(done.outcomes[0])[0].rows) == "[(1, 1, 1000, 'integer', 'blob')]");
    BOOST_TEST(describe(results(done.outcomes[1])[0].rows) == "[(2000, 1)]");
    BOOST_TEST(failure(done.outcomes[2]).code == SQLITE_TOOBIG);
}

BOOST_AUTO_TEST_SUITE_END()
