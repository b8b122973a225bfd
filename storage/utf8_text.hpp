// UTF-8 checks for text leaving the SQL executor. The wire codec refuses text that is not
// valid UTF-8 (and NUL outside SQL values), so result text is checked before it is
// returned, and names and messages shown to clients are cleaned up deterministically.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace covenant::storage {

/// Well-formed UTF-8 by the codec's rules: no overlong forms, no surrogates, nothing past
/// U+10FFFF. NUL bytes are valid here.
bool valid_utf8(std::string_view text);

/// `text` with every invalid sequence and every NUL replaced by U+FFFD, cut at a character
/// boundary to at most `max_bytes` bytes. The same input gives the same output everywhere.
std::string printable_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace covenant::storage
