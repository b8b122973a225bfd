// The gate and the peer links (see transport.hpp).
#include "actors/net/transport.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "actors/router/router.hpp"
#include "protocols/codec.hpp"

namespace covenant::actors {
namespace {

/// (retry_atom): a peer link's own timer, time to connect again.
using retry_atom = caf::atom_constant<caf::atom("retry")>;
/// (link_relayed_atom, bytes): a wire message the peer's process relayed back over a link,
/// handed by the link to its gate (delegated: the remote sender stays the sender). The link
/// acknowledged it already, so the gate checks it as any wire message but does not.
using link_relayed_atom = caf::atom_constant<caf::atom("lrelayed")>;

std::int64_t steady_ms(caf::scheduled_actor* self) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               self->clock().now().time_since_epoch())
        .count();
}

bool from_this_process(caf::scheduled_actor* self) {
    const auto& sender = self->current_sender();
    return sender != nullptr && sender->node() == self->node();
}

/// Exit messages from other processes are ignored (only `kill` cannot be).
void refuse_remote_exits(caf::scheduled_actor* self) {
    self->set_exit_handler([self](caf::exit_msg& m) {
        if (m.source && m.source.node() == self->node()) self->quit(m.reason);
    });
}

// ---- the gate ---------------------------------------------------------------------------

struct gate_state {
    static inline const char* name = "covenant.gate";
    std::map<caf::node_id, std::int64_t> banned_until_ms;
    /// Node id -> the remote handle its first valid envelope came from (its way back).
    std::map<bytes, caf::actor> learned;
    /// Remote handles being monitored, with the node ids learned through each.
    std::map<caf::actor_addr, std::set<bytes>> learned_via;
    /// Bytes each remote sender sent that this gate has not acknowledged yet (an entry
    /// goes once acknowledged; with ack_senders_max entries, a new sender's bytes are
    /// acknowledged at once instead).
    std::map<caf::actor_addr, std::uint64_t> unacknowledged_in;
    /// Bytes relayed to each learned route's handle and not acknowledged by it.
    std::map<caf::actor_addr, std::uint64_t> relay_unacknowledged;
    gate_stats stats;

    std::size_t learned_from_process(const caf::node_id& process) const {
        std::size_t n = 0;
        for (const auto& [addr, ids] : learned_via)
            if (addr.node() == process) n += ids.size();
        return n;
    }
};

using gate_pointer = caf::stateful_actor<gate_state>*;

constexpr std::size_t ack_senders_max = 4096;

/// Takes `n` acknowledged bytes off what `pending` holds unacknowledged (never below 0: a
/// peer cannot owe less than nothing).
void take_acknowledged(std::uint64_t& pending, std::uint64_t n) {
    pending -= std::min(pending, n);
}

/// Whether a connection holding `pending` bytes unacknowledged may take `size` more: one
/// envelope always goes on an idle connection, whatever its size.
bool window_allows(std::uint64_t pending, std::size_t size, std::uint64_t max) {
    return pending == 0 || pending + size <= max;
}

/// Counts `size` bytes taken in from the remote `sender`, acknowledging them to it every
/// ack_every_bytes.
void acknowledge_input(gate_pointer self, const gate_config& config,
                       const caf::strong_actor_ptr& sender, std::size_t size) {
    auto& st = self->state;
    const auto addr = caf::actor_cast<caf::actor_addr>(sender);
    auto at = st.unacknowledged_in.find(addr);
    std::uint64_t due = size;
    if (at != st.unacknowledged_in.end()) {
        at->second += size;
        due = at->second;
    } else if (st.unacknowledged_in.size() < ack_senders_max && size < config.ack_every_bytes) {
        st.unacknowledged_in.emplace(addr, size);
        return;
    }
    if (due < config.ack_every_bytes && at != st.unacknowledged_in.end()) return;
    self->send(caf::actor_cast<caf::actor>(sender), transport_ack_atom::value, due);
    ++st.stats.acks_sent;
    if (at != st.unacknowledged_in.end()) st.unacknowledged_in.erase(at);
}

/// Forgets every route learned through `via` (its connection is gone, or its process is
/// banned), and tells the router.
void forget_routes_via(gate_pointer self, const caf::actor_addr& via, const caf::actor& router) {
    auto& st = self->state;
    auto at = st.learned_via.find(via);
    if (at == st.learned_via.end()) return;
    for (const auto& node : at->second) {
        st.learned.erase(node);
        self->send(router, forget_route_atom::value, node);
    }
    st.learned_via.erase(at);
    st.relay_unacknowledged.erase(via);
    // What was taken in from it and not acknowledged yet is acknowledged now: were the
    // connection to stay (a ban), its link would otherwise never get those bytes back.
    if (auto pending = st.unacknowledged_in.find(via); pending != st.unacknowledged_in.end()) {
        self->send(caf::actor_cast<caf::actor>(via), transport_ack_atom::value, pending->second);
        ++st.stats.acks_sent;
        st.unacknowledged_in.erase(pending);
    }
}

/// Notes that `node`'s valid envelope came from the remote `sender`: its route back, unless
/// it already has one (the first handle wins while its connection lasts, so a replayed
/// envelope from elsewhere cannot take another node's answers) or a bound is reached.
void learn_route(gate_pointer self, const gate_config& config, const bytes& node,
                 const caf::strong_actor_ptr& sender) {
    auto& st = self->state;
    if (st.learned.count(node) != 0) return;
    if (auto id = node_id::from_view(node); id && config.configured_peers.count(*id) != 0) return;
    if (st.learned.size() >= config.learned_routes_max ||
        st.learned_from_process(sender->node()) >= config.learned_routes_per_process_max) {
        ++st.stats.routes_refused;
        return;
    }
    auto handle = caf::actor_cast<caf::actor>(sender);
    auto& ids = st.learned_via[handle.address()];
    if (ids.empty()) self->monitor(handle);
    ids.insert(node);
    st.learned.emplace(node, handle);
    self->send(config.router, learn_route_atom::value, node, caf::actor_cast<caf::actor>(self));
}

caf::behavior gate(gate_pointer self, gate_config config) {
    refuse_remote_exits(self);
    self->set_down_handler([=](caf::down_msg& m) { forget_routes_via(self, m.source, config.router); });
    self->set_default_handler(
        [self](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
            ++self->state.stats.ignored;
            return caf::sec::unexpected_message;
        });
    /// A wire message: checked, and passed to the router if valid. `acknowledge`: the bytes
    /// came over a remote sender's own connection to this gate and are acknowledged to it
    /// (ignored ones too, from a banned process: they were read all the same).
    auto take_wire = [=](bytes& wire, bool acknowledge) {
        auto& st = self->state;
        ++st.stats.received;
        const auto sender = self->current_sender();
        const bool remote = sender != nullptr && sender->node() != self->node();
        const auto now = steady_ms(self);
        if (remote) {
            if (acknowledge) acknowledge_input(self, config, sender, wire.size());
            auto ban = st.banned_until_ms.find(sender->node());
            if (ban != st.banned_until_ms.end()) {
                if (now < ban->second) {
                    ++st.stats.ignored;
                    return;
                }
                st.banned_until_ms.erase(ban);
            }
        }
        auto checked = protocols::decode_envelope(wire, config.node_id_difficulty);
        if (!checked) {
            ++st.stats.rejected;
            st.stats.last_rejection = checked.failure().message();
            if (remote && config.ban_ms > 0) {
                st.banned_until_ms[sender->node()] = now + config.ban_ms;
                ++st.stats.peers_dropped;
                st.stats.last_dropped = caf::to_string(sender->node());
                // Nothing goes back to a banned process either.
                std::vector<caf::actor_addr> vias;
                for (const auto& [via, ids] : st.learned_via)
                    if (via.node() == sender->node()) vias.push_back(via);
                for (const auto& via : vias) forget_routes_via(self, via, config.router);
            }
            return;
        }
        ++st.stats.forwarded;
        auto handed = checked_from(std::move(*checked));
        if (remote) learn_route(self, config, handed.sender_node_id, sender);
        self->send(config.router, checked_atom::value, std::move(handed));
    };
    return {
        [=](wire_atom, bytes& wire) { take_wire(wire, true); },
        [=](link_relayed_atom, bytes& wire) { take_wire(wire, false); },
        [=](relay_atom, const bytes& node, bytes& wire) {
            auto& st = self->state;
            if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(config.router))
                return;  // only this node's router answers through its gate
            auto at = st.learned.find(node);
            if (at == st.learned.end()) {
                ++st.stats.relay_dropped;
                return;
            }
            auto& pending = st.relay_unacknowledged[at->second.address()];
            if (!window_allows(pending, wire.size(), config.relay_unacknowledged_bytes_max)) {
                ++st.stats.relay_dropped_unacknowledged;
                return;
            }
            pending += wire.size();
            ++st.stats.relayed;
            self->send(at->second, wire_atom::value, std::move(wire));
        },
        [=](transport_ack_atom, std::uint64_t n) {
            // From the peer link of a node that connected in: it took in what we relayed.
            const auto& sender = self->current_sender();
            if (sender == nullptr || sender->node() == self->node()) return;
            auto at = self->state.relay_unacknowledged.find(caf::actor_cast<caf::actor_addr>(sender));
            if (at != self->state.relay_unacknowledged.end()) take_acknowledged(at->second, n);
        },
        [=](gate_stats_atom) -> caf::result<gate_stats> {
            if (!from_this_process(self)) return caf::sec::unexpected_message;
            auto& st = self->state;
            const auto now = steady_ms(self);
            for (auto it = st.banned_until_ms.begin(); it != st.banned_until_ms.end();)
                it = now >= it->second ? st.banned_until_ms.erase(it) : std::next(it);
            st.stats.banned_now = st.banned_until_ms.size();
            st.stats.routes_learned = st.learned.size();
            return st.stats;
        },
    };
}

// ---- peer links -------------------------------------------------------------------------

struct link_state {
    static inline const char* name = "covenant.peer_link";
    caf::actor remote;  // the peer's gate, while connected
    bool connecting = false;
    std::int64_t backoff_ms = 0;  // the wait before the next attempt after a failure
    /// Bytes the peer's process sent back over this connection not acknowledged yet.
    std::uint64_t unacknowledged_in = 0;
    link_status status;
};

caf::behavior peer_link(caf::stateful_actor<link_state>* self, peer_link_config config) {
    refuse_remote_exits(self);
    self->set_default_handler(caf::drop);
    auto& st = self->state;
    st.backoff_ms = config.reconnect_min_ms;
    st.status.peer = config.peer.view().to_bytes();
    st.status.address = config.host + ":" + std::to_string(config.port);
    self->send(config.router, add_peer_atom::value, config.peer.view().to_bytes(),
               caf::actor_cast<caf::actor>(self));

    auto retry_later = [=](const std::string& why) {
        auto& s = self->state;
        s.status.last_error = why;
        s.status.retry_in_ms = s.backoff_ms;
        self->delayed_send(self, std::chrono::milliseconds(s.backoff_ms), retry_atom::value);
        s.backoff_ms = std::min(s.backoff_ms * 2, config.reconnect_max_ms);
    };

    auto connect = [=] {
        auto& s = self->state;
        if (s.connecting || s.remote) return;
        s.connecting = true;
        auto middleman = self->system().middleman().actor_handle();
        self->request(middleman, std::chrono::milliseconds(config.connect_timeout_ms),
                      caf::connect_atom::value, config.host, config.port)
            .then(
                [=](const caf::node_id&, caf::strong_actor_ptr& gate_ptr,
                    const std::set<std::string>&) {
                    auto& s2 = self->state;
                    s2.connecting = false;
                    if (!gate_ptr) {
                        ++s2.status.connect_failures;
                        retry_later("nothing published at " + s2.status.address);
                        return;
                    }
                    s2.remote = caf::actor_cast<caf::actor>(std::move(gate_ptr));
                    self->monitor(s2.remote);
                    // A new connection: what the old one held unread went with it.
                    s2.status.unacknowledged_bytes = 0;
                    s2.unacknowledged_in = 0;
                    s2.status.connected = true;
                    s2.status.retry_in_ms = 0;
                    ++s2.status.connects;
                    s2.backoff_ms = config.reconnect_min_ms;
                },
                [=](caf::error& e) {
                    auto& s2 = self->state;
                    s2.connecting = false;
                    ++s2.status.connect_failures;
                    retry_later(self->system().render(e));
                });
    };

    self->set_down_handler([=](caf::down_msg& m) {
        auto& s = self->state;
        if (!s.remote || m.source != s.remote.address()) return;
        s.remote = caf::actor{};
        s.status.connected = false;
        ++s.status.disconnects;
        // A peer that restarts is back within a moment: the first retry is soon.
        s.backoff_ms = config.reconnect_min_ms;
        retry_later("connection lost: " + self->system().render(m.reason));
    });

    connect();
    return {
        [=](wire_atom, bytes& wire) {
            auto& s = self->state;
            const auto& sender = self->current_sender();
            if (sender != nullptr && s.remote && sender->node() == s.remote.node() &&
                sender->node() != self->node()) {
                // The peer's process answers over this connection: its gate learned our route.
                // Our gate checks it, seeing the remote sender (delegate keeps it).
                s.unacknowledged_in += wire.size();
                if (s.unacknowledged_in >= config.ack_every_bytes) {
                    self->send(caf::actor_cast<caf::actor>(sender), transport_ack_atom::value,
                               s.unacknowledged_in);
                    s.unacknowledged_in = 0;
                }
                if (!config.gate) return;
                ++s.status.received;
                self->delegate(config.gate, link_relayed_atom::value, std::move(wire));
                return;
            }
            if (sender != caf::actor_cast<caf::strong_actor_ptr>(config.router))
                return;  // only this node's router speaks through its links
            if (!s.remote) {
                ++s.status.dropped;
                return;
            }
            if (!window_allows(s.status.unacknowledged_bytes, wire.size(),
                               config.unacknowledged_bytes_max)) {
                ++s.status.dropped_unacknowledged;
                return;
            }
            s.status.unacknowledged_bytes += wire.size();
            ++s.status.sent;
            self->send(s.remote, wire_atom::value, std::move(wire));
        },
        [=](transport_ack_atom, std::uint64_t n) {
            // From the peer's gate, over this connection: it took in what we sent.
            auto& s = self->state;
            const auto& sender = self->current_sender();
            if (!s.remote || sender == nullptr ||
                caf::actor_cast<caf::actor_addr>(sender) != s.remote.address())
                return;
            take_acknowledged(s.status.unacknowledged_bytes, n);
        },
        [=](retry_atom) {
            if (self->current_sender() != self->ctrl()) return;
            connect();
        },
        [=](link_status_atom) -> caf::result<link_status> {
            if (!from_this_process(self)) return caf::sec::unexpected_message;
            return self->state.status;
        },
    };
}

}  // namespace

void add_transport_message_types(caf::actor_system_config& config) {
    config.add_message_type<gate_stats>("covenant::gate_stats");
    config.add_message_type<link_status>("covenant::link_status");
}

caf::actor spawn_gate(caf::actor_system& system, gate_config config) {
    return system.spawn(gate, std::move(config));
}

caf::actor spawn_peer_link(caf::actor_system& system, peer_link_config config) {
    return system.spawn(peer_link, std::move(config));
}

}  // namespace covenant::actors
