// Error values for failures caused by outside input (a peer, a client, a file, the
// command line). Each module has its own error enum and std::error_category; an error
// carries the code plus a detail naming what was wrong (a field, a limit, a path).
#pragma once

#include <string>
#include <system_error>
#include <utility>
#include <variant>

#include "common/assert.hpp"

namespace covenant {

struct error {
    std::error_code code;
    std::string detail;

    /// "category: code message: detail", one line, for logs and the command line.
    std::string message() const {
        std::string out = code.message();
        if (!detail.empty()) out += ": " + detail;
        return out;
    }
};

/// A value or an error. Accessing the wrong alternative is an assertion failure.
template <class T>
class [[nodiscard]] result {
public:
    result(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design
    result(error failure) : state_(std::move(failure)) {}  // NOLINT: implicit by design

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        COVENANT_ASSERT(ok(), "result::value() on an error");
        return std::get<0>(state_);
    }
    const T& value() const& {
        COVENANT_ASSERT(ok(), "result::value() on an error");
        return std::get<0>(state_);
    }
    T&& value() && {
        COVENANT_ASSERT(ok(), "result::value() on an error");
        return std::get<0>(std::move(state_));
    }
    const error& failure() const {
        COVENANT_ASSERT(!ok(), "result::failure() on a value");
        return std::get<1>(state_);
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, error> state_;
};

/// For operations that succeed with no value.
struct nothing {};

}  // namespace covenant
