// One seed, one run: the same seed twice gives the same trace hash (every message the
// simulated network handled, with its virtual time, link and bytes, and every result the
// clients saw), and another seed another hash. A short scenario with every fault on, so
// that the fault schedule, the network's faults and the workloads all enter the hash.
#define BOOST_TEST_MODULE simtool_determinism
#include <boost/test/unit_test.hpp>

#include "sim/run.hpp"

using namespace covenant;

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_trace_hash) {
    sim::scenario s;
    s.directory = "/dev/shm";
    s.duration_ms = 6000;
    s.liveness_ms = 20000;
    s.operations = 80;
    s.faults.partition = s.faults.crash = s.faults.clog = s.faults.leader_loss_chance =
        0.3;  // faults early
    const auto first = sim::run_seed(s, 11);
    const auto again = sim::run_seed(s, 11);
    const auto other = sim::run_seed(s, 12);
    BOOST_TEST_MESSAGE("seed 11: " << first.trace_hash.hex() << " (" << first.trace_events
                                   << " events, " << first.ops_committed
                                   << " ops), seed 12: " << other.trace_hash.hex());
    BOOST_TEST(first.trace_events > 1000u);
    BOOST_TEST(first.ops_committed > 0u);
    BOOST_TEST(!first.faults.empty());
    BOOST_TEST((first.trace_hash == again.trace_hash));
    BOOST_TEST(first.trace_events == again.trace_events);
    BOOST_TEST(first.ops_committed == again.ops_committed);
    BOOST_TEST((first.trace_hash != other.trace_hash));
    for (const auto& v : first.found)
        BOOST_TEST_MESSAGE(v.checker << " " << v.where << ": " << v.what);
    BOOST_TEST(first.found.empty());
}
