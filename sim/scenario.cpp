// Scenario options and their file (see scenario.hpp; keys: docs/simulator.md).
#include "sim/scenario.hpp"

#include <algorithm>
#include <system_error>

#include "protocols/kayak/injected_bugs.hpp"
#include "sim/byzantine.hpp"
#include "toml_reader.hpp"

namespace covenant::sim {
namespace {

using node::toml_error;
using node::toml_fail;
using node::toml_table_reader;

constexpr std::size_t scenario_bytes_max = 64u << 10;

void probability_into(toml_table_reader& r, const std::string& k, double& out) {
    const toml::node* n = r.take(k);
    if (n == nullptr) return;
    double v = 0;
    if (n->is_floating_point())
        v = n->as_floating_point()->get();
    else if (n->is_integer())
        v = static_cast<double>(n->as_integer()->get());
    else
        toml_fail(r.key(k), n,
                  "expected a probability (0 to 1), found " + node::toml_type_name(*n));
    if (!(v >= 0.0 && v <= 1.0)) toml_fail(r.key(k), n, "must be between 0 and 1");
    out = v;
}

void names_into(toml_table_reader& r, const std::string& k, std::vector<std::string>& out,
                const std::vector<std::string>& known) {
    const toml::node* n = r.take(k);
    if (n == nullptr) return;
    if (!n->is_array())
        toml_fail(r.key(k), n, "expected an array of names, found " + node::toml_type_name(*n));
    out.clear();
    for (const auto& item : *n->as_array()) {
        if (!item.is_string()) toml_fail(r.key(k), &item, "expected a name (a string)");
        const auto name = item.value<std::string>().value_or("");
        if (std::find(known.begin(), known.end(), name) == known.end())
            toml_fail(r.key(k), &item, "unknown name '" + name + "'");
        out.push_back(name);
    }
}

constexpr std::int64_t hour_ms = 3'600'000;

void read_faults(toml_table_reader& r, fault_options& f) {
    r.integer_into("tick_ms", f.tick_ms, 10, 60'000);
    if (auto* t = r.sub_table("network")) {
        toml_table_reader n(*t, r.key("network"));
        n.boolean_into("enabled", f.network);
        probability_into(n, "drop", f.drop);
        probability_into(n, "duplicate", f.duplicate);
        n.integer_into("delay_min_ms", f.delay_min_ms, 0, 10'000);
        n.integer_into("delay_max_ms", f.delay_max_ms, 0, 10'000);
        n.boolean_into("reorder", f.reorder);
        n.finish();
    }
    if (auto* t = r.sub_table("partitions")) {
        toml_table_reader n(*t, r.key("partitions"));
        n.boolean_into("enabled", f.partitions);
        probability_into(n, "chance", f.partition);
        n.integer_into("ms_max", f.partition_ms_max, 1, hour_ms);
        n.boolean_into("halves", f.partition_halves);
        n.boolean_into("isolate_leader", f.partition_isolate_leader);
        n.boolean_into("one_way", f.partition_one_way);
        n.finish();
    }
    if (auto* t = r.sub_table("clogging")) {
        toml_table_reader n(*t, r.key("clogging"));
        n.boolean_into("enabled", f.clogging);
        probability_into(n, "chance", f.clog);
        n.integer_into("ms_max", f.clog_ms_max, 1, hour_ms);
        n.finish();
    }
    if (auto* t = r.sub_table("crashes")) {
        toml_table_reader n(*t, r.key("crashes"));
        n.boolean_into("enabled", f.crashes);
        probability_into(n, "chance", f.crash);
        probability_into(n, "whole_group_chance", f.crash_group);
        n.integer_into("down_ms_max", f.down_ms_max, 1, hour_ms);
        n.finish();
    }
    if (auto* t = r.sub_table("stale_views")) {
        toml_table_reader n(*t, r.key("stale_views"));
        n.boolean_into("enabled", f.stale_views);
        probability_into(n, "chance", f.stale_view);
        n.finish();
    }
    if (auto* t = r.sub_table("leader_loss")) {
        toml_table_reader n(*t, r.key("leader_loss"));
        n.boolean_into("enabled", f.leader_loss);
        probability_into(n, "chance", f.leader_loss_chance);
        n.finish();
    }
    if (auto* t = r.sub_table("clock_skew")) {
        toml_table_reader n(*t, r.key("clock_skew"));
        n.boolean_into("enabled", f.clock_skew);
        n.integer_into("ms_max", f.clock_skew_ms_max, 0, hour_ms);
        n.finish();
    }
}

}  // namespace

const std::vector<std::string>& known_byzantine_behaviors() {
    // sim/byzantine.hpp's names, and "all" for every one.
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out{"all"};
        for (auto b : all_byzantine_behaviors()) out.emplace_back(to_string(b));
        return out;
    }();
    return names;
}

const std::vector<std::string>& known_bugs() {
    // protocols/kayak/injected_bugs.hpp's names.
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (auto b : kayak::all_injected_bugs()) out.emplace_back(kayak::to_string(b));
        return out;
    }();
    return names;
}

std::optional<std::string> scenario::problem() const {
    if (producers < 1) return "producers: at least 1";
    if (miners < 1) return "miners: at least 1";
    if (members < 1 || members > miners)
        return "members (" + std::to_string(members) + ") must be between 1 and the miners (" +
               std::to_string(miners) + ")";
    if (databases < 1) return "databases: at least 1";
    if (clients < 1) return "clients: at least 1 (client 0 owns the databases)";
    if (accounts < 2 && bank) return "accounts: at least 2 for the bank";
    if (registers < 1 && registers_workload) return "registers: at least 1";
    if (faults.delay_min_ms > faults.delay_max_ms) return "delay_min_ms is above delay_max_ms";
    if (duration_ms < 1000) return "duration_ms: at least 1000";
    const std::size_t f = (members - 1) / 3;
    if (byzantine_producers > producers)
        return "byzantine producers: more than the " + std::to_string(producers) + " producers";
    if (byzantine_per_group > members)
        return "byzantine: more than the " + std::to_string(members) + " members of a group";
    if (beyond_f) return std::nullopt;
    if (byzantine_producers > (producers - 1) / 3)
        return "byzantine producers: " + std::to_string(byzantine_producers) +
               " is more than f = " + std::to_string((producers - 1) / 3) + " of " +
               std::to_string(producers) + " producers";
    if (byzantine_per_group > f)
        return "byzantine: " + std::to_string(byzantine_per_group) +
               " per group is more than f = " + std::to_string(f) + " for groups of " +
               std::to_string(members) + " (beyond_f allows it)";
    return std::nullopt;
}

void no_faults(fault_options& f) {
    f.network = f.partitions = f.clogging = f.crashes = f.leader_loss = f.stale_views =
        f.clock_skew = false;
}

result<scenario> read_scenario_text(const std::string& text, scenario s) {
    auto parsed = node::parse_toml_text(text, "scenario");
    if (!parsed) return parsed.failure();
    const toml::table root = std::move(parsed).value();
    try {
        toml_table_reader r(root, "");
        r.integer_into("producers", s.producers, 1, 64);
        r.integer_into("miners", s.miners, 1, 128);
        r.integer_into("databases", s.databases, 1, 32);
        r.integer_into("members", s.members, 1, 64);
        r.integer_into("clients", s.clients, 1, 64);
        r.integer_into("operations", s.operations, 0, 1'000'000);
        r.integer_into("duration_ms", s.duration_ms, 1000, 24 * hour_ms);
        r.integer_into("liveness_ms", s.liveness_ms, 1000, 24 * hour_ms);
        if (auto* t = r.sub_table("workload")) {
            toml_table_reader w(*t, "workload");
            w.boolean_into("bank", s.bank);
            w.boolean_into("registers", s.registers_workload);
            w.boolean_into("mix", s.mix);
            w.boolean_into("chain_transfers", s.chain_transfers);
            w.integer_into("accounts", s.accounts, 0, 10'000);
            w.integer_into("initial_balance", s.initial_balance, 0, 1'000'000'000);
            w.integer_into("register_keys", s.registers, 0, 1000);
            w.integer_into("think_ms_max", s.think_ms_max, 0, hour_ms);
            w.integer_into("resend_ms", s.resend_ms, 10, hour_ms);
            w.finish();
        }
        if (auto* t = r.sub_table("faults")) {
            toml_table_reader f(*t, "faults");
            read_faults(f, s.faults);
            f.finish();
        }
        if (auto* t = r.sub_table("byzantine")) {
            toml_table_reader b(*t, "byzantine");
            b.integer_into("per_group", s.byzantine_per_group, 0, 21);
            b.integer_into("producers", s.byzantine_producers, 0, 21);
            b.boolean_into("beyond_f", s.beyond_f);
            names_into(b, "behaviors", s.byzantine_behaviors, known_byzantine_behaviors());
            names_into(b, "inject_bugs", s.inject_bugs, known_bugs());
            b.finish();
        }
        r.finish();
    } catch (const toml_error& e) {
        return error{std::make_error_code(std::errc::invalid_argument), e.message};
    }
    if (auto p = s.problem()) return error{std::make_error_code(std::errc::invalid_argument), *p};
    return s;
}

result<scenario> read_scenario_file(const std::string& path, scenario base) {
    auto file = node::read_config_file(path, scenario_bytes_max);
    if (!file) return file.failure();
    auto s = read_scenario_text(file->text, std::move(base));
    if (!s) return error{s.failure().code, path + ": " + s.failure().detail};
    return s;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_seed_range(const std::string& text) {
    auto number = [](const std::string& t) -> std::optional<std::uint64_t> {
        if (t.empty() || t.size() > 19 ||
            !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        return std::stoull(t);
    };
    const auto dash = text.find('-');
    if (dash == std::string::npos) {
        auto n = number(text);
        if (!n) return std::nullopt;
        return std::make_pair(*n, *n);
    }
    auto a = number(text.substr(0, dash));
    auto b = number(text.substr(dash + 1));
    if (!a || !b || *a > *b) return std::nullopt;
    return std::make_pair(*a, *b);
}

}  // namespace covenant::sim
