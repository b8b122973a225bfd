// The helpers behind refusals and determinism, directly: the lexer tells names from
// literals and comments, the policy refuses by name however a name is quoted and accepts
// the same words inside strings, the request's random stream is SHA-256 in counter mode
// over SHA-256(seed || index), and printable_utf8 cleans text deterministically.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <cstring>

#include "crypto/hash.hpp"
#include "storage/request_prng.hpp"
#include "storage/sql_lexer.hpp"
#include "storage/sql_policy.hpp"
#include "common/utf8.hpp"

using namespace covenant;
using namespace covenant::storage;

BOOST_AUTO_TEST_SUITE(sql_policy_and_helpers)

BOOST_AUTO_TEST_CASE(lexer_tells_names_from_literals_and_comments) {
    sql_lexer lexer(
        "SELECT \"Quoted \"\"x\"\"\", [Brack], `tick`, 'it''s', x'0A', ?3, :name -- c\n /* d */ "
        "1.5e-3;");
    std::vector<std::pair<sql_token_kind, std::string>> got;
    sql_token t;
    while (lexer.next(t)) got.emplace_back(t.kind, t.value);
    const std::vector<std::pair<sql_token_kind, std::string>> expected = {
        {sql_token_kind::word, "select"},   {sql_token_kind::quoted_identifier, "quoted \"x\""},
        {sql_token_kind::symbol, ","},      {sql_token_kind::quoted_identifier, "brack"},
        {sql_token_kind::symbol, ","},      {sql_token_kind::quoted_identifier, "tick"},
        {sql_token_kind::symbol, ","},      {sql_token_kind::string, "it's"},
        {sql_token_kind::symbol, ","},      {sql_token_kind::blob, "x'0A'"},
        {sql_token_kind::symbol, ","},      {sql_token_kind::variable, "?3"},
        {sql_token_kind::symbol, ","},      {sql_token_kind::variable, ":name"},
        {sql_token_kind::number, "1.5e-3"}, {sql_token_kind::symbol, ";"},
    };
    BOOST_REQUIRE_EQUAL(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        BOOST_TEST(static_cast<int>(got[i].first) == static_cast<int>(expected[i].first), i);
        BOOST_TEST(got[i].second == expected[i].second);
    }
    BOOST_TEST(skip_insignificant(" -- x\n/* y */ ;; z", 0, true) == 17u);
    BOOST_TEST(skip_insignificant("/* unterminated", 0, false) == 15u);
}

BOOST_AUTO_TEST_CASE(policy_refuses_names_however_quoted) {
    BOOST_TEST(lexical_refusal("select [load_extension]('x')").value() ==
               "not allowed: load_extension");
    BOOST_TEST(lexical_refusal("/* hi */ Attach 'x' as y").value() == "not allowed: ATTACH");
    BOOST_TEST(lexical_refusal("EXPLAIN QUERY PLAN VACUUM").value() == "not allowed: VACUUM");
    BOOST_TEST(lexical_refusal("pragma \"Journal_Mode\"")
                   .value()
                   .rfind("not allowed: PRAGMA journal_mode", 0) == 0);
    BOOST_TEST(!lexical_refusal("pragma TABLE_INFO(t)").has_value());
    BOOST_TEST(!lexical_refusal("select 'load_extension', \"x\" -- load_extension").has_value());
    BOOST_TEST(
        lexical_refusal("update t set x = 1 where y in (select 1 from covenant_meta)").has_value());
    BOOST_TEST(lexical_refusal("select * from pragma_journal_mode").has_value());
    BOOST_TEST(!lexical_refusal("select * from pragma_index_list('t')").has_value());
    BOOST_TEST(
        authorizer_refusal(SQLITE_PRAGMA, "journal_mode", "DELETE", nullptr, nullptr).value() ==
        lexical_refusal("PRAGMA journal_mode = DELETE").value());
    BOOST_TEST(authorizer_refusal(SQLITE_TRANSACTION, "BEGIN", nullptr, nullptr, nullptr).value() ==
               lexical_refusal("BEGIN").value());
    BOOST_TEST(authorizer_refusal(SQLITE_CREATE_TABLE, "x", nullptr, "temp", nullptr).value() ==
               lexical_refusal("CREATE TABLE temp.x(a)").value());
    BOOST_TEST(!authorizer_refusal(SQLITE_READ, "t", "x", "main", nullptr).has_value());
    BOOST_TEST(
        !authorizer_refusal(SQLITE_ANALYZE, "covenant_meta", nullptr, "main", nullptr).has_value());
    BOOST_TEST(authorizer_refusal(SQLITE_READ, "COVENANT_META", "id", "main", nullptr).has_value());
    // Modules' own PRAGMAs while a statement runs are allowed; the client's are not.
    BOOST_TEST(!authorizer_refusal(SQLITE_PRAGMA, "data_version", nullptr, "main", nullptr,
                                   action_context{action_origin::nested, false})
                    .has_value());
    BOOST_TEST(authorizer_refusal(SQLITE_PRAGMA, "data_version", nullptr, "main", nullptr,
                                  action_context{action_origin::client_text, false})
                   .has_value());
    BOOST_TEST(lexical_refusal("SELECT * FROM \"pragma_data_version\"").has_value());
    // sqlite_stat1: the client's own writes are refused, SQLite's bookkeeping is not.
    action_context client_write;
    client_write.writes_rows = true;
    BOOST_TEST(
        authorizer_refusal(SQLITE_DELETE, "sqlite_stat1", nullptr, "main", nullptr, client_write)
            .has_value());
    BOOST_TEST(
        !authorizer_refusal(SQLITE_DELETE, "sqlite_stat1", nullptr, "main", nullptr).has_value());
    BOOST_TEST(leading_keyword("/* x */ explain query plan WITH a AS (SELECT 1) SELECT 2") ==
               "with");
    BOOST_TEST(leading_keyword("'text'").empty());
}

BOOST_AUTO_TEST_CASE(request_stream_is_sha256_counter_mode) {
    digest seed;
    seed.data.fill(0xab);
    std::uint8_t key_input[36];
    std::memcpy(key_input, seed.begin(), 32);
    key_input[32] = 0;
    key_input[33] = 0;
    key_input[34] = 1;
    key_input[35] = 2;  // request index 258
    const digest key = crypto::hash(byte_view(key_input, 36));
    bytes expected;
    for (std::uint64_t counter = 0; counter < 3; ++counter) {
        std::uint8_t block_input[40];
        std::memcpy(block_input, key.begin(), 32);
        for (int i = 0; i < 8; ++i)
            block_input[32 + i] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
        const digest block = crypto::hash(byte_view(block_input, 40));
        expected.insert(expected.end(), block.begin(), block.end());
    }
    request_prng prng;
    prng.reset(seed, 258);
    std::uint8_t got[96 - 8];
    prng.fill(got, 5);
    const std::int64_t value = prng.next_int64();
    prng.fill(got + 5, sizeof got - 5);
    std::uint64_t expected_value = 0;
    for (std::size_t i = 5; i < 13; ++i) expected_value = (expected_value << 8) | expected[i];
    BOOST_TEST(static_cast<std::uint64_t>(value) == expected_value);
    BOOST_TEST(std::memcmp(got, expected.data(), 5) == 0);
    BOOST_TEST(std::memcmp(got + 5, expected.data() + 13, sizeof got - 5) == 0);
}

BOOST_AUTO_TEST_CASE(printable_utf8_is_deterministic) {
    BOOST_TEST(valid_utf8(std::string("a\0b", 3)));
    BOOST_TEST(!valid_utf8("\xed\xa0\x80"));  // a surrogate
    BOOST_TEST(!valid_utf8("\xc0\x80"));      // overlong
    BOOST_TEST(printable_utf8(std::string("a\0\xff", 3), 100) == "a\xef\xbf\xbd\xef\xbf\xbd");
    BOOST_TEST(printable_utf8("\xc3\xa9\xc3\xa9", 3) == "\xc3\xa9");  // cut at a boundary
}

// valid_utf8 skips ASCII eight bytes at a time: a bad or a good sequence must be judged the
// same wherever it falls against those words, and in the short tail after the last one.
BOOST_AUTO_TEST_CASE(utf8_is_judged_the_same_at_every_offset) {
    const std::string ascii(40, 'v');
    for (std::size_t at = 0; at <= ascii.size(); ++at) {
        const auto with = [&](std::string_view piece) {
            return ascii.substr(0, at) + std::string(piece) + ascii.substr(at);
        };
        BOOST_TEST_CONTEXT("offset " << at) {
            BOOST_TEST(valid_utf8(with("\xc3\xa9")));              // U+00E9
            BOOST_TEST(valid_utf8(with("\xf0\x9f\x98\x80")));      // U+1F600, may straddle words
            BOOST_TEST(valid_utf8(with(std::string_view("\0", 1))));
            BOOST_TEST(!valid_utf8(with("\xff")));
            BOOST_TEST(!valid_utf8(with("\x80")));                  // a lone continuation byte
            BOOST_TEST(!valid_utf8(with("\xed\xa0\x80")));          // a surrogate
            BOOST_TEST(!valid_utf8(with("\xc0\x80")));              // overlong
            BOOST_TEST(!valid_utf8(ascii.substr(0, at) + "\xe2\x82"));  // cut short at the end
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
