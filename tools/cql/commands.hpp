// The commands of cql. Each command file registers its subcommand (options, help) on the
// root CLI11 app and returns how to run it once the command line is parsed.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace cql {

struct command {
    CLI::App* app = nullptr;    // the subcommand, owned by the root app
    std::function<void()> run;  // does the work; throws cql::failure on error
};

/// `cql generate --out FILE`: creates a new encrypted key file.
command add_generate_command(CLI::App& root);
/// `cql wallet --key FILE`: opens a key file and prints its account address.
command add_wallet_command(CLI::App& root);
/// `cql idminer --key FILE --difficulty N`: mines a proof-of-work node id for a key.
command add_idminer_command(CLI::App& root);

}  // namespace cql
