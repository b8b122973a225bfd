// How a cql command reports failure: it throws a `failure` carrying a one-line message and
// the exit status; main() prints "cql: <command>: <message>" on stderr and exits with it.
#pragma once

#include <stdexcept>
#include <string>

namespace cql {

/// Exit statuses of cql.
inline constexpr int exit_ok = 0;
inline constexpr int exit_runtime_error = 1;  // the command could not do its work
inline constexpr int exit_usage_error = 2;    // the command line itself is wrong

class failure : public std::runtime_error {
public:
    explicit failure(const std::string& message, int exit_status = exit_runtime_error)
        : std::runtime_error(message), exit_status_(exit_status) {}
    int exit_status() const { return exit_status_; }

private:
    int exit_status_;
};

/// A failure caused by the command line (bad option values): exit status 2.
inline failure usage_failure(const std::string& message) {
    return failure(message, exit_usage_error);
}

}  // namespace cql
