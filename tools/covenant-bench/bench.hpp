// covenant-bench's parts and what they share: each part measures one thing and returns
// its figures as a JSON object (main.cpp puts them into the report). The parts:
// - baseline.cpp: the machine's limits without Covenant: Ed25519 verifications per second
//   through crypto/ (the crypto limit), and bare SQLite running the same statements with
//   the miners' durability settings.
// - inprocess.cpp: a 4-miner Kayak group over the real actors in one process
//   (sim/kayak_cluster), driven by concurrent clients.
// - process.cpp: a real network of covenant-node processes on loopback (started by
//   tools/covenant-bench/process_bench.py, which this binary runs), loaded by clients that
//   send signed requests straight to the miners over the real transport (this binary's
//   `load-client` mode), and through the gateway's HTTP API.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace covenant::bench {

using json = nlohmann::json;
using bench_clock = std::chrono::steady_clock;

inline double seconds_since(bench_clock::time_point start) {
    return std::chrono::duration<double>(bench_clock::now() - start).count();
}

/// Latencies in milliseconds, summarized as p50/p99/max.
struct latencies {
    std::vector<double> ms;
    void add(double value_ms) { ms.push_back(value_ms); }
    double percentile(double p) {
        if (ms.empty()) return 0;
        std::sort(ms.begin(), ms.end());
        const auto index =
            static_cast<std::size_t>(p / 100.0 * static_cast<double>(ms.size() - 1) + 0.5);
        return ms[std::min(index, ms.size() - 1)];
    }
    json summary() {
        return json{{"p50_ms", percentile(50)},
                    {"p99_ms", percentile(99)},
                    {"max_ms", percentile(100)},
                    {"samples", ms.size()}};
    }
};

/// This process's CPU seconds (user + system) and peak resident memory, from /proc.
struct process_usage {
    double cpu_seconds = 0;
    double rss_mb = 0;
    double peak_rss_mb = 0;
};
process_usage usage_of(int pid);  // pid 0: this process

struct baseline_options {
    double seconds_per_figure = 2.0;  // how long each figure is measured
    std::size_t rows_per_request = 100;
    std::size_t table_rows = 100000;  // rows in the table the point reads hit
    std::string directory;            // where the SQLite file goes
};
/// {"ed25519_verify_per_s_one_core", "ed25519_sign_per_s_one_core", "cores",
///  "crypto_limit_rps", "sqlite_single_insert_rps", "sqlite_multirow_rows_per_s",
///  "sqlite_point_reads_per_s", ...}
json measure_baseline(const baseline_options& options, std::size_t members);

struct inprocess_options {
    std::size_t members = 4;
    std::size_t clients = 8;  // concurrent clients (each its own key)
    std::size_t window = 16;  // requests in flight per client
    double seconds_per_workload = 6.0;
    std::size_t rows_per_request = 100;
    std::size_t read_table_rows = 20000;
    std::size_t batch_requests_max = 256;
};
/// Every workload (single inserts, multi-row, point reads, mix, strong and eventual, half
/// load) on the in-process group.
json measure_inprocess(const inprocess_options& options);

struct process_options {
    std::string self_path;    // this binary (its load-client mode)
    std::string driver;       // process_bench.py
    std::string node_binary;  // covenant-node
    std::string cql_binary;
    std::string directory;
    double seconds_per_workload = 8.0;
    std::size_t clients = 8;
    std::size_t window = 16;
    std::size_t memory_rows = 1000000;
    std::size_t gateway_clients = 4;
    double gateway_seconds = 8.0;
    std::size_t pipeline_depth = 0;  // the miners' pipeline_depth; 0: their default
    std::vector<double> probe_rates;  // fixed offered rates of the latency probe; none: no probe
    bool keep = false;
    std::string latency_trace_directory;  // non-empty: every load client's answers, per phase
};
json measure_processes(const process_options& options);

/// `covenant-bench load-client ...`: one client process of the real-network part.
int load_client_main(int argc, char** argv);

}  // namespace covenant::bench
