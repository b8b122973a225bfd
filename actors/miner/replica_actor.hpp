// The actor around one database's Kayak replica on a miner: it takes validated envelopes
// from the node's router, decodes their payloads, feeds them to the pure replica with the
// time, and carries out what the replica returns (messages through the router, answers to
// clients, suspicions and evidence to the view-change authority). Thin on purpose: every
// decision is the replica's. The steps of one pass over its mailbox save into one log
// transaction (kayak::log_store's group commit); their messages and answers go out when the
// flush at the end of the pass has made it durable.
//
// It subscribes to the router on its database's channel and sends everything (messages to
// members, answers to clients) on that channel, so one node can run replicas of several
// databases. The channel only routes: the replica checks every payload's own database id.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <functional>
#include <map>
#include <memory>

#include "protocols/kayak/replica.hpp"

namespace covenant::actors {

/// (view_change_atom, uint64 view): the main chain recorded a new view for the database.
using view_change_atom = caf::atom_constant<caf::atom("viewchange")>;
/// (suspect_atom, bytes encoded suspect_message): sent to the view-change authority.
using suspect_atom = caf::atom_constant<caf::atom("suspect")>;
/// (evidence_atom, bytes encoded evidence): sent to the view-change authority.
using evidence_atom = caf::atom_constant<caf::atom("evidence")>;
/// (checkpoint_atom, bytes encoded transaction): a shard checkpoint signed by a quorum, as
/// the body of a transaction signed with the member's key (nonce and fee are the
/// authority's to set); sent to the view-change authority.
using checkpoint_atom = caf::atom_constant<caf::atom("checkpoint")>;
/// (replica_status_atom) -> replica_status.
using replica_status_atom = caf::atom_constant<caf::atom("rstatus")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

struct replica_status {
    std::uint64_t view = 0;
    std::uint64_t last_committed = 0;
    std::uint64_t last_executed = 0;
    bytes state_digest;
    std::uint64_t batches_committed = 0;
    std::uint64_t messages_refused = 0;
    std::uint64_t batches_refused = 0;
    std::uint64_t catch_up_batches = 0;
    std::uint64_t divergent_executions = 0;
    std::uint64_t undecodable_payloads = 0;  // envelopes whose payload failed to decode
    std::uint64_t shard_height = 0;           // blocks in the stored shard chain
    bytes shard_head_hash;
    std::string last_refusal;
    /// What went wrong with the replica's files beside its own steps (background WAL
    /// checkpoints that failed: replica_actor_config::storage_report); empty if nothing
    /// ever did since the replica started.
    std::string storage_problem;
    /// WAL pages of the replica's files (its log and its database) that their latest
    /// background checkpoints left uncopied (wal_checkpointer::status::pages_behind).
    std::uint64_t wal_pages_behind = 0;
    /// Where a strong-mode write's time goes at the leader (replica_stats::leader_timing).
    kayak::replica_stats::leader_timing_sums leader_timing;
};

}  // namespace covenant::actors

namespace covenant::kayak {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replica_stats::leader_timing_sums& x) {
    return f(caf::meta::type_name("covenant::leader_timing"), x.batches, x.prepare_ms, x.commit_ms,
             x.execute_ms, x.answer_ms, x.requests, x.queued_ms);
}
}  // namespace covenant::kayak

namespace covenant::actors {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replica_status& x) {
    return f(caf::meta::type_name("covenant::replica_status"), x.view, x.last_committed,
             x.last_executed, x.state_digest, x.batches_committed, x.messages_refused,
             x.batches_refused, x.catch_up_batches, x.divergent_executions,
             x.undecodable_payloads, x.shard_height, x.shard_head_hash, x.last_refusal,
             x.storage_problem, x.wal_pages_behind, x.leader_timing);
}

struct replica_actor_config {
    kayak::replica_config replica;
    crypto::key_pair key;
    std::map<public_key, node_id> member_nodes;  // where each member's node is
    caf::actor router;                           // this node's router
    caf::actor view_authority;                   // gets suspicions and evidence
    std::shared_ptr<kayak::log_store> log;
    std::shared_ptr<kayak::batch_executor> executor;
    std::shared_ptr<kayak::block_store> blocks;
    std::shared_ptr<kayak::permission_source> permissions;
    std::int64_t tick_ms = 50;
    /// Added to the actor clock to get the wall-clock time batches carry (virtual in tests).
    std::int64_t clock_offset_ms = 0;
    /// Asked for each status: fills in what the replica's own steps do not see of the
    /// storage behind its ports (the files' background checkpoints: storage_problem,
    /// wal_pages_behind). Unset: nothing to report (in-memory ports).
    std::function<void(replica_status&)> storage_report = {};
};

void add_replica_message_types(caf::actor_system_config& config);

caf::actor spawn_replica_actor(caf::actor_system& system, replica_actor_config config);

/// How a miner node starts a replica actor: spawn_replica_actor in production; the
/// simulator may put an alternative implementation of the role there (sim/byzantine.hpp).
/// The actor it returns is the replica as the node knows it: it is linked to the node, gets
/// view_change_atom and answers replica_status_atom.
using replica_actor_factory = std::function<caf::actor(caf::actor_system&, replica_actor_config)>;

}  // namespace covenant::actors
