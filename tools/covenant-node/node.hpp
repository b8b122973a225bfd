// Running a covenant-node once its configuration, genesis and key are in hand: the actor
// system with CAF's middleman, the router, the gate published on the listen address, a
// link per peer, the role's actor, status.json every status_interval_ms, and a clean stop
// on SIGINT or SIGTERM.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/signing.hpp"
#include "node_config.hpp"
#include "storage/genesis_file.hpp"

namespace covenant::node {

/// Exit statuses of covenant-node.
inline constexpr int exit_ok = 0;             // stopped by SIGINT or SIGTERM
inline constexpr int exit_runtime_error = 1;  // key, genesis, data directory, port, a failed actor
inline constexpr int exit_usage_error = 2;    // the command line or the config file

struct node_identity {
    crypto::key_pair key;
    std::uint64_t nonce = 0;
    node_id id;
};

/// Runs the node until a signal in `stop_signals` arrives (they must be blocked in every
/// thread: call before anything starts a thread) or an actor it depends on fails. Returns
/// the exit status; errors are logged.
int run_node(const node_config& config, const storage::genesis_document& genesis,
             const node_identity& identity, const std::vector<resolved_peer>& peers,
             spdlog::logger& log);

/// Writes `text` to `path` atomically: a temporary file in the same directory, then rename.
/// False (and errno set) on failure.
bool write_file_atomically(const std::string& path, const std::string& text);

}  // namespace covenant::node
