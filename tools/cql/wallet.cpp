// `cql wallet [--key FILE]`: opens a key file with its passphrase and prints the account
// address of the key (hash of the public key).
#include <memory>
#include <string>

#include "commands.hpp"
#include "config_key.hpp"
#include "crypto/key_file.hpp"
#include "crypto/signing.hpp"
#include "failure.hpp"
#include "output.hpp"
#include "passphrase.hpp"

namespace cql {
namespace {

struct wallet_options {
    std::string key;
    passphrase_options passphrase;
    bool json = false;
};

void run_wallet(const wallet_options& options, const connection_options& connection) {
    const auto chosen = choose_key(options.key, options.passphrase, connection);
    std::string passphrase = read_passphrase(chosen.passphrase, passphrase_use::open_key);
    auto pair = covenant::crypto::read_key_file(chosen.path, passphrase);
    wipe(passphrase);
    if (!pair) throw failure(pair.failure().message());

    const covenant::public_key& key = pair->public_key();
    const std::string address = covenant::crypto::address_of(key).hex();
    if (options.json) {
        print_json({{"address", address}, {"public_key", key.hex()}});
    } else {
        print_line("address " + address);
    }
}

}  // namespace

command add_wallet_command(CLI::App& root, const connection_options& connection) {
    auto options = std::make_shared<wallet_options>();
    CLI::App* app = root.add_subcommand("wallet", "Open a key file and print its account address");
    app->add_option("--key", options->key, "Key file to open (default: the config's key_file)");
    add_passphrase_options(*app, options->passphrase);
    app->add_flag("--json", options->json, "Print {\"address\", \"public_key\"} as JSON");
    return command{app, [options, &connection] { run_wallet(*options, connection); }};
}

}  // namespace cql
