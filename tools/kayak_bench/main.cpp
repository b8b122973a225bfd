// kayak_bench: how many signed single-row writes a Kayak group commits per second when the
// whole group (n miners with real SQLite files, logs and shard chains, the client, the
// simulated network) runs in one process on one thread under CAF's deterministic
// scheduler. Every write is signed by its client and verified by every member; every
// vote, execution and envelope is signed and checked. A first figure for the write path;
// the real benchmark across processes comes with covenant-bench.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>

#include "sim/kayak_cluster.hpp"

using namespace covenant;
using namespace covenant::protocols;

int main(int argc, char** argv) {
    CLI::App app{"In-process Kayak throughput: signed single-row inserts committed per second", "kayak_bench"};
    std::size_t members = 4, clients = 8, writes_per_client = 500, batch = 256;
    std::string mode = "strong";
    bool json = false;
    app.add_option("--members", members, "Miners in the group")->check(CLI::Range(1, 16));
    app.add_option("--clients", clients, "Concurrent clients")->check(CLI::Range(1, 64));
    app.add_option("--writes", writes_per_client, "Writes per client")->check(CLI::Range(1, 100000));
    app.add_option("--batch", batch, "Requests per batch at most")->check(CLI::Range(1, 8192));
    app.add_option("--mode", mode, "strong or eventual")->check(CLI::IsMember({"strong", "eventual"}));
    app.add_flag("--json", json, "Print one JSON object");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    sim::cluster_options options;
    options.members = members;
    options.clients = clients + 4;  // clients 4.. are plain writers
    options.batch_requests_max = batch;
    options.mode = mode == "eventual" ? consistency_mode::eventual : consistency_mode::strong;
    options.progress_timeout_ms = 1'000'000;
    sim::cluster c(options);
    const auto create = c.write(0, {sim::statement("CREATE TABLE bench(k INTEGER PRIMARY KEY, v BLOB)")});
    c.run_until([&] { return c.response(create).has_value(); }, 1000);

    const auto started = std::chrono::steady_clock::now();
    std::vector<digest> sent;
    for (std::size_t w = 0; w < writes_per_client; ++w)
        for (std::size_t k = 0; k < clients; ++k)
            sent.push_back(c.write(0, {sim::statement("INSERT INTO bench(v) VALUES(?)",
                                                      {sql_value::blob(bytes(100, 0x42))})},
                                   4 + k));
    std::int64_t simulated_ms = 0;
    std::size_t answered = 0, committed = 0;
    while (answered < sent.size() && simulated_ms < 600'000) {
        c.run_for(1);
        ++simulated_ms;
        answered = committed = 0;
        for (const auto& h : sent) {
            const auto r = c.response(h);
            if (!r) continue;
            ++answered;
            committed += std::holds_alternative<request_outcome>(r->body) ? 1 : 0;
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto status = c.status(0);
    const double rate = static_cast<double>(committed) / seconds;
    if (json) {
        std::cout << nlohmann::json{{"members", members},
                                    {"mode", mode},
                                    {"writes", sent.size()},
                                    {"answered", answered},
                                    {"committed", committed},
                                    {"wall_seconds", seconds},
                                    {"writes_per_second", rate},
                                    {"batches_committed", status.batches_committed},
                                    {"simulated_ms", simulated_ms}}
                         .dump()
                  << "\n";
    } else {
        std::cout << "kayak_bench: " << members << " members, " << mode << " mode, " << sent.size()
                  << " signed single-row inserts from " << clients << " clients\n"
                  << "  committed " << committed << " of " << answered << " answered in " << seconds
                  << " s wall: " << rate
                  << " writes/s on one thread\n"
                  << "  batches committed " << status.batches_committed << ", simulated time "
                  << simulated_ms << " ms\n";
    }
    return committed == sent.size() ? 0 : 1;
}
