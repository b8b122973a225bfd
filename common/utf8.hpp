// UTF-8, by one set of rules for the whole project: the wire codec refuses text that is not
// valid by them, and the SQL executor checks result text against them and cleans up names
// and messages it shows clients, deterministically.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace covenant {

/// Well-formed UTF-8 by the codec's rules: no overlong forms, no surrogates, nothing past
/// U+10FFFF. NUL bytes are valid here.
bool valid_utf8(std::string_view text);

/// `text` with every invalid sequence and every NUL replaced by U+FFFD, cut at a character
/// boundary to at most `max_bytes` bytes. The same input gives the same output everywhere.
std::string printable_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace covenant
