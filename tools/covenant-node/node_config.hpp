// The configuration of covenant-node: a TOML file, with some values overridden by flags.
//
//   role = "producer"                  # producer | miner | client
//   key_file = "keys/producer0.key"    # relative paths: relative to this file's directory
//   passphrase_file = "keys/producer0.pass"   # optional (else CQL_PASSPHRASE, else the tty)
//   node_id_nonce = 123                # optional for a genesis producer (the genesis has it)
//   listen = "127.0.0.1:7001"
//   data_dir = "data/producer0"
//   genesis = "genesis.json"
//   status_interval_ms = 1000
//
//   [log]
//   level = "info"                     # trace | debug | info | warn | error | critical | off
//   file = ""                          # empty: stderr
//
//   [network]                          # reconnect backoff, ban of peers sending bad envelopes
//   [producer]                         # consensus timing and catch-up (role producer)
//   [miner]                            # chain following and replica defaults (role miner)
//   [miner.registration]               # deposit, capacity, price: register on the chain
//   [client]                           # the gateway's HTTP API and its calls (role client)
//
//   [[peers]]
//   node_id = "<64 hex>"               # or key = "<64 hex>" (+ node_id_nonce unless the key
//   address = "127.0.0.1:7002"         #   is a genesis producer's: the genesis has it)
//
// Reading is strict: an unknown key, a value of the wrong type or out of range, a malformed
// address or hex string is an error naming the key (and its line). Nothing is half-read.
// docs/node.md is the reference of every key and its default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "common/result.hpp"
#include "protocols/kayak/replica.hpp"
#include "protocols/main_chain/producer.hpp"
#include "storage/genesis_file.hpp"

namespace covenant::node {

enum class node_role { producer, miner, client };

/// "producer", "miner", "client".
std::string role_name(node_role role);

struct host_port {
    std::string host;
    std::uint16_t port = 0;
    /// "host:port" ("[host]:port" for an IPv6 address).
    std::string text() const;
};

/// Parses "host:port" or "[ipv6]:port". Port 0 only if `allow_port_zero` (listen on any
/// free port). The error detail says what is wrong, without the key's name.
result<host_port> parse_host_port(const std::string& text, bool allow_port_zero);

/// One [[peers]] entry as written: a node id, or a key (with the nonce of its node id,
/// unless the genesis has it).
struct peer_entry {
    std::optional<node_id> id;
    std::optional<public_key> key;
    std::optional<std::uint64_t> node_id_nonce;
    host_port address;
    std::string name;  // "peers[2]", for messages
};

struct log_settings {
    std::string level = "info";
    std::string file;  // empty: stderr
};

struct network_settings {
    std::int64_t reconnect_min_ms = 200;   // first retry after a failed connect or a loss
    std::int64_t reconnect_max_ms = 5000;  // backoff doubles up to this
    std::int64_t connect_timeout_ms = 10000;
    std::int64_t ban_ms = 60000;       // a peer that sent an invalid envelope is ignored this long
    std::int64_t heartbeat_ms = 1000;  // CAF middleman heartbeats
    std::int64_t connection_timeout_ms = 15000;  // a connection silent this long is closed
    /// CAF scheduler worker threads; 0: one per core (CAF's default). Nodes sharing a small
    /// machine (a devnet, covenant-bench) do better with 1: fewer cross-thread wake-ups.
    std::uint32_t scheduler_threads = 0;
};

struct producer_settings {
    main_chain::producer_config consensus;
    std::int64_t tick_ms = 50;
    std::int64_t fetch_timeout_ms = 1000;
    std::int64_t catch_up_delay_ms = 500;
    std::uint32_t fetch_blocks_max = 64;
};

/// [miner.registration]: the miner registers itself on the chain (register_miner) when the
/// chain does not list it.
struct miner_registration {
    std::uint64_t deposit = 0;              // required
    std::uint32_t capacity = 1;             // databases served at once
    std::uint64_t price_per_statement = 1;
    std::string endpoint;                   // empty: the listen address as bound
};

/// The replicas' settings a miner starts from: the protocol's, except batch_delay_ms 0. A
/// leader proposes only once the batch before is prepared, so under load requests gather
/// while it waits anyway; a delay only made a lone request wait, and not for 2 ms but until
/// the replica's next event or tick (up to replica_tick_ms): on loopback a single write
/// took 24 ms at 20 writes/s with it and 16 ms without, 49 and 22 ms at 100/s.
///
/// And pipeline_only_full_batches: in strong mode a batch overlaps the one in flight only
/// when it is full (replica.hpp says why; covenant-bench, 4 miners on 2 cores: about 25%
/// more writes/s).
inline kayak::replica_config miner_replica_defaults() {
    kayak::replica_config c;
    c.batch_delay_ms = 0;
    c.pipeline_only_full_batches = true;
    return c;
}

struct miner_settings {
    kayak::replica_config replica = miner_replica_defaults();  // the chain gives the rest
    std::int64_t follow_interval_ms = 200;
    std::int64_t resend_interval_ms = 1000;
    std::int64_t replica_tick_ms = 10;
    std::uint64_t transaction_fee = 1;
    std::optional<miner_registration> registration;
};

/// [client]: the gateway (role client).
struct client_settings {
    host_port http_listen{"127.0.0.1", 7800};
    bool http_allow_remote = false;         // listen on a non-loopback address
    std::size_t http_threads = 8;
    std::size_t http_body_bytes_max = 8u << 20;
    std::int64_t request_timeout_ms = 30'000;   // an HTTP call's answer, or 504
    std::int64_t request_resend_ms = 1000;      // an SQL request without a usable answer
    std::int64_t transaction_timeout_ms = 30'000;
    std::int64_t follow_interval_ms = 200;
    std::int64_t resend_interval_ms = 1000;     // transactions to the producers
    std::uint64_t transaction_fee = 1;
    std::size_t calls_max = 1024;
    std::size_t links_max = 64;                 // links to members at their chain endpoints
};

struct node_config {
    node_role role = node_role::producer;
    std::string key_file;         // absolute or relative to the working directory
    std::string passphrase_file;  // empty: CQL_PASSPHRASE, else the terminal
    std::optional<std::uint64_t> node_id_nonce;
    host_port listen;
    std::string data_dir;
    std::string genesis;
    std::vector<peer_entry> peers;
    std::int64_t status_interval_ms = 1000;
    log_settings log;
    network_settings network;
    producer_settings producer;
    miner_settings miner;
    client_settings client;
    bool has_listen = true;  // a client may have no listen address (it publishes nothing)
    std::string source;  // the config file's path, for messages
};

/// Values given on the command line; they win over the file's. Relative paths in them are
/// relative to the working directory (the file's are relative to the file's directory).
struct config_overrides {
    std::optional<std::string> role;
    std::optional<std::string> listen;
    std::optional<std::string> data_dir;
    std::optional<std::string> log_level;
    std::optional<std::string> log_file;
    std::optional<std::string> genesis;
    std::optional<std::string> key_file;
    std::optional<std::string> passphrase_file;
    std::optional<std::string> http_listen;
    std::optional<std::int64_t> request_timeout_ms;
};

/// Parses TOML text. `base_dir` is what relative paths in it are relative to; `source` names
/// it in messages. Overrides are applied, then every required value is checked.
result<node_config> parse_node_config(const std::string& toml_text, const std::string& base_dir,
                                      const std::string& source,
                                      const config_overrides& overrides = {});

/// Reads the file at `path` (at most 1 MiB) and parses it.
result<node_config> read_node_config(const std::string& path,
                                     const config_overrides& overrides = {});

/// A peer with its node id settled.
struct resolved_peer {
    node_id id;
    host_port address;
    std::string name;
};

/// Settles every peer's node id: a node id as given; a key with its nonce, else with the
/// genesis producer's nonce for that key. An error names the peer when a key has no nonce
/// and is not a genesis producer, or when two peers share a node id. Entries with
/// `own_id` are left out (one peer list can serve every node of a network).
result<std::vector<resolved_peer>> resolve_peers(const node_config& config,
                                                 const storage::genesis_document& genesis,
                                                 const node_id& own_id);

/// The nonce of this node's id: the config's, else the genesis's when the key is a genesis
/// producer's; an error saying to run `cql idminer` otherwise.
result<std::uint64_t> own_node_id_nonce(const node_config& config,
                                        const storage::genesis_document& genesis,
                                        const public_key& own_key);

}  // namespace covenant::node
