// The node's TCP transport over CAF's middleman (DESIGN.md section 7; issue 5): how a
// router's envelopes reach other processes.
//
// Two small actors stand between the router and the network, so that the router itself is
// never reachable from another process (CAF hands every receiver the sender's handle, and
// a router accepts add_peer/subscribe/send from whoever holds one):
//
//  - The gate is what a node publishes on its listen address. It accepts only
//    (wire_atom, bytes) (and acknowledgements, below; and from its own node's links what
//    the peers' processes relayed back over them) and checks each envelope (decode, node-id proof of work, signature)
//    before handing it, decoded, to the router (checked_atom), which trusts that from its
//    own process only and so neither decodes nor verifies it again. A remote node whose
//    envelope fails the check is dropped: everything it sends is ignored for ban_ms, and
//    the drop is counted. A local sender (a test) is never banned.
//    It also learns how to answer a remote node that connected in: the first remote handle
//    a valid envelope of a node id came from is that node's route back (learn_route_atom to
//    the router), until that handle's connection goes (the gate monitors it) or its
//    process is banned; at most learned_routes_max routes, and learned_routes_per_process_max
//    node ids per remote process. The router hands the gate what it sends such a node
//    (relay_atom), and the gate sends it to that handle: the remote node's peer link,
//    which passes it to its own gate. A configured peer's route is never replaced.
//  - A peer link stands for one configured peer: it registers itself with the router
//    (add_peer_atom, the peer's node id), connects to the peer's gate through the middleman
//    actor (asynchronously: no scheduler thread waits on a socket), monitors it, and after
//    a failed connect or a lost connection (the peer restarted, or died) tries again with
//    exponential backoff from reconnect_min_ms to reconnect_max_ms. Envelopes the router
//    hands it while there is no connection are dropped and counted: the protocols above
//    resend what matters. It forwards only what its own router sends, under its own
//    handle, so the peer learns the link's handle, never the router's. What the peer's
//    process sends back over the connection (answers through the peer's gate, which
//    learned this node's route) the link hands to its own node's gate, keeping the
//    sender, so it is checked (and its sender banned) like anything arriving at the gate.
//
// What one connection may hold unread is bounded by acknowledgements (transport_ack_atom):
// the receiving side (a gate, for what a peer link sends it; a peer link, for what a gate
// relays back over it) acknowledges every ack_every_bytes it has taken in, and the sending
// side holds at most unacknowledged_bytes_max sent and not acknowledged: beyond that it
// drops envelopes, and counts them, as it does while not connected (the protocols resend
// what matters). CAF's middleman buffers whatever it is handed for a connection without a
// limit, so without this a peer that stopped reading (stalled, or much slower: a follower
// persisting batches of megabytes) grew the sender's memory by all it was sent: a
// leader once passed 5 GB resident. One envelope is always let through on an idle
// connection, whatever its size. The bound holds against peers that are slow or stopped,
// not against a hostile process that acknowledges what it never read: CAF does not tell
// how much it has buffered, and only that would.
//
// Both refuse exit messages from other processes (an exit a remote node sends them is
// ignored); CAF's unconditional `kill` reason cannot be refused, so a hostile peer that
// kills a gate or link stops the node, which then exits (fail-stop) for its supervisor to
// restart. Transport encryption and authenticating a peer by its node key come later
// (DESIGN.md section 9): today an address is trusted to be the node id configured for it,
// and envelopes, signed, are what is checked.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <set>
#include <string>

#include "common/bytes.hpp"
#include "common/ids.hpp"

namespace covenant::actors {

/// (transport_ack_atom, std::uint64_t bytes): between processes, the receiving side of a
/// connection has taken in this many more envelope bytes from the sender.
using transport_ack_atom = caf::atom_constant<caf::atom("tack")>;
/// (gate_stats_atom) -> gate_stats, from a local sender.
using gate_stats_atom = caf::atom_constant<caf::atom("gstats")>;
/// (link_status_atom) -> link_status, from a local sender.
using link_status_atom = caf::atom_constant<caf::atom("lstatus")>;

struct gate_stats {
    std::uint64_t received = 0;       // wire messages that reached the gate
    std::uint64_t forwarded = 0;      // valid envelopes passed to the router
    std::uint64_t rejected = 0;       // envelopes that failed the check
    std::uint64_t ignored = 0;        // messages from a banned node, or not wire messages
    std::uint64_t peers_dropped = 0;  // bans: remote nodes that sent an invalid envelope
    std::uint64_t banned_now = 0;     // bans in force
    std::uint64_t routes_learned = 0;  // routes to nodes that connected in, now
    std::uint64_t routes_refused = 0;  // node ids not learned: over a bound
    std::uint64_t relayed = 0;         // envelopes sent back over a learned route
    std::uint64_t relay_dropped = 0;   // envelopes for a learned route already gone
    /// Envelopes for a learned route dropped because the route's connection held
    /// relay_unacknowledged_bytes_max unacknowledged.
    std::uint64_t relay_dropped_unacknowledged = 0;
    std::uint64_t acks_sent = 0;       // transport_ack_atom sent to remote senders
    std::string last_rejection;       // the check's message for the latest rejection
    std::string last_dropped;         // CAF node id of the latest node banned
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gate_stats& x) {
    return f(caf::meta::type_name("covenant::gate_stats"), x.received, x.forwarded, x.rejected,
             x.ignored, x.peers_dropped, x.banned_now, x.routes_learned, x.routes_refused,
             x.relayed, x.relay_dropped, x.relay_dropped_unacknowledged, x.acks_sent,
             x.last_rejection, x.last_dropped);
}

struct link_status {
    bytes peer;           // its node id
    std::string address;  // "host:port"
    bool connected = false;
    std::uint64_t connects = 0;          // successful connections (1 + reconnections)
    std::uint64_t connect_failures = 0;  // attempts that failed or timed out
    std::uint64_t disconnects = 0;       // connections lost
    std::uint64_t sent = 0;              // envelopes passed to the peer
    std::uint64_t dropped = 0;           // envelopes dropped while not connected
    std::uint64_t received = 0;          // envelopes from the peer, passed to the gate
    std::int64_t retry_in_ms = 0;        // the backoff of the next attempt
    std::string last_error;
    std::uint64_t unacknowledged_bytes = 0;    // sent on this connection, not acknowledged
    std::uint64_t dropped_unacknowledged = 0;  // envelopes dropped: the bound was reached
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_status& x) {
    return f(caf::meta::type_name("covenant::link_status"), x.peer, x.address, x.connected,
             x.connects, x.connect_failures, x.disconnects, x.sent, x.dropped, x.received,
             x.retry_in_ms, x.last_error, x.unacknowledged_bytes, x.dropped_unacknowledged);
}

/// The defaults of both sides' bounds (see the top of this file).
inline constexpr std::uint64_t transport_ack_every_bytes = 1u << 20;
inline constexpr std::uint64_t transport_unacknowledged_bytes_max = 64u << 20;

struct gate_config {
    caf::actor router;
    unsigned node_id_difficulty = 0;  // asked of every sender (the network's, from genesis)
    std::int64_t ban_ms = 60000;      // 0: count invalid envelopes, ban nobody
    std::size_t learned_routes_max = 1024;
    std::size_t learned_routes_per_process_max = 4;
    std::set<node_id> configured_peers{};  // have routes of their own: never learned
    std::uint64_t ack_every_bytes = transport_ack_every_bytes;
    std::uint64_t relay_unacknowledged_bytes_max = transport_unacknowledged_bytes_max;
};

struct peer_link_config {
    node_id peer;
    std::string host;
    std::uint16_t port = 0;
    caf::actor router;  // told (add_peer_atom) that this link reaches `peer`
    std::int64_t reconnect_min_ms = 200;
    std::int64_t reconnect_max_ms = 5000;
    std::int64_t connect_timeout_ms = 10000;
    caf::actor gate{};  // gets what the peer's process sends back (none: dropped)
    std::uint64_t unacknowledged_bytes_max = transport_unacknowledged_bytes_max;
    std::uint64_t ack_every_bytes = transport_ack_every_bytes;
};

/// Announces gate_stats and link_status (and nothing a peer sends: between processes only
/// the router's (wire_atom, bytes), announced by add_router_message_types, and the
/// transport's (transport_ack_atom, std::uint64_t) travel).
void add_transport_message_types(caf::actor_system_config& config);

caf::actor spawn_gate(caf::actor_system& system, gate_config config);

/// Spawns the link; it registers with the router and starts connecting at once. Needs an
/// actor system with the middleman loaded.
caf::actor spawn_peer_link(caf::actor_system& system, peer_link_config config);

}  // namespace covenant::actors
