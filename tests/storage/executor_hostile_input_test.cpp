// Hostile input never crashes the executor: thousands of generated statements (real SQL,
// real SQL mutated, fragments glued at random, garbage bytes, deep nesting, unterminated
// literals) with random parameters, in batches and reads, each give an outcome; the
// executor keeps working, and a replica that also serves reads, one that does not and one
// restarted before every batch agree on every outcome and digest.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "executor_support.hpp"

using namespace covenant;
using namespace covenant::test;

namespace {

const std::vector<std::string>& fragments() {
    static const std::vector<std::string> f = {
        "SELECT",
        "INSERT INTO t VALUES",
        "UPDATE t SET",
        "DELETE FROM",
        "CREATE TABLE",
        "CREATE INDEX",
        "DROP TABLE",
        "ALTER TABLE t ADD",
        "WITH RECURSIVE",
        "(",
        ")",
        ",",
        ";",
        "'",
        "\"",
        "[",
        "]",
        "`",
        "?",
        "?7",
        ":a",
        "@b",
        "$c",
        "*",
        "t",
        "u",
        "x",
        "1",
        "-1",
        "9223372036854775807",
        "1e308",
        "x'00ff'",
        "NULL",
        "random()",
        "randomblob(?)",
        "datetime('now')",
        "CURRENT_TIME",
        "json('{')",
        "printf('%s', ?)",
        "zeroblob(10)",
        "substr(",
        "CAST(",
        "AS",
        "BLOB",
        "TEXT",
        "FROM",
        "WHERE",
        "ORDER BY",
        "LIMIT",
        "UNION ALL",
        "JOIN",
        "ON CONFLICT",
        "DO NOTHING",
        "RETURNING *",
        "TRIGGER",
        "BEGIN",
        "END",
        "PRAGMA",
        "ATTACH",
        "VACUUM",
        "temp",
        "--",
        "/*",
        "*/",
        "\xff\xfe",
        "\xc3",
        "covenant_meta",
        "sqlite_schema",
        "char(0)",
        "abs(-9223372036854775808)",
        "likelihood(1, 2)",
        "group_concat(",
        "OVER (",
        "GENERATED ALWAYS AS",
        "STRICT",
        "WITHOUT ROWID",
        "REFERENCES t",
        "CHECK (",
        "DEFAULT",
        "fts5",
        "rtree",
        "USING",
    };
    return f;
}

protocols::sql_value random_value(std::mt19937_64& rng) {
    switch (rng() % 6) {
        case 0:
            return null();
        case 1:
            return integer(static_cast<std::int64_t>(rng()));
        case 2:
            return real(static_cast<double>(static_cast<std::int64_t>(rng())) / 7.0);
        case 3: {
            std::string s(rng() % 20, 'a');
            for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
            return text(s);
        }
        case 4:
            return blob(bytes(rng() % 20, static_cast<std::uint8_t>(rng())));
        default:
            return text(std::string("\0\x01", 2));
    }
}

const std::vector<std::string>& valid_statements() {
    static const std::vector<std::string> v = {
        "INSERT INTO t VALUES (?, ?, ?)",
        "SELECT a, b, c FROM t WHERE a = ?",
        "UPDATE t SET b = ? WHERE a = ?",
        "DELETE FROM u WHERE x = ?",
        "INSERT INTO u(y) VALUES (randomblob(?))",
        "INSERT OR REPLACE INTO u(x, y) VALUES (?, ?)",
        "SELECT count(*), sum(a), group_concat(b) FROM t",
        "SELECT json_object('a', ?, 'b', ?)",
        "SELECT printf('%d %s %.3f', ?, ?, ?)",
        "CREATE TABLE IF NOT EXISTS w(a, b TEXT, c BLOB)",
        "INSERT INTO w SELECT a, b, c FROM t",
        "SELECT * FROM t JOIN u ON t.a = u.x ORDER BY 1",
        "SELECT datetime('now'), random(), changes(), total_changes()",
        "SELECT substr(?, 2, 3), upper(?), hex(?)",
        "SELECT ?1 || ?2, typeof(?3)",
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 50) SELECT sum(n) "
        "FROM c",
        "CREATE INDEX IF NOT EXISTS t_b ON t(b)",
        "DROP INDEX IF EXISTS t_b",
        "ALTER TABLE u ADD COLUMN z DEFAULT 1",
        "SELECT a, row_number() OVER (ORDER BY a) FROM t",
        "INSERT INTO u(x, y) VALUES (9223372036854775807, 1)",
        "UPDATE u SET y = y + 1 RETURNING *",
        "SELECT CAST(? AS TEXT), CAST(? AS BLOB)",
        "PRAGMA table_info(t)",
        "SELECT * FROM pragma_index_list('t')",
        "ANALYZE",
        "SELECT * FROM t, u LIMIT 20",
        "EXPLAIN QUERY PLAN SELECT * FROM t, u WHERE t.b = u.y",
        "DELETE FROM t WHERE rowid > ?",
        "CREATE INDEX IF NOT EXISTS u_y ON u(y)",
        "EXPLAIN CREATE INDEX t_c ON t(c)",
    };
    return v;
}

protocols::sql_statement random_statement(std::mt19937_64& rng) {
    const auto shape = rng() % 10;
    if (shape < 7) {
        std::string text = valid_statements()[rng() % valid_statements().size()];
        if (shape >= 4) {
            // Mutated: cut short, a byte changed, or a fragment spliced in.
            const auto at = rng() % (text.size() + 1);
            switch (rng() % 3) {
                case 0:
                    text.resize(at);
                    break;
                case 1:
                    if (at < text.size()) text[at] = static_cast<char>(rng() % 256);
                    break;
                default:
                    text.insert(at, " " + fragments()[rng() % fragments().size()] + " ");
                    break;
            }
        }
        std::vector<protocols::sql_parameter> parameters;
        // Usually as many values as the text has '?', sometimes a wrong count.
        auto count = static_cast<std::size_t>(std::count(text.begin(), text.end(), '?'));
        if (rng() % 5 == 0) count = rng() % 4;
        for (std::size_t i = 0; i < count; ++i) parameters.push_back(positional(random_value(rng)));
        return sql(text, parameters);
    }
    std::string text;
    const auto pieces = 1 + rng() % 12;
    for (std::size_t i = 0; i < pieces; ++i) {
        if (rng() % 10 == 0) {
            text += static_cast<char>(rng() % 256);
        } else {
            text += fragments()[rng() % fragments().size()];
        }
        text += ' ';
    }
    if (rng() % 50 == 0) text = "SELECT " + std::string(2000, '(') + "1" + std::string(2000, ')');
    std::vector<protocols::sql_parameter> parameters;
    const auto count = rng() % 4;
    for (std::size_t i = 0; i < count; ++i) {
        static const char* names[] = {"", "", ":a", "@b", "$c", "?7", "nope"};
        parameters.push_back(named(names[rng() % 7], random_value(rng)));
    }
    return sql(text, parameters);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(executor_hostile_input)

BOOST_AUTO_TEST_CASE(generated_garbage_never_crashes_and_replicas_agree) {
    // Three replicas: `warm` also serves every request as a read between batches (reads
    // must leave no trace that changes later batches), `steady` only applies batches, and
    // `restarted` is reopened before every batch (nothing cached, schema loaded afresh).
    temp_dir dir;
    auto warm = open_executor(dir.file("warm.db"));
    auto steady = open_executor(dir.file("steady.db"));
    const std::string restarted_path = dir.file("restarted.db");
    const std::vector<protocols::client_request> setup = {
        write("CREATE TABLE t(a, b, c)"), write("CREATE TABLE u(x INTEGER PRIMARY KEY, y)"),
        write("INSERT INTO t VALUES (1, 'one', x'01'), (2, 'two', NULL)")};
    apply_batch(*warm, setup);
    apply_batch(*steady, setup);
    apply_batch(*open_executor(restarted_path), setup);

    // COVENANT_HOSTILE_SEED and COVENANT_HOSTILE_BATCHES explore further by hand;
    // COVENANT_HOSTILE_DEBUG prints the requests whose outcomes differ.
    const char* seed_text = std::getenv("COVENANT_HOSTILE_SEED");
    const char* batches_text = std::getenv("COVENANT_HOSTILE_BATCHES");
    const bool debug = std::getenv("COVENANT_HOSTILE_DEBUG") != nullptr;
    std::mt19937_64 rng(seed_text != nullptr ? std::strtoull(seed_text, nullptr, 10) : 20240611);
    const int batches = batches_text != nullptr ? std::atoi(batches_text) : 40;
    std::size_t succeeded = 0;
    std::size_t failed = 0;
    for (int batch = 0; batch < batches; ++batch) {
        std::vector<protocols::client_request> requests;
        for (int i = 0; i < 50; ++i) {
            std::vector<protocols::sql_statement> statements;
            const auto count = 1 + rng() % 2;
            for (std::size_t s = 0; s < count; ++s) statements.push_back(random_statement(rng));
            requests.push_back(request(statements, rng() % 5 == 0 ? protocols::query_kind::read
                                                                  : protocols::query_kind::write));
        }
        const auto ctx = context(1'000'000'000'000 + batch, static_cast<std::uint8_t>(batch));
        const auto x = apply_batch(*warm, requests, ctx);
        const auto y = apply_batch(*steady, requests, ctx);
        const auto z = apply_batch(*open_executor(restarted_path), requests, ctx);
        BOOST_REQUIRE_EQUAL(x.outcomes.size(), requests.size());
        BOOST_CHECK_MESSAGE(x.outcomes == y.outcomes && x.outcomes == z.outcomes,
                            "batch " << batch);
        BOOST_TEST(x.state_digest == y.state_digest);
        BOOST_TEST(x.state_digest == z.state_digest);
        for (std::size_t i = 0; debug && i < x.outcomes.size(); ++i) {
            if (x.outcomes[i] == y.outcomes[i] && x.outcomes[i] == z.outcomes[i]) continue;
            for (const auto& st : requests[i].statements) BOOST_TEST_MESSAGE("  sql: " << st.sql);
            for (const auto* o : {&x.outcomes[i], &y.outcomes[i], &z.outcomes[i]}) {
                if (const auto* f = std::get_if<protocols::sql_failure>(&o->body)) {
                    BOOST_TEST_MESSAGE("  failure " << f->statement_index << " " << f->code << " "
                                                    << f->message);
                } else {
                    for (const auto& r : std::get<0>(o->body))
                        BOOST_TEST_MESSAGE("  rows " << describe(r.rows));
                }
            }
        }
        for (const auto& o : x.outcomes)
            (std::holds_alternative<protocols::sql_failure>(o.body) ? failed : succeeded)++;
        for (const auto& r : requests) (void)warm->execute_read(r, ctx);
        for (const auto& r : requests) (void)storage::sql_executor::refusal_reason(r);
    }
    BOOST_TEST_MESSAGE("hostile input: " << succeeded << " requests succeeded, " << failed
                                         << " failed");
    BOOST_TEST(failed > 0u);
    BOOST_TEST(succeeded > 0u);
    // Still working.
    BOOST_TEST(
        describe(results(apply_batch(*warm, {write("SELECT 40 + 2")}).outcomes[0])[0].rows) ==
        "[(42)]");
}

BOOST_AUTO_TEST_SUITE_END()
