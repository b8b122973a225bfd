// A linearizability checker for one register (Wing & Gong's search, with Lowe's memo of
// visited configurations): is there a total order of the operations, consistent with their
// real-time order (an operation that completed before another was invoked comes first),
// in which every read returns the last value written before it?
//
// Histories come from the register workload of covenant-sim on a strong-mode database:
// each write's value is unique, and an operation whose outcome the client never learned
// (no response, or only refusals) is pending: a pending write may or may not have taken
// effect (it is placed anywhere after its invocation, or left out), a pending read says
// nothing and is dropped by the caller. The search is exponential in the worst case, so a
// history is bounded (register_history_max) and the workload spreads its operations over
// several keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace covenant::sim {

inline constexpr std::size_t register_history_max = 64;  // operations per key (a bitmask)

struct register_op {
    enum class kind { read, write } type = kind::write;
    std::int64_t value = 0;  // written, or read
    std::int64_t invoke_ms = 0;
    std::optional<std::int64_t> complete_ms;  // none: pending (writes only)
};

/// nullopt if the history is linearizable from `initial`; otherwise why not (the ops that
/// could not be placed). Asserts on a history over register_history_max.
std::optional<std::string> linearizability_fault(const std::vector<register_op>& history,
                                                 std::int64_t initial);

}  // namespace covenant::sim
