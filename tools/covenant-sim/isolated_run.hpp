// One seed's run in a child process, so that a run which breaks one of the nodes' internal
// invariants (COVENANT_ASSERT aborts, as it must in production) is reported as a violation
// with its seed instead of ending the sweep. An injected bug or a scenario beyond f can
// drive an honest node into such a state; the checkers' job is to say so, not to crash.
#pragma once

#include <cstdint>

#include "sim/run.hpp"
#include "sim/scenario.hpp"

namespace covenant::sim {

/// Runs `seed` of `s` in a forked child and returns its result. A child that dies (an
/// assertion, a signal) yields a run_result holding one violation, checker "invariant",
/// with the assertion's message from the child's stderr. The child's stderr (the -v log,
/// assertion messages) is copied to this process's stderr once it ends.
run_result run_seed_in_child(const scenario& s, std::uint64_t seed, bool verbose);

}  // namespace covenant::sim
