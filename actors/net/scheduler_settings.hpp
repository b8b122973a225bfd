// How every Covenant process configures CAF's scheduler: nodes, and the benchmark's load
// clients that run next to them on the same cores.
#pragma once

#include <caf/actor_system_config.hpp>

#include <cstddef>

namespace covenant::actors {

/// CAF's work-stealing workers poll for new jobs before they wait on their condition
/// variable: 100 times at once, then (by default) 500 times with a 50 us sleep between.
/// A node's actors tick every few milliseconds (a replica every replica_tick_ms), so with
/// the default the workers never get to wait: every process of a local network spent most
/// of a core sleeping 50 us at a time (9 idle nodes took 1.6 of this machine's 2 cores).
/// One moderate poll, then the wait, which any new job ends at once. (Ten polls, the earlier
/// setting, still made a 4-miner network on loopback do about 24,000 nanosleeps and 50,000
/// context switches a second under load; one poll raised covenant-bench's strong-mode
/// inserts from about 650 to about 800 a second.)
inline void use_covenant_scheduler_settings(caf::actor_system_config& cfg) {
    cfg.set("work-stealing.moderate-poll-attempts", std::size_t{1});
}

}  // namespace covenant::actors
