// The router: a node's one door to the network (DESIGN.md section 7).
//
// Local components (Kayak replicas, producers, clients) hand the router a payload, a kind,
// a destination node id and, for database traffic, a channel (the database id); the router
// seals it in a signed envelope with the node's key and passes the bytes to the
// destination's router. Messages for one destination handed over while the router is busy
// (a leader's answers to one client's requests of a batch, a client's burst of requests)
// go in one bundle envelope, signed once (protocols::bundle_item); the receiving router
// unpacks it and delivers each message as if it had come alone. Bytes arriving from a peer are decoded and validated at this
// boundary (codec, proof of work, channel of 0 or 32 bytes, signature); an invalid envelope
// is dropped and counted, never trusted and never asserted on.
//
// A valid envelope is delivered to the local component subscribed to its (kind, channel),
// or, failing that, to the one subscribed to its kind with no channel. So one miner node
// runs a replica per database, each subscribed on its database's channel, while main-chain
// traffic (no channel) and a client's responses (one channel-less subscriber for all its
// databases) go where they always went. The channel only picks the subscriber: it is
// signed with the rest, but the receiver trusts the payload's own database id, never the
// channel (a replica refuses a payload of another database whatever channel brought it).
//
// Subscriptions end when the subscriber asks (unsubscribe_atom) or when it terminates: the
// router monitors its subscribers and drops every subscription of an actor that is gone.
//
// Routes: a configured peer (add_peer_atom, a peer link of the node's config) always wins.
// A node that connected in and sent a valid envelope is reachable too, through the gate
// that received it (learn_route_atom, from the gate): the router hands such a node's
// envelopes to the gate as (relay_atom, node id, bytes), and the gate sends them back over
// that node's own connection. A learned route never replaces a configured one, and goes
// when the gate says the connection is gone (forget_route_atom).
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
#include "protocols/envelope.hpp"

namespace covenant::actors {

/// (wire_atom, bytes): envelope bytes from a peer router.
using wire_atom = caf::atom_constant<caf::atom("wire")>;
/// (checked_atom, checked_envelope): an envelope this process's gate has already decoded
/// and validated (proof of work, channel, signature). The router takes it only from an
/// actor of its own process and delivers it without decoding or verifying it again: a
/// second decode copied every payload and checked every signature twice.
using checked_atom = caf::atom_constant<caf::atom("checked")>;
/// (send_atom, bytes destination_node_id, uint16_t kind, bytes payload): seal and send
/// with no channel.
/// (send_atom, bytes destination_node_id, uint16_t kind, bytes channel, bytes payload):
/// seal and send on a channel (empty or 32 bytes; any other length is counted as
/// unroutable and nothing is sent).
/// (send_atom, bytes destination_node_id, uint16_t kind, bytes channel, vector<bytes>
/// payloads): several messages of one kind for one node, queued at once so that they share
/// envelopes. A component on another thread (a client's main loop) sending them one by one
/// races the router's flush, which then seals a burst in pieces, one signature each.
using send_atom = caf::atom_constant<caf::atom("send")>;
/// (subscribe_atom, uint16_t kind, actor): deliver envelopes of this kind that no
/// subscription of their channel claims to the actor.
/// (subscribe_atom, uint16_t kind, bytes channel, actor): deliver envelopes of this kind on
/// this channel (32 bytes) to the actor.
/// Either replaces an earlier subscriber of the same (kind, channel); one with an unknown
/// kind or a malformed channel changes nothing and is counted as unroutable.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
/// (unsubscribe_atom, actor): drop every subscription the actor holds (a subscriber that
/// terminates is dropped without asking).
using unsubscribe_atom = caf::atom_constant<caf::atom("unsub")>;
/// (add_peer_atom, bytes node_id, actor peer_router): where a node's router is.
using add_peer_atom = caf::atom_constant<caf::atom("add_peer")>;
/// (learn_route_atom, bytes node_id, actor via): `node_id` connected in and can be answered
/// through `via` (the gate that received it), as (relay_atom, node_id, bytes). Ignored for
/// a node with a configured route (add_peer_atom), and beyond learned_routes_max.
using learn_route_atom = caf::atom_constant<caf::atom("learnroute")>;
/// (forget_route_atom, bytes node_id): the learned route's connection is gone.
using forget_route_atom = caf::atom_constant<caf::atom("forgetrt")>;
/// (relay_atom, bytes node_id, bytes envelope): the router asks the gate to send an
/// envelope back to a node that connected in.
using relay_atom = caf::atom_constant<caf::atom("relay")>;
/// The most learned routes a router keeps (the gate keeps its own, lower, bound).
inline constexpr std::size_t router_learned_routes_max = 4096;
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

/// A valid envelope as the gate hands it to the router (checked_atom): its sender's node id
/// computed once, for every message a bundle carries.
struct checked_envelope {
    bytes sender_node_id;  // 32 bytes, meets the network's difficulty
    bytes sender_public_key;
    std::uint16_t kind = 0;  // a message_kind, maybe `bundle`
    bytes channel;           // empty or 32 bytes
    bytes payload;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checked_envelope& x) {
    return f(caf::meta::type_name("covenant::checked_envelope"), x.sender_node_id,
             x.sender_public_key, x.kind, x.channel, x.payload);
}

/// A decoded, validated envelope as a checked_envelope (its payload and channel moved).
checked_envelope checked_from(protocols::envelope&& decoded);

/// What a router has seen; a growing `rejected` count means a peer sends garbage.
struct router_stats {
    std::uint64_t sent = 0;           // messages handed to the router and queued for sealing
    std::uint64_t accepted = 0;       // messages delivered to a subscriber (a bundle's each)
    std::uint64_t rejected = 0;       // failed decoding, proof of work or signature
    std::uint64_t unroutable = 0;     // a local send or subscription with no route to the
                                      // destination, an unknown kind or a malformed channel
    std::uint64_t undeliverable = 0;  // valid, but no local subscriber for its kind and channel
    std::uint64_t sent_learned = 0;   // of `sent`: to a node that connected in (via the gate)
    std::uint64_t learned_routes = 0; // routes to nodes that connected in, now
    std::string last_rejection;       // the decoder's message for the latest rejection
    std::uint64_t envelopes_sent = 0;    // signed envelopes the sent messages went out in
    std::uint64_t bundles_sent = 0;      // of those, bundles (more than one message)
    std::uint64_t bundles_received = 0;  // valid bundles unpacked
    std::uint64_t envelopes_reused = 0;  // of envelopes_sent: the same envelope, signed once,
                                         // sent to another node in the same flush
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, router_stats& x) {
    return f(caf::meta::type_name("covenant::router_stats"), x.sent, x.accepted, x.rejected,
             x.unroutable, x.undeliverable, x.sent_learned, x.learned_routes, x.last_rejection,
             x.envelopes_sent, x.bundles_sent, x.bundles_received, x.envelopes_reused);
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
