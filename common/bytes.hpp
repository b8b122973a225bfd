// Byte buffers and read-only byte views, with hex conversion. Every module that moves
// raw bytes (keys, hashes, wire messages, files) uses these two types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace covenant {

using bytes = std::vector<std::uint8_t>;

/// A non-owning view of contiguous bytes (C++17 has no std::span).
class byte_view {
public:
    constexpr byte_view() = default;
    constexpr byte_view(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    byte_view(const bytes& b) : data_(b.data()), size_(b.size()) {}  // NOLINT: implicit by design
    byte_view(std::string_view s)  // NOLINT: implicit by design
        : data_(reinterpret_cast<const std::uint8_t*>(s.data())), size_(s.size()) {}

    constexpr const std::uint8_t* data() const { return data_; }
    constexpr std::size_t size() const { return size_; }
    constexpr bool empty() const { return size_ == 0; }
    constexpr const std::uint8_t* begin() const { return data_; }
    constexpr const std::uint8_t* end() const { return data_ + size_; }
    std::uint8_t operator[](std::size_t i) const { return data_[i]; }
    bytes to_bytes() const { return bytes(begin(), end()); }

private:
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

inline bool operator==(byte_view a, byte_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) return false;
    return true;
}
inline bool operator!=(byte_view a, byte_view b) { return !(a == b); }

/// Lower-case hex, two characters per byte.
std::string to_hex(byte_view data);

/// Parses hex (either case, even length); nullopt on any other character or odd length.
std::optional<bytes> from_hex(std::string_view text);

}  // namespace covenant
