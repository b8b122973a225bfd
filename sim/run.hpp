// One covenant-sim run: a whole network (sim/chain_cluster) built from a scenario and a
// seed, set up (miners registered, databases created and granted, tables made), driven by
// the workloads under the seed's fault schedule, healed, given the liveness bound to commit
// and converge, then checked by every checker of sim/check/checkers.hpp against what the
// nodes stored. Everything random comes from the seed; nothing reads a clock but the
// virtual one, so a seed and a build give one trace hash.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>

#include "common/ids.hpp"
#include "sim/check/violation.hpp"
#include "sim/scenario.hpp"

namespace covenant::sim {

struct run_result {
    std::uint64_t seed = 0;
    digest trace_hash;
    std::uint64_t trace_events = 0;
    violations found;
    std::uint64_t ops_sent = 0;        // SQL operations the clients issued
    std::uint64_t ops_committed = 0;   // ... that were answered as executed
    std::uint64_t ops_refused = 0;     // ... refused (the unauthorized client's, expected)
    std::uint64_t transfers_sent = 0;  // main-chain transfers
    std::uint64_t transfers_included = 0;
    std::int64_t sim_ms = 0;        // virtual time of the whole run
    std::uint64_t register_ops_checked = 0;  // in the linearizability histories
    std::uint64_t main_height = 0;  // the main chain's final height at the end
    /// Eventual-mode leaders whose state differs from the others' because they executed a
    /// batch a view change replaced (docs/kayak.md's known limit): counted, not violations.
    std::uint64_t known_divergent = 0;
    std::map<std::string, std::uint64_t> faults;  // faults injected, by kind
};

/// Runs `s` under `seed`. `log`, if given, gets a line per phase and per fault.
run_result run_seed(const scenario& s, std::uint64_t seed, std::ostream* log = nullptr);

}  // namespace covenant::sim
