// UTF-8 validation and clean-up (see utf8.hpp).
#include "common/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace covenant {
namespace {

/// Length of the well-formed sequence starting at `i`, or 0 if it is not well formed.
std::size_t sequence_length(std::string_view text, std::size_t i) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    const unsigned char c = s[i];
    if (c < 0x80) return 1;
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
        extra = 1;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        extra = 2;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        extra = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + extra >= size) return 0;
    for (std::size_t k = 1; k <= extra; ++k) {
        if ((s[i + k] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    static constexpr std::uint32_t min_for_length[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[extra] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
    return extra + 1;
}

}  // namespace

bool valid_utf8(std::string_view text) {
    // Text is mostly ASCII (every value of a bulk insert is checked at every member): eight
    // bytes at a time while none has its high bit set, byte sequences only past that.
    constexpr std::uint64_t high_bits = 0x8080808080808080ull;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text.size() - i >= sizeof(std::uint64_t)) {
            std::uint64_t word;
            std::memcpy(&word, text.data() + i, sizeof word);
            if ((word & high_bits) == 0) {
                i += sizeof word;
                continue;
            }
        }
        const std::size_t length = sequence_length(text, i);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

std::string printable_utf8(std::string_view text, std::size_t max_bytes) {
    static constexpr std::string_view replacement = "\xef\xbf\xbd";  // U+FFFD
    std::string out;
    out.reserve(text.size() < max_bytes ? text.size() : max_bytes);
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t length = sequence_length(text, i);
        std::string_view piece;
        if (length == 0 || text[i] == '\0') {
            piece = replacement;
            length = 1;
        } else {
            piece = text.substr(i, length);
        }
        if (out.size() + piece.size() > max_bytes) break;
        out.append(piece);
        i += length;
    }
    return out;
}

}  // namespace covenant
