// Wing & Gong's linearizability search for one register (see the header).
#include "sim/check/linearizability.hpp"

#include <limits>
#include <set>
#include <utility>

#include "common/assert.hpp"

namespace covenant::sim {
namespace {

constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

struct search {
    const std::vector<register_op>& ops;
    std::uint64_t must_place = 0;  // completed operations: all must be linearized
    std::set<std::pair<std::uint64_t, std::int64_t>> dead;  // (placed set, value) that failed

    std::int64_t complete(std::size_t i) const { return ops[i].complete_ms.value_or(never); }

    // Places operations one at a time. A not-yet-placed operation may go next only if it
    // was invoked before every other unplaced operation completed (else that one must come
    // first in real time).
    bool from(std::uint64_t placed, std::int64_t value) {
        if ((placed & must_place) == must_place) return true;
        if (dead.count({placed, value})) return false;
        std::int64_t earliest_complete = never;
        for (std::size_t i = 0; i < ops.size(); ++i)
            if (!(placed >> i & 1)) earliest_complete = std::min(earliest_complete, complete(i));
        for (std::size_t i = 0; i < ops.size(); ++i) {
            if (placed >> i & 1) continue;
            if (ops[i].invoke_ms > earliest_complete) continue;
            const std::uint64_t next = placed | (std::uint64_t{1} << i);
            if (ops[i].type == register_op::kind::write) {
                if (from(next, ops[i].value)) return true;
            } else if (ops[i].value == value && from(next, value)) {
                return true;
            }
        }
        dead.insert({placed, value});
        return false;
    }
};

}  // namespace

std::optional<std::string> linearizability_fault(const std::vector<register_op>& history,
                                                 std::int64_t initial) {
    COVENANT_ASSERT(history.size() <= register_history_max, "register history too long to search");
    search s{history, 0, {}};
    for (std::size_t i = 0; i < history.size(); ++i) {
        COVENANT_ASSERT(history[i].complete_ms || history[i].type == register_op::kind::write,
                        "a pending read is dropped by the caller");
        if (history[i].complete_ms) s.must_place |= std::uint64_t{1} << i;
    }
    if (s.from(0, initial)) return std::nullopt;
    std::string out = "no linearization of " + std::to_string(history.size()) + " operations:";
    for (const auto& op : history) {
        out += op.type == register_op::kind::write ? " w(" : " r(";
        out += std::to_string(op.value) + ")@" + std::to_string(op.invoke_ms) + "-" +
               (op.complete_ms ? std::to_string(*op.complete_ms) : std::string("?"));
    }
    return out;
}

}  // namespace covenant::sim
