// A fixed-size byte string with a tag type, so that a public key, a signature, a digest
// and a node id are distinct types the compiler keeps apart, though all are just bytes.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace covenant {

template <class Tag, std::size_t N>
struct fixed_bytes {
    static constexpr std::size_t size_bytes = N;
    std::array<std::uint8_t, N> data{};

    static constexpr std::size_t size() { return N; }
    const std::uint8_t* begin() const { return data.data(); }
    const std::uint8_t* end() const { return data.data() + N; }
    byte_view view() const { return byte_view(data.data(), N); }
    std::string hex() const { return to_hex(view()); }
    bool is_zero() const {
        return std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0; });
    }

    /// Exactly N bytes, or nullopt.
    static std::optional<fixed_bytes> from_view(byte_view v) {
        if (v.size() != N) return std::nullopt;
        fixed_bytes out;
        std::memcpy(out.data.data(), v.data(), N);
        return out;
    }
    /// Exactly 2N hex characters, or nullopt.
    static std::optional<fixed_bytes> from_hex_string(std::string_view text) {
        auto raw = covenant::from_hex(text);
        if (!raw) return std::nullopt;
        return from_view(*raw);
    }

    friend bool operator==(const fixed_bytes& a, const fixed_bytes& b) { return a.data == b.data; }
    friend bool operator!=(const fixed_bytes& a, const fixed_bytes& b) { return a.data != b.data; }
    friend bool operator<(const fixed_bytes& a, const fixed_bytes& b) { return a.data < b.data; }
};

}  // namespace covenant
