// Statements with parameter sets: the statement runs once per set, in order, and gives one
// result (every run's rows, the affected rows summed, the last run's insert id); a failing
// run fails the whole request, naming the set; the rows and the row changes hashed into the
// state digest are those of the same statement run once per row.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include "executor_support.hpp"
#include "protocols/limits.hpp"

using namespace covenant;
using namespace covenant::test;
using protocols::sql_parameter;

namespace {

protocols::sql_statement with_sets(std::string text, std::vector<std::vector<sql_parameter>> sets) {
    auto s = sql(std::move(text));
    s.parameter_sets = std::move(sets);
    return s;
}

std::vector<std::vector<sql_parameter>> rows_of(std::int64_t first, std::int64_t count) {
    std::vector<std::vector<sql_parameter>> sets;
    for (std::int64_t k = first; k < first + count; ++k)
        sets.push_back({positional(integer(k)), positional(text("v" + std::to_string(k)))});
    return sets;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(executor_parameter_sets)

BOOST_AUTO_TEST_CASE(a_statement_runs_once_per_set_and_gives_one_result) {
    temp_dir dir;
    auto executor = open_executor(dir.file("sets.db"));
    const auto done = apply_batch(
        *executor, {
                       write("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)"),
                       request({with_sets("INSERT INTO t(k, v) VALUES(?, ?)", rows_of(1, 100))}),
                       request({with_sets("SELECT v FROM t WHERE k = ?",
                                          {{positional(integer(7))}, {positional(integer(99))},
                                           {positional(integer(1000))}})},
                               protocols::query_kind::read),
                   });
    const auto& inserted = results(done.outcomes[1]);
    BOOST_REQUIRE_EQUAL(inserted.size(), 1u);
    BOOST_TEST(inserted[0].affected_rows == 100u);
    BOOST_TEST(inserted[0].last_insert_id == 100);
    BOOST_TEST(inserted[0].rows.empty());
    BOOST_TEST(query(*executor, "SELECT count(*), sum(k) FROM t")[0][0] == integer(100));
    BOOST_TEST(query(*executor, "SELECT count(*), sum(k) FROM t")[0][1] == integer(5050));
    BOOST_TEST(describe(query(*executor, "SELECT v FROM t WHERE k = 42")) == "[('v42')]");

    const auto& read = results(done.outcomes[2]);
    BOOST_REQUIRE_EQUAL(read.size(), 1u);
    BOOST_TEST(describe(read[0].rows) == "[('v7')('v99')]");  // k = 1000: no row
    BOOST_TEST(read[0].columns == std::vector<std::string>{"v"});
}

BOOST_AUTO_TEST_CASE(named_parameters_work_in_sets) {
    temp_dir dir;
    auto executor = open_executor(dir.file("named.db"));
    const auto done = apply_batch(
        *executor,
        {write("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)"),
         request({with_sets("INSERT INTO t(k, v) VALUES(:k, :v)",
                            {{named(":v", text("a")), named(":k", integer(5))},
                             {named(":k", integer(6)), named(":v", text("b"))}}),
                  with_sets("UPDATE t SET v = v || ? WHERE k >= ?",
                            {{positional(text("!")), positional(integer(6))},
                             {positional(text("?")), positional(integer(0))}})})});
    const auto& r = results(done.outcomes[1]);
    BOOST_REQUIRE_EQUAL(r.size(), 2u);
    BOOST_TEST(r[0].affected_rows == 2u);
    BOOST_TEST(r[1].affected_rows == 3u);  // one row, then two
    BOOST_TEST(describe(query(*executor, "SELECT k, v FROM t ORDER BY k")) ==
               "[(5, 'a?')(6, 'b!?')]");
}

BOOST_AUTO_TEST_CASE(a_failing_set_fails_the_request_and_names_the_set) {
    temp_dir dir;
    auto executor = open_executor(dir.file("failing.db"));
    auto sets = rows_of(1, 5);
    sets[3][0] = positional(integer(2));  // the fourth set repeats the key of the second
    auto short_set = rows_of(10, 3);
    short_set[1].pop_back();  // the second set lacks its second value
    const auto done = apply_batch(
        *executor, {write("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)"),
                    request({sql("INSERT INTO t VALUES (100, 'before')"),
                             with_sets("INSERT INTO t(k, v) VALUES(?, ?)", sets)}),
                    request({with_sets("INSERT INTO t(k, v) VALUES(?, ?)", short_set)}),
                    request({with_sets("INSERT INTO t(k, v) VALUES(?, ?)", rows_of(20, 2))})});
    const auto& f = failure(done.outcomes[1]);
    BOOST_TEST(f.statement_index == 1u);
    BOOST_TEST(f.code == SQLITE_CONSTRAINT_PRIMARYKEY);
    BOOST_TEST(f.message == "parameter set 3: UNIQUE constraint failed: t.k");
    const auto& g = failure(done.outcomes[2]);
    BOOST_TEST(g.statement_index == 0u);
    BOOST_TEST(g.code == SQLITE_RANGE);
    BOOST_TEST(g.message.rfind("parameter set 1: ", 0) == 0u, g.message);
    // All or none: only the last request's rows are there.
    BOOST_TEST(describe(query(*executor, "SELECT k FROM t ORDER BY k")) == "[(20)(21)]");
}

BOOST_AUTO_TEST_CASE(a_statement_with_both_parameters_and_sets_is_refused) {
    temp_dir dir;
    auto executor = open_executor(dir.file("both.db"));
    auto both = with_sets("INSERT INTO t(k, v) VALUES(?, ?)", rows_of(1, 2));
    both.parameters = rows_of(5, 1)[0];
    const auto done = apply_batch(*executor, {write("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)"),
                                              request({both})});
    BOOST_TEST(failure(done.outcomes[1]).code == SQLITE_MISUSE);
    BOOST_TEST(query(*executor, "SELECT count(*) FROM t")[0][0] == integer(0));
}

BOOST_AUTO_TEST_CASE(too_many_runs_in_a_request_are_refused) {
    temp_dir dir;
    auto executor = open_executor(dir.file("runs.db"));
    const auto half = static_cast<std::int64_t>(protocols::limits::statement_runs_per_request_max / 2);
    const auto done = apply_batch(
        *executor, {write("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)"),
                    request({with_sets("INSERT INTO t(k, v) VALUES(?, ?)", rows_of(1, half)),
                             with_sets("INSERT INTO t(k, v) VALUES(?, ?)", rows_of(half + 1, half + 1))})});
    BOOST_TEST(failure(done.outcomes[1]).code == SQLITE_TOOBIG);
    BOOST_TEST(query(*executor, "SELECT count(*) FROM t")[0][0] == integer(0));
}

BOOST_AUTO_TEST_CASE(sets_give_the_rows_of_single_statements_and_replay_alike) {
    // The state digest commits to the rows each request changed: the same rows inserted by
    // one statement with 20 sets or by 20 statements give the same row changes; the
    // digests differ only through the results root (one result against twenty).
    temp_dir dir;
    auto by_sets = open_executor(dir.file("by_sets.db"));
    auto by_statements = open_executor(dir.file("by_statements.db"));
    const auto create = write("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)");
    std::vector<protocols::sql_statement> singles;
    for (auto& set : rows_of(1, 20)) singles.push_back(sql("INSERT INTO t(k, v) VALUES(?, ?)", set));
    apply_batch(*by_sets, {create, request({with_sets("INSERT INTO t(k, v) VALUES(?, ?)", rows_of(1, 20))})});
    apply_batch(*by_statements, {create, request(singles)});
    BOOST_TEST(describe(query(*by_sets, "SELECT k, v FROM t ORDER BY k")) ==
               describe(query(*by_statements, "SELECT k, v FROM t ORDER BY k")));
    BOOST_TEST(query(*by_sets, "SELECT count(*) FROM t")[0][0] == integer(20));
    // Replaying the same request on a third database gives the sets' digest exactly.
    auto again = open_executor(dir.file("again.db"));
    const auto sets_request = request({with_sets("INSERT INTO t(k, v) VALUES(?, ?)", rows_of(1, 20))});
    auto fresh = open_executor(dir.file("fresh.db"));
    const auto a = apply_batch(*again, {create, sets_request});
    const auto b = apply_batch(*fresh, {create, sets_request});
    BOOST_TEST((a.state_digest == b.state_digest));
    BOOST_TEST((a.results_root == b.results_root));
}

BOOST_AUTO_TEST_SUITE_END()
