// The client gateway's actor (DESIGN.md sections 2, 4 and 7; issue 5 "Real nodes on a real
// network"): it holds the user's key, follows the main chain as a miner does
// (followed_chain: final blocks fetched from the producers, each checked and kept in the
// gateway's own store, so a restart resumes), and from that verified chain knows accounts,
// nonces, databases, their members, views and the user's roles.
//
//  - Main-chain transactions: signed with the next nonce (the followed ledger's, plus those
//    in flight), checked against a copy of the followed ledger first (a refusal carries the
//    ledger's reason), sent to every producer (again every resend_interval_ms) and answered
//    once a followed final block holds them (protocols/client/transaction_tracker.hpp).
//  - SQL: signed requests numbered per database (storage/client_sequence_store.hpp: written
//    before a request leaves, so a restarted gateway never reuses a sequence that may have
//    executed, and sends an unsettled request again to settle it); one write in flight per
//    database (a refused request's sequence is free again only when nothing came after
//    it), reads in parallel; each request driven by protocols/client/sql_call.hpp: the
//    leader for writes, a member for reads, resent on timeout, not-leader hints and view
//    changes followed, and every answer verified against the members the chain lists
//    before it is returned.
//  - Members are reached through the router; a member that is no configured peer is
//    connected to at the endpoint it registered on the chain (the connect function the node
//    gives; none in the simulator, where every node is routed).
//
//  - Inspection for `cql info` and `cql verify`: each member asked for its signed status
//    (member_status_query), a member's stored shard blocks relayed (ShardBlockFetch), the
//    followed chain's final blocks, and an index of the shard checkpoints it holds.
//
// The API is local (the HTTP server of covenant-node, tests): the messages below, each
// answered with a typed reply; these types travel only inside the process.
#pragma once

#include <caf/all.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/signing.hpp"
#include "protocols/client/transaction_tracker.hpp"
#include "protocols/main_chain/ledger_state.hpp"
#include "protocols/member_status_messages.hpp"
#include "protocols/sql_messages.hpp"

namespace covenant::actors {

/// (client_status_atom) -> client_status.
using client_status_atom = caf::atom_constant<caf::atom("cstatus")>;
/// (account_atom) -> account_info.
using account_atom = caf::atom_constant<caf::atom("caccount")>;
/// (databases_atom) -> database_list: those this key owns or holds a role on.
/// (databases_atom, bytes database id) -> database_list: that one (empty if the chain has none).
using databases_atom = caf::atom_constant<caf::atom("cdbs")>;
/// (submit_atom, transaction_request) -> transaction_answer, once final or refused.
using submit_atom = caf::atom_constant<caf::atom("csubmit")>;
/// (sql_atom, sql_request) -> sql_answer, once verified or failed.
using sql_atom = caf::atom_constant<caf::atom("csql")>;
/// (members_atom, bytes database id, int64 timeout_ms, bytes challenge) -> member_report: each
/// current member asked for its signed status (member_status_query) over the challenge (32
/// bytes from the caller, who can then check the answers are fresh; empty: the gateway picks
/// one), answered once all did or at the timeout.
using members_atom = caf::atom_constant<caf::atom("cmembers")>;
/// (shard_blocks_atom, shard_blocks_request) -> shard_blocks_answer: a ShardBlockFetch relayed
/// to one member (current or past) and its reply, or unavailable at the timeout.
using shard_blocks_atom = caf::atom_constant<caf::atom("cshard")>;
/// (main_blocks_atom, uint64 from height, uint32 count) -> main_blocks_answer: final blocks of
/// the followed chain's store, encoded.
using main_blocks_atom = caf::atom_constant<caf::atom("cmain")>;
/// (checkpoints_atom, bytes database id) -> checkpoint_list: the database's groups by view and
/// the shard checkpoints recorded for it on the followed chain.
using checkpoints_atom = caf::atom_constant<caf::atom("cchecks")>;

struct client_status {
    std::uint64_t chain_height = 0;
    digest chain_head;
    std::uint64_t blocks_applied = 0;
    std::uint64_t blocks_refused = 0;
    std::uint64_t replies_ignored = 0;
    std::uint64_t transactions_submitted = 0;  // signed and sent (refused ones not counted)
    std::uint64_t transactions_final = 0;
    std::uint64_t transactions_refused = 0;  // by the pre-check, or settled unfinished
    std::uint64_t transactions_in_flight = 0;
    std::uint64_t requests_sent = 0;  // SQL requests, counting resends
    std::uint64_t answers_verified = 0;
    std::uint64_t answers_refused = 0;  // failed verification: never returned
    std::uint64_t calls_in_flight = 0;
    std::uint64_t links_opened = 0;  // to members at their registered endpoints
    std::string last_problem;
};

struct account_info {
    account_address address;
    public_key key;
    node_id node;
    std::uint64_t balance = 0;
    account_nonce next_nonce{1};
    std::uint64_t staked = 0;
    std::uint64_t chain_height = 0;
};

struct database_info {
    database_id id;
    account_address owner;
    protocols::consistency_mode mode = protocols::consistency_mode::strong;
    std::vector<public_key> members;
    view_number view;
    public_key leader;
    std::optional<protocols::role> role;  // this key's, as the chain lists it
    std::uint64_t advance_payment = 0;
    bool out_of_funds = false;
};

struct database_list {
    std::vector<database_info> databases;
    std::uint64_t chain_height = 0;
};

struct transaction_request {
    client::transaction_body body;
};

struct transaction_answer {
    std::optional<error> failure;  // ledger_errc (refused) or client_errc
    protocols::transaction tx;
    std::uint64_t height = 0;               // the final block's
    std::optional<database_info> database;  // create_database: the new one, as final
};

struct sql_request {
    database_id database;
    protocols::query_kind kind = protocols::query_kind::read;
    std::vector<protocols::sql_statement> statements;
};

struct sql_answer {
    std::optional<error> failure;         // client_errc
    protocols::client_response response;  // verified; body is a request_outcome
    bool receipt = false;
    std::size_t certificate_signers = 0;
    std::size_t result_signers = 0;
};

/// One member's answer to a status query, as far as it answered.
struct member_answer {
    public_key member;
    node_id node;
    bool leader = false;
    std::optional<protocols::member_status> status;  // decoded, its signature checked
    bytes signed_status;                             // the answer as the member encoded it
    std::string problem;                             // why there is no status
};

struct member_report {
    std::optional<error> failure;  // client_errc: unknown_database, overloaded
    database_info database;
    std::vector<member_answer> members;  // in the chain's member order
    std::uint64_t chain_height = 0;
};

struct shard_blocks_request {
    database_id database;
    public_key member;
    block_height from_height;  // >= 1
    std::uint32_t count = 0;   // 1 .. limits::shard_blocks_per_fetch_max
    std::int64_t timeout_ms = 0;
};

struct shard_blocks_answer {
    std::optional<error> failure;  // client_errc: bad_request, unknown_database, unavailable, ...
    block_height head_height;      // the member's, as it says
    std::vector<bytes> blocks;     // encoded shard blocks, consecutive from the height asked
};

struct main_blocks_answer {
    std::optional<error> failure;
    std::uint64_t head_height = 0;
    std::vector<bytes> blocks;  // encoded final blocks
};

/// A shard_checkpoint transaction on the followed chain, whole (its body is a
/// protocols::tx::shard_checkpoint), with the height of the block that holds it.
struct checkpoint_record {
    block_height main_height;
    protocols::transaction transaction;
};

struct checkpoint_list {
    std::optional<error> failure;  // unknown_database
    database_info database;
    std::map<std::uint64_t, std::vector<public_key>> membership;  // first view -> members
    std::vector<checkpoint_record> checkpoints;                   // in chain order
    bool complete = true;  // false once the gateway's index dropped some (checkpoints_max)
    std::uint64_t chain_height = 0;
};

struct client_node_config {
    crypto::key_pair key;
    std::uint64_t node_id_nonce = 0;
    caf::actor router{};
    /// main_chain.sqlite (the followed chain) and client.sqlite (request sequences).
    std::string data_dir{};
    main_chain::genesis genesis{};
    std::vector<node_id> producer_nodes{};  // to fetch blocks from and send transactions to
    /// Node ids the router reaches already (configured peers); others get a link.
    std::set<node_id> routed_nodes{};
    /// Opens a peer link to (node id, endpoint "host:port" as registered on the chain);
    /// an invalid actor if the endpoint is unusable. Empty: no links are opened.
    std::function<caf::actor(const node_id&, const std::string&)> connect{};
    std::size_t links_max = 64;
    std::int64_t follow_interval_ms = 200;
    std::int64_t resend_interval_ms = 1000;    // transactions to the producers
    std::int64_t request_resend_ms = 1000;     // an SQL request without a usable answer
    std::int64_t request_timeout_ms = 30'000;  // a call's answer, or timed_out
    std::int64_t transaction_timeout_ms = 30'000;
    std::int64_t tick_ms = 20;
    std::int64_t clock_offset_ms = 0;  // added to the actor clock (virtual in the simulator)
    std::uint64_t transaction_fee = 1;
    std::size_t calls_max = 1024;  // SQL calls in flight or queued, and transactions
    std::size_t status_queries_max = 64;    // member-status queries and block relays waiting
    std::size_t checkpoints_max = 100'000;  // kept in the index, for all databases together
};

/// Opens the gateway's stores (replaying the followed chain from genesis) and spawns it;
/// a store that cannot be opened is an error value and nothing is spawned.
result<caf::actor> spawn_client_node(caf::actor_system& system, client_node_config config);

}  // namespace covenant::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::client_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::account_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::database_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::transaction_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::transaction_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::sql_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::sql_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::member_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::shard_blocks_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::shard_blocks_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::main_blocks_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(covenant::actors::checkpoint_list)
