// `cql idminer` end to end: the node id it prints is hash(public key || nonce) with the
// requested leading zero bits, its nonce is the smallest valid one (so the same for any
// thread count), and out-of-range difficulty or threads are usage errors.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "crypto/key_file.hpp"
#include "crypto/node_id.hpp"
#include "run_cql.hpp"

using namespace covenant;
using cql_test::run_cql;
using cql_test::run_result;

namespace {

struct keyed_dir {
    cql_test::temp_dir dir;
    public_key key;

    keyed_dir() {
        std::vector<std::string> args = {"generate", "--out", "node.key", "--json"};
        for (auto& flag : cql_test::cheap_kdf_flags()) args.push_back(flag);
        const auto r = run_cql(args, {{"CQL_PASSPHRASE", "pw"}}, dir.path());
        BOOST_TEST_REQUIRE(r.exit_status == 0, "stderr: " << r.err);
        auto parsed = public_key::from_hex_string(
            nlohmann::json::parse(r.out).at("public_key").get<std::string>());
        BOOST_TEST_REQUIRE(parsed.has_value());
        key = *parsed;
    }

    run_result mine(unsigned difficulty, unsigned threads) const {
        return run_cql({"idminer", "--key", "node.key", "--difficulty", std::to_string(difficulty),
                        "--threads", std::to_string(threads), "--json"},
                       {{"CQL_PASSPHRASE", "pw"}}, dir.path());
    }
};

// Parses and checks an idminer --json output; returns the nonce.
std::uint64_t check_mined(const run_result& r, const public_key& key, unsigned difficulty) {
    BOOST_TEST_REQUIRE(r.exit_status == 0, "stderr: " << r.err);
    BOOST_TEST(r.err.empty());
    const auto j = nlohmann::json::parse(r.out);
    BOOST_TEST_REQUIRE(j.is_object());
    BOOST_TEST(j.size() == 4u);
    BOOST_TEST_REQUIRE(j.at("node_id").is_string());
    BOOST_TEST_REQUIRE(j.at("nonce").is_number_unsigned());
    BOOST_TEST_REQUIRE(j.at("difficulty").is_number_integer());
    BOOST_TEST_REQUIRE(j.at("public_key").is_string());
    BOOST_TEST(j.at("difficulty").get<unsigned>() == difficulty);
    BOOST_TEST(j.at("public_key").get<std::string>() == key.hex());

    const auto id = node_id::from_hex_string(j.at("node_id").get<std::string>());
    BOOST_TEST_REQUIRE(id.has_value());
    const std::uint64_t nonce = j.at("nonce").get<std::uint64_t>();
    BOOST_TEST(*id == crypto::compute_node_id(key, nonce));
    BOOST_TEST(crypto::leading_zero_bits(*id) >= difficulty);
    // The smallest valid nonce: none below it qualifies.
    BOOST_TEST(!crypto::mine_node_id(key, difficulty, 0, nonce).has_value());
    return nonce;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(idminer)

BOOST_AUTO_TEST_CASE(difficulty_12_gives_a_valid_node_id_independent_of_threads) {
    keyed_dir k;
    const std::uint64_t one = check_mined(k.mine(12, 1), k.key, 12);
    const std::uint64_t two = check_mined(k.mine(12, 2), k.key, 12);
    BOOST_TEST(one == two);
    // The hex itself starts with 12 zero bits: three '0' digits.
    const auto r = k.mine(12, 1);
    BOOST_TEST(nlohmann::json::parse(r.out).at("node_id").get<std::string>().substr(0, 3) == "000");
}

BOOST_AUTO_TEST_CASE(many_chunks_and_many_threads_still_give_the_smallest_nonce) {
    // Difficulty 20 needs about 2^20 hashes, i.e. about 16 chunks of 65536 nonces.
    keyed_dir k;
    const std::uint64_t one = check_mined(k.mine(20, 1), k.key, 20);
    for (unsigned threads : {2u, 3u, 8u, 64u}) {
        BOOST_TEST(check_mined(k.mine(20, threads), k.key, 20) == one, "threads " << threads);
    }
}

BOOST_AUTO_TEST_CASE(difficulty_0_is_nonce_0) {
    keyed_dir k;
    BOOST_TEST(check_mined(k.mine(0, 4), k.key, 0) == 0u);
}

BOOST_AUTO_TEST_CASE(human_output_has_the_node_id_and_the_nonce) {
    keyed_dir k;
    const auto j = nlohmann::json::parse(k.mine(8, 1).out);
    const auto r = run_cql({"idminer", "--key", "node.key", "--difficulty", "8"},
                           {{"CQL_PASSPHRASE", "pw"}}, k.dir.path());
    BOOST_TEST_REQUIRE(r.exit_status == 0, "stderr: " << r.err);
    BOOST_TEST(r.out.find(j.at("node_id").get<std::string>()) != std::string::npos, r.out);
    BOOST_TEST(r.out.find(std::to_string(j.at("nonce").get<std::uint64_t>())) != std::string::npos,
               r.out);
}

BOOST_AUTO_TEST_CASE(out_of_range_difficulty_and_threads_are_usage_errors) {
    keyed_dir k;
    const std::vector<std::vector<std::string>> bad = {
        {"--difficulty", "65"},
        {"--difficulty", "256"},
        {"--difficulty", "-1"},
        {"--difficulty", "twelve"},
        {"--difficulty", "8", "--threads", "0"},
        {"--difficulty", "8", "--threads", "65"},
    };
    for (const auto& extra : bad) {
        std::vector<std::string> args = {"idminer", "--key", "node.key"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = run_cql(args, {{"CQL_PASSPHRASE", "pw"}}, k.dir.path());
        BOOST_TEST(r.exit_status == 2, extra.at(1) << ": " << r.err);
        BOOST_TEST(r.out.empty());
        const auto lines = r.err_lines();
        BOOST_TEST_REQUIRE(lines.size() == 1u, r.err);
        BOOST_TEST(lines[0].rfind("cql: ", 0) == 0, r.err);
    }
}

BOOST_AUTO_TEST_CASE(missing_or_invalid_key_file_is_an_error) {
    cql_test::temp_dir dir;
    for (const char* name : {"absent.key", "junk.key"}) {
        if (std::string(name) == "junk.key") cql_test::write_text_file(dir.file(name), "junk");
        const auto r = run_cql({"idminer", "--key", name, "--difficulty", "4"},
                               {{"CQL_PASSPHRASE", "pw"}}, dir.path());
        BOOST_TEST(r.exit_status == 1, r.err);
        BOOST_TEST(r.out.empty());
        const auto lines = r.err_lines();
        BOOST_TEST_REQUIRE(lines.size() == 1u, r.err);
        BOOST_TEST(lines[0].rfind("cql: idminer: ", 0) == 0, r.err);
        BOOST_TEST(lines[0].find(name) != std::string::npos, r.err);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(the_key_file_must_open_before_any_mining) {
    keyed_dir k;
    const auto wrong = run_cql({"idminer", "--key", "node.key", "--difficulty", "8", "--json"},
                               {{"CQL_PASSPHRASE", "not it"}}, k.dir.path());
    BOOST_TEST(wrong.exit_status == 1, wrong.err);
    BOOST_TEST(wrong.out.empty());
    BOOST_TEST_REQUIRE(wrong.err_lines().size() == 1u, wrong.err);
    BOOST_TEST(wrong.err.find("wrong passphrase") != std::string::npos, wrong.err);
    // No passphrase source at all (no terminal in the tests): an error, not a guess.
    const auto none =
        run_cql({"idminer", "--key", "node.key", "--difficulty", "8"}, {}, k.dir.path());
    BOOST_TEST(none.exit_status == 1, none.err);
    BOOST_TEST(none.out.empty());
    BOOST_TEST(none.err_lines().size() == 1u, none.err);
}
