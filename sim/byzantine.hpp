// Byzantine members for the simulator (DESIGN.md sections 2 and 8; issue 6): alternative
// implementations of a miner's replica and of a block producer that attack the group they
// belong to, and the names the simulator's command line uses for them.
//
// A Byzantine member is not a flag patched into the honest one. It is the honest role's
// actor (the same replica or producer core, so it stays in step with the group and knows
// what the protocol expects next) put behind its own outbox: an actor that sits between it
// and the node's router and turns what the honest core would send into attacks, signed
// with the member's real key, before they reach the network (sim/byzantine_outbox.hpp).
// The attacks, each switched on by one behavior and firing with a probability on the
// messages it applies to, from a seeded source (no clock, no global randomness):
//
//   equivocate       as leader (proposer), differently built and signed PREPAREs (block
//                    proposals) for one slot to the two halves of the group;
//   alter-requests   client requests inside its batches altered (so their signature no
//                    longer matches), forged ones injected (claiming a permitted client,
//                    or signed by a key with no role); a producer's gossiped transactions
//                    altered likewise;
//   wrong-results    executions and client answers signed over wrong results (a producer:
//                    proposals with a wrong state root, re-signed);
//   wrong-digests    votes, executions and shard-block votes signed over wrong hashes and
//                    state digests;
//   withhold-votes   its votes (and shard-block votes) not sent;
//   duplicate-votes  its votes sent twice;
//   replay-old       earlier messages kept and sent again later, to anyone, in later views;
//   malformed-bytes  payloads truncated, garbled or replaced by noise.
//
// At most f members per group should be Byzantine; a scenario may ask for more, and then
// the checkers must report the loss of guarantees (nothing here asserts on it).
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/miner/replica_actor.hpp"
#include "actors/producer/producer_actor.hpp"
#include "common/result.hpp"
#include "protocols/kayak/injected_bugs.hpp"

namespace covenant::sim {

enum class byzantine_behavior : std::uint8_t {
    equivocate,
    alter_requests,
    wrong_results,
    wrong_digests,
    withhold_votes,
    duplicate_votes,
    replay_old,
    malformed_bytes,
};
inline constexpr std::size_t byzantine_behavior_count = 8;

/// The kebab-case name (`equivocate`, `alter-requests`, ...).
std::string_view to_string(byzantine_behavior behavior);
/// The behavior of that name, or nullopt.
std::optional<byzantine_behavior> parse_byzantine_behavior(std::string_view name);
/// Every behavior, in declaration order.
const std::vector<byzantine_behavior>& all_byzantine_behaviors();

/// A set of behaviors (a bitmask).
class byzantine_behaviors {
  public:
    byzantine_behaviors() = default;
    byzantine_behaviors(std::initializer_list<byzantine_behavior> behaviors) {
        for (auto b : behaviors) add(b);
    }
    static byzantine_behaviors all();
    void add(byzantine_behavior b) { bits_ |= bit(b); }
    bool has(byzantine_behavior b) const { return (bits_ & bit(b)) != 0; }
    bool empty() const { return bits_ == 0; }
    std::vector<byzantine_behavior> list() const;
    /// The names joined by commas; "all" for every behavior.
    std::string to_string() const;
    friend bool operator==(const byzantine_behaviors& a, const byzantine_behaviors& b) {
        return a.bits_ == b.bits_;
    }
    friend bool operator!=(const byzantine_behaviors& a, const byzantine_behaviors& b) {
        return a.bits_ != b.bits_;
    }

  private:
    static std::uint32_t bit(byzantine_behavior b) {
        return std::uint32_t{1} << static_cast<unsigned>(b);
    }
    std::uint32_t bits_ = 0;
};

/// "all", or names separated by commas (`equivocate,replay-old`); nullopt if a name is
/// unknown or the list is empty.
std::optional<byzantine_behaviors> parse_byzantine_behaviors(std::string_view list);

/// What a Byzantine member did, by behavior (for tests and traces: an attack that never
/// fired tested nothing).
struct byzantine_stats {
    std::uint64_t fired[byzantine_behavior_count] = {};
    std::uint64_t messages_seen = 0;  // what the honest core would have sent
    std::uint64_t messages_sent = 0;  // what went out instead
    std::uint64_t count(byzantine_behavior b) const { return fired[static_cast<std::size_t>(b)]; }
};

struct byzantine_options {
    byzantine_behaviors behaviors;
    std::uint64_t seed = 1;
    /// Chance, per million, that a behavior fires on a message it applies to.
    std::uint32_t per_million = 300'000;
    /// Where to count what it did (optional; the simulation is single-threaded).
    std::shared_ptr<byzantine_stats> stats;
};

/// A Byzantine replica: the honest replica actor of `config` behind an attacking outbox
/// on the node's router. The actor returned is the one the node knows (linked, told of
/// view changes, asked for status); the outbox ends with it.
caf::actor spawn_byzantine_replica_actor(caf::actor_system& system,
                                         actors::replica_actor_config config,
                                         byzantine_options options);
/// For miner_node_config::spawn_replica. Each replica it spawns draws from its own seed
/// (options.seed, then +1 per replica), so a restart does not replay the same choices.
actors::replica_actor_factory byzantine_replica_factory(byzantine_options options);

/// A Byzantine block producer: the honest producer actor behind an attacking outbox.
result<caf::actor> spawn_byzantine_producer_actor(caf::actor_system& system,
                                                  actors::producer_actor_config config,
                                                  byzantine_options options);

/// The simulator's deliberate bugs live with the replica they break.
using injected_bug = kayak::injected_bug;
using injected_bugs = kayak::injected_bugs;
using kayak::parse_injected_bug;

}  // namespace covenant::sim
