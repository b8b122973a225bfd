// The router actor (see router.hpp).
#include "actors/router/router.hpp"

#include <caf/all.hpp>

#include <map>

#include "common/assert.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"

namespace covenant::actors {
namespace {

struct router_state {
    static inline const char* name = "covenant.router";

    std::map<bytes, caf::actor> peers;              // node id -> its router
    std::map<std::uint16_t, caf::actor> subscribers;  // message kind -> local component
    router_stats stats;
};

caf::behavior router(caf::stateful_actor<router_state>* self, router_config config) {
    COVENANT_ASSERT(crypto::node_id_meets_difficulty(config.key.public_key(),
                                                     config.node_id_nonce,
                                                     config.node_id_difficulty),
                    "router started with a node id below the network's difficulty");
    return {
        [=](add_peer_atom, const bytes& node, const caf::actor& peer_router) {
            self->state.peers[node] = peer_router;
        },
        [=](subscribe_atom, std::uint16_t kind, const caf::actor& subscriber) {
            self->state.subscribers[kind] = subscriber;
        },
        [=](send_atom, const bytes& destination, std::uint16_t kind, bytes& payload) {
            auto& state = self->state;
            auto peer = state.peers.find(destination);
            if (peer == state.peers.end() || kind >= protocols::message_kind_count) {
                ++state.stats.unroutable;
                return;
            }
            const auto sealed = protocols::seal_envelope(
                config.key, config.node_id_nonce, static_cast<protocols::message_kind>(kind),
                std::move(payload));
            ++state.stats.sent;
            self->send(peer->second, wire_atom::value, protocols::encode(sealed));
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
            auto subscriber = state.subscribers.find(kind);
            if (subscriber == state.subscribers.end()) {
                ++state.stats.undeliverable;
                return;
            }
            ++state.stats.accepted;
            inbound_envelope inbound{decoded->sender_id().view().to_bytes(),
                                     decoded->sender.view().to_bytes(), kind,
                                     std::move(decoded->payload)};
            self->send(subscriber->second, deliver_atom::value, std::move(inbound));
        },
        [=](stats_atom) { return self->state.stats; },
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
