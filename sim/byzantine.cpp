// Names and sets of Byzantine behaviors (see byzantine.hpp).
#include "sim/byzantine.hpp"

#include <array>

namespace covenant::sim {
namespace {
constexpr std::array<std::string_view, byzantine_behavior_count> names{
    "equivocate",     "alter-requests",  "wrong-results", "wrong-digests",
    "withhold-votes", "duplicate-votes", "replay-old",    "malformed-bytes"};
}  // namespace

std::string_view to_string(byzantine_behavior behavior) {
    return names.at(static_cast<std::size_t>(behavior));
}

std::optional<byzantine_behavior> parse_byzantine_behavior(std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return static_cast<byzantine_behavior>(i);
    return std::nullopt;
}

const std::vector<byzantine_behavior>& all_byzantine_behaviors() {
    static const std::vector<byzantine_behavior> all = [] {
        std::vector<byzantine_behavior> v;
        for (std::size_t i = 0; i < byzantine_behavior_count; ++i)
            v.push_back(static_cast<byzantine_behavior>(i));
        return v;
    }();
    return all;
}

byzantine_behaviors byzantine_behaviors::all() {
    byzantine_behaviors b;
    for (auto x : all_byzantine_behaviors()) b.add(x);
    return b;
}

std::vector<byzantine_behavior> byzantine_behaviors::list() const {
    std::vector<byzantine_behavior> out;
    for (auto b : all_byzantine_behaviors())
        if (has(b)) out.push_back(b);
    return out;
}

std::string byzantine_behaviors::to_string() const {
    if (*this == all()) return "all";
    std::string out;
    for (auto b : list()) {
        if (!out.empty()) out += ',';
        out += sim::to_string(b);
    }
    return out;
}

std::optional<byzantine_behaviors> parse_byzantine_behaviors(std::string_view list) {
    if (list == "all") return byzantine_behaviors::all();
    byzantine_behaviors out;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto name = list.substr(0, comma);
        auto b = parse_byzantine_behavior(name);
        if (!b) return std::nullopt;
        out.add(*b);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    if (out.empty()) return std::nullopt;
    return out;
}

}  // namespace covenant::sim
