// See isolated_run.hpp. The child writes its run_result as one JSON object to a pipe; its
// stderr goes to an unlinked temporary file that the parent reads back afterwards.
#include "tools/covenant-sim/isolated_run.hpp"

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace covenant::sim {
namespace {

nlohmann::json to_json(const run_result& r) {
    nlohmann::json found = nlohmann::json::array();
    for (const auto& v : r.found) found.push_back({{"checker", v.checker}, {"where", v.where}, {"what", v.what}});
    return {{"seed", r.seed},
            {"trace_hash", r.trace_hash.hex()},
            {"trace_events", r.trace_events},
            {"found", found},
            {"ops_sent", r.ops_sent},
            {"ops_committed", r.ops_committed},
            {"ops_refused", r.ops_refused},
            {"transfers_sent", r.transfers_sent},
            {"transfers_included", r.transfers_included},
            {"sim_ms", r.sim_ms},
            {"register_ops_checked", r.register_ops_checked},
            {"main_height", r.main_height},
            {"known_divergent", r.known_divergent},
            {"faults", r.faults}};
}

run_result from_json(const nlohmann::json& j) {
    run_result r;
    r.seed = j.at("seed").get<std::uint64_t>();
    if (auto hash = digest::from_hex_string(j.at("trace_hash").get<std::string>())) r.trace_hash = *hash;
    r.trace_events = j.at("trace_events").get<std::uint64_t>();
    for (const auto& v : j.at("found"))
        r.found.push_back({v.at("checker").get<std::string>(), v.at("where").get<std::string>(),
                           v.at("what").get<std::string>()});
    r.ops_sent = j.at("ops_sent").get<std::uint64_t>();
    r.ops_committed = j.at("ops_committed").get<std::uint64_t>();
    r.ops_refused = j.at("ops_refused").get<std::uint64_t>();
    r.transfers_sent = j.at("transfers_sent").get<std::uint64_t>();
    r.transfers_included = j.at("transfers_included").get<std::uint64_t>();
    r.sim_ms = j.at("sim_ms").get<std::int64_t>();
    r.register_ops_checked = j.at("register_ops_checked").get<std::uint64_t>();
    r.main_height = j.at("main_height").get<std::uint64_t>();
    r.known_divergent = j.at("known_divergent").get<std::uint64_t>();
    r.faults = j.at("faults").get<std::map<std::string, std::uint64_t>>();
    return r;
}

// What the child printed to stderr; the line naming the failed assertion, if any.
std::string copy_out(std::FILE* file, std::string& assertion) {
    std::string all;
    std::rewind(file);
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) all.append(buffer, n);
    std::size_t at = all.rfind("assertion failed: ");
    if (at != std::string::npos) {
        const auto end = all.find('\n', at);
        assertion = all.substr(at, end == std::string::npos ? std::string::npos : end - at);
    }
    return all;
}

run_result died(std::uint64_t seed, const std::string& how) {
    run_result r;
    r.seed = seed;
    r.found.push_back({"invariant", "a node's process", how});
    return r;
}

}  // namespace

run_result run_seed_in_child(const scenario& s, std::uint64_t seed, bool verbose) {
    int out[2];
    if (pipe(out) != 0) return died(seed, "covenant-sim could not make a pipe for the run");
    std::FILE* errors = std::tmpfile();
    if (errors == nullptr) return died(seed, "covenant-sim could not make a file for the run's stderr");
    std::cout.flush();
    std::cerr.flush();
    const pid_t child = fork();
    if (child < 0) return died(seed, "covenant-sim could not fork the run");
    if (child == 0) {
        close(out[0]);
        dup2(fileno(errors), STDERR_FILENO);
        const std::string text = to_json(run_seed(s, seed, verbose ? &std::cerr : nullptr)).dump();
        std::cerr.flush();
        for (std::size_t sent = 0; sent < text.size();) {
            const auto n = write(out[1], text.data() + sent, text.size() - sent);
            if (n <= 0) _exit(3);
            sent += static_cast<std::size_t>(n);
        }
        _exit(0);
    }
    close(out[1]);
    std::string text;
    char buffer[65536];
    for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
    close(out[0]);
    int status = 0;
    waitpid(child, &status, 0);
    std::string assertion;
    std::cerr << copy_out(errors, assertion);
    std::fclose(errors);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        auto parsed = nlohmann::json::parse(text, nullptr, false);
        if (!parsed.is_discarded()) return from_json(parsed);
        return died(seed, "the run's result did not arrive whole");
    }
    std::string how = WIFSIGNALED(status) ? "stopped by signal " + std::to_string(WTERMSIG(status))
                                          : "exited with " + std::to_string(WEXITSTATUS(status));
    if (!assertion.empty()) how += ": " + assertion;
    return died(seed, "the run " + how);
}

}  // namespace covenant::sim
