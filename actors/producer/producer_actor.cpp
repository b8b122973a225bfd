// The block producer actor (see producer_actor.hpp).
#include "actors/producer/producer_actor.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "actors/router/router.hpp"
#include "protocols/codec.hpp"
#include "protocols/limits.hpp"
#include "protocols/main_chain/producer_wire.hpp"
#include "storage/main_chain_store.hpp"
#include "storage/producer_record_store.hpp"

namespace covenant::actors {
namespace {

using protocols::message_kind;

/// Evidence kept in memory until it can be submitted (later work); beyond this it is only
/// counted.
constexpr std::size_t evidence_kept_max = 256;
/// Peers' fetches served between two ticks; more are dropped (the asker times out and asks
/// elsewhere). Serving reads and re-checks up to main_blocks_per_fetch_max blocks from disk.
/// Every miner and gateway of a network follows the chain, asking the producers in turn;
/// followers that started together stay in step (the simulator's always do), and with 4
/// the fifth and sixth of them to ask a producer lost every fetch and never caught up.
constexpr std::uint32_t fetches_served_per_tick_max = 16;
/// How long, in fetch timeouts, a peer that did not serve a fetch is not asked again.
constexpr std::int64_t distrust_fetch_timeouts = 4;

using producer_tick_atom = caf::atom_constant<caf::atom("ptick")>;

/// What spawn_producer_actor() prepared: the store, already replayed, its own records, and
/// the producer at the store's head with those records restored.
struct startup {
    producer_actor_config config;
    std::unique_ptr<storage::main_chain_store> store;
    std::unique_ptr<storage::producer_record_store> records;
    std::unique_ptr<main_chain::producer> producer;
};

struct producer_actor_state {
    static inline const char* name = "covenant.main.producer";

    std::shared_ptr<startup> start;  // owns the config and the store
    producer_actor_config& config() { return start->config; }
    storage::main_chain_store& store() { return *start->store; }
    storage::producer_record_store& records() { return *start->records; }
    std::unique_ptr<main_chain::producer> producer;
    std::map<node_id, public_key> peer_of_node;  // reverse of config.peers

    // Catch-up.
    std::map<node_id, block_height> claimed;  // peer -> least height it is deciding
    // Peers whose fetch timed out or brought nothing: their claims are ignored until then,
    // so that a peer claiming heights it does not serve cannot hold up catching up.
    std::map<node_id, std::int64_t> distrusted_until_ms;
    std::optional<node_id> fetching_from;  // the one outstanding fetch
    std::int64_t fetch_sent_ms = 0;
    std::optional<std::pair<block_height, std::int64_t>> behind_since;  // (at height, since)
    std::uint32_t fetches_served_this_tick = 0;

    std::vector<main_chain::producer_evidence> evidence;
    producer_status counters;  // the actor's own counters (the rest is read at query time)
};

using self_pointer = caf::stateful_actor<producer_actor_state>*;

std::int64_t now_ms(self_pointer self) {
    const auto since_epoch = self->clock().now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() +
           self->state.config().clock_offset_ms;
}

void send_to(self_pointer self, const node_id& node, message_kind kind, bytes payload) {
    self->send(self->state.config().router, send_atom::value, node.view().to_bytes(),
               static_cast<std::uint16_t>(kind), std::move(payload));
}

/// Carries out the producer's outputs: final blocks to the store first (a block is on disk
/// before any message that follows from it leaves), then the producer's own records of the
/// height it now decides, with those of lower heights deleted (one transaction: what it
/// signed is on disk before it is sent), then messages to every peer, then evidence kept.
/// Blocks go first so that the records of a height are only ever written once the block
/// below it is stored: a restart then finds them at its head + 1. False if the store
/// refused a block or a record: the actor then stops, since its state is ahead of its disk
/// (or it was about to sign against its own record).
bool carry_out(self_pointer self, main_chain::producer_output&& out) {
    auto& st = self->state;
    for (std::size_t i = 0; i < out.finalized.size(); ++i) {
        const auto& block = out.finalized[i];
        auto appended = st.store().append(block, out.finalized_by.at(i));
        if (!appended) {
            self->quit(caf::make_error(caf::sec::runtime_error,
                                       "producer: cannot persist final block " +
                                           std::to_string(block.header.height.value) + ": " +
                                           appended.failure().message()));
            return false;
        }
    }
    if (!out.to_persist.empty() || !out.finalized.empty()) {
        const block_height deciding(st.store().block_count() + 1);
        auto saved = st.records().save(out.to_persist, deciding);
        if (!saved) {
            self->quit(caf::make_error(caf::sec::runtime_error,
                                       "producer: cannot persist its records of height " +
                                           std::to_string(deciding.value) + ": " +
                                           saved.failure().message()));
            return false;
        }
    }
    for (const auto& m : out.messages) {
        auto wire = main_chain::encode_producer_message(m);
        for (const auto& [key, node] : st.config().peers)
            send_to(self, node, wire.kind, wire.payload);
    }
    for (auto& e : out.evidence) {
        ++st.counters.evidence_count;
        if (st.evidence.size() < evidence_kept_max) st.evidence.push_back(std::move(e));
    }
    return true;
}

// ---- catch-up ---------------------------------------------------------------------

void note_claim(self_pointer self, const node_id& peer, block_height height, std::int64_t now) {
    auto& st = self->state;
    auto distrusted = st.distrusted_until_ms.find(peer);
    if (distrusted != st.distrusted_until_ms.end()) {
        if (now < distrusted->second) return;
        st.distrusted_until_ms.erase(distrusted);
    }
    auto [at, fresh] = st.claimed.emplace(peer, height);
    if (!fresh && at->second < height) at->second = height;
}

/// Forgets what `peer` claimed, and ignores its claims for a few fetch timeouts.
void distrust(self_pointer self, const node_id& peer, std::int64_t now) {
    auto& st = self->state;
    st.claimed.erase(peer);
    st.distrusted_until_ms[peer] = now + distrust_fetch_timeouts * st.config().fetch_timeout_ms;
}

/// Asks the peer furthest ahead for the blocks after this producer's head, if one is two or
/// more heights ahead, one ahead for catch_up_delay_ms, or `at_once`; one fetch at a time.
void maybe_fetch(self_pointer self, std::int64_t now, bool at_once = false) {
    auto& st = self->state;
    const block_height next = st.producer->height();
    const node_id* best = nullptr;
    block_height best_height = next;
    for (const auto& [node, height] : st.claimed)
        if (height > best_height) best = &node, best_height = height;
    if (best == nullptr) {
        st.behind_since.reset();
        return;
    }
    if (st.fetching_from) return;
    if (!at_once && best_height.value - next.value < 2) {
        if (!st.behind_since || st.behind_since->first != next) st.behind_since.emplace(next, now);
        if (now - st.behind_since->second < st.config().catch_up_delay_ms) return;
    }
    st.behind_since.reset();
    st.fetching_from = *best;
    st.fetch_sent_ms = now;
    ++st.counters.fetches_sent;
    send_to(self, *best, message_kind::main_block_fetch,
            protocols::encode(main_chain::block_fetch{next, st.config().fetch_blocks_max}));
}

void serve_fetch(self_pointer self, const node_id& requester, const main_chain::block_fetch& m) {
    auto& st = self->state;
    if (st.fetches_served_this_tick >= fetches_served_per_tick_max) {
        ++st.counters.fetches_dropped;
        return;
    }
    ++st.fetches_served_this_tick;
    ++st.counters.fetches_served;
    main_chain::block_fetch_reply reply;
    const auto& head = st.store().head();
    if (head) reply.head_height = head->height;
    if (m.from_height.value <= st.store().block_count()) {
        const std::uint64_t count =
            std::min<std::uint64_t>({m.count, protocols::limits::main_blocks_per_fetch_max,
                                     storage::main_chain_store::load_blocks_max});
        auto loaded = st.store().load(m.from_height, count);
        if (!loaded) {
            // The file changed under the node: nothing trustworthy to serve.
            ++st.counters.store_errors;
            return;
        }
        std::size_t total_bytes = 0;
        for (auto& block : *loaded) {
            const std::size_t size = protocols::encode(block).size();
            if (!reply.blocks.empty() &&
                total_bytes + size > protocols::limits::main_fetch_reply_bytes_soft_max)
                break;
            total_bytes += size;
            reply.blocks.push_back(std::move(block));
        }
    }
    send_to(self, requester, message_kind::main_block_fetch_reply, protocols::encode(reply));
}

void apply_fetched(self_pointer self, const node_id& server, main_chain::block_fetch_reply&& m,
                   std::int64_t now) {
    auto& st = self->state;
    st.fetching_from.reset();
    const block_height first = st.producer->height();
    for (const auto& block : m.blocks) {
        const block_height next = st.producer->height();
        if (block.header.height < next) continue;  // already final here
        if (block.header.height != next) break;    // a gap: cannot apply
        if (!carry_out(self, st.producer->on_block(block, now))) return;
        if (st.producer->height() == next) {
            // Refused (the producer counts why): the rest cannot apply either.
            ++st.counters.fetched_blocks_refused;
            break;
        }
        ++st.counters.blocks_fetched;
    }
    if (st.producer->height() == first) {
        // No progress from this server.
        distrust(self, server, now);
        maybe_fetch(self, now);
        return;
    }
    // The server claims it has more (an unsigned hint: a claim of 2^64 - 1 is not followed
    // by an overflow, only by fetches that make no progress and erase it).
    const bool more = m.head_height >= st.producer->height();
    if (more && m.head_height.value != block_height::max_value)
        note_claim(self, server, m.head_height.next(), now);
    maybe_fetch(self, now, more);
}

// ---- inbound ----------------------------------------------------------------------

void dispatch(self_pointer self, const inbound_envelope& in) {
    auto& st = self->state;
    const std::int64_t now = now_ms(self);
    const auto kind = static_cast<message_kind>(in.kind);
    const auto sender = node_id::from_view(in.sender_node_id);
    const bool from_peer = sender && st.peer_of_node.count(*sender) != 0;

    if (main_chain::is_producer_message_kind(kind)) {
        auto m = main_chain::decode_producer_message(kind, in.payload);
        if (!m) {
            ++st.counters.undecodable_payloads;
            return;
        }
        if (from_peer)
            if (auto height = main_chain::sender_height_hint(*m))
                note_claim(self, *sender, *height, now);
        // A client's transaction that came over the network is new here (and gossiped on);
        // a peer's is gossip already.
        const auto* tx = main_chain::transaction_in(*m);
        auto out = tx != nullptr && !from_peer ? st.producer->on_transaction(*tx, now, false)
                                               : st.producer->on_message(*m, now);
        if (!carry_out(self, std::move(out))) return;
        maybe_fetch(self, now);
        return;
    }
    switch (kind) {
        case message_kind::main_block_fetch: {
            auto m = protocols::decode_block_fetch(in.payload);
            if (!m || !sender) break;
            serve_fetch(self, *sender, *m);
            return;
        }
        case message_kind::main_block_fetch_reply: {
            auto m = protocols::decode_block_fetch_reply(in.payload);
            if (!m || !sender || st.fetching_from != sender) {
                // Undecodable, or not asked for: blocks nobody requested are not applied.
                ++st.counters.fetch_replies_refused;
                return;
            }
            apply_fetched(self, *sender, std::move(m).value(), now);
            return;
        }
        default:
            break;
    }
    ++st.counters.undecodable_payloads;  // a kind this actor does not take
}

void on_tick(self_pointer self) {
    auto& st = self->state;
    const std::int64_t now = now_ms(self);
    st.fetches_served_this_tick = 0;
    if (!carry_out(self, st.producer->on_tick(now))) return;
    if (st.fetching_from && now - st.fetch_sent_ms >= st.config().fetch_timeout_ms) {
        // No answer: another peer is tried.
        ++st.counters.fetches_unanswered;
        distrust(self, *st.fetching_from, now);
        st.fetching_from.reset();
    }
    maybe_fetch(self, now);
}

producer_status status_of(self_pointer self) {
    auto& st = self->state;
    const auto& p = *st.producer;
    producer_status s = st.counters;
    s.final_height = p.height().value - 1;
    s.head_hash = p.final_hash().view().to_bytes();
    s.state_root = p.state().state_root().view().to_bytes();
    s.round = p.round().value;
    s.stored_height = st.store().block_count();
    s.mempool_size = p.mempool_size();
    s.total_tokens = p.state().total_tokens();
    s.blocks_proposed = p.stats().blocks_proposed;
    s.blocks_finalized = p.stats().blocks_finalized;
    s.round_changes = p.stats().round_changes;
    s.transactions_refused = p.stats().transactions_refused;
    s.messages_refused = p.stats().messages_refused;
    s.records_restored = p.stats().records_restored;
    s.votes_repeated = p.stats().votes_repeated;
    s.last_refusal = p.stats().last_refusal;
    return s;
}

caf::behavior producer_actor(self_pointer self, std::shared_ptr<startup> start) {
    auto& st = self->state;
    st.start = std::move(start);
    for (const auto& [key, node] : st.config().peers) st.peer_of_node[node] = key;
    st.producer = std::move(st.start->producer);
    auto kinds = main_chain::producer_message_kinds();
    kinds.push_back(message_kind::main_block_fetch);
    kinds.push_back(message_kind::main_block_fetch_reply);
    for (auto kind : kinds)
        self->send(st.config().router, subscribe_atom::value, static_cast<std::uint16_t>(kind),
                   caf::actor_cast<caf::actor>(self));
    carry_out(self, st.producer->start(now_ms(self)));
    self->delayed_send(self, std::chrono::milliseconds(st.config().tick_ms),
                       producer_tick_atom::value);
    return {
        [=](deliver_atom, const inbound_envelope& in) { dispatch(self, in); },
        [=](producer_tick_atom) {
            on_tick(self);
            self->delayed_send(self, std::chrono::milliseconds(self->state.config().tick_ms),
                               producer_tick_atom::value);
        },
        [=](submit_transaction_atom, const bytes& wire) {
            auto tx = protocols::decode_transaction(wire);
            if (!tx) return submit_result{false, tx.failure().message()};
            auto& p = *self->state.producer;
            const auto refused_before = p.stats().transactions_refused;
            auto out = p.on_transaction(*tx, now_ms(self), false);
            submit_result verdict{p.stats().transactions_refused == refused_before, {}};
            if (!verdict.accepted) verdict.reason = p.stats().last_refusal;
            carry_out(self, std::move(out));
            return verdict;
        },
        [=](producer_status_atom) { return status_of(self); },
        [=](balance_atom, const bytes& address) -> caf::result<std::uint64_t> {
            auto a = account_address::from_view(address);
            if (!a) return caf::make_error(caf::sec::invalid_argument, "address of 32 bytes");
            return self->state.producer->state().balance_of(*a);
        },
    };
}

error config_error(std::string what) {
    return error{std::make_error_code(std::errc::invalid_argument),
                 "producer configuration: " + std::move(what)};
}

}  // namespace

void add_producer_message_types(caf::actor_system_config& config) {
    config.add_message_type<submit_result>("covenant::submit_result");
    config.add_message_type<producer_status>("covenant::producer_status");
}

result<caf::actor> spawn_producer_actor(caf::actor_system& system, producer_actor_config config) {
    const auto& me = config.key.public_key();
    if (config.peers.count(me) != 0) return config_error("this producer is listed as its own peer");
    if (config.fetch_blocks_max < 1 ||
        config.fetch_blocks_max > protocols::limits::main_blocks_per_fetch_max)
        return config_error("fetch_blocks_max out of range");
    if (config.producer.transactions_per_block_max < 1 ||
        config.producer.transactions_per_block_max > protocols::limits::transactions_per_block_max)
        return config_error("transactions_per_block_max out of range");
    if (config.tick_ms < 1) return config_error("tick_ms must be positive");
    if (!config.router) return config_error("no router");

    auto store = storage::main_chain_store::open(config.store_path);
    if (!store) return store.failure();
    auto blocks = (*store)->load_all();
    if (!blocks) return blocks.failure();
    // Replay checks each block against the producer set of its epoch (and the genesis set:
    // empty, or a key twice, is an error) before anything builds a group from it.
    auto ledger = storage::replay(config.genesis, *blocks);
    if (!ledger) return ledger.failure();
    const auto& head = (*store)->head();
    auto producer = std::make_unique<main_chain::producer>(
        config.key, config.producer, std::move(ledger).value(),
        head ? head->height : block_height{0}, head ? head->hash : digest{},
        head ? head->timestamp_ms : 0);

    // What this producer signed at the height it decides, before it stopped: taken back, so
    // that it never signs another message for those slots. Records of lower heights are
    // leftovers of a stop between storing a block and deleting them.
    auto records = storage::producer_record_store::open(config.store_path);
    if (!records) return records.failure();
    auto mine = (*records)->load(producer->height());
    if (!mine) return mine.failure();
    if (auto refused = producer->restore(*mine))
        return error{storage::main_store_errc::corrupt_record, *refused};
    if (auto pruned = (*records)->save({}, producer->height()); !pruned) return pruned.failure();

    auto prepared =
        std::make_shared<startup>(startup{std::move(config), std::move(store).value(),
                                          std::move(records).value(), std::move(producer)});
    return system.spawn(producer_actor, std::move(prepared));
}

}  // namespace covenant::actors
