// The cql command line itself: --help and --version succeed on stdout; an unknown
// command, no command, a missing required flag or an unknown option is exit status 2 with
// one "cql: " line on stderr and nothing on stdout.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "run_cql.hpp"

using cql_test::run_cql;
using cql_test::run_result;

namespace {

void check_usage_error(const run_result& r, const std::string& mentions) {
    BOOST_TEST(r.exit_status == 2, "stderr: " << r.err);
    BOOST_TEST(r.out.empty(), "stdout: " << r.out);
    const auto lines = r.err_lines();
    BOOST_TEST_REQUIRE(lines.size() == 1u, "stderr: " << r.err);
    BOOST_TEST(lines[0].rfind("cql: ", 0) == 0, r.err);
    BOOST_TEST(lines[0].find(mentions) != std::string::npos,
               "stderr '" << r.err << "' should mention '" << mentions << "'");
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(usage)

BOOST_AUTO_TEST_CASE(top_level_help_lists_the_commands) {
    cql_test::temp_dir dir;
    for (const char* flag : {"--help", "-h"}) {
        const auto r = run_cql({flag}, {}, dir.path());
        BOOST_TEST(r.exit_status == 0);
        BOOST_TEST(r.err.empty());
        for (const char* command : {"generate", "wallet", "idminer"})
            BOOST_TEST(contains(r.out, command), command << " missing from: " << r.out);
    }
}

BOOST_AUTO_TEST_CASE(every_command_has_help) {
    cql_test::temp_dir dir;
    const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
        {"generate", {"--out", "--passphrase-file", "--json"}},
        {"wallet", {"--key", "--passphrase-file", "--json"}},
        {"idminer", {"--key", "--difficulty", "--threads", "--json"}},
    };
    for (const auto& [command, options] : expected) {
        // --help wins over missing required options.
        const auto r = run_cql({command, "--help"}, {}, dir.path());
        BOOST_TEST(r.exit_status == 0, command);
        BOOST_TEST(r.err.empty(), command);
        for (const auto& option : options)
            BOOST_TEST(contains(r.out, option), command << " help lacks " << option);
    }
    // The KDF options are hidden.
    BOOST_TEST(!contains(run_cql({"generate", "--help"}, {}, dir.path()).out, "--kdf"));
}

BOOST_AUTO_TEST_CASE(version_is_printed) {
    cql_test::temp_dir dir;
    const auto r = run_cql({"--version"}, {}, dir.path());
    BOOST_TEST(r.exit_status == 0);
    BOOST_TEST(r.err.empty());
    BOOST_TEST(contains(r.out, CQL_EXPECTED_VERSION), r.out);
}

BOOST_AUTO_TEST_CASE(unknown_command) {
    cql_test::temp_dir dir;
    check_usage_error(run_cql({"mint"}, {}, dir.path()), "mint");
    check_usage_error(run_cql({"mint", "--key", "x"}, {}, dir.path()), "mint");
}

BOOST_AUTO_TEST_CASE(no_command) {
    cql_test::temp_dir dir;
    check_usage_error(run_cql({}, {}, dir.path()), "command");
}

BOOST_AUTO_TEST_CASE(missing_required_flags) {
    cql_test::temp_dir dir;
    check_usage_error(run_cql({"wallet"}, {{"CQL_PASSPHRASE", "pw"}}, dir.path()), "--key");
    check_usage_error(run_cql({"generate"}, {{"CQL_PASSPHRASE", "pw"}}, dir.path()), "--out");
    check_usage_error(run_cql({"idminer", "--key", "k.key"}, {}, dir.path()), "--difficulty");
    check_usage_error(run_cql({"idminer", "--difficulty", "3"}, {}, dir.path()), "--key");
}

BOOST_AUTO_TEST_CASE(unknown_options_and_stray_arguments) {
    cql_test::temp_dir dir;
    check_usage_error(run_cql({"--bogus"}, {}, dir.path()), "--bogus");
    check_usage_error(run_cql({"wallet", "--key", "k.key", "--bogus"}, {}, dir.path()), "--bogus");
    check_usage_error(run_cql({"wallet", "--key", "k.key", "extra"}, {}, dir.path()), "extra");
    check_usage_error(run_cql({"wallet", "--key"}, {}, dir.path()), "--key");
}

BOOST_AUTO_TEST_SUITE_END()
