// What one covenant-sim run is: the network's size, the databases and clients, the
// workloads, the faults with their probabilities and the bounds of the checkers. Defaults
// are the default scenario (docs/simulator.md); a scenario file (TOML, read strictly: an
// unknown key or a value out of range is an error naming it) overrides them, and the
// command line overrides the file. Every key is documented in docs/simulator.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace covenant::sim {

/// Each fault can be switched off; probabilities are per fault tick (`tick_ms`) unless said.
struct fault_options {
    std::int64_t tick_ms = 500;  // how often the fault schedule draws

    bool network = true;             // loss, duplication, delay with jitter, reordering
    double drop = 0.02;              // per message
    double duplicate = 0.02;         // per message
    std::uint32_t delay_min_ms = 1;  // one-way delay, uniform in [min, max] (the jitter)
    std::uint32_t delay_max_ms = 40;
    bool reorder = true;  // messages on one link may overtake each other

    bool partitions = true;
    double partition = 0.08;  // chance a partition starts (when none is on)
    std::int64_t partition_ms_max = 3000;
    bool partition_halves = true;          // random halves of all nodes
    bool partition_isolate_leader = true;  // a database's current leader cut from everyone
    bool partition_one_way = true;         // one direction only, between random halves

    bool clogging = true;
    double clog = 0.05;  // chance a random node is clogged
    std::int64_t clog_ms_max = 2000;

    bool crashes = true;  // miners and producers crash and restart on their files
    double crash = 0.06;  // chance one crashes (at most f down per group at once)
    std::int64_t down_ms_max = 4000;

    /// Every member of one database crashed at once, all restarted together later: beyond
    /// f, so only safety holds meanwhile (durability through any crash of any number of
    /// processes, DESIGN.md section 2); liveness is checked after healing as ever.
    double crash_group = 0.01;

    bool leader_loss = true;  // a database's leader is crashed on purpose
    double leader_loss_chance = 0.04;

    /// A view-change decision for an older view handed to a database member again, as by a
    /// miner following a lagging producer: a replica must ignore it.
    bool stale_views = true;
    double stale_view = 0.2;

    bool clock_skew = true;  // each node's clock is off by up to this much, either way
    std::int64_t clock_skew_ms_max = 500;
};

struct scenario {
    // ---- the network
    std::size_t producers = 4;
    std::size_t miners = 6;
    std::size_t databases = 2;  // alternately strong and eventual, the first strong
    std::uint32_t members = 4;  // miners per database
    // ---- clients and workloads
    std::size_t clients = 3;       // client 0 owns the databases; the others are granted write
    std::size_t operations = 400;  // SQL operations issued at most per run (all clients)
    std::size_t accounts = 8;      // bank accounts per database
    std::int64_t initial_balance = 1000;
    std::size_t registers = 4;  // register keys per strong database
    bool bank = true;
    bool registers_workload = true;
    bool mix = true;                  // reads, inserts and schema changes (eventual databases)
    bool chain_transfers = true;      // main-chain transfers between the clients
    std::int64_t think_ms_max = 300;  // a client's pause between operations
    std::int64_t resend_ms = 1500;    // an unanswered request is sent again to every member
    // ---- time
    std::int64_t duration_ms = 30'000;  // workload with faults
    std::int64_t liveness_ms = 30'000;  // after healing: the bound to commit and converge
    // ---- faults
    fault_options faults;
    // ---- Byzantine members and injected bugs (wired once the byzantine branch merges)
    /// Byzantine miners: this many in all, picked by the seed, so no group holds more
    /// (at most f per group, checked); Byzantine producers: at most f of them.
    std::size_t byzantine_per_group = 0;
    std::size_t byzantine_producers = 0;
    std::vector<std::string> byzantine_behaviors;
    std::vector<std::string> inject_bugs;
    /// Let byzantine_per_group and byzantine_producers exceed f: the guarantees are then
    /// lost, and the run must say which ones broke (checkers fire), never crash.
    bool beyond_f = false;
    // ---- where the nodes' files go (a tmpfs makes fsync cheap; not part of the run's trace)
    std::string directory = "/tmp";

    /// A clear error if the options do not make a network (e.g. members > miners).
    std::optional<std::string> problem() const;
};

/// Behaviour and bug names the command line and scenario files accept.
const std::vector<std::string>& known_byzantine_behaviors();
const std::vector<std::string>& known_bugs();

/// Reads a scenario file over `base`; an error value naming the key and line otherwise.
result<scenario> read_scenario_file(const std::string& path, scenario base);
/// The same from TOML text (for the tests).
result<scenario> read_scenario_text(const std::string& text, scenario base);

/// "A-B" or "N" -> [A, B].
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_seed_range(const std::string& text);

/// Turns every fault off.
void no_faults(fault_options& f);

}  // namespace covenant::sim
