// `cql generate --out FILE`: creates a fresh Ed25519 key and writes it to a new key file
// sealed with a passphrase. It never replaces an existing file.
#include <sys/stat.h>

#include <memory>
#include <string>

#include "commands.hpp"
#include "crypto/errors.hpp"
#include "crypto/key_file.hpp"
#include "crypto/signing.hpp"
#include "failure.hpp"
#include "kdf_options.hpp"
#include "output.hpp"
#include "passphrase.hpp"

namespace cql {
namespace {

struct generate_options {
    std::string out;
    passphrase_options passphrase;
    covenant::crypto::kdf_parameters kdf;
    bool json = false;
};

void run_generate(const generate_options& options) {
    check_kdf_parameters(options.kdf);
    // Fail before asking for a passphrase; write_key_file still refuses atomically if the
    // file appears in between.
    struct stat existing{};
    if (::lstat(options.out.c_str(), &existing) == 0) {
        throw failure("file already exists: " + options.out + " (refusing to overwrite it)");
    }

    std::string passphrase = read_passphrase(options.passphrase, passphrase_use::new_key);
    const auto pair = covenant::crypto::key_pair::generate();
    auto written = covenant::crypto::write_key_file(options.out, pair, passphrase, options.kdf);
    wipe(passphrase);
    if (!written) {
        std::string message = written.failure().message();
        if (written.failure().code == covenant::crypto::crypto_errc::file_exists)
            message += " (refusing to overwrite it)";
        throw failure(message);
    }

    const std::string address = covenant::crypto::address_of(pair.public_key()).hex();
    if (options.json) {
        print_json({{"key_file", options.out},
                    {"address", address},
                    {"public_key", pair.public_key().hex()}});
    } else {
        print_line("wrote key file " + options.out + " for address " + address);
    }
}

}  // namespace

command add_generate_command(CLI::App& root) {
    auto options = std::make_shared<generate_options>();
    CLI::App* app =
        root.add_subcommand("generate", "Create a new key and write it to an encrypted key file");
    app->add_option("--out", options->out, "Key file to create (must not exist yet)")->required();
    add_passphrase_options(*app, options->passphrase);
    add_kdf_options(*app, options->kdf);
    app->add_flag("--json", options->json,
                  "Print {\"key_file\", \"address\", \"public_key\"} as JSON");
    return command{app, [options] { run_generate(*options); }};
}

}  // namespace cql
