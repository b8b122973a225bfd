// covenant-bench: what Covenant does per second on this machine, next to what the machine
// allows. One run measures, each figure in the same run so that ratios compare like with
// like on a shared, noisy machine:
//   1. the limits: Ed25519 verifications per second through crypto/ (x cores / miners: the
//      crypto limit of a group whose every miner checks every request's signature) and bare
//      SQLite with the same statements and the miners' durability settings;
//   2. a 4-miner group over the real actors in one process (sim/kayak_cluster, one thread);
//   3. a real network of covenant-node processes on loopback (process_bench.py), loaded by
//      client processes sending signed requests straight to the miners, and through the
//      client gateway's HTTP API.
// Prints a table, or with --json one object (the fields are in docs/benchmarks.md).
// `covenant-bench load-client ...` is the real network's client process (load_client.cpp).
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tools/covenant-bench/bench.hpp"

using namespace covenant::bench;

namespace {

std::string self_path(const char* argv0) {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(argv0) : p.string();
}

double number(const json& j, std::initializer_list<const char*> path) {
    const json* at = &j;
    for (const char* key : path) {
        if (!at->is_object() || !at->contains(key)) return 0;
        at = &(*at)[key];
    }
    return at->is_number() ? at->get<double>() : 0;
}

std::string text_of(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "?";
    return j[key].get<std::string>();
}

double ratio(double a, double b) {
    return b > 0 ? a / b : 0;
}

std::string fixed(double v, int digits = 0) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return buffer;
}

}  // namespace

/// A failure the run cannot go on from (a file it cannot create, a child it cannot start)
/// is thrown and ends the run with its message, exit 1.
static int bench_main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "load-client")
        return load_client_main(argc - 1, argv + 1);

    CLI::App app{
        "covenant-bench: Covenant's throughput, latency and memory next to bare SQLite "
        "and the Ed25519 limit of this machine",
        "covenant-bench"};
    bool json_out = false, quick = false, no_processes = false, no_inprocess = false, keep = false;
    double seconds = 0;
    std::size_t members = 4, clients = 8, window = 16, memory_rows = 1'000'000, process_clients = 4,
                process_window = 48, gateway_clients = 4, pipeline_depth = 0;
    std::string directory = "/tmp", node_binary = COVENANT_NODE_BINARY,
                cql_binary = COVENANT_CQL_BINARY;
    std::string driver = std::string(COVENANT_BENCH_SOURCE_DIR) + "/process_bench.py";
    app.add_flag("--json", json_out, "Print one JSON object instead of the table");
    std::string json_file;
    app.add_option("--json-file", json_file,
                   "Also write the JSON object to this file (with the table)");
    app.add_flag("--quick", quick,
                 "A short run (about 40 s; for tests): small tables, 1 s per workload");
    app.add_option("--seconds", seconds, "Seconds per measured workload (default 4, --quick 1)");
    app.add_option("--members", members, "Miners of the in-process group")
        ->check(CLI::Range(1, 16));
    app.add_option("--clients", clients, "Concurrent clients of the in-process group")
        ->check(CLI::Range(1, 64));
    app.add_option("--window", window, "Requests in flight per in-process client")
        ->check(CLI::Range(1, 60));
    app.add_option("--memory-rows", memory_rows,
                   "Rows loaded before the miners' memory is read (default 1,000,000)");
    app.add_option("--process-clients", process_clients,
                   "Load-client processes on the real network")
        ->check(CLI::Range(1, 16));
    app.add_option("--process-window", process_window, "Requests in flight per load-client process")
        ->check(CLI::Range(1, 60));
    app.add_option("--gateway-clients", gateway_clients, "Concurrent HTTP callers of the gateway");
    std::vector<double> probe_rates;
    app.add_option("--probe-rates", probe_rates,
                   "Also offer these single-insert rates (req/s) from one load client and "
                   "report each one's p50/p99: a write's latency without queueing")
        ->delimiter(',')
        ->check(CLI::Range(0.001, 1000000.0));
    app.add_option("--pipeline-depth", pipeline_depth,
                   "The real network's miners' pipeline_depth (default: theirs, 4)")
        ->check(CLI::Range(0, 16));
    app.add_flag("--no-processes", no_processes, "Skip the real network");
    app.add_flag("--no-inprocess", no_inprocess, "Skip the in-process group");
    app.add_option("--dir", directory, "Where temporary files go (an existing directory)")
        ->check(CLI::ExistingDirectory);
    app.add_option("--node", node_binary, "covenant-node binary");
    app.add_option("--cql", cql_binary, "cql binary");
    app.add_option("--driver", driver, "process_bench.py");
    app.add_flag("--keep", keep, "Keep the real network's directory");
    std::string trace_directory;
    app.add_option("--trace-latencies", trace_directory,
                   "Real network: every load client writes each answer (when it was sent, its "
                   "latency) to DIR/PHASE-CLIENT.txt, to see where a tail comes from");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (seconds <= 0) seconds = quick ? 1.0 : 4.0;
    if (quick && !app.count("--memory-rows")) memory_rows = 20'000;

    const auto started = bench_clock::now();
    json report{{"quick", quick}, {"seconds_per_workload", seconds}};
    auto progress = [&](const std::string& what) {
        if (!json_out)
            std::cerr << "covenant-bench: " << what << " (" << fixed(seconds_since(started), 1)
                      << " s)\n";
    };

    progress("limits: Ed25519 and bare SQLite");
    baseline_options b;
    b.seconds_per_figure = quick ? 0.5 : 2.0;
    b.table_rows = quick ? 20'000 : 100'000;
    b.directory = directory;
    report["baseline"] = measure_baseline(b, 4);

    if (!no_inprocess) {
        progress("in-process group (one thread)");
        inprocess_options o;
        o.members = members;
        o.clients = clients;
        o.window = window;
        o.seconds_per_workload = quick ? seconds : seconds * 0.6;
        o.read_table_rows = quick ? 2'000 : 20'000;
        report["inprocess"] = measure_inprocess(o);
    }
    if (!no_processes) {
        progress("real network on loopback (covenant-node processes)");
        process_options p;
        p.self_path = self_path(argv[0]);
        p.driver = driver;
        p.node_binary = node_binary;
        p.cql_binary = cql_binary;
        p.directory = directory;
        p.seconds_per_workload = seconds;
        p.clients = process_clients;
        p.window = process_window;
        p.memory_rows = memory_rows;
        p.gateway_clients = gateway_clients;
        p.gateway_seconds = seconds;
        p.keep = keep;
        p.latency_trace_directory = trace_directory;
        p.pipeline_depth = pipeline_depth;
        p.probe_rates = probe_rates;
        report["processes"] = measure_processes(p);
    }

    // ---- the headline figures: the real network where it ran, else the in-process group ----
    const json& base = report["baseline"];
    const bool real = report.contains("processes") && !report["processes"].contains("error");
    const json empty = json::object();
    const json& net = real ? report["processes"] : empty;
    const json& in = report.contains("inprocess") ? report["inprocess"] : empty;
    auto pick = [&](std::initializer_list<const char*> real_path,
                    std::initializer_list<const char*> in_path) {
        return real ? number(net, real_path) : number(in, in_path);
    };
    json h;
    h["source"] = real ? "processes" : "inprocess";
    h["crypto_limit_rps"] = number(base, {"crypto_limit_rps"});
    h["sqlite_single_insert_rps"] = number(base, {"sqlite_single_insert_rps"});
    h["sqlite_multirow_rows_per_s"] = number(base, {"sqlite_multirow_rows_per_s"});
    h["sqlite_point_reads_per_s"] = number(base, {"sqlite_point_reads_per_s"});
    h["strong_rps"] =
        pick({"strong_single", "writes_per_s"}, {"strong", "single_insert", "writes_per_s"});
    h["eventual_rps"] =
        pick({"eventual_single", "writes_per_s"}, {"eventual", "single_insert", "writes_per_s"});
    // Eventual mode's reference: strong mode measured just before it (the machine's speed
    // drifts over a run), where the run has that phase.
    h["strong_rps_beside_eventual"] =
        real && net.contains("strong_single_beside_eventual")
            ? number(net, {"strong_single_beside_eventual", "writes_per_s"})
            : h["strong_rps"].get<double>();
    h["multirow_rows_per_s"] =
        pick({"strong_multirow", "rows_per_s"}, {"strong", "multirow", "rows_per_s"});
    h["point_reads_per_s"] =
        pick({"point_read", "reads_per_s"}, {"strong", "point_read", "reads_per_s"});
    h["mix_rps"] = pick({"mix", "requests_per_s"}, {"strong", "mix", "requests_per_s"});
    h["p50_ms"] = pick({"strong_single", "write_latency", "p50_ms"},
                       {"strong", "single_insert", "write_latency", "p50_ms"});
    h["p99_ms"] = pick({"strong_single", "write_latency", "p99_ms"},
                       {"strong", "single_insert", "write_latency", "p99_ms"});
    h["half_load_rps"] = pick({"strong_half_load", "writes_per_s"},
                              {"strong", "single_insert_half_load", "writes_per_s"});
    h["p99_ms_half_load"] = pick({"strong_half_load", "write_latency", "p99_ms"},
                                 {"strong", "single_insert_half_load", "write_latency", "p99_ms"});
    h["gateway_rps"] = real ? number(net, {"gateway_single", "writes_per_s"}) : 0;
    h["inprocess_strong_rps"] = number(in, {"strong", "single_insert", "writes_per_s"});
    h["inprocess_eventual_rps"] = number(in, {"eventual", "single_insert", "writes_per_s"});
    double miner_rss = 0;
    if (real && net.contains("fill"))
        for (const auto& [name, m] : net["fill"]["miners_after_fill"].items())
            miner_rss = std::max(miner_rss, number(m, {"rss_mb"}));
    h["miner_rss_mb_1m_rows"] = miner_rss;
    h["memory_rows"] = real ? number(net, {"fill", "table_rows_filled"}) : 0;
    for (const char* k :
         {"strong_rps", "eventual_rps", "strong_rps_beside_eventual", "crypto_limit_rps",
          "sqlite_single_insert_rps",
          "multirow_rows_per_s", "sqlite_multirow_rows_per_s", "point_reads_per_s",
          "sqlite_point_reads_per_s", "p50_ms", "p99_ms_half_load", "miner_rss_mb_1m_rows"})
        report[k] = h[k];
    json ratios{
        {"strong_to_crypto_limit", ratio(h["strong_rps"], h["crypto_limit_rps"])},
        {"strong_to_sqlite_single", ratio(h["strong_rps"], h["sqlite_single_insert_rps"])},
        {"eventual_to_strong", ratio(h["eventual_rps"], h["strong_rps_beside_eventual"])},
        {"multirow_to_sqlite", ratio(h["multirow_rows_per_s"], h["sqlite_multirow_rows_per_s"])},
        {"point_reads_to_sqlite", ratio(h["point_reads_per_s"], h["sqlite_point_reads_per_s"])},
        {"inprocess_strong_to_crypto_limit",
         ratio(h["inprocess_strong_rps"], h["crypto_limit_rps"])}};
    report["ratios"] = ratios;
    auto target = [](double value, double bound, bool at_least) {
        return json{{"value", value},
                    {"target", bound},
                    {"met", at_least ? value >= bound : value < bound}};
    };
    report["targets"] = {
        {"strong_60pct_of_crypto_limit", target(ratios["strong_to_crypto_limit"], 0.6, true)},
        {"p99_half_load_under_50ms", target(h["p99_ms_half_load"], 50, false)},
        {"eventual_2x_strong", target(ratios["eventual_to_strong"], 2, true)},
        {"multirow_25pct_of_sqlite", target(ratios["multirow_to_sqlite"], 0.25, true)},
        {"point_reads_10pct_of_sqlite", target(ratios["point_reads_to_sqlite"], 0.10, true)},
        {"miner_under_200mb_1m_rows", target(h["miner_rss_mb_1m_rows"], 200, false)}};
    report["headline"] = h;
    report["wall_seconds"] = seconds_since(started);

    if (!json_file.empty()) {
        std::ofstream out(json_file);
        out << report.dump() << "\n";
    }
    if (json_out) {
        std::cout << report.dump() << "\n";
        return 0;
    }
    auto row = [](const std::string& what, const std::string& covenant,
                  const std::string& reference, const std::string& r) {
        std::printf("  %-44s %14s %14s %9s\n", what.c_str(), covenant.c_str(), reference.c_str(),
                    r.c_str());
    };
    std::printf("covenant-bench: %s figures (%s), %u cores, %.0f s\n",
                real ? "real network" : "in-process",
                real ? "4 miners as covenant-node processes on loopback" : "4 miners, one thread",
                static_cast<unsigned>(number(base, {"cores"})), number(report, {"wall_seconds"}));
    row("", "covenant", "reference", "ratio");
    row("strong single-row inserts (req/s)", fixed(h["strong_rps"]),
        fixed(h["crypto_limit_rps"]) + " cr", fixed(ratios["strong_to_crypto_limit"], 2));
    row("  vs bare SQLite durable single inserts", "", fixed(h["sqlite_single_insert_rps"]),
        fixed(ratios["strong_to_sqlite_single"], 2));
    row("  latency p50 / p99 (ms)", fixed(h["p50_ms"], 1) + " / " + fixed(h["p99_ms"], 1), "", "");
    row("  at half load: req/s, p99 (ms)",
        fixed(h["half_load_rps"]) + ", " + fixed(h["p99_ms_half_load"], 1), "< 50", "");
    if (real && net.contains("latency_probe"))
        for (const auto& probe : net["latency_probe"])
            row("  one client at " + fixed(number(probe, {"offered_rps"})) +
                    " req/s: p50 / p99 (ms)",
                fixed(number(probe, {"p50_ms"}), 1) + " / " + fixed(number(probe, {"p99_ms"}), 1),
                "", "");
    row("eventual single-row inserts (req/s)", fixed(h["eventual_rps"]),
        fixed(h["strong_rps_beside_eventual"]) + " st", fixed(ratios["eventual_to_strong"], 2));
    row("100-row requests (rows/s)", fixed(h["multirow_rows_per_s"]),
        fixed(h["sqlite_multirow_rows_per_s"]), fixed(ratios["multirow_to_sqlite"], 2));
    row("point reads, signed (reads/s)", fixed(h["point_reads_per_s"]),
        fixed(h["sqlite_point_reads_per_s"]), fixed(ratios["point_reads_to_sqlite"], 3));
    row("mix 80% reads 20% inserts (req/s)", fixed(h["mix_rps"]), "", "");
    if (real) row("gateway HTTP single inserts (req/s)", fixed(h["gateway_rps"]), "", "");
    row("in-process group, strong / eventual (req/s)",
        fixed(h["inprocess_strong_rps"]) + " / " + fixed(h["inprocess_eventual_rps"]), "", "");
    if (real)
        row("miner RSS after " + fixed(h["memory_rows"]) + " rows (MB)",
            fixed(h["miner_rss_mb_1m_rows"], 1), "< 200", "");
    std::printf(
        "  Ed25519 on one core: %.0f verify/s, %.0f sign/s (crypto limit = verify x %u cores / "
        "4)\n",
        number(base, {"ed25519_verify_per_s_one_core"}),
        number(base, {"ed25519_sign_per_s_one_core"}),
        static_cast<unsigned>(number(base, {"cores"})));
    if (real) {
        std::printf("  per node during strong_single (CPU cores, RSS MB):");
        for (const auto& [name, n] : net["strong_single"]["nodes"].items())
            std::printf(" %s %.2f/%.0f", name.c_str(), number(n, {"cpu_cores"}),
                        number(n, {"rss_mb"}));
        std::printf("\n");
        std::printf("  miners' CPU per write (us, all four):");
        for (const char* phase : {"strong_single", "strong_half_load", "strong_single_beside_eventual",
                                  "eventual_single"})
            if (net.contains(phase) && net[phase].contains("miner_cpu_us_per_write"))
                std::printf(" %s %.0f", phase, number(net[phase], {"miner_cpu_us_per_write"}));
        if (net.contains("strong_multirow") && net["strong_multirow"].contains("miner_cpu_us_per_row"))
            std::printf("; per row of 100-row requests %.1f",
                        number(net["strong_multirow"], {"miner_cpu_us_per_row"}));
        std::printf("\n");
    } else if (report.contains("processes")) {
        std::printf("  real network: %s\n", text_of(report["processes"], "error").c_str());
    }
    std::printf("targets:\n");
    for (const auto& [name, t] : report["targets"].items())
        std::printf("  %-34s %-5s (%.3g, target %.3g)\n", name.c_str(),
                    t["met"].get<bool>() ? "met" : "MISSED", t["value"].get<double>(),
                    t["target"].get<double>());
    return 0;
}

int main(int argc, char** argv) {
    try {
        return bench_main(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "covenant-bench: " << e.what() << "\n";
        return 1;
    }
}
