// Names of the simulator's deliberate bugs (see injected_bugs.hpp).
#include "protocols/kayak/injected_bugs.hpp"

#include <array>

namespace covenant::kayak {
namespace {
constexpr std::array<std::string_view, injected_bug_count> names{
    "commit-without-quorum", "skip-client-signature-check", "new-leader-ignores-lock",
    "nondeterministic-time", "accept-stale-view"};
}  // namespace

std::string_view to_string(injected_bug bug) {
    return names.at(static_cast<std::size_t>(bug));
}

std::optional<injected_bug> parse_injected_bug(std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return static_cast<injected_bug>(i);
    return std::nullopt;
}

const std::vector<injected_bug>& all_injected_bugs() {
    static const std::vector<injected_bug> all = [] {
        std::vector<injected_bug> v;
        for (std::size_t i = 0; i < injected_bug_count; ++i)
            v.push_back(static_cast<injected_bug>(i));
        return v;
    }();
    return all;
}

std::vector<injected_bug> injected_bugs::list() const {
    std::vector<injected_bug> out;
    for (auto b : all_injected_bugs())
        if (has(b)) out.push_back(b);
    return out;
}

std::string injected_bugs::to_string() const {
    std::string out;
    for (auto b : list()) {
        if (!out.empty()) out += ',';
        out += kayak::to_string(b);
    }
    return out;
}

}  // namespace covenant::kayak
