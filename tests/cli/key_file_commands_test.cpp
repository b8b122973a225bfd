// `cql generate` and `cql wallet` end to end: the key file written is real (opens with
// covenant::crypto, address = sha256(public key)), the JSON outputs keep their contract,
// the passphrase sources keep their precedence, and every failure is one "cql: " line on
// stderr with nothing on stdout.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "crypto/hash.hpp"
#include "crypto/key_file.hpp"
#include "crypto/signing.hpp"
#include "run_cql.hpp"

using namespace covenant;
using cql_test::run_cql;
using cql_test::run_result;

namespace {

bool is_lower_hex(const std::string& text, std::size_t length) {
    if (text.size() != length) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// A failure as the contract requires: the status, nothing on stdout, one line on stderr
// starting with "cql: ".
void check_failure(const run_result& r, int expected_status, const std::string& mentions) {
    BOOST_TEST(r.exit_status == expected_status);
    BOOST_TEST(r.out.empty());
    const auto lines = r.err_lines();
    BOOST_TEST_REQUIRE(lines.size() == 1u, "stderr: " << r.err);
    BOOST_TEST(lines[0].rfind("cql: ", 0) == 0, "stderr: " << r.err);
    BOOST_TEST(lines[0].find(mentions) != std::string::npos,
               "stderr '" << r.err << "' should mention '" << mentions << "'");
}

std::vector<std::string> generate_args(const std::string& out, bool json) {
    std::vector<std::string> args = {"generate", "--out", out};
    for (auto& flag : cql_test::cheap_kdf_flags()) args.push_back(flag);
    if (json) args.push_back("--json");
    return args;
}

std::map<std::string, std::string> passphrase_env(const std::string& passphrase) {
    return {{"CQL_PASSPHRASE", passphrase}};
}

// Runs `cql generate --json` and returns its parsed output (checked for the contract).
nlohmann::json generate_key(const cql_test::temp_dir& dir, const std::string& name,
                            const std::string& passphrase) {
    const auto r = run_cql(generate_args(name, true), passphrase_env(passphrase), dir.path());
    BOOST_TEST_REQUIRE(r.exit_status == 0, "stderr: " << r.err);
    BOOST_TEST(r.err.empty());
    return nlohmann::json::parse(r.out);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(key_file_commands)

BOOST_AUTO_TEST_CASE(generate_then_wallet_agree_on_the_address_of_the_real_key) {
    cql_test::temp_dir dir;
    const auto r =
        run_cql(generate_args("alice.key", true), passphrase_env("correct horse"), dir.path());
    BOOST_TEST_REQUIRE(r.exit_status == 0, "stderr: " << r.err);
    BOOST_TEST(r.err.empty());
    // Exactly one JSON object on one line, with exactly the contract fields.
    BOOST_TEST(r.out.back() == '\n');
    BOOST_TEST(r.out.find('\n') == r.out.size() - 1);
    const auto generated = nlohmann::json::parse(r.out);
    BOOST_TEST_REQUIRE(generated.is_object());
    BOOST_TEST(generated.size() == 3u);
    BOOST_TEST_REQUIRE(generated.at("key_file").is_string());
    BOOST_TEST_REQUIRE(generated.at("address").is_string());
    BOOST_TEST_REQUIRE(generated.at("public_key").is_string());
    BOOST_TEST(generated.at("key_file").get<std::string>() == "alice.key");
    const std::string address = generated.at("address");
    const std::string public_key_hex = generated.at("public_key");
    BOOST_TEST(is_lower_hex(address, 64));
    BOOST_TEST(is_lower_hex(public_key_hex, 64));

    // The address is sha256(public key), computed here independently.
    const auto key = public_key::from_hex_string(public_key_hex);
    BOOST_TEST_REQUIRE(key.has_value());
    BOOST_TEST(crypto::hash(key->view()).hex() == address);
    BOOST_TEST(crypto::address_of(*key).hex() == address);

    // The file is a real key file: private mode, right size, opens with the passphrase to
    // the very key that was printed.
    const std::string path = dir.file("alice.key");
    struct stat info{};
    BOOST_TEST_REQUIRE(::stat(path.c_str(), &info) == 0);
    BOOST_TEST((info.st_mode & 0777) == 0600u);
    BOOST_TEST(static_cast<std::size_t>(info.st_size) == crypto::key_file_size);
    auto opened = crypto::read_key_file(path, "correct horse");
    BOOST_TEST_REQUIRE(opened.ok());
    BOOST_TEST(opened->public_key() == *key);

    // wallet opens it and prints the same address and key.
    const auto w = run_cql({"wallet", "--key", "alice.key", "--json"},
                           passphrase_env("correct horse"), dir.path());
    BOOST_TEST_REQUIRE(w.exit_status == 0, "stderr: " << w.err);
    BOOST_TEST(w.err.empty());
    const auto wallet = nlohmann::json::parse(w.out);
    BOOST_TEST_REQUIRE(wallet.is_object());
    BOOST_TEST(wallet.size() == 2u);
    BOOST_TEST_REQUIRE(wallet.at("address").is_string());
    BOOST_TEST_REQUIRE(wallet.at("public_key").is_string());
    BOOST_TEST(wallet.at("address").get<std::string>() == address);
    BOOST_TEST(wallet.at("public_key").get<std::string>() == public_key_hex);
}

BOOST_AUTO_TEST_CASE(human_output_names_the_path_and_the_address) {
    cql_test::temp_dir dir;
    const auto g = run_cql(generate_args("bob.key", false), passphrase_env("pw"), dir.path());
    BOOST_TEST_REQUIRE(g.exit_status == 0, "stderr: " << g.err);
    BOOST_TEST(g.err.empty());
    BOOST_TEST(g.out.find('\n') == g.out.size() - 1);  // one line
    BOOST_TEST(g.out.find("bob.key") != std::string::npos);

    const auto opened = crypto::read_key_file(dir.file("bob.key"), "pw");
    BOOST_TEST_REQUIRE(opened.ok());
    const std::string address = crypto::address_of(opened->public_key()).hex();
    BOOST_TEST(g.out.find(address) != std::string::npos, "stdout: " << g.out);

    const auto w = run_cql({"wallet", "--key", "bob.key"}, passphrase_env("pw"), dir.path());
    BOOST_TEST_REQUIRE(w.exit_status == 0, "stderr: " << w.err);
    BOOST_TEST(w.out.find(address) != std::string::npos, "stdout: " << w.out);
    BOOST_TEST(w.out.find('\n') == w.out.size() - 1);
}

BOOST_AUTO_TEST_CASE(passphrase_file_first_line_is_used_and_beats_the_environment) {
    cql_test::temp_dir dir;
    cql_test::write_text_file(dir.file("pass.txt"), "from the file\nsecond line ignored\n");
    auto args = generate_args("k.key", true);
    args.insert(args.end(), {"--passphrase-file", "pass.txt"});
    const auto g = run_cql(args, passphrase_env("from the environment"), dir.path());
    BOOST_TEST_REQUIRE(g.exit_status == 0, "stderr: " << g.err);
    const std::string address = nlohmann::json::parse(g.out).at("address");

    // Sealed with the file's first line, not with the environment's passphrase.
    BOOST_TEST(crypto::read_key_file(dir.file("k.key"), "from the file").ok());
    BOOST_TEST(!crypto::read_key_file(dir.file("k.key"), "from the environment").ok());

    // wallet: the file wins over a wrong CQL_PASSPHRASE; a "\r\n" line end is stripped too.
    cql_test::write_text_file(dir.file("dos.txt"), "from the file\r\n");
    for (const char* file : {"pass.txt", "dos.txt"}) {
        const auto w = run_cql({"wallet", "--key", "k.key", "--json", "--passphrase-file", file},
                               passphrase_env("wrong"), dir.path());
        BOOST_TEST_REQUIRE(w.exit_status == 0, file << ": " << w.err);
        BOOST_TEST(nlohmann::json::parse(w.out).at("address").get<std::string>() == address);
    }
    // A file without any line end works as well.
    cql_test::write_text_file(dir.file("bare.txt"), "from the file");
    const auto w =
        run_cql({"wallet", "--key", "k.key", "--passphrase-file", "bare.txt"}, {}, dir.path());
    BOOST_TEST(w.exit_status == 0, "stderr: " << w.err);
    // The environment variable alone also works.
    const auto e =
        run_cql({"wallet", "--key", "k.key"}, passphrase_env("from the file"), dir.path());
    BOOST_TEST(e.exit_status == 0, "stderr: " << e.err);
}

BOOST_AUTO_TEST_CASE(wrong_passphrase_is_one_error_line_and_no_output) {
    cql_test::temp_dir dir;
    generate_key(dir, "k.key", "right");
    const auto r = run_cql({"wallet", "--key", "k.key"}, passphrase_env("wrong"), dir.path());
    check_failure(r, 1, "wrong passphrase");
    BOOST_TEST(r.err_lines().at(0).rfind("cql: wallet: ", 0) == 0, r.err);
    const auto j =
        run_cql({"wallet", "--key", "k.key", "--json"}, passphrase_env("wrong"), dir.path());
    check_failure(j, 1, "wrong passphrase");
}

BOOST_AUTO_TEST_CASE(altered_key_file_does_not_open) {
    cql_test::temp_dir dir;
    generate_key(dir, "k.key", "pw");
    std::string content = cql_test::read_whole_file(dir.file("k.key"));
    BOOST_TEST_REQUIRE(content.size() == crypto::key_file_size);
    content[100] = static_cast<char>(content[100] ^ 1);
    cql_test::write_text_file(dir.file("k2.key"), content);
    check_failure(run_cql({"wallet", "--key", "k2.key"}, passphrase_env("pw"), dir.path()), 1,
                  "altered");
    cql_test::write_text_file(dir.file("junk.key"), "not a key at all");
    check_failure(run_cql({"wallet", "--key", "junk.key"}, passphrase_env("pw"), dir.path()), 1,
                  "not a Covenant key file");
}

BOOST_AUTO_TEST_CASE(missing_key_file_is_an_error) {
    cql_test::temp_dir dir;
    check_failure(run_cql({"wallet", "--key", "nowhere.key"}, passphrase_env("pw"), dir.path()), 1,
                  "nowhere.key");
}

BOOST_AUTO_TEST_CASE(missing_or_empty_passphrase_file_is_an_error) {
    cql_test::temp_dir dir;
    check_failure(run_cql({"wallet", "--key", "k.key", "--passphrase-file", "absent.txt"},
                          passphrase_env("pw"), dir.path()),
                  1, "absent.txt");
    cql_test::write_text_file(dir.file("empty.txt"), "\n");
    auto args = generate_args("k.key", false);
    args.insert(args.end(), {"--passphrase-file", "empty.txt"});
    check_failure(run_cql(args, passphrase_env("pw"), dir.path()), 1, "empty");
    BOOST_TEST(cql_test::read_whole_file(dir.file("k.key")).empty());
    // An empty CQL_PASSPHRASE is refused rather than used.
    check_failure(run_cql(generate_args("k.key", false), passphrase_env(""), dir.path()), 1,
                  "CQL_PASSPHRASE");
    BOOST_TEST(cql_test::read_whole_file(dir.file("k.key")).empty());
}

BOOST_AUTO_TEST_CASE(generate_never_overwrites_and_the_original_key_still_opens) {
    cql_test::temp_dir dir;
    const auto first = generate_key(dir, "k.key", "original");
    const std::string before = cql_test::read_whole_file(dir.file("k.key"));

    for (bool json : {false, true}) {
        const auto r =
            run_cql(generate_args("k.key", json), passphrase_env("replacement"), dir.path());
        check_failure(r, 1, "already exists");
        BOOST_TEST(r.err_lines().at(0).rfind("cql: generate: ", 0) == 0, r.err);
    }
    BOOST_TEST(cql_test::read_whole_file(dir.file("k.key")) == before);

    const auto w =
        run_cql({"wallet", "--key", "k.key", "--json"}, passphrase_env("original"), dir.path());
    BOOST_TEST_REQUIRE(w.exit_status == 0, "stderr: " << w.err);
    BOOST_TEST(nlohmann::json::parse(w.out).at("address") == first.at("address"));
    check_failure(run_cql({"wallet", "--key", "k.key"}, passphrase_env("replacement"), dir.path()),
                  1, "wrong passphrase");
}

BOOST_AUTO_TEST_CASE(without_terminal_or_passphrase_the_commands_fail_instead_of_waiting) {
    cql_test::temp_dir dir;
    // The runner has no controlling terminal (setsid) and stdin is /dev/null.
    const auto g = run_cql(generate_args("k.key", false), {}, dir.path());
    check_failure(g, 1, "CQL_PASSPHRASE");
    BOOST_TEST(cql_test::read_whole_file(dir.file("k.key")).empty());

    generate_key(dir, "k.key", "pw");
    check_failure(run_cql({"wallet", "--key", "k.key"}, {}, dir.path()), 1, "--passphrase-file");
}

BOOST_AUTO_TEST_CASE(kdf_parameters_are_validated) {
    cql_test::temp_dir dir;
    for (const auto& [memory, iterations] :
         std::vector<std::pair<std::string, std::string>>{{"8", "1"}, {"64", "0"}, {"64", "65"}}) {
        const auto r = run_cql({"generate", "--out", "k.key", "--kdf-memory-kib", memory,
                                "--kdf-iterations", iterations},
                               passphrase_env("pw"), dir.path());
        check_failure(r, 2, "KDF");
        BOOST_TEST(cql_test::read_whole_file(dir.file("k.key")).empty());
    }
    // The KDF cost chosen is the one written in the file (memory at offset 6, big-endian).
    const auto g =
        run_cql({"generate", "--out", "k.key", "--kdf-memory-kib", "128", "--kdf-iterations", "2"},
                passphrase_env("pw"), dir.path());
    BOOST_TEST_REQUIRE(g.exit_status == 0, "stderr: " << g.err);
    const std::string file = cql_test::read_whole_file(dir.file("k.key"));
    BOOST_TEST_REQUIRE(file.size() == crypto::key_file_size);
    BOOST_TEST(static_cast<unsigned char>(file[9]) == 128u);
    BOOST_TEST(static_cast<unsigned char>(file[13]) == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
