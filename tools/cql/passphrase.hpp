// Where cql gets a key file's passphrase: `--passphrase-file F` (its first line), else the
// CQL_PASSPHRASE environment variable, else a prompt on the terminal without echo.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace cql {

/// The passphrase options a command accepts.
struct passphrase_options {
    std::string file;  // --passphrase-file; empty when not given
};

/// Adds --passphrase-file to a subcommand.
void add_passphrase_options(CLI::App& command, passphrase_options& options);

enum class passphrase_use {
    open_key,  // opening an existing key: ask once
    new_key,   // sealing a new key: on a terminal, ask twice and require both to match
};

/// The passphrase, from the first source that is given. Throws cql::failure when none is
/// (no file, no CQL_PASSPHRASE, no terminal), when the file cannot be read, when the
/// passphrase is empty, or when the two entries of a new passphrase differ.
std::string read_passphrase(const passphrase_options& options, passphrase_use use);

/// Overwrites a secret's characters before the string is destroyed or reused.
void wipe(std::string& secret);

}  // namespace cql
