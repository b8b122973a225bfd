// Assertions for Covenant's internal invariants. They stay on in every build type
// (release included): a broken invariant stops the process with the values involved,
// instead of letting a replica go on with corrupt state. Never use them for input that
// comes from outside (a client, a peer, a file): that gets an error value instead.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace covenant::detail {
[[noreturn]] inline void assertion_failed(const char* expression, const char* file, int line,
                                          const char* message) {
    std::fprintf(stderr, "covenant: assertion failed: %s (%s) at %s:%d\n", expression, message,
                 file, line);
    std::fflush(stderr);
    std::abort();
}
}  // namespace covenant::detail

/// COVENANT_ASSERT(condition, "what it means") -- always on.
#define COVENANT_ASSERT(condition, message)                                                   \
    do {                                                                                      \
        if (!(condition)) {                                                                   \
            ::covenant::detail::assertion_failed(#condition, __FILE__, __LINE__, (message));  \
        }                                                                                     \
    } while (false)
