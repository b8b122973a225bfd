// cql's parts without a gateway (the cql_core library): its config file (every key, paths
// relative to the file, each bad value refused naming the key and its line), how SQL text is
// cut into statements (a ';' in a string, a comment or a trigger's body does not end one) and
// judged a read or a write, and how rows are shown (table, CSV, JSON; every value type).
#include <boost/test/unit_test.hpp>

#include <limits>
#include <string>

#include "cql_config.hpp"
#include "failure.hpp"
#include "result_view.hpp"
#include "run_cql.hpp"
#include "sql_text.hpp"

using namespace covenant;

namespace {

void check_config_error(const std::string& text, const std::string& mentions) {
    auto c = cql::parse_cql_config(text, "/base", "cql.toml");
    BOOST_REQUIRE_MESSAGE(!c.ok(), "accepted: " << text);
    BOOST_TEST(c.failure().detail.find(mentions) != std::string::npos,
               "'" << c.failure().detail << "' should mention '" << mentions << "'");
    BOOST_TEST(c.failure().detail.rfind("cql.toml: ", 0) == 0, c.failure().detail);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_file)

BOOST_AUTO_TEST_CASE(every_key_is_read_and_paths_are_relative_to_the_file) {
    auto c = cql::parse_cql_config(
        "gateway = \"127.0.0.1:7800\"\nkey_file = \"keys/client.key\"\n"
        "passphrase_file = \"/abs/pass\"\ntimeout_ms = 2500\n",
        "/base/dir", "cql.toml");
    BOOST_REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.failure().detail));
    BOOST_TEST(c->gateway.host == "127.0.0.1");
    BOOST_TEST(c->gateway.port == 7800);
    BOOST_TEST(c->key_file == "/base/dir/keys/client.key");
    BOOST_TEST(c->passphrase_file == "/abs/pass");
    BOOST_TEST(*c->timeout_ms == 2500);

    auto minimal = cql::parse_cql_config("gateway = \"[::1]:80\"\n", "/b", "cql.toml");
    BOOST_REQUIRE(minimal.ok());
    BOOST_TEST(minimal->gateway.host == "::1");
    BOOST_TEST(minimal->key_file.empty());
    BOOST_TEST(!minimal->timeout_ms.has_value());
}

BOOST_AUTO_TEST_CASE(bad_values_name_the_key_and_line) {
    check_config_error("gateway = \"127.0.0.1:7800\"\n\ncolour = \"red\"\n",
                       "colour (line 3): unknown key");
    check_config_error("key_file = \"k\"\n", "gateway: missing");
    check_config_error("gateway = 7800\n", "gateway (line 1): expected a string");
    check_config_error("gateway = \"localhost\"\n", "gateway (line 1)");
    check_config_error("gateway = \"127.0.0.1:0\"\n", "gateway (line 1): port 0");
    check_config_error("gateway = \"127.0.0.1:99999\"\n", "above 65535");
    check_config_error("gateway = \"127.0.0.1:1\"\ntimeout_ms = 0\n",
                       "timeout_ms (line 2): must be at least 1");
    check_config_error("gateway = \"127.0.0.1:1\"\nkey_file = \"\"\n",
                       "key_file (line 2): must not be empty");
    check_config_error("gateway = \"127.0.0.1:1\"\n[client]\nx = 1\n",
                       "client (line 2): unknown key");
    check_config_error("gateway = \"127.0.0.1:1\n", "not valid TOML (line 1");
}

BOOST_AUTO_TEST_CASE(files) {
    cql_test::temp_dir dir;
    cql_test::write_text_file(dir.file("cql.toml"),
                              "gateway = \"127.0.0.1:7800\"\nkey_file = \"me.key\"\n");
    auto c = cql::read_cql_config(dir.file("cql.toml"));
    BOOST_REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.failure().detail));
    BOOST_TEST(c->key_file == dir.file("me.key"));
    BOOST_TEST(!cql::read_cql_config(dir.file("absent.toml")).ok());
    BOOST_TEST(!cql::read_cql_config(dir.path()).ok());  // a directory
    cql_test::write_text_file(dir.file("big.toml"), std::string(70 * 1024, '#'));
    auto big = cql::read_cql_config(dir.file("big.toml"));
    BOOST_REQUIRE(!big.ok());
    BOOST_TEST(big.failure().detail.find("larger than") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sql_text)

BOOST_AUTO_TEST_CASE(statements_end_at_semicolons_that_end_statements) {
    const auto s = cql::split_statements(
        "INSERT INTO t VALUES ('a;b'); -- a comment; still a comment\n"
        "SELECT \"x;y\" FROM t;\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET v = 1; DELETE FROM u; END;\n"
        " ; ;\n/* c; */ SELECT 1");
    BOOST_TEST_REQUIRE(s.statements.size() == 3u);
    BOOST_TEST(s.statements[0] == "INSERT INTO t VALUES ('a;b')");
    BOOST_TEST(s.statements[1].find("SELECT \"x;y\" FROM t") != std::string::npos);
    BOOST_TEST(s.statements[2].find("DELETE FROM u; END") != std::string::npos);
    BOOST_TEST(s.statements[2].back() == 'D');
    BOOST_TEST(!cql::blank_sql(s.rest));
    BOOST_TEST(s.rest.find("SELECT 1") != std::string::npos);

    const auto unfinished = cql::split_statements("SELECT 'it''s;\n");
    BOOST_TEST(unfinished.statements.empty());
    BOOST_TEST(cql::blank_sql(cql::split_statements("-- only\n/* comments */ ;").rest));
}

BOOST_AUTO_TEST_CASE(reads_and_writes) {
    for (const char* read :
         {"SELECT 1", "  select * from t", "VALUES (1)", "PRAGMA table_info(t)",
          "EXPLAIN QUERY PLAN SELECT 1", "WITH a AS (SELECT 1) SELECT * FROM a", "-- c\nSELECT 2"})
        BOOST_TEST(cql::is_read_statement(read), read);
    for (const char* write : {"INSERT INTO t VALUES (1)", "UPDATE t SET v = 2", "DELETE FROM t",
                              "CREATE TABLE t(k)", "DROP TABLE t", "REPLACE INTO t VALUES (1)",
                              "WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "ANALYZE", ""})
        BOOST_TEST(!cql::is_read_statement(write), write);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(result_view)

BOOST_AUTO_TEST_CASE(every_value_type_in_every_mode) {
    using protocols::sql_value;
    cql::result_rows r;
    r.columns = {"k", "v"};
    r.rows = {{sql_value::integer(1), sql_value::null()},
              {sql_value::integer(-22), sql_value::real(0.25)},
              {sql_value::integer(3), sql_value::text("a, \"b\"")},
              {sql_value::integer(4), sql_value::blob({0x00, 0xff})},
              {sql_value::integer(5), sql_value::real(2.0)},
              {sql_value::integer(6), sql_value::real(std::numeric_limits<double>::infinity())}};
    const std::string table = cql::format_rows(r, cql::output_mode::table);
    BOOST_TEST(table.find("| k   | v       |") != std::string::npos, table);
    BOOST_TEST(table.find("|   1 | NULL    |") != std::string::npos, table);
    BOOST_TEST(table.find("| -22 |    0.25 |") != std::string::npos, table);
    BOOST_TEST(table.find("| X'00ff' |") != std::string::npos, table);
    BOOST_TEST(table.find("2.0") != std::string::npos, table);
    BOOST_TEST(table.find("Inf") != std::string::npos, table);

    const std::string csv = cql::format_rows(r, cql::output_mode::csv);
    BOOST_TEST(csv.rfind("k,v\r\n1,\r\n-22,0.25\r\n3,\"a, \"\"b\"\"\"\r\n4,X'00ff'\r\n", 0) == 0,
               csv);

    const auto json = nlohmann::json::parse(cql::format_rows(r, cql::output_mode::json));
    BOOST_TEST(json.size() == 6u);
    BOOST_TEST(json[0]["v"].is_null());
    BOOST_TEST(json[1]["v"].get<double>() == 0.25);
    BOOST_TEST(json[3]["v"]["blob"].get<std::string>() == "00ff");
    BOOST_TEST(json[5]["v"]["real"].get<std::string>() == "Infinity");

    BOOST_TEST(cql::format_rows(cql::result_rows{}, cql::output_mode::table).empty());
}

BOOST_AUTO_TEST_CASE(answers_of_the_wrong_shape_are_failures) {
    BOOST_CHECK_THROW(cql::rows_from_answer(nlohmann::json{{"columns", {"a"}}}), cql::failure);
    BOOST_CHECK_THROW(cql::rows_from_answer(nlohmann::json{{"columns", {"a"}}, {"rows", {{1, 2}}}}),
                      cql::failure);
    BOOST_CHECK_THROW(cql::rows_from_answer(nlohmann::json{{"columns", {"a"}},
                                                           {"rows", {{nlohmann::json{{"x", 1}}}}}}),
                      cql::failure);
    const auto ok = cql::rows_from_answer(nlohmann::json{{"columns", {"a"}}, {"rows", {{7}}}});
    BOOST_TEST(ok.rows.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
