// Errors of the wire protocol: every way a message from outside can be unacceptable.
// Decoders return these as values; the detail names the field and the limit or value.
#pragma once

#include <system_error>

namespace covenant::protocols {

enum class protocol_errc {
    malformed = 1,      // not a valid Cap'n Proto message of the expected schema
    too_large,          // the whole message exceeds its size limit
    limit_exceeded,     // a list, text or blob exceeds its limit
    wrong_size,         // a fixed-size field (key, digest, signature) has the wrong length
    unknown_enum,       // an enum or union value this version does not know
    invalid_value,      // a value outside its domain (NaN, negative time, zero count, bad UTF-8)
    bad_signature,      // a signature does not verify
    insufficient_work,  // a node id without the required proof of work
    inconsistent,       // fields that must agree do not (roots, counts, hashes, slots)
    not_canonical,      // duplicate or unsorted signers, or another non-canonical form
};

const std::error_category& protocol_category();
inline std::error_code make_error_code(protocol_errc e) {
    return {static_cast<int>(e), protocol_category()};
}

}  // namespace covenant::protocols

template <>
struct std::is_error_code_enum<covenant::protocols::protocol_errc> : std::true_type {};
