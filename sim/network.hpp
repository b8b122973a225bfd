// The simulated network: routers of many nodes in one process talk through it instead of
// TCP. It delivers envelope bytes between routers after a delay, and can drop, duplicate,
// reorder (by random delays) and partition them. Every choice comes from one seeded random
// source, and delays are CAF timeouts, so under CAF's test scheduler a run is exactly
// reproducible from its seed.
//
// Wiring: for each ordered pair of nodes, spawn_link(network, from, to, destination_router)
// gives the actor that `from`'s router uses as its peer for `to`.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <memory>

#include "common/bytes.hpp"
#include "common/ids.hpp"

namespace covenant::sim {

/// (transmit_atom, uint64 from, uint64 to, bytes): a link hands a message to the network.
using transmit_atom = caf::atom_constant<caf::atom("transmit")>;
/// (faults_atom, network_faults): change the fault settings.
using faults_atom = caf::atom_constant<caf::atom("faults")>;
/// (partition_atom, uint64 from, uint64 to, bool cut): cut or heal one direction.
using partition_atom = caf::atom_constant<caf::atom("partition")>;
/// (register_atom, uint64 node, actor router): where node's router is.
using register_atom = caf::atom_constant<caf::atom("register")>;
/// (network_stats_atom) -> network_stats.
using network_stats_atom = caf::atom_constant<caf::atom("net_stats")>;
/// (clog_atom, uint64 node, int64 ms): for `ms` of virtual time from now, nothing from or to
/// `node` is delivered; what was sent meanwhile arrives when the clog ends (a clogged link,
/// as FoundationDB's simulator has it: slow, not lossy).
using clog_atom = caf::atom_constant<caf::atom("clog")>;

struct network_faults {
    std::uint32_t drop_per_million = 0;
    std::uint32_t duplicate_per_million = 0;
    std::uint32_t delay_min_ms = 1;
    std::uint32_t delay_max_ms = 1;
    /// Let messages on one link overtake each other (with a delay spread). Off, each link
    /// is first-in first-out, as a TCP connection is.
    bool reorder = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, network_faults& x) {
    return f(caf::meta::type_name("covenant::sim::network_faults"), x.drop_per_million,
             x.duplicate_per_million, x.delay_min_ms, x.delay_max_ms, x.reorder);
}

struct network_stats {
    std::uint64_t delivered = 0;
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t cut = 0;  // dropped by a partition
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, network_stats& x) {
    return f(caf::meta::type_name("covenant::sim::network_stats"), x.delivered, x.dropped,
             x.duplicated, x.cut);
}

void add_network_message_types(caf::actor_system_config& config);

/// What a run's trace hash is made of: every message the network hands on, drops or cuts,
/// with its virtual time, link and bytes, folded into one SHA-256 in the order it happened.
/// Only values of the simulation go in (never paths, pointers or wall time), so a seed
/// gives the same hash on every run of one build. The simulator's workloads add their own
/// events (results they saw) through record().
class trace_sink {
  public:
    trace_sink();
    ~trace_sink();
    trace_sink(const trace_sink&) = delete;
    trace_sink& operator=(const trace_sink&) = delete;

    /// One event: a kind tag, virtual time, two numbers (a link's ends) and bytes.
    void record(std::uint8_t kind, std::int64_t time_ms, std::uint64_t a, std::uint64_t b,
                byte_view data);
    std::uint64_t events() const { return events_; }
    /// The hash of every event so far (the sink goes on recording after it).
    digest current() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::uint64_t events_ = 0;
};

/// Event kinds of the trace.
enum class trace_event : std::uint8_t { sent = 1, dropped = 2, cut = 3, workload = 4, fault = 5 };

/// Nodes are numbered 0..n-1 by the test or simulator.
caf::actor spawn_network(caf::actor_system& system, std::uint64_t seed, network_faults faults);
/// The same, recording every message into `trace` (may be null).
caf::actor spawn_network(caf::actor_system& system, std::uint64_t seed, network_faults faults,
                         std::shared_ptr<trace_sink> trace);

/// The peer actor `from`'s router uses to reach `to`.
caf::actor spawn_link(caf::actor_system& system, const caf::actor& network, std::uint64_t from,
                      std::uint64_t to);

}  // namespace covenant::sim
