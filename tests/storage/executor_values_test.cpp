// Values and statements: every SQLite value type goes in through a parameter and comes
// back exactly (NULL, 64-bit integers at both ends, doubles incl. -0.0 and infinities,
// text with NUL bytes, empty and full blobs), stored in a table and read back; parameters
// bind by position and by name with clear errors; column names, affected rows and last
// insert rowids; one SQL statement per statement text.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <cmath>
#include <limits>

#include "executor_support.hpp"

using namespace covenant;
using namespace covenant::test;
using protocols::sql_value;

namespace {

std::vector<sql_value> every_kind_of_value() {
    bytes all_bytes;
    for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<std::uint8_t>(i));
    return {
        null(),
        integer(0),
        integer(std::numeric_limits<std::int64_t>::min()),
        integer(std::numeric_limits<std::int64_t>::max()),
        integer(-1),
        real(3.5),
        real(-0.0),
        real(std::numeric_limits<double>::infinity()),
        real(-std::numeric_limits<double>::infinity()),
        real(std::numeric_limits<double>::denorm_min()),
        real(1e308),
        text(""),
        text(std::string("a\0b\0", 4)),
        text("h\xc3\xa9llo w\xf0\x9f\x98\x80rld"),
        blob({}),
        blob(all_bytes),
    };
}

bool identical(const sql_value& a, const sql_value& b) {
    if (a.value.index() == 2 && b.value.index() == 2) {
        // -0.0 == 0.0 for operator==: compare the bits.
        const double x = std::get<2>(a.value);
        const double y = std::get<2>(b.value);
        return std::signbit(x) == std::signbit(y) && (x == y);
    }
    return a == b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(executor_values)

BOOST_AUTO_TEST_CASE(every_value_type_round_trips_through_parameters_and_a_table) {
    temp_dir dir;
    auto executor = open_executor(dir.file("values.db"));
    const auto values = every_kind_of_value();

    std::vector<protocols::sql_parameter> parameters;
    std::string select = "SELECT ";
    for (std::size_t i = 0; i < values.size(); ++i) {
        parameters.push_back(positional(values[i]));
        select += (i ? ", ?" : "?");
    }
    std::vector<protocols::client_request> batch;
    batch.push_back(write(select, parameters));
    batch.push_back(write("CREATE TABLE v(i INTEGER PRIMARY KEY, x)"));
    for (const auto& value : values)
        batch.push_back(write("INSERT INTO v(x) VALUES (?)", {positional(value)}));
    batch.push_back(write("SELECT typeof(x) FROM v ORDER BY i"));
    const auto done = apply_batch(*executor, batch);

    const auto& echoed = results(done.outcomes[0]);
    BOOST_REQUIRE_EQUAL(echoed.size(), 1u);
    BOOST_REQUIRE_EQUAL(echoed[0].rows.size(), 1u);
    BOOST_REQUIRE_EQUAL(echoed[0].rows[0].size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        BOOST_TEST(identical(echoed[0].rows[0][i], values[i]),
                   "parameter " << i << ": sent " << describe(values[i]) << ", got "
                                << describe(echoed[0].rows[0][i]));

    const auto types = results(done.outcomes.back())[0].rows;
    const char* expected_types[] = {"null", "integer", "integer", "integer", "integer", "real",
                                    "real", "real",    "real",    "real",    "real",    "text",
                                    "text", "text",    "blob",    "blob"};
    BOOST_REQUIRE_EQUAL(types.size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        BOOST_TEST(types[i][0] == text(expected_types[i]));

    // Stored in a column without affinity and read back in a later read.
    const auto stored = query(*executor, "SELECT x FROM v ORDER BY i");
    BOOST_REQUIRE_EQUAL(stored.size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        BOOST_TEST(identical(stored[i][0], values[i]), "row " << i << ": stored "
                                                              << describe(values[i]) << ", read "
                                                              << describe(stored[i][0]));
}

BOOST_AUTO_TEST_CASE(empty_blob_is_a_zero_length_blob_not_null) {
    temp_dir dir;
    auto executor = open_executor(dir.file("blob.db"));
    const auto done = apply_batch(
        *executor, {write("SELECT typeof(?), length(?1), ?1 IS NULL", {positional(blob({}))})});
    const auto& row = results(done.outcomes[0])[0].rows.at(0);
    BOOST_TEST(row[0] == text("blob"));
    BOOST_TEST(row[1] == integer(0));
    BOOST_TEST(row[2] == integer(0));
}

BOOST_AUTO_TEST_CASE(named_and_positional_parameters_bind_exactly) {
    temp_dir dir;
    auto executor = open_executor(dir.file("params.db"));
    const auto done = apply_batch(
        *executor,
        {
            write("SELECT :a, @b, $c",
                  {named(":a", integer(1)), named("@b", integer(2)), named("$c", integer(3))}),
            // Named values in any order; a name without its prefix finds it.
            write("SELECT :a, :b", {named("b", text("B")), named(":a", text("A"))}),
            // Positional values fill ?, ?NNN in order of index; names bind apart.
            write("SELECT ?, :x, ?",
                  {positional(integer(10)), named(":x", integer(20)), positional(integer(30))}),
            write("SELECT ?2, ?1", {positional(text("first")), positional(text("second"))}),
            write("SELECT ?3", {named("?3", integer(33))}),
        });
    BOOST_TEST(results(done.outcomes[0])[0].rows[0] ==
               (std::vector<sql_value>{integer(1), integer(2), integer(3)}));
    BOOST_TEST(results(done.outcomes[1])[0].rows[0] ==
               (std::vector<sql_value>{text("A"), text("B")}));
    BOOST_TEST(results(done.outcomes[2])[0].rows[0] ==
               (std::vector<sql_value>{integer(10), integer(20), integer(30)}));
    BOOST_TEST(results(done.outcomes[3])[0].rows[0] ==
               (std::vector<sql_value>{text("second"), text("first")}));
    BOOST_TEST(results(done.outcomes[4])[0].rows[0] == (std::vector<sql_value>{integer(33)}));
}

BOOST_AUTO_TEST_CASE(parameter_mistakes_fail_the_request_with_sqlite_range) {
    temp_dir dir;
    auto executor = open_executor(dir.file("params.db"));
    const auto done = apply_batch(
        *executor, {
                       write("SELECT ?", {positional(integer(1)), positional(integer(2))}),
                       write("SELECT :a", {named(":nope", integer(1))}),
                       write("SELECT :a, ?", {positional(integer(1))}),
                       write("SELECT :a", {named(":a", integer(1)), named("a", integer(2))}),
                       write("SELECT 1", {named(std::string(":a\0b", 4), integer(1))}),
                   });
    for (const auto& outcome : done.outcomes) BOOST_TEST(failure(outcome).code == SQLITE_RANGE);
    BOOST_TEST(failure(done.outcomes[0]).message ==
               "statement has 1 positional parameters, more values were given");
    BOOST_TEST(failure(done.outcomes[1]).message == "statement has no parameter named :nope");
    BOOST_TEST(failure(done.outcomes[2]).message == "no value for parameter :a");
    BOOST_TEST(failure(done.outcomes[3]).message == "parameter :a is given more than one value");
}

BOOST_AUTO_TEST_CASE(columns_affected_rows_and_last_insert_rowid) {
    temp_dir dir;
    auto executor = open_executor(dir.file("counts.db"));
    const auto done =
        apply_batch(*executor, {request({
                                   sql("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)"),
                                   sql("INSERT INTO t(name) VALUES ('a'), ('b'), ('c')"),
                                   sql("UPDATE t SET name = upper(name) WHERE id >= 2"),
                                   sql("SELECT id AS identifier, name FROM t ORDER BY id"),
                                   sql("DELETE FROM t WHERE id = 1"),
                                   sql("INSERT INTO t(name) VALUES ('d') RETURNING id, name"),
                               })});
    const auto& r = results(done.outcomes[0]);
    BOOST_REQUIRE_EQUAL(r.size(), 6u);
    BOOST_TEST(r[0].affected_rows == 0u);
    BOOST_TEST(r[1].affected_rows == 3u);
    BOOST_TEST(r[1].last_insert_id == 3);
    BOOST_TEST(r[2].affected_rows == 2u);
    BOOST_TEST(r[3].columns == (std::vector<std::string>{"identifier", "name"}));
    BOOST_TEST(r[3].affected_rows == 0u);
    BOOST_TEST(describe(r[3].rows) == "[(1, 'a')(2, 'B')(3, 'C')]");
    BOOST_TEST(r[4].affected_rows == 1u);
    BOOST_TEST(r[5].affected_rows == 1u);
    BOOST_TEST(r[5].last_insert_id == 4);
    BOOST_TEST(describe(r[5].rows) == "[(4, 'd')]");

    // A new request starts with last_insert_rowid() 0 and changes() 0.
    const auto next =
        apply_batch(*executor, {write("SELECT last_insert_rowid(), changes(), total_changes()")});
    BOOST_TEST(describe(results(next.outcomes[0])[0].rows) == "[(0, 0, 0)]");
    BOOST_TEST(results(next.outcomes[0])[0].last_insert_id == 0);
}

BOOST_AUTO_TEST_CASE(several_statements_in_one_text_are_refused_with_the_offset) {
    temp_dir dir;
    auto executor = open_executor(dir.file("multi.db"));
    const auto done =
        apply_batch(*executor, {
                                   write("CREATE TABLE t(x); INSERT INTO t VALUES (1)"),
                                   write("CREATE TABLE t(x); -- a comment\n ;; /* and another */ "),
                                   write("  -- only a comment"),
                                   write(""),
                                   write("SELECT count(*) FROM t"),
                               });
    const auto& refused = failure(done.outcomes[0]);
    BOOST_TEST(refused.code == SQLITE_ERROR);
    BOOST_TEST(refused.message.find("more than one SQL statement (more SQL at byte 19)") !=
               std::string::npos);
    results(done.outcomes[1]);
    BOOST_TEST(failure(done.outcomes[2]).message == "statement is empty");
    BOOST_TEST(failure(done.outcomes[3]).message == "statement is empty");
    BOOST_TEST(describe(results(done.outcomes[4])[0].rows) == "[(0)]");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_text_cannot_be_returned_as_text) {
    temp_dir dir;
    auto executor = open_executor(dir.file("utf8.db"));
    const auto done =
        apply_batch(*executor, {
                                   write("SELECT CAST(x'ff41' AS TEXT)"),
                                   write("SELECT CAST(CAST(x'ff41' AS TEXT) AS BLOB)"),
                               });
    BOOST_TEST(failure(done.outcomes[0]).code == SQLITE_MISMATCH);
    BOOST_TEST(failure(done.outcomes[0]).message.find("not valid UTF-8") != std::string::npos);
    BOOST_TEST(results(done.outcomes[1])[0].rows[0][0] == blob({0xff, 0x41}));
}

BOOST_AUTO_TEST_SUITE_END()
