// Messages for crypto_errc.
#include "crypto/errors.hpp"

#include <string>

namespace covenant::crypto {
namespace {
class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "crypto"; }
    std::string message(int value) const override {
        switch (static_cast<crypto_errc>(value)) {
            case crypto_errc::file_unreadable: return "cannot read file";
            case crypto_errc::file_exists: return "file already exists";
            case crypto_errc::file_unwritable: return "cannot write file";
            case crypto_errc::key_file_not_covenant: return "not a Covenant key file";
            case crypto_errc::key_file_unsupported_version:
                return "unsupported key file version";
            case crypto_errc::key_file_truncated: return "key file is truncated";
            case crypto_errc::key_file_too_long: return "key file has trailing bytes";
            case crypto_errc::key_file_bad_parameters:
                return "key file has invalid parameters";
            case crypto_errc::key_file_wrong_passphrase_or_altered:
                return "wrong passphrase, or the key file was altered";
            case crypto_errc::key_file_inconsistent:
                return "key file decrypts to a key that does not match its public key";
            case crypto_errc::empty_passphrase: return "passphrase must not be empty";
        }
        return "unknown crypto error";
    }
};
}  // namespace

const std::error_category& crypto_category() {
    static const category instance;
    return instance;
}

}  // namespace covenant::crypto
