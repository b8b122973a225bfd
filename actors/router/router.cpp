// The router actor (see router.hpp).
#include "actors/router/router.hpp"

#include <caf/all.hpp>

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "common/assert.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"
#include "protocols/limits.hpp"

namespace covenant::actors {
namespace {

struct router_state {
    static inline const char* name = "covenant.router";

    using subscription = std::pair<std::uint16_t, bytes>;  // (kind, channel or empty)

    std::map<bytes, caf::actor> peers;                 // node id -> its router (configured)
    std::map<bytes, caf::actor> learned;               // node id -> the gate it came in by
    std::map<subscription, caf::actor> subscribers;    // -> local component
    std::set<caf::actor_addr> monitored;               // subscribers being watched
    router_stats stats;
    // Messages handed to the router and not sealed yet, per destination node id, in the
    // order they came; sealed when the router's flush message comes round (flush_scheduled).
    std::map<bytes, std::vector<protocols::bundle_item>> outgoing;
    bool flush_scheduled = false;

    void drop_subscriptions_of(const caf::actor_addr& gone) {
        for (auto it = subscribers.begin(); it != subscribers.end();) {
            if (it->second.address() == gone)
                it = subscribers.erase(it);
            else
                ++it;
        }
    }
    /// The subscriber for (kind, channel), else the channel-less one of the kind.
    const caf::actor* subscriber_of(std::uint16_t kind, const bytes& channel) const {
        auto at = subscribers.find({kind, channel});
        if (at == subscribers.end() && !channel.empty()) at = subscribers.find({kind, bytes{}});
        return at == subscribers.end() ? nullptr : &at->second;
    }
};

using self_pointer = caf::stateful_actor<router_state>*;

void subscribe(self_pointer self, std::uint16_t kind, const bytes& channel,
               const caf::actor& subscriber) {
    auto& state = self->state;
    // Bundles are the router's own business: what they carry is delivered by its kind.
    if (kind >= protocols::message_kind_count ||
        kind == static_cast<std::uint16_t>(protocols::message_kind::bundle) ||
        !protocols::valid_envelope_channel(channel) || !subscriber) {
        ++state.stats.unroutable;
        return;
    }
    state.subscribers[{kind, channel}] = subscriber;
    if (state.monitored.insert(subscriber.address()).second) self->monitor(subscriber);
}

/// (flush_atom): seal what is queued. The router sends it to itself when the first message
/// of a burst is queued; it comes round after every message already in the mailbox, so
/// everything handed to the router meanwhile shares envelopes, and nothing waits for a
/// timer or for more traffic.
using flush_atom = caf::atom_constant<caf::atom("flush")>;

bool routable(const router_state& state, const bytes& destination) {
    return state.peers.count(destination) != 0 || state.learned.count(destination) != 0;
}

/// An envelope sealed during one flush, kept until the flush ends: the envelope names no
/// destination, so the same messages for several nodes (a leader's PREPARE, COMMIT and
/// commit certificate go to every follower) are one envelope, signed and encoded once, and
/// its wire bytes go to each of them. Ed25519 signatures are deterministic, so this is
/// exactly what signing each copy would have sent. The messages are compared before they
/// are encoded into a bundle: a leader's bundle of PREPAREs of 100-row requests (megabytes)
/// was copied into a bundle once per follower only to be found equal to the first.
struct sealed_in_flush {
    std::vector<protocols::bundle_item> items;
    bytes wire;
};

/// Seals `items` for `destination` in one envelope: the item itself when it is alone, else
/// a bundle; the same messages already sealed in this flush are sent again as they are.
void seal_for(self_pointer self, const router_config& config, const bytes& destination,
              std::vector<protocols::bundle_item> items, std::vector<sealed_in_flush>& sealed) {
    auto& state = self->state;
    COVENANT_ASSERT(!items.empty(), "sealing no messages");
    const bool alone = items.size() == 1;
    const bytes* wire = nullptr;
    for (const auto& earlier : sealed)
        if (earlier.items == items) {
            wire = &earlier.wire;
            ++state.stats.envelopes_reused;
            break;
        }
    const std::size_t messages = items.size();
    if (wire == nullptr) {
        const auto kind = alone ? items.front().kind : protocols::message_kind::bundle;
        // A lone message's payload is the envelope's: lent to it and taken back after.
        bytes payload = alone ? std::move(items.front().payload) : protocols::encode_bundle(items);
        bytes channel = alone ? std::move(items.front().channel) : bytes{};
        auto envelope = protocols::seal_envelope(config.key, config.node_id_nonce, kind,
                                                 std::move(payload), std::move(channel));
        bytes encoded = protocols::encode(envelope);
        if (alone) {
            items.front().payload = std::move(envelope.payload);
            items.front().channel = std::move(envelope.channel);
        }
        sealed.push_back({std::move(items), std::move(encoded)});
        wire = &sealed.back().wire;
    }
    if (!alone) ++state.stats.bundles_sent;
    ++state.stats.envelopes_sent;
    // The route is looked up when sealing, not when queuing: one may have come or gone.
    auto peer = state.peers.find(destination);
    if (peer != state.peers.end()) {
        self->send(peer->second, wire_atom::value, *wire);
        return;
    }
    auto learned = state.learned.find(destination);
    if (learned == state.learned.end()) return;  // gone since queuing: the protocols resend
    state.stats.sent_learned += messages;
    self->send(learned->second, relay_atom::value, destination, *wire);
}

void flush(self_pointer self, const router_config& config) {
    auto& state = self->state;
    state.flush_scheduled = false;
    auto outgoing = std::move(state.outgoing);
    state.outgoing.clear();
    std::vector<sealed_in_flush> sealed;
    for (auto& [destination, items] : outgoing) {
        std::vector<protocols::bundle_item> envelope_items;
        std::size_t envelope_bytes = 0;
        for (auto& item : items) {
            const auto size = item.payload.size() + item.channel.size();
            if (!envelope_items.empty() &&
                (envelope_bytes + size > protocols::limits::bundle_bytes_soft_max ||
                 envelope_items.size() == protocols::limits::bundle_items_max)) {
                seal_for(self, config, destination, std::move(envelope_items), sealed);
                envelope_items.clear();
                envelope_bytes = 0;
            }
            envelope_bytes += size;
            envelope_items.push_back(std::move(item));
        }
        seal_for(self, config, destination, std::move(envelope_items), sealed);
    }
}

void queue_for_sealing(self_pointer self, const bytes& destination, std::uint16_t kind,
                       bytes channel, bytes payload) {
    auto& state = self->state;
    if (!routable(state, destination) || kind >= protocols::message_kind_count ||
        kind == static_cast<std::uint16_t>(protocols::message_kind::bundle) ||
        !protocols::valid_envelope_channel(channel) || payload.empty()) {
        ++state.stats.unroutable;
        return;
    }
    ++state.stats.sent;
    state.outgoing[destination].push_back(
        {static_cast<protocols::message_kind>(kind), std::move(channel), std::move(payload)});
    if (!state.flush_scheduled) {
        state.flush_scheduled = true;
        self->send(self, flush_atom::value);
    }
}

/// Hands one validated message to its local subscriber.
void deliver(self_pointer self, const bytes& sender_node_id, const bytes& sender_public_key,
             std::uint16_t kind, const bytes& channel, bytes payload) {
    auto& state = self->state;
    const caf::actor* subscriber = state.subscriber_of(kind, channel);
    if (subscriber == nullptr) {
        ++state.stats.undeliverable;
        return;
    }
    ++state.stats.accepted;
    inbound_envelope inbound{sender_node_id, sender_public_key, kind, std::move(payload)};
    self->send(*subscriber, deliver_atom::value, std::move(inbound));
}

/// Delivers a validated envelope: its message, or each message of its bundle.
void deliver_envelope(self_pointer self, checked_envelope& checked) {
    auto& state = self->state;
    if (checked.kind != static_cast<std::uint16_t>(protocols::message_kind::bundle)) {
        deliver(self, checked.sender_node_id, checked.sender_public_key, checked.kind,
                checked.channel, std::move(checked.payload));
        return;
    }
    auto items = protocols::decode_bundle(checked.payload);
    if (!items) {
        ++state.stats.rejected;
        state.stats.last_rejection = items.failure().message();
        return;
    }
    ++state.stats.bundles_received;
    for (auto& item : *items)
        deliver(self, checked.sender_node_id, checked.sender_public_key,
                static_cast<std::uint16_t>(item.kind), item.channel, std::move(item.payload));
}

caf::behavior router(self_pointer self, router_config config) {
    COVENANT_ASSERT(crypto::node_id_meets_difficulty(config.key.public_key(),
                                                     config.node_id_nonce,
                                                     config.node_id_difficulty),
                    "router started with a node id below the network's difficulty");
    self->set_down_handler([self](caf::down_msg& down) {
        self->state.monitored.erase(down.source);
        self->state.drop_subscriptions_of(down.source);
    });
    return {
        [=](add_peer_atom, const bytes& node, const caf::actor& peer_router) {
            self->state.peers[node] = peer_router;
            self->state.learned.erase(node);  // a configured route wins
        },
        [=](learn_route_atom, const bytes& node, const caf::actor& via) {
            auto& st = self->state;
            if (!via || st.peers.count(node) != 0) return;
            if (st.learned.size() >= router_learned_routes_max && st.learned.count(node) == 0) return;
            st.learned[node] = via;
        },
        [=](forget_route_atom, const bytes& node) { self->state.learned.erase(node); },
        [=](subscribe_atom, std::uint16_t kind, const caf::actor& subscriber) {
            subscribe(self, kind, bytes{}, subscriber);
        },
        [=](subscribe_atom, std::uint16_t kind, const bytes& channel,
            const caf::actor& subscriber) { subscribe(self, kind, channel, subscriber); },
        [=](unsubscribe_atom, const caf::actor& subscriber) {
            if (subscriber) self->state.drop_subscriptions_of(subscriber.address());
        },
        [=](send_atom, const bytes& destination, std::uint16_t kind, bytes& payload) {
            queue_for_sealing(self, destination, kind, bytes{}, std::move(payload));
        },
        [=](send_atom, const bytes& destination, std::uint16_t kind, bytes& channel,
            bytes& payload) {
            queue_for_sealing(self, destination, kind, std::move(channel), std::move(payload));
        },
        [=](send_atom, const bytes& destination, std::uint16_t kind, const bytes& channel,
            std::vector<bytes>& payloads) {
            for (auto& payload : payloads)
                queue_for_sealing(self, destination, kind, channel, std::move(payload));
        },
        [=](flush_atom) { flush(self, config); },
        [=](wire_atom, const bytes& wire) {
            auto& state = self->state;
            auto decoded = protocols::decode_envelope(wire, config.node_id_difficulty);
            if (!decoded) {
                ++state.stats.rejected;
                state.stats.last_rejection = decoded.failure().message();
                return;
            }
            auto checked = checked_from(std::move(*decoded));
            deliver_envelope(self, checked);
        },
        [=](checked_atom, checked_envelope& checked) {
            const auto& sender = self->current_sender();
            if (sender == nullptr || sender->node() != self->node()) {
                ++self->state.stats.rejected;  // only this process's gate vouches for one
                self->state.stats.last_rejection = "a checked envelope from another process";
                return;
            }
            deliver_envelope(self, checked);
        },
        [=](stats_atom) {
            auto stats = self->state.stats;
            stats.learned_routes = self->state.learned.size();
            return stats;
        },
    };
}

}  // namespace

checked_envelope checked_from(protocols::envelope&& decoded) {
    return {decoded.sender_id().view().to_bytes(), decoded.sender.view().to_bytes(),
            static_cast<std::uint16_t>(decoded.kind), std::move(decoded.channel),
            std::move(decoded.payload)};
}

void add_router_message_types(caf::actor_system_config& config) {
    config.add_message_type<bytes>("covenant::bytes");
    config.add_message_type<inbound_envelope>("covenant::inbound_envelope");
    config.add_message_type<checked_envelope>("covenant::checked_envelope");
    config.add_message_type<router_stats>("covenant::router_stats");
}

caf::actor spawn_router(caf::actor_system& system, router_config config) {
    return system.spawn(router, std::move(config));
}

}  // namespace covenant::actors
