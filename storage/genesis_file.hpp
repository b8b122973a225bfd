// The genesis file: the JSON document every node of one network starts from (DESIGN.md
// section 6). It names the network, fixes the chain parameters, the first producers (with
// the proof-of-work nonce of each one's node id, so every node can reach them) and the token
// allocation. Reading is strict: unknown keys, wrong types, bad hex, duplicates, zero or
// out-of-range values are errors naming the offending field, and nothing is half-read.
//
// {
//   "network": "covenant-devnet",
//   "parameters": { "minimum_fee": 1, "unstake_delay": 100, "miner_exit_delay": 100,
//                   "minimum_miner_deposit": 1000, "node_id_difficulty": 8,
//                   "epoch_length": 100, "producers_max": 21, "producers_min": 4 },
//   "producers": [ { "key": "<64 hex>", "node_id_nonce": 12 }, ... ],
//   "allocations": [ { "address": "<64 hex>", "amount": 1000000 }, ... ]
// }
// Every parameter may be left out (the default of chain_parameters applies).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/result.hpp"
#include "protocols/main_chain/ledger_state.hpp"

namespace covenant::storage {

struct genesis_document {
    std::string network;
    main_chain::genesis genesis;
    std::map<public_key, std::uint64_t> producer_node_nonces;

    /// Hash of the canonical form of everything above: two nodes with equal hashes start
    /// the same chain.
    digest hash() const;
};

/// Parses a genesis document from JSON text.
result<genesis_document> parse_genesis(const std::string& json_text);
/// Reads and parses the file at `path` (at most 16 MiB).
result<genesis_document> read_genesis_file(const std::string& path);
/// The JSON text of `doc` (parse_genesis gives `doc` back).
std::string genesis_to_json(const genesis_document& doc);

}  // namespace covenant::storage
