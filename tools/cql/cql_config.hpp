// cql's config file: how `cql --config FILE ...` reaches a network through a client gateway
// (docs/cql.md). Strict TOML, like covenant-node's config: an unknown key, a value of the wrong
// type or out of range is an error naming the key and its line.
//
//   gateway = "127.0.0.1:7800"      # HOST:PORT of the gateway's HTTP API (required)
//   key_file = "client.key"         # optional; relative paths: relative to this file
//   passphrase_file = "passphrase"  # optional (else CQL_PASSPHRASE, else the terminal)
//   timeout_ms = 60000              # optional: how long to wait for the gateway's answer
//
// The key is the gateway's (the gateway signs with it): cql uses key_file for the commands that
// open a key (wallet, idminer) when they are not given --key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "node_config.hpp"

namespace cql {

struct cql_config {
    std::string source;  // the file's path, for messages
    covenant::node::host_port gateway;
    std::string key_file;         // absolute or relative to the working directory; empty: none
    std::string passphrase_file;  // likewise
    std::optional<std::int64_t> timeout_ms;
};

/// The longest wait for one answer that a config or flag may ask for (an hour).
inline constexpr std::int64_t gateway_timeout_max_ms = 3'600'000;

/// Parses TOML text; relative paths are made relative to `base_dir`; `source` names the file
/// in messages ("FILE: key (line N): what").
covenant::result<cql_config> parse_cql_config(const std::string& toml_text,
                                              const std::string& base_dir,
                                              const std::string& source);

/// Reads the file at `path` (a regular file of at most 64 KiB) and parses it.
covenant::result<cql_config> read_cql_config(const std::string& path);

}  // namespace cql
