// The router: a node's one door to the network (DESIGN.md section 7).
//
// Local components (Kayak replicas, producers, clients) hand the router a payload, a kind
// and a destination node id; the router seals it in a signed envelope with the node's key
// and passes the bytes to the destination's router. Bytes arriving from a peer are decoded
// and validated at this boundary (codec, proof of work, signature); an invalid envelope is
// dropped and counted, never trusted and never asserted on. A valid one is delivered to
// the local component subscribed to its kind.
//
// In production the peer routers are remote actors reached over CAF's middleman (TCP);
// in the simulator the same router talks through a simulated network. Either way only
// envelope bytes travel between nodes, so every test exercises the real codecs.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

#include "common/bytes.hpp"
#include "crypto/signing.hpp"

namespace covenant::actors {

/// (wire_atom, bytes): envelope bytes from a peer router.
using wire_atom = caf::atom_constant<caf::atom("wire")>;
/// (send_atom, bytes destination_node_id, uint16_t kind, bytes payload): seal and send.
using send_atom = caf::atom_constant<caf::atom("send")>;
/// (subscribe_atom, uint16_t kind, actor): deliver envelopes of this kind to the actor.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
/// (add_peer_atom, bytes node_id, actor peer_router): where a node's router is.
using add_peer_atom = caf::atom_constant<caf::atom("add_peer")>;
/// (stats_atom) -> router_stats.
using stats_atom = caf::atom_constant<caf::atom("stats")>;
/// (deliver_atom, inbound_envelope): sent by the router to a subscriber.
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;

/// A validated envelope, as delivered inside the process.
struct inbound_envelope {
    bytes sender_node_id;  // 32 bytes, meets the network's difficulty
    bytes sender_public_key;
    std::uint16_t kind = 0;
    bytes payload;  // still to be decoded by the subscriber for its kind
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inbound_envelope& x) {
    return f(caf::meta::type_name("covenant::inbound_envelope"), x.sender_node_id,
             x.sender_public_key, x.kind, x.payload);
}

/// What a router has seen; a growing `rejected` count means a peer sends garbage.
struct router_stats {
    std::uint64_t sent = 0;
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;       // failed decoding, proof of work or signature
    std::uint64_t unroutable = 0;     // no route to the destination node
    std::uint64_t undeliverable = 0;  // valid, but no local subscriber for its kind
    std::string last_rejection;       // the decoder's message for the latest rejection
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, router_stats& x) {
    return f(caf::meta::type_name("covenant::router_stats"), x.sent, x.accepted, x.rejected,
             x.unroutable, x.undeliverable, x.last_rejection);
}

struct router_config {
    crypto::key_pair key;
    std::uint64_t node_id_nonce = 0;    // proof of work for `key`
    unsigned node_id_difficulty = 0;    // required of every sender, this node included
};

/// Announces the router's message types; call on the config before creating the system
/// (on every node of a network: both ends must know the same names).
void add_router_message_types(caf::actor_system_config& config);

caf::actor spawn_router(caf::actor_system& system, router_config config);

}  // namespace covenant::actors
