// A miner node's supervisor: it follows the main chain and runs the Kayak replicas of the
// databases the chain assigns to this miner (DESIGN.md sections 5 and 6; issue 4 "Miners
// follow the chain").
//
// Every follow_interval_ms it asks one of the producers (in turn) for the final blocks after
// its head (block_fetch through the router), and feeds the reply to a chain_follower, which
// checks each block against the producer set of its epoch and applies it. Each applied block
// is persisted to the node's own main-chain store, so a restart resumes from its last block.
// The follower says how this miner's assignments changed, and the node acts on it:
//   - a database it now serves: open its SQLite files under data_dir and start a replica
//     actor with the chain's members, mode and view, and permissions from the chain;
//   - members or mode changed: restart the replica on the same files with the new group;
//   - the chain recorded a view change: hand it to the replica (view_change_atom);
//   - roles or funding changed: the replica's permission source follows at once (an owner
//     out of funds keeps reads, loses writes);
//   - no longer a member, or the database was dropped: stop the replica (files are kept).
// The replicas report suspicions of their leader here; the node turns each into a
// suspect_leader transaction signed with the miner's key and sends it to every producer,
// again every resend_interval_ms (re-numbered from the chain's nonce) until the chain has
// recorded a view beyond the one suspected or records this miner's suspicion of it. Evidence
// from a replica is sent the same way, after the suspicions, until the chain has slashed
// the offender. A node configured to register itself sends register_miner first, until the
// chain lists it.
//
// Any number of databases at once: each replica subscribes to the node's router on its
// database's channel (the database id every envelope of database traffic carries), so the
// router hands each replica the traffic of its own database; the node's own subscription
// (block fetch replies, no channel) is unaffected. A stopped replica is unsubscribed first,
// and the router drops the subscriptions of any replica that dies. How many databases a
// miner takes on is the chain's business (the capacity it registered).
#pragma once

#include <caf/all.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "actors/miner/replica_actor.hpp"
#include "crypto/signing.hpp"
#include "protocols/kayak/replica.hpp"
#include "protocols/main_chain/ledger_state.hpp"

namespace covenant::actors {

/// (miner_status_atom) -> miner_status.
using miner_status_atom = caf::atom_constant<caf::atom("mstatus")>;
/// (replica_of_atom, bytes database id) -> caf::actor (invalid if not served): for status
/// queries by tests and tools.
using replica_of_atom = caf::atom_constant<caf::atom("replicaof")>;

struct served_database {
    bytes id;
    std::uint64_t view = 0;
    std::vector<bytes> members;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, served_database& x) {
    return f(caf::meta::type_name("covenant::served_database"), x.id, x.view, x.members);
}

struct miner_status {
    std::uint64_t chain_height = 0;
    bytes chain_head;
    bool registered = false;  // the followed chain lists this miner
    std::vector<served_database> databases;
    std::uint64_t blocks_applied = 0;
    std::uint64_t blocks_refused = 0;    // fetched blocks that failed a check
    std::uint64_t replies_ignored = 0;   // block-fetch replies not from the producer asked
    std::uint64_t replicas_started = 0;  // starts and restarts
    std::uint64_t view_changes_followed = 0;
    std::uint64_t transactions_sent = 0;  // suspicions and evidence, counting resends
    std::string last_refusal;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, miner_status& x) {
    return f(caf::meta::type_name("covenant::miner_status"), x.chain_height, x.chain_head,
             x.registered, x.databases, x.blocks_applied, x.blocks_refused, x.replies_ignored,
             x.replicas_started, x.view_changes_followed, x.transactions_sent, x.last_refusal);
}

struct miner_node_config {
    crypto::key_pair key;
    caf::actor router;  // this node's router (its peers are the router's business)
    /// Where the node keeps its files: main_chain.sqlite, and per database
    /// db-<id hex>.sqlite, .chain and .log.
    std::string data_dir;
    main_chain::genesis genesis;
    /// Producers to fetch blocks from and send transactions to, by their node ids.
    std::vector<node_id> producer_nodes;
    /// Timeouts and sizes of the replicas; database, members and mode come from the chain.
    kayak::replica_config replica_defaults;
    std::int64_t follow_interval_ms = 200;
    std::int64_t resend_interval_ms = 1000;
    std::int64_t replica_tick_ms = 10;
    std::int64_t clock_offset_ms = 0;  // added to the actor clock (virtual in the simulator)
    std::uint64_t transaction_fee = 1;
    /// If set, the node registers itself (this register_miner, with its node-id nonce as the
    /// proof of work) while the chain does not list it: sent with its other transactions,
    /// first, after a check against the followed ledger (a refusal is reported in the status,
    /// not sent).
    std::optional<protocols::tx::register_miner> registration{};
    /// Spawns each replica actor (the simulator may make some members Byzantine).
    replica_actor_factory spawn_replica = spawn_replica_actor;
};

void add_miner_message_types(caf::actor_system_config& config);

/// Opens the node's main-chain store and replays it from genesis, then spawns the node,
/// which starts the replicas of the databases it serves at that head. A store that cannot
/// be opened or replayed is an error value and nothing is spawned.
result<caf::actor> spawn_miner_node(caf::actor_system& system, miner_node_config config);

}  // namespace covenant::actors
