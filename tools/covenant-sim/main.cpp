// covenant-sim: runs whole Covenant networks in one process under CAF's deterministic
// scheduler, seed by seed, with faults, workloads and the checkers of every guarantee of
// DESIGN.md section 2 (docs/simulator.md). `--seed N` runs one seed and prints its trace
// hash; `--seeds A-B` sweeps and summarizes. Options come from the defaults, then a
// scenario file (--scenario), then the command line. Exit 0: no checker fired; 1: a
// violation (each printed with its seed); 2: bad usage.
//
// The wall clock is read here only, around runs, for wall_seconds: nothing of it reaches
// the simulation.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/run.hpp"
#include "sim/scenario.hpp"
#include "tools/covenant-sim/isolated_run.hpp"

using namespace covenant;

namespace {

constexpr int exit_violation = 1;
constexpr int exit_usage = 2;

// The scenario file is read before the other options are bound, so that the options'
// defaults are the file's values and the command line wins over the file.
std::optional<std::string> scenario_path(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--scenario" && i + 1 < argc) return std::string(argv[i + 1]);
        if (a.rfind("--scenario=", 0) == 0) return a.substr(std::strlen("--scenario="));
    }
    return std::nullopt;
}

std::vector<std::string> split_names(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    sim::scenario s;
    if (auto path = scenario_path(argc, argv)) {
        auto read = sim::read_scenario_file(*path, s);
        if (!read) {
            std::cerr << "covenant-sim: " << read.failure().message() << "\n";
            return exit_usage;
        }
        s = std::move(read).value();
    }

    CLI::App app{
        "Deterministic simulation of whole Covenant networks: faults, workloads, checkers "
        "(docs/simulator.md)",
        "covenant-sim"};
    std::uint64_t seed = 1;
    std::string seeds;
    std::string scenario_file;
    bool json = false, verbose = false, no_faults = false;
    app.add_option("--seed", seed, "Run this one seed (default 1)");
    app.add_option("--seeds", seeds, "Sweep the seeds A-B (inclusive) and summarize")
        ->excludes("--seed");
    app.add_option("--scenario", scenario_file,
                   "Scenario file (TOML; keys: docs/simulator.md); flags override it");
    app.add_flag("--json", json, "Print one JSON summary object instead of text");
    app.add_flag("--verbose,-v", verbose, "Log phases and every injected fault to stderr");
    // A tmpfs where there is one: the nodes fsync before every vote, and the run's outcome
    // does not depend on where the files are.
    if (s.directory == "/tmp" && std::filesystem::is_directory("/dev/shm"))
        s.directory = "/dev/shm";
    app.add_option("--tmp-dir", s.directory, "Where the nodes' files go (removed after each seed)")
        ->check(CLI::ExistingDirectory)
        ->capture_default_str();

    // The network, databases, clients and workloads.
    app.add_option("--producers", s.producers, "Block producers")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    app.add_option("--miners", s.miners, "Miners")
        ->check(CLI::Range(1, 128))
        ->capture_default_str();
    app.add_option("--databases", s.databases,
                   "Databases (alternately strong and eventual, the first strong)")
        ->check(CLI::Range(1, 32))
        ->capture_default_str();
    app.add_option("--members", s.members, "Miners per database")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    app.add_option("--clients", s.clients,
                   "Clients (0 owns the databases, the others are granted write)")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    app.add_option("--operations", s.operations, "SQL operations the clients issue at most")
        ->check(CLI::Range(0, 1'000'000))
        ->capture_default_str();
    app.add_option("--accounts", s.accounts, "Bank accounts per database")
        ->check(CLI::Range(0, 10'000))
        ->capture_default_str();
    app.add_option("--register-keys", s.registers, "Register keys per strong database")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    app.add_option("--duration-ms", s.duration_ms, "Virtual time of the workload with faults")
        ->check(CLI::Range(1000, 86'400'000))
        ->capture_default_str();
    app.add_option("--liveness-ms", s.liveness_ms,
                   "After healing: the bound to commit a probe and converge")
        ->check(CLI::Range(1000, 86'400'000))
        ->capture_default_str();
    bool no_bank = false, no_registers = false, no_mix = false, no_transfers = false;
    app.add_flag("--no-bank", no_bank, "No bank workload");
    app.add_flag("--no-registers", no_registers,
                 "No register workload (and no linearizability check)");
    app.add_flag("--no-mix", no_mix, "No mix of inserts, counts and schema changes");
    app.add_flag("--no-chain-transfers", no_transfers, "No main-chain transfers");

    // Faults.
    auto& f = s.faults;
    bool no_network = false, no_reorder = false, no_partitions = false, no_clogging = false,
         no_crashes = false, no_leader_loss = false, no_stale_views = false, no_clock_skew = false;
    std::string partition_kinds;
    app.add_flag("--no-faults", no_faults, "Switch every fault off");
    app.add_option("--fault-tick-ms", f.tick_ms, "How often the fault schedule draws")
        ->check(CLI::Range(10, 60'000))
        ->capture_default_str();
    app.add_flag("--no-network-faults", no_network, "No loss, duplication, jitter or reordering");
    app.add_option("--drop", f.drop, "Probability a message is lost")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--duplicate", f.duplicate, "Probability a message is duplicated")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--delay-min-ms", f.delay_min_ms, "Least one-way delay")
        ->check(CLI::Range(0, 10'000))
        ->capture_default_str();
    app.add_option("--delay-max-ms", f.delay_max_ms, "Most one-way delay (jitter between)")
        ->check(CLI::Range(0, 10'000))
        ->capture_default_str();
    app.add_flag("--no-reorder", no_reorder, "Links stay first-in first-out");
    app.add_flag("--no-partitions", no_partitions, "No partitions");
    app.add_option("--partition", f.partition, "Probability per tick that a partition starts")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--partition-ms-max", f.partition_ms_max, "Longest partition")
        ->check(CLI::Range(1, 3'600'000))
        ->capture_default_str();
    app.add_option("--partition-kinds", partition_kinds,
                   "Comma list of halves,isolate-leader,one-way (default all)");
    app.add_flag("--no-clogging", no_clogging, "No clogged nodes");
    app.add_option("--clog", f.clog, "Probability per tick that a node is clogged")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--clog-ms-max", f.clog_ms_max, "Longest clog")
        ->check(CLI::Range(1, 3'600'000))
        ->capture_default_str();
    app.add_flag("--no-crashes", no_crashes, "No crashes of miners and producers");
    app.add_option("--crash", f.crash,
                   "Probability per tick that a node crashes (at most f down per group)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--crash-group", f.crash_group,
                   "Probability per tick that every member of one database crashes at once")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--down-ms-max", f.down_ms_max, "Longest time a crashed node stays down")
        ->check(CLI::Range(1, 3'600'000))
        ->capture_default_str();
    app.add_flag("--no-leader-loss", no_leader_loss, "No deliberate leader crashes");
    app.add_option("--leader-loss", f.leader_loss_chance,
                   "Probability per tick that a database's leader is crashed")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_flag("--no-stale-views", no_stale_views, "No old view decisions handed to members");
    app.add_option("--stale-view", f.stale_view,
                   "Probability per tick that a member is handed an older view decision again")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_flag("--no-clock-skew", no_clock_skew, "All node clocks agree");
    app.add_option("--clock-skew-ms-max", f.clock_skew_ms_max,
                   "Largest clock offset of a node, either way")
        ->check(CLI::Range(0, 3'600'000))
        ->capture_default_str();

    // Byzantine members and injected bugs.
    std::string behaviors;
    std::vector<std::string> bugs;
    app.add_option("--byzantine", s.byzantine_per_group, "Byzantine members per group (at most f)")
        ->check(CLI::Range(0, 21))
        ->capture_default_str();
    app.add_option("--byzantine-producers", s.byzantine_producers,
                   "Byzantine block producers (at most f)")
        ->check(CLI::Range(0, 21))
        ->capture_default_str();
    bool beyond_f = false;
    app.add_flag("--beyond-f", beyond_f,
                 "Allow more Byzantine members or producers than f: the checkers then report "
                 "which guarantees broke");
    std::string behavior_help = "Comma list of what they do (default all):";
    for (const auto& b : sim::known_byzantine_behaviors()) behavior_help += " " + b;
    app.add_option("--byzantine-behaviors", behaviors, behavior_help);
    std::string bug_help = "Switch on a deliberate bug (repeatable):";
    for (const auto& b : sim::known_bugs()) bug_help += " " + b;
    app.add_option("--inject-bug", bugs, bug_help)->check(CLI::IsMember(sim::known_bugs()));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    }

    if (no_bank) s.bank = false;
    if (no_registers) s.registers_workload = false;
    if (no_mix) s.mix = false;
    if (no_transfers) s.chain_transfers = false;
    if (no_network) f.network = false;
    if (no_reorder) f.reorder = false;
    if (no_partitions) f.partitions = false;
    if (no_clogging) f.clogging = false;
    if (no_crashes) f.crashes = false;
    if (no_leader_loss) f.leader_loss = false;
    if (no_stale_views) f.stale_views = false;
    if (no_clock_skew) f.clock_skew = false;
    if (no_faults) sim::no_faults(f);
    if (!partition_kinds.empty()) {
        f.partition_halves = f.partition_isolate_leader = f.partition_one_way = false;
        for (const auto& k : split_names(partition_kinds)) {
            if (k == "halves")
                f.partition_halves = true;
            else if (k == "isolate-leader")
                f.partition_isolate_leader = true;
            else if (k == "one-way")
                f.partition_one_way = true;
            else {
                std::cerr << "covenant-sim: --partition-kinds: unknown kind '" << k
                          << "' (halves, isolate-leader, one-way)\n";
                return exit_usage;
            }
        }
    }
    if (!behaviors.empty()) {
        s.byzantine_behaviors.clear();
        for (const auto& b : split_names(behaviors)) {
            const auto& known = sim::known_byzantine_behaviors();
            if (std::find(known.begin(), known.end(), b) == known.end()) {
                std::cerr << "covenant-sim: --byzantine-behaviors: unknown behaviour '" << b
                          << "'\n";
                return exit_usage;
            }
            s.byzantine_behaviors.push_back(b);
        }
    }
    for (const auto& b : bugs) s.inject_bugs.push_back(b);
    if (beyond_f) s.beyond_f = true;
    if (auto problem = s.problem()) {
        std::cerr << "covenant-sim: " << *problem << "\n";
        return exit_usage;
    }
    std::uint64_t first = seed, last = seed;
    if (!seeds.empty()) {
        auto range = sim::parse_seed_range(seeds);
        if (!range) {
            std::cerr << "covenant-sim: --seeds: expected A-B with A <= B, got '" << seeds << "'\n";
            return exit_usage;
        }
        first = range->first;
        last = range->second;
    }

    const auto started = std::chrono::steady_clock::now();
    nlohmann::json per_seed = nlohmann::json::array();
    nlohmann::json all_violations = nlohmann::json::array();
    std::uint64_t ops_committed = 0, ops_sent = 0, seeds_run = 0, failed_seeds = 0;
    double sim_seconds = 0;
    std::string last_hash;
    for (std::uint64_t n = first;; ++n) {
        const auto seed_started = std::chrono::steady_clock::now();
        // Each seed in a child process: a node whose invariant breaks (an injected bug, a
        // scenario beyond f) is a violation of that seed, not the end of the sweep.
        const auto r = sim::run_seed_in_child(s, n, verbose);
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - seed_started).count();
        ++seeds_run;
        ops_committed += r.ops_committed;
        ops_sent += r.ops_sent;
        sim_seconds += static_cast<double>(r.sim_ms) / 1000.0;
        last_hash = r.trace_hash.hex();
        if (!r.found.empty()) ++failed_seeds;
        nlohmann::json faults = nlohmann::json::object();
        for (const auto& [k, v] : r.faults) faults[k] = v;
        for (const auto& v : r.found)
            all_violations.push_back(
                {{"seed", n}, {"checker", v.checker}, {"where", v.where}, {"what", v.what}});
        per_seed.push_back({{"seed", n},
                            {"trace_hash", last_hash},
                            {"trace_events", r.trace_events},
                            {"violations", r.found.size()},
                            {"ops_sent", r.ops_sent},
                            {"ops_committed", r.ops_committed},
                            {"ops_refused", r.ops_refused},
                            {"transfers_sent", r.transfers_sent},
                            {"transfers_included", r.transfers_included},
                            {"main_height", r.main_height},
                            {"register_ops_checked", r.register_ops_checked},
                            {"eventual_known_divergent", r.known_divergent},
                            {"sim_seconds", static_cast<double>(r.sim_ms) / 1000.0},
                            {"wall_seconds", wall},
                            {"faults", faults}});
        if (!json) {
            std::cout << "seed " << n << ": " << (r.found.empty() ? "ok" : "VIOLATION")
                      << "  trace " << last_hash << "  ops " << r.ops_committed << "/" << r.ops_sent
                      << "  transfers " << r.transfers_included << "/" << r.transfers_sent
                      << "  sim " << static_cast<double>(r.sim_ms) / 1000.0 << "s  wall " << wall
                      << "s\n";
            for (const auto& v : r.found)
                std::cout << "  VIOLATION [" << v.checker << "] " << v.where << ": " << v.what
                          << "\n    reproduce: covenant-sim --seed " << n
                          << (scenario_file.empty() ? "" : " --scenario " + scenario_file)
                          << " (same flags)\n";
            std::cout.flush();  // a sweep's progress shows as it goes
        }
        if (n == last) break;
    }
    const double wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (json) {
        nlohmann::json out{
            {"seeds", seeds_run},
            {"first_seed", first},
            {"last_seed", last},
            {"violations", all_violations},
            {"seeds_with_violations", failed_seeds},
            {"ops_sent", ops_sent},
            {"ops_committed", ops_committed},
            {"sim_seconds", sim_seconds},
            {"wall_seconds", wall_seconds},
            {"sim_seconds_per_wall_second", wall_seconds > 0 ? sim_seconds / wall_seconds : 0.0},
            {"seeds_per_minute",
             wall_seconds > 0 ? 60.0 * static_cast<double>(seeds_run) / wall_seconds : 0.0},
            {"runs", per_seed}};
        if (seeds_run == 1) out["trace_hash"] = last_hash;
        std::cout << out.dump() << "\n";
    } else if (seeds_run > 1) {
        std::cout << "seeds " << first << "-" << last << ": " << seeds_run << " run, "
                  << failed_seeds << " with violations";
        for (const auto& v : all_violations)
            std::cout << "\n  seed " << v["seed"] << " [" << v["checker"].get<std::string>() << "]";
        std::cout << "\n"
                  << sim_seconds << " simulated s in " << wall_seconds << " wall s ("
                  << sim_seconds / wall_seconds << "x, "
                  << 60.0 * static_cast<double>(seeds_run) / wall_seconds << " seeds/min)\n";
    }
    return all_violations.empty() ? 0 : exit_violation;
}
