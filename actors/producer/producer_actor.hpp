// The block producer actor (DESIGN.md sections 6-7, issue 4): a thin actor around the pure
// producer state machine (protocols/main_chain/producer.hpp) and the SQLite store of final
// blocks (storage/main_chain_store.hpp).
//
// Start: spawn_producer_actor() opens the store, reads every block back and replays it from
// genesis (every block decoded, linked, its finality a quorum of the producer set, every
// state root matched) and builds the producer at the stored head. A store that cannot be
// opened or replayed is an error value and no actor is spawned: a node never starts on a
// chain it cannot verify, and never asserts on a file's contents.
//
// Running: payloads delivered by the router are decoded at this boundary (through
// producer_wire.hpp, the one mapping of consensus messages to envelope kinds) and fed to the
// producer with the time (the actor clock plus an offset: virtual under the test
// scheduler). Its outputs are carried out in this order: every finalized block is appended
// to the store (synchronously, fsynced) before any message leaves; then the messages go to
// every peer producer through the router; evidence is kept and counted. A payload that does
// not decode is dropped and counted, never trusted.
//
// Catch-up: every message says, unsigned, which height its sender is at least deciding
// (producer_wire's sender_height_hint). When a peer is two or more heights ahead, or one
// ahead for catch_up_delay_ms, the actor asks it for the final blocks from its own next
// height (block_fetch), one request outstanding at a time; a peer that does not answer
// within fetch_timeout_ms, or answers with nothing this producer can apply, is not asked
// again for a few timeouts (its claims may be lies), and another is tried. Replies are decoded, and
// their blocks applied in order through producer::on_block, which finalizes a block carrying a
// quorum of valid finality signatures that validates against the ledger; a reply whose server has
// more asks again at once. Peers' fetches are served from the store, bounded in count and bytes,
// and in number per tick.
//
// Own records: what the producer signed or took at the height it decides (its prevotes,
// precommits, proposals and polkas: producer_output::to_persist) is saved in the same file
// (storage/producer_record_store.hpp, table producer_record) in one fsynced transaction
// after the output's final blocks and before any of its messages leave; records of heights
// below the one decided are deleted in that transaction. At start the records of the store's
// head + 1 are loaded and restored into the producer (producer::restore): a restarted
// producer re-sends what it signed and never signs a different vote or proposal for a slot
// it already signed in. A damaged record, or records that are not this producer's at that
// height, are an error value at start; a record the store refuses as conflicting stops the
// actor before anything is sent.
//
// Not yet: evidence is kept, not yet submitted as a transaction.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <map>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/signing.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain/producer.hpp"

namespace covenant::actors {

/// (submit_transaction_atom, bytes encoded transaction) -> submit_result: a client's
/// transaction for the mempool (and, once accepted, for the other producers).
using submit_transaction_atom = caf::atom_constant<caf::atom("submit_tx")>;
/// (producer_status_atom) -> producer_status.
using producer_status_atom = caf::atom_constant<caf::atom("pstatus")>;
/// (balance_atom, bytes account address of 32 bytes) -> uint64: the balance in the final
/// state (an error for an address of another size).
using balance_atom = caf::atom_constant<caf::atom("balance")>;

struct submit_result {
    bool accepted = false;
    std::string reason;  // why not, when refused
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_result& x) {
    return f(caf::meta::type_name("covenant::submit_result"), x.accepted, x.reason);
}

struct producer_status {
    std::uint64_t final_height = 0;   // the last final block (0: genesis)
    bytes head_hash;                  // its hash (zero for genesis)
    bytes state_root;                 // the ledger's after it
    std::uint64_t round = 0;          // of the height being decided
    std::uint64_t stored_height = 0;  // blocks in the store (equals final_height)
    std::uint64_t mempool_size = 0;
    std::uint64_t total_tokens = 0;
    // The producer's own counters.
    std::uint64_t blocks_proposed = 0;
    std::uint64_t blocks_finalized = 0;
    std::uint64_t round_changes = 0;
    std::uint64_t transactions_refused = 0;
    std::uint64_t messages_refused = 0;
    std::uint64_t records_restored = 0;  // own records taken back at start
    std::uint64_t votes_repeated = 0;    // a rule asked again for a slot already signed
    std::string last_refusal;
    // The actor's.
    std::uint64_t undecodable_payloads = 0;  // envelopes whose payload failed to decode
    std::uint64_t fetches_sent = 0;
    std::uint64_t fetches_unanswered = 0;  // timed out (the peer was then not asked a while)
    std::uint64_t fetches_served = 0;
    std::uint64_t fetches_dropped = 0;         // peers' fetches beyond the per-tick budget
    std::uint64_t fetch_replies_refused = 0;   // undecodable, or not asked for
    std::uint64_t blocks_fetched = 0;          // fetched blocks that became final here
    std::uint64_t fetched_blocks_refused = 0;  // fetched blocks the producer did not take
    std::uint64_t evidence_count = 0;
    std::uint64_t store_errors = 0;  // the store failed to read blocks for a peer
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, producer_status& x) {
    return f(caf::meta::type_name("covenant::producer_status"), x.final_height, x.head_hash,
             x.state_root, x.round, x.stored_height, x.mempool_size, x.total_tokens,
             x.blocks_proposed, x.blocks_finalized, x.round_changes, x.transactions_refused,
             x.messages_refused, x.records_restored, x.votes_repeated, x.last_refusal,
             x.undecodable_payloads, x.fetches_sent, x.fetches_unanswered, x.fetches_served,
             x.fetches_dropped, x.fetch_replies_refused, x.blocks_fetched, x.fetched_blocks_refused,
             x.evidence_count, x.store_errors);
}

struct producer_actor_config {
    crypto::key_pair key;
    /// The other producers' nodes (this producer's own key is not in it). The node id's
    /// proof of work is the router's business.
    std::map<public_key, node_id> peers;
    caf::actor router;       // this node's router
    std::string store_path;  // the SQLite file of final blocks and own records (created if missing)
    main_chain::genesis genesis;
    main_chain::producer_config producer;  // its producer set also checks stored finality
    std::int64_t tick_ms = 50;
    /// Added to the actor clock to get the time blocks carry (virtual in tests).
    std::int64_t clock_offset_ms = 0;
    /// Catch-up: how long one fetch may go unanswered before another peer is asked, and
    /// how long a peer may be one height ahead before this producer fetches.
    std::int64_t fetch_timeout_ms = 1000;
    std::int64_t catch_up_delay_ms = 500;
    std::uint32_t fetch_blocks_max = 64;  // asked per fetch (1..main_blocks_per_fetch_max)
};

void add_producer_message_types(caf::actor_system_config& config);

/// Opens and replays the store, restores the producer's own records of the next height,
/// then spawns the actor at the stored head. An error value (store unreadable, corrupt, or
/// a chain that does not replay from `genesis`; records that are damaged or not this
/// producer's, main_store_errc::corrupt_record; a configuration without this producer in
/// the set) and no actor otherwise.
result<caf::actor> spawn_producer_actor(caf::actor_system& system, producer_actor_config config);

}  // namespace covenant::actors
