// The outbox of a Byzantine member (see byzantine.hpp): an actor that stands in for the
// node's router towards the member's honest core. What the core sends (send_atom) goes
// through an attacker, which returns what actually leaves (nothing, the message, altered
// or garbled copies, replays); everything else (subscriptions) passes to the real router
// unchanged. Deliveries from the router go straight to the core, which subscribed itself.
//
// attack_base holds what every attacker shares: the member's key it signs with, the seeded
// random source, the chance a behavior fires, garbling, a bounded store of earlier
// messages to replay, and which peers make up the "odd half" that equivocation splits off.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "common/bytes.hpp"
#include "common/ids.hpp"
#include "crypto/signing.hpp"
#include "sim/byzantine.hpp"

namespace covenant::sim {

struct outgoing_message {
    bytes to_node;  // the destination node id
    std::uint16_t kind = 0;
    std::optional<bytes> channel;
    bytes payload;
};

class attacker {
  public:
    virtual ~attacker() = default;
    /// What leaves instead of `message` (possibly nothing, possibly several).
    virtual std::vector<outgoing_message> attack(outgoing_message message) = 0;
};

class attack_base : public attacker {
  public:
    /// `peers`: the nodes the member talks to (group members or producers), in key order.
    attack_base(byzantine_options options, crypto::key_pair key,
                const std::map<public_key, node_id>& peers);

  protected:
    bool has(byzantine_behavior b) const { return options_.behaviors.has(b); }
    /// Whether `to_node` is in the odd half of the peers (the ones that get an
    /// equivocation's twin).
    bool in_odd_half(const bytes& to_node) const {
        auto index = node_index_.find(to_node);
        return index != node_index_.end() && index->second % 2 == 1;
    }
    /// True with the configured chance if the behavior is on; counted when it fires.
    bool fire(byzantine_behavior b);
    void count(byzantine_behavior b);
    std::uint64_t next() { return random_(); }
    std::size_t below(std::size_t n) {
        return n == 0 ? 0 : static_cast<std::size_t>(random_() % n);
    }
    /// Truncated, bit-flipped, noise of the same length, or empty.
    bytes garble(bytes payload);
    /// Keeps `m` (bounded: a random one is overwritten once full) for replay_old.
    void remember(const outgoing_message& m);
    /// A kept message, re-addressed to `to_node`, if replay_old fires.
    std::optional<outgoing_message> replay(const bytes& to_node);
    /// The generic part of every attack: garbling (malformed_bytes) and replays around
    /// `attacked` (what the role-specific part made of the message).
    std::vector<outgoing_message> finish(const outgoing_message& original,
                                         std::vector<outgoing_message> attacked);
    byzantine_options options_;
    crypto::key_pair key_;

  private:
    std::map<bytes, std::size_t> node_index_;  // node id -> index among the peers
    std::mt19937_64 random_;
    std::vector<outgoing_message> kept_;
};

/// Spawns the outbox in front of `router`; `watch` it on the core once spawned.
caf::actor spawn_byzantine_outbox(caf::actor_system& system, caf::actor router,
                                  std::shared_ptr<attacker> attacks);
/// The outbox quits when `core` does.
void watch_core(const caf::actor& outbox, const caf::actor& core);

}  // namespace covenant::sim
