// The real-network part of covenant-bench (see bench.hpp): runs process_bench.py, which
// starts covenant-node processes on loopback and this binary's load clients, and reads
// back the one JSON object it prints.
#include <array>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "tools/covenant-bench/bench.hpp"

namespace covenant::bench {

namespace {
std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}
}  // namespace

json measure_processes(const process_options& o) {
    std::ostringstream command;
    command << "python3 " << quoted(o.driver) << " --node " << quoted(o.node_binary) << " --cql "
            << quoted(o.cql_binary) << " --bench " << quoted(o.self_path) << " --seconds "
            << o.seconds_per_workload << " --clients " << o.clients << " --window " << o.window
            << " --memory-rows " << o.memory_rows << " --gateway-clients " << o.gateway_clients
            << " --gateway-seconds " << o.gateway_seconds << " --pipeline-depth "
            << o.pipeline_depth;
    if (!o.probe_rates.empty()) {
        command << " --probe-rates ";
        for (std::size_t i = 0; i < o.probe_rates.size(); ++i)
            command << (i ? "," : "") << o.probe_rates[i];
    }
    if (!o.directory.empty()) command << " --dir " << quoted(o.directory);
    if (o.keep) command << " --keep";
    if (!o.latency_trace_directory.empty())
        command << " --trace-latencies " << quoted(o.latency_trace_directory);
    // The driver's progress lines go to our stderr; its stdout is the JSON object.
    FILE* pipe = ::popen(command.str().c_str(), "r");
    if (pipe == nullptr) return json{{"error", "cannot run " + o.driver}};
    std::string text;
    std::array<char, 65536> buffer{};
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
        text.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    const auto last =
        text.find_last_of('{') == std::string::npos ? std::string::npos : text.rfind("\n{");
    const std::string object = last == std::string::npos ? text : text.substr(last + 1);
    try {
        auto out = json::parse(object);
        if (status != 0 && !out.contains("error"))
            out["error"] = "process_bench exited " + std::to_string(status);
        return out;
    } catch (const json::exception&) {
        return json{
            {"error", "process_bench printed no JSON (exit " + std::to_string(status) + ")"}};
    }
}

}  // namespace covenant::bench
