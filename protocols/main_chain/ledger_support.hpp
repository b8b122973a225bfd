// Small helpers the ledger's rule files share: overflow-safe arithmetic on token amounts.
// Internal to protocols/main_chain.
#pragma once

#include <cstdint>
#include <limits>

namespace covenant::main_chain {

inline bool add_fits(std::uint64_t a, std::uint64_t b) {
    return a <= std::numeric_limits<std::uint64_t>::max() - b;
}
inline std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    return add_fits(a, b) ? a + b : std::numeric_limits<std::uint64_t>::max();
}

}  // namespace covenant::main_chain
