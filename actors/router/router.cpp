// The router actor (see router.hpp).
#include "actors/router/router.hpp"

#include <caf/all.hpp>

#include <map>
#include <set>
#include <utility>

#include "common/assert.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"

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
    if (kind >= protocols::message_kind_count || !protocols::valid_envelope_channel(channel) ||
        !subscriber) {
        ++state.stats.unroutable;
        return;
    }
    state.subscribers[{kind, channel}] = subscriber;
    if (state.monitored.insert(subscriber.address()).second) self->monitor(subscriber);
}

void seal_and_send(self_pointer self, const router_config& config, const bytes& destination,
                   std::uint16_t kind, bytes channel, bytes payload) {
    auto& state = self->state;
    auto peer = state.peers.find(destination);
    auto learned = peer == state.peers.end() ? state.learned.find(destination) : state.learned.end();
    if ((peer == state.peers.end() && learned == state.learned.end()) ||
        kind >= protocols::message_kind_count || !protocols::valid_envelope_channel(channel)) {
        ++state.stats.unroutable;
        return;
    }
    const auto sealed = protocols::seal_envelope(config.key, config.node_id_nonce,
                                                 static_cast<protocols::message_kind>(kind),
                                                 std::move(payload), std::move(channel));
    ++state.stats.sent;
    if (peer != state.peers.end()) {
        self->send(peer->second, wire_atom::value, protocols::encode(sealed));
        return;
    }
    ++state.stats.sent_learned;
    self->send(learned->second, relay_atom::value, destination, protocols::encode(sealed));
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
            seal_and_send(self, config, destination, kind, bytes{}, std::move(payload));
        },
        [=](send_atom, const bytes& destination, std::uint16_t kind, bytes& channel,
            bytes& payload) {
            seal_and_send(self, config, destination, kind, std::move(channel), std::move(payload));
        },
        [=](wire_atom, const bytes& wire) {
            auto& state = self->state;
            auto decoded = protocols::decode_envelope(wire, config.node_id_difficulty);
            if (!decoded) {
                ++state.stats.rejected;
                state.stats.last_rejection = decoded.failure().message();
                return;
            }
            const auto kind = static_cast<std::uint16_t>(decoded->kind);
            const caf::actor* subscriber = state.subscriber_of(kind, decoded->channel);
            if (subscriber == nullptr) {
                ++state.stats.undeliverable;
                return;
            }
            ++state.stats.accepted;
            inbound_envelope inbound{decoded->sender_id().view().to_bytes(),
                                     decoded->sender.view().to_bytes(), kind,
                                     std::move(decoded->payload)};
            self->send(*subscriber, deliver_atom::value, std::move(inbound));
        },
        [=](stats_atom) {
            auto stats = self->state.stats;
            stats.learned_routes = self->state.learned.size();
            return stats;
        },
    };
}

}  // namespace

void add_router_message_types(caf::actor_system_config& config) {
    config.add_message_type<bytes>("covenant::bytes");
    config.add_message_type<inbound_envelope>("covenant::inbound_envelope");
    config.add_message_type<router_stats>("covenant::router_stats");
}

caf::actor spawn_router(caf::actor_system& system, router_config config) {
    return system.spawn(router, std::move(config));
}

}  // namespace covenant::actors
