// Errors of the crypto module: what can go wrong with outside input such as key files.
#pragma once

#include <system_error>

namespace covenant::crypto {

enum class crypto_errc {
    file_unreadable = 1,
    file_exists,
    file_unwritable,
    key_file_not_covenant,
    key_file_unsupported_version,
    key_file_truncated,
    key_file_too_long,
    key_file_bad_parameters,
    key_file_wrong_passphrase_or_altered,
    key_file_inconsistent,
    empty_passphrase,
};

const std::error_category& crypto_category();
inline std::error_code make_error_code(crypto_errc e) {
    return {static_cast<int>(e), crypto_category()};
}

}  // namespace covenant::crypto

template <>
struct std::is_error_code_enum<covenant::crypto::crypto_errc> : std::true_type {};
