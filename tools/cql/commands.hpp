// The commands of cql. Each command file registers its subcommand (options, help) on the
// root CLI11 app and returns how to run it once the command line is parsed. The commands that
// talk to a network read the root's connection options (--config, --gateway, --timeout-ms).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

#include "gateway_client.hpp"

namespace cql {

struct command {
    CLI::App* app = nullptr;    // the subcommand, owned by the root app
    std::function<void()> run;  // does the work; throws cql::failure on error
};

/// `cql generate --out FILE`: creates a new encrypted key file.
command add_generate_command(CLI::App& root);
/// `cql wallet [--key FILE]`: opens a key file and prints its account address.
command add_wallet_command(CLI::App& root, const connection_options& connection);
/// `cql idminer [--key FILE] --difficulty N`: mines a proof-of-work node id for a key.
command add_idminer_command(CLI::App& root, const connection_options& connection);

/// `cql create`, `cql drop DB`, `cql databases`, `cql info DB` (database_commands.cpp).
std::vector<command> add_database_commands(CLI::App& root, const connection_options& connection);
/// `cql balance`, `cql transfer`, `cql grant` (account_commands.cpp).
std::vector<command> add_account_commands(CLI::App& root, const connection_options& connection);
/// `cql exec DB SQL`, `cql query DB SQL` (sql_commands.cpp).
std::vector<command> add_sql_commands(CLI::App& root, const connection_options& connection);
/// `cql console DB` (console.cpp).
command add_console_command(CLI::App& root, const connection_options& connection);
/// `cql verify DB` (verify.cpp).
command add_verify_command(CLI::App& root, const connection_options& connection);

}  // namespace cql
