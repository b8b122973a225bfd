// The network commands of cql against a stand-in gateway (fake_gateway.hpp), running the real
// binary: which HTTP calls each command makes (method, path, body), what it prints with and
// without --json, where the gateway comes from (--gateway, --config, CQL_CONFIG), and that
// every failure is one "cql: " line on stderr with exit status 2 for the command line or a bad
// config, 1 for a gateway that cannot be reached, does not answer in time, answers nonsense or
// refuses. Also the console (statements from -c and from a pipe; reads through /v1/query,
// writes through /v1/exec; an error printed and the shell going on), and `cql info` checking
// each member's signed answer itself.
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/signing.hpp"
#include "fake_gateway.hpp"
#include "protocols/codec.hpp"
#include "run_cql.hpp"
#include "sample_messages.hpp"

using namespace covenant;
using cql_test::canned_answer;
using cql_test::fake_gateway;
using cql_test::json_answer;
using cql_test::recorded_request;
using cql_test::run_cql;
using cql_test::run_result;
using nlohmann::json;

namespace {

const std::string db(64, 'd');
const std::string address_a(64, 'a');

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

void check_failure(const run_result& r, int status, const std::string& mentions) {
    BOOST_TEST(r.exit_status == status, "stderr: " << r.err << " stdout: " << r.out);
    const auto lines = r.err_lines();
    BOOST_TEST_REQUIRE(lines.size() == 1u, "stderr: " << r.err);
    BOOST_TEST(lines[0].rfind("cql: ", 0) == 0, r.err);
    BOOST_TEST(contains(lines[0], mentions),
               "stderr '" << r.err << "' should mention '" << mentions << "'");
}

json parse_out(const run_result& r) {
    BOOST_TEST_REQUIRE(r.exit_status == 0, "stderr: " << r.err);
    auto j = json::parse(r.out, nullptr, false);
    BOOST_TEST_REQUIRE(!j.is_discarded(), "not JSON: " << r.out);
    BOOST_TEST_REQUIRE(std::count(r.out.begin(), r.out.end(), '\n') == 1, "one line: " << r.out);
    return j;
}

/// A port nothing listens on (bound, then closed).
int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

/// The answer a gateway gives to an exec of one statement without rows.
json exec_answer(std::uint64_t affected) {
    return json{{"results",
                 {{{"rows_affected", affected},
                   {"last_insert_rowid", 0},
                   {"columns", json::array()},
                   {"rows", json::array()}}}},
                {"seq", 7},
                {"verified", true},
                {"receipt", true},
                {"certificate_signers", 3},
                {"result_signers", 2},
                {"served_by", std::string(64, 'e')}};
}

json query_answer(std::vector<std::string> columns, json rows) {
    return json{
        {"columns", columns},       {"rows", rows},       {"served_by", std::string(64, 'e')},
        {"verified", true},         {"seq", 7},           {"receipt", false},
        {"certificate_signers", 0}, {"result_signers", 1}};
}

/// The "sql" of a request's body; empty if it has none.
std::string sql_in(const recorded_request& r) {
    const json body = r.json();
    if (!body.is_object() || !body.contains("sql") || !body["sql"].is_string()) return {};
    return body["sql"].get<std::string>();
}

/// A gateway that knows one database and runs a tiny fake of SQL: reads answer one row.
canned_answer small_gateway(const recorded_request& r) {
    if (r.method == "GET" && r.path == "/v1/databases/" + db)
        return json_answer({{"database", db}, {"mode", "strong"}});
    if (r.path == "/v1/query") {
        const std::string sql = sql_in(r);
        if (contains(sql, "missing"))
            return json_answer({{"error", "no such table: missing"}, {"code", "sql_error"}}, 400);
        if (contains(sql, "sqlite_master") && contains(sql, "tbl_name"))
            return json_answer(query_answer(
                {"name", "tbl_name", "sql"},
                {{"t", "t", "CREATE TABLE t(k, v)"},
                 {"covenant_meta", "covenant_meta", "CREATE TABLE covenant_meta(x)"}}));
        if (contains(sql, "sqlite_master"))
            return json_answer(query_answer({"name"}, {{"covenant_meta"}, {"t"}, {"u"}}));
        return json_answer(query_answer({"k", "v"}, {{1, "one;two"}, {2, nullptr}}));
    }
    if (r.path == "/v1/exec") return json_answer(exec_answer(1));
    return json_answer({{"error", "no such path"}, {"code", "not_found"}}, 404);
}

std::vector<std::string> sql_of(const std::vector<recorded_request>& requests,
                                const std::string& path) {
    std::vector<std::string> out;
    for (const auto& r : requests)
        if (r.path == path) out.push_back(sql_in(r));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_commands)

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
    cql_test::temp_dir dir;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"create"}, "--miners"},
        {{"create", "--miners", "0"}, "--miners"},
        {{"create", "--miners", "3", "--mode", "quick"}, "--mode"},
        {{"exec", db}, "SQL"},
        {{"exec", "12", "SELECT 1"}, "DB"},
        {{"query", db, "SELECT 1; SELECT 2"}, "one statement"},
        {{"exec", db, "SELECT 1", "--param", "1", "--named", ":a=2"}, "not both"},
        {{"exec", db, "SELECT ?", "--param", "18446744073709551615"}, "beyond 64-bit"},
        {{"grant", db, "--user", address_a, "--role", "owner"}, "--role"},
        {{"grant", db, "--role", "read"}, "--user"},
        {{"transfer", "--to", "xyz", "--amount", "5"}, "--to"},
        {{"transfer", "--to", address_a, "--amount", "0"}, "--amount"},
        {{"info", db, "--gateway", "nowhere"}, "--gateway"},
        {{"balance", "--timeout-ms", "0"}, "--timeout-ms"},
        {{"console", db, "--mode", "list"}, "--mode"},
        {{"verify", db, "--member", "zz"}, "--member"},
        {{"drop"}, "DB"},
    };
    for (const auto& [args, mentions] : cases) {
        BOOST_TEST_CONTEXT(args[0] << " ... " << mentions) {
            check_failure(run_cql(args, {}, dir.path()), 2, mentions);
        }
    }
    const auto unknown = run_cql({"mint"}, {}, dir.path());
    check_failure(unknown, 2, "verify");  // the list of commands names the new ones
}

BOOST_AUTO_TEST_CASE(a_bad_config_exits_2_naming_the_key_and_line) {
    cql_test::temp_dir dir;
    cql_test::write_text_file(dir.file("cql.toml"), "gateway = \"127.0.0.1:7800\"\nwho = 1\n");
    check_failure(run_cql({"balance", "--config", "cql.toml"}, {}, dir.path()), 2,
                  "who (line 2): unknown key");
    // From CQL_CONFIG too, and before the command.
    check_failure(run_cql({"balance"}, {{"CQL_CONFIG", dir.file("cql.toml")}}, dir.path()), 2,
                  "who (line 2)");
    check_failure(run_cql({"--config", "absent.toml", "balance"}, {}, dir.path()), 2,
                  "absent.toml");
}

BOOST_AUTO_TEST_CASE(a_gateway_that_cannot_be_reached_or_does_not_answer_exits_1) {
    cql_test::temp_dir dir;
    const std::string nowhere = "127.0.0.1:" + std::to_string(closed_port());
    check_failure(run_cql({"balance", "--gateway", nowhere}, {}, dir.path()), 1,
                  "cannot reach the gateway at " + nowhere);
    // Listening but never answering: the timeout ends the wait (the kernel queues the connection).
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    BOOST_REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    const std::string silent = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    check_failure(
        run_cql({"databases", "--gateway", silent, "--timeout-ms", "300"}, {}, dir.path()), 1,
        "in time");
    ::close(fd);
    // Something that is not a Covenant gateway.
    fake_gateway nonsense([](const recorded_request&) { return canned_answer{200, "<html>"}; });
    check_failure(run_cql({"balance", "--gateway", nonsense.address()}, {}, dir.path()), 1,
                  "no JSON object");
    fake_gateway wrong_shape([](const recorded_request&) {
        return json_answer({{"balance", "lots"}});
    });
    check_failure(run_cql({"balance", "--gateway", wrong_shape.address()}, {}, dir.path()), 1,
                  "the gateway's answer");
}

BOOST_AUTO_TEST_CASE(transactions_send_what_the_flags_say_and_print_the_answer) {
    cql_test::temp_dir dir;
    fake_gateway gateway([](const recorded_request& r) {
        if (r.path == "/v1/databases" && r.method == "POST")
            return json_answer({{"database", db},
                                {"members", {std::string(64, '1'), std::string(64, '2')}},
                                {"view", 0},
                                {"leader", std::string(64, '1')},
                                {"mode", "eventual"},
                                {"height", 12},
                                {"transaction", std::string(64, 't')},
                                {"nonce", 1}});
        if (r.path == "/v1/transfer")
            return json_answer({{"error", "balance 5 is below 9"}, {"code", "insufficient_funds"}},
                               422);
        if (r.path == "/v1/grant")
            return json_answer({{"database", db},
                                {"user", address_a},
                                {"role", r.json()["role"]},
                                {"height", 13},
                                {"transaction", std::string(64, 't')},
                                {"nonce", 2}});
        if (r.method == "DELETE")
            return json_answer({{"database", db},
                                {"dropped", true},
                                {"height", 14},
                                {"transaction", std::string(64, 't')},
                                {"nonce", 3}});
        return json_answer({{"error", "?"}, {"code", "not_found"}}, 404);
    });
    cql_test::write_text_file(dir.file("cql.toml"), "gateway = \"" + gateway.address() + "\"\n");
    const std::map<std::string, std::string> env{{"CQL_CONFIG", dir.file("cql.toml")}};

    auto created = parse_out(run_cql(
        {"create", "--miners", "2", "--mode", "eventual", "--advance-payment", "500", "--json"},
        env, dir.path()));
    BOOST_TEST(created["database"] == db);
    BOOST_TEST(created["height"] == 12);
    const auto human = run_cql({"create", "--miners", "2"}, env, dir.path());
    BOOST_TEST(human.exit_status == 0);
    BOOST_TEST(contains(human.out, "created database " + db), human.out);

    check_failure(
        run_cql({"transfer", "--to", address_a, "--amount", "9", "--json"}, env, dir.path()), 1,
        "balance 5 is below 9 (insufficient_funds)");
    auto granted = parse_out(
        run_cql({"grant", db, "--user", address_a, "--role", "none", "--json"}, env, dir.path()));
    BOOST_TEST(granted["role"] == "none");
    auto dropped = parse_out(run_cql({"drop", db, "--json"}, env, dir.path()));
    BOOST_TEST(dropped["dropped"] == true);

    const auto requests = gateway.requests();
    BOOST_TEST_REQUIRE(requests.size() == 5u);
    BOOST_TEST(requests[0].json() ==
               (json{{"miners", 2}, {"mode", "eventual"}, {"advance_payment", 500}}));
    BOOST_TEST(requests[1].json()["mode"] == "strong");  // the default
    BOOST_TEST(requests[2].json() == (json{{"to", address_a}, {"amount", 9}}));
    BOOST_TEST(requests[3].json() ==
               (json{{"database", db}, {"role", "none"}, {"user", address_a}}));
    BOOST_TEST(requests[4].method == "DELETE");
    BOOST_TEST(requests[4].path == "/v1/databases/" + db);
}

BOOST_AUTO_TEST_CASE(exec_and_query) {
    cql_test::temp_dir dir;
    fake_gateway gateway(small_gateway);
    const auto at = gateway.address();
    auto wrote =
        parse_out(run_cql({"exec", db, "INSERT INTO t VALUES (?, ?)", "--param", "1", "--param",
                           "it's", "--param", "{\"blob\": \"00ff\"}", "--json", "--gateway", at},
                          {}, dir.path()));
    BOOST_TEST(wrote["database"] == db);
    BOOST_TEST(wrote["certificate_signers"] == 3);
    const auto human =
        run_cql({"exec", db, "INSERT INTO t VALUES (1)", "--gateway", at}, {}, dir.path());
    BOOST_TEST(contains(human.out, "commit certificate of 3 members, results signed by 2"),
               human.out);
    // Several statements from stdin: one atomic request.
    BOOST_TEST(run_cql({"exec", db, "-", "--gateway", at}, {}, dir.path(), 30,
                       "CREATE TABLE u(a);\nINSERT INTO u VALUES ('x;y');\n")
                   .exit_status == 0);
    const auto read = run_cql({"query", db, "SELECT k, v FROM t", "--gateway", at, "--mode", "csv"},
                              {}, dir.path());
    BOOST_TEST(read.out == "k,v\r\n1,one;two\r\n2,\r\n", read.out);
    check_failure(run_cql({"query", db, "SELECT * FROM missing", "--gateway", at}, {}, dir.path()),
                  1, "no such table: missing (sql_error)");

    const auto requests = gateway.requests();
    BOOST_TEST_REQUIRE(requests.size() == 5u);
    BOOST_TEST(requests[0].json()["params"] == (json{1, "it's", {{"blob", "00ff"}}}));
    BOOST_TEST(requests[2].json()["statements"] ==
               (json{{{"sql", "CREATE TABLE u(a)"}}, {{"sql", "INSERT INTO u VALUES ('x;y')"}}}));
    BOOST_TEST(requests[3].path == "/v1/query");
}

BOOST_AUTO_TEST_CASE(exec_with_parameter_sets) {
    cql_test::temp_dir dir;
    fake_gateway gateway(small_gateway);
    const auto at = gateway.address();
    BOOST_TEST(run_cql({"exec", db, "INSERT INTO t VALUES (?, ?)", "--param-set", "[1, \"a\"]",
                        "--param-set", "[2, {\"blob\": \"00ff\"}]", "--gateway", at},
                       {}, dir.path())
                   .exit_status == 0);
    cql_test::write_text_file(dir.file("sets.jsonl"),
                         "{\":k\": 3, \":v\": null}\n\n{\":k\": 4, \":v\": \"d\"}\n");
    BOOST_TEST(run_cql({"exec", db, "INSERT INTO t VALUES (:k, :v)", "--param-sets-file",
                        dir.file("sets.jsonl"), "--gateway", at},
                       {}, dir.path())
                   .exit_status == 0);
    const auto requests = gateway.requests();
    BOOST_TEST_REQUIRE(requests.size() == 2u);
    BOOST_TEST(requests[0].json() ==
               (json{{"database", db}, {"sql", "INSERT INTO t VALUES (?, ?)"},
                     {"param_sets", json{json{1, "a"}, json{2, {{"blob", "00ff"}}}}}}));
    BOOST_TEST(requests[1].json()["param_sets"] ==
               (json{{{":k", 3}, {":v", nullptr}}, {{":k", 4}, {":v", "d"}}}));

    // Refused before anything is sent: each exits 2 naming what is wrong.
    cql_test::write_text_file(dir.file("bad.jsonl"), "[1]\n[1, 2\n");
    const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
        {{"--param-set", "7"}, "expected a JSON array"},
        {{"--param-set", "[18446744073709551615]"}, "beyond 64-bit"},
        {{"--param-set", "[{\"blob\": \"0\"}]"}, "blob"},
        {{"--param-set", "[1]", "--param", "2"}, "not both"},
        {{"--param-sets-file", dir.file("bad.jsonl")}, "line 2"},
        {{"--param-sets-file", dir.file("missing.jsonl")}, "cannot read"},
        {{"--param-sets-file", dir.path()}, "not a file"},
        {{"--param-sets-file", ""}, "empty path"},
        {{"--param-set", "{\"\": 1}"}, "parameter name"},
    };
    for (const auto& [extra, mentions] : refused) {
        BOOST_TEST_CONTEXT(mentions) {
            std::vector<std::string> args{"exec", db, "INSERT INTO t VALUES (?)", "--gateway", at};
            args.insert(args.end(), extra.begin(), extra.end());
            check_failure(run_cql(args, {}, dir.path()), 2, mentions);
        }
    }
    check_failure(run_cql({"exec", db, "INSERT INTO t VALUES (?); SELECT 1", "--param-set", "[1]",
                           "--gateway", at},
                          {}, dir.path()),
                  2, "one statement");
    BOOST_TEST(gateway.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(console_from_c_and_from_a_pipe) {
    cql_test::temp_dir dir;
    fake_gateway gateway(small_gateway);
    const auto at = gateway.address();
    const auto c =
        run_cql({"console", db, "--gateway", at, "-c",
                 "CREATE TABLE t(k, v); SELECT * FROM t;\n.tables\n.mode csv\nSELECT 1;"},
                {}, dir.path());
    BOOST_TEST(c.exit_status == 0, c.err);
    BOOST_TEST(contains(c.out, "| 1 | one;two |"), c.out);
    BOOST_TEST(contains(c.out, "t  u\n"), c.out);  // covenant_meta left out
    BOOST_TEST(!contains(c.out, "covenant_meta"), c.out);
    BOOST_TEST(contains(c.out, "k,v\r\n1,one;two\r\n"), c.out);

    // A pipe: a statement over two lines, one that fails (the shell goes on), .schema.
    const auto piped =
        run_cql({"console", db, "--gateway", at}, {}, dir.path(), 30,
                "INSERT INTO t\n  VALUES (2, 'a;b');\nSELECT * FROM missing;\n.schema t\n"
                "SELECT 2;\n.bogus\n");
    BOOST_TEST(piped.exit_status == 1);  // not a terminal: two failures are the exit status
    BOOST_TEST(contains(piped.err, "Error: no such table: missing"), piped.err);
    BOOST_TEST(contains(piped.err, "Error: unknown command .bogus"), piped.err);
    BOOST_TEST(contains(piped.err, "cql: console: 2 of"), piped.err);
    BOOST_TEST(contains(piped.out, "CREATE TABLE t(k, v);"), piped.out);
    BOOST_TEST(!contains(piped.out, "covenant_meta"), piped.out);

    // --json: one object per statement.
    const auto lines = run_cql(
        {"console", db, "--gateway", at, "--json", "-c", "SELECT 1;\nSELECT * FROM missing;"}, {},
        dir.path());
    std::vector<json> objects;
    std::istringstream in(lines.out);
    for (std::string line; std::getline(in, line);) objects.push_back(json::parse(line));
    BOOST_TEST_REQUIRE(objects.size() == 2u, lines.out);
    BOOST_TEST(objects[0]["statement"] == "SELECT 1");
    BOOST_TEST(objects[0]["columns"] == (json{"k", "v"}));
    BOOST_TEST(objects[1]["code"] == "sql_error");

    // Reads went through /v1/query, writes through /v1/exec.
    const auto requests = gateway.requests();
    const auto execs = sql_of(requests, "/v1/exec");
    BOOST_TEST_REQUIRE(execs.size() == 2u);
    BOOST_TEST(execs[0] == "CREATE TABLE t(k, v)");
    BOOST_TEST(execs[1] == "INSERT INTO t\n  VALUES (2, 'a;b')");
    const auto queries = sql_of(requests, "/v1/query");
    BOOST_TEST(std::count(queries.begin(), queries.end(), "SELECT * FROM t") == 1);

    // An unknown database, or no gateway, ends the console before it starts.
    check_failure(run_cql({"console", std::string(64, 'c'), "--gateway", at, "-c", "SELECT 1;"}, {},
                          dir.path()),
                  1, "no such path");
}

BOOST_AUTO_TEST_CASE(info_checks_every_members_signed_answer) {
    cql_test::temp_dir dir;
    const auto member_a = test::test_key(1);
    const auto member_b = test::test_key(2);
    const auto database = *database_id::from_hex_string(db);
    // Member A answers the challenge cql sent; member B's answer is a replay (another
    // challenge); member C does not answer.
    fake_gateway gateway([&](const recorded_request& r) {
        if (r.path != "/v1/databases/" + db + "/members")
            return json_answer({{"code", "not_found"}}, 404);
        const auto challenge = digest::from_hex_string(r.param("challenge"));
        BOOST_REQUIRE(challenge.has_value());
        protocols::member_progress p;
        p.view = view_number(1);
        p.last_committed = sequence_number(9);
        p.last_executed = sequence_number(9);
        p.state_digest.data[0] = 7;
        auto fresh = protocols::member_status::answer({database, *challenge}, p, 1000, member_a);
        digest old;
        old.data[0] = 1;
        auto replay = protocols::member_status::answer({database, old}, p, 900, member_b);
        auto listed = [&](const crypto::key_pair& k, const protocols::member_status& s,
                          bool leader) {
            return json{{"member", k.public_key().hex()},
                        {"node_id", std::string(64, 'n')},
                        {"leader", leader},
                        {"answered", true},
                        {"signed", to_hex(protocols::encode(s))}};
        };
        return json_answer({{"database", db},
                            {"owner", address_a},
                            {"mode", "strong"},
                            {"view", 1},
                            {"leader", member_a.public_key().hex()},
                            {"role", "admin"},
                            {"advance_payment", 10},
                            {"out_of_funds", false},
                            {"chain_height", 40},
                            {"members",
                             {listed(member_a, fresh, true),
                              listed(member_b, replay, false),
                              {{"member", std::string(64, 'c')},
                               {"node_id", std::string(64, 'n')},
                               {"leader", false},
                               {"answered", false},
                               {"problem", "no answer in time"}}}}});
    });
    auto info =
        parse_out(run_cql({"info", db, "--json", "--gateway", gateway.address()}, {}, dir.path()));
    BOOST_TEST(info["answered"] == 1);
    BOOST_TEST_REQUIRE(info["members"].size() == 3u);
    BOOST_TEST(info["members"][0]["verified"] == true);
    BOOST_TEST(info["members"][0]["last_committed"] == 9);
    BOOST_TEST(info["members"][0]["leader"] == true);
    BOOST_TEST(info["members"][1]["verified"] == false);
    BOOST_TEST(contains(info["members"][1]["problem"].get<std::string>(), "replay"));
    BOOST_TEST(info["members"][2]["problem"] == "no answer in time");
    BOOST_TEST(info["view"] == 1);
    const auto human = run_cql({"info", db, "--gateway", gateway.address()}, {}, dir.path());
    BOOST_TEST(human.exit_status == 0, human.err);
    BOOST_TEST(contains(human.out, "1 of 3 answered"), human.out);
}

BOOST_AUTO_TEST_CASE(wallet_takes_the_key_from_the_config) {
    cql_test::temp_dir dir;
    std::vector<std::string> generate = {"generate", "--out", "me.key", "--json"};
    for (auto& f : cql_test::cheap_kdf_flags()) generate.push_back(f);
    const auto made = parse_out(run_cql(generate, {{"CQL_PASSPHRASE", "pw"}}, dir.path()));
    cql_test::write_text_file(dir.file("pass"), "pw\n");
    cql_test::write_text_file(
        dir.file("cql.toml"),
        "gateway = \"127.0.0.1:7800\"\nkey_file = \"me.key\"\npassphrase_file = \"pass\"\n");
    const auto w =
        parse_out(run_cql({"wallet", "--json", "--config", dir.file("cql.toml")}, {}, "/"));
    BOOST_TEST(w["address"] == made["address"]);
}

BOOST_AUTO_TEST_SUITE_END()
