// The hidden --kdf-memory-kib and --kdf-iterations options of `cql generate`: Argon2id cost
// of a new key file. The defaults are crypto::kdf_parameters'; tests lower them.
#pragma once

#include <CLI/CLI.hpp>

#include "crypto/key_file.hpp"

namespace cql {

/// Adds the options to `command`, writing into `params` (which holds the defaults).
void add_kdf_options(CLI::App& command, covenant::crypto::kdf_parameters& params);

/// Throws a usage failure unless `params` are within kdf_parameters' bounds.
void check_kdf_parameters(const covenant::crypto::kdf_parameters& params);

}  // namespace cql
