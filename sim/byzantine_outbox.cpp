// The Byzantine outbox and the attackers' shared parts (see byzantine_outbox.hpp).
#include "sim/byzantine_outbox.hpp"

#include <caf/all.hpp>

#include "actors/router/router.hpp"

namespace covenant::sim {
namespace {

constexpr std::size_t kept_messages_max = 64;
using watch_atom = caf::atom_constant<caf::atom("byzwatch")>;

struct outbox_state {
    static inline const char* name = "covenant.sim.byzantine_outbox";
    caf::actor router;
    std::shared_ptr<attacker> attacks;
};

caf::behavior outbox(caf::stateful_actor<outbox_state>* self, caf::actor router,
                     std::shared_ptr<attacker> attacks) {
    self->state.router = std::move(router);
    self->state.attacks = std::move(attacks);
    self->set_down_handler([=](const caf::down_msg&) { self->quit(); });
    auto pass = [=](outgoing_message m) {
        for (auto& out : self->state.attacks->attack(std::move(m))) {
            if (out.channel)
                self->send(self->state.router, actors::send_atom::value, std::move(out.to_node),
                           out.kind, std::move(*out.channel), std::move(out.payload));
            else
                self->send(self->state.router, actors::send_atom::value, std::move(out.to_node),
                           out.kind, std::move(out.payload));
        }
    };
    return {
        [=](actors::send_atom, bytes to, std::uint16_t kind, bytes channel, bytes payload) {
            pass(outgoing_message{std::move(to), kind, std::move(channel), std::move(payload)});
        },
        [=](actors::send_atom, bytes to, std::uint16_t kind, bytes payload) {
            pass(outgoing_message{std::move(to), kind, std::nullopt, std::move(payload)});
        },
        [=](actors::subscribe_atom, std::uint16_t kind, bytes channel, caf::actor who) {
            self->send(self->state.router, actors::subscribe_atom::value, kind, std::move(channel),
                       std::move(who));
        },
        [=](actors::subscribe_atom, std::uint16_t kind, caf::actor who) {
            self->send(self->state.router, actors::subscribe_atom::value, kind, std::move(who));
        },
        [=](actors::unsubscribe_atom, caf::actor who) {
            self->send(self->state.router, actors::unsubscribe_atom::value, std::move(who));
        },
        [=](watch_atom, caf::actor core) { self->monitor(core); },
    };
}

}  // namespace

attack_base::attack_base(byzantine_options options, crypto::key_pair key,
                         const std::map<public_key, node_id>& peers)
    : options_(std::move(options)), key_(std::move(key)), random_(options_.seed) {
    std::size_t index = 0;
    for (const auto& [peer, node] : peers) node_index_[node.view().to_bytes()] = index++;
}

void attack_base::count(byzantine_behavior b) {
    if (options_.stats) ++options_.stats->fired[static_cast<std::size_t>(b)];
}

bool attack_base::fire(byzantine_behavior b) {
    if (!has(b)) return false;
    if (random_() % 1'000'000 >= options_.per_million) return false;
    count(b);
    return true;
}

bytes attack_base::garble(bytes payload) {
    switch (below(4)) {
        case 0:  // truncated
            payload.resize(below(payload.size()));
            break;
        case 1:  // a few bits flipped
            for (std::size_t i = 0, flips = 1 + below(8); i < flips && !payload.empty(); ++i)
                payload[below(payload.size())] ^= static_cast<std::uint8_t>(1u << below(8));
            break;
        case 2:  // noise of the same length
            for (auto& byte : payload) byte = static_cast<std::uint8_t>(next());
            break;
        default:  // nothing at all
            payload.clear();
            break;
    }
    return payload;
}

void attack_base::remember(const outgoing_message& m) {
    if (!has(byzantine_behavior::replay_old)) return;
    if (kept_.size() < kept_messages_max)
        kept_.push_back(m);
    else
        kept_[below(kept_.size())] = m;
}

std::optional<outgoing_message> attack_base::replay(const bytes& to_node) {
    if (kept_.empty() || !fire(byzantine_behavior::replay_old)) return std::nullopt;
    outgoing_message old = kept_[below(kept_.size())];
    old.to_node = to_node;
    return old;
}

std::vector<outgoing_message> attack_base::finish(const outgoing_message& original,
                                                  std::vector<outgoing_message> attacked) {
    if (options_.stats) ++options_.stats->messages_seen;
    std::vector<outgoing_message> out;
    if (fire(byzantine_behavior::malformed_bytes)) {
        outgoing_message bad = original;
        bad.payload = garble(std::move(bad.payload));
        out.push_back(std::move(bad));
        // Half the time the garbage replaces the message: a loss the group must survive.
        if (next() % 2 == 0) attacked.clear();
    }
    for (auto& m : attacked) out.push_back(std::move(m));
    if (auto old = replay(original.to_node)) out.push_back(std::move(*old));
    remember(original);
    if (options_.stats) options_.stats->messages_sent += out.size();
    return out;
}

caf::actor spawn_byzantine_outbox(caf::actor_system& system, caf::actor router,
                                  std::shared_ptr<attacker> attacks) {
    return system.spawn(outbox, std::move(router), std::move(attacks));
}

void watch_core(const caf::actor& outbox_actor, const caf::actor& core) {
    caf::anon_send(outbox_actor, watch_atom::value, core);
}

}  // namespace covenant::sim
