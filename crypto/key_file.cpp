// Encrypted key files: Argon2id key derivation, XChaCha20-Poly1305 sealing, careful I/O.
#include "crypto/key_file.hpp"

#include <botan/argon2.h>
#include <botan/mem_ops.h>
#include <botan/sodium.h>
#include <botan/system_rng.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <new>
#include <optional>

#include "crypto/errors.hpp"

namespace covenant::crypto {
namespace {

constexpr std::array<std::uint8_t, 4> magic = {'C', 'V', 'K', 'F'};
constexpr std::uint8_t version_1 = 1;
constexpr std::uint8_t kdf_argon2id = 1;
constexpr std::uint8_t aead_xchacha20poly1305 = 1;
constexpr std::size_t salt_size = 16;
constexpr std::size_t nonce_size = 24;
constexpr std::size_t tag_size = 16;
constexpr std::size_t header_size = 4 + 1 + 1 + 4 + 4 + 4 + salt_size + 1 + nonce_size + 32;
static_assert(header_size + 32 + tag_size == key_file_size);
constexpr std::size_t read_limit = 4096;  // far above any version's size

error fail(crypto_errc code, std::string detail = {}) { return error{code, std::move(detail)}; }

void put_u32(bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::uint8_t>(v >> shift));
}
std::uint32_t get_u32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
           (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

// Argon2id(passphrase, salt) -> 32-byte AEAD key; nullopt if the memory it needs cannot
// be had (the parameters are bounded, but the machine may be short of memory).
std::optional<std::array<std::uint8_t, 32>> derive_key(std::string_view passphrase,
                                                       const std::uint8_t* salt,
                                                       const kdf_parameters& params) {
    std::array<std::uint8_t, 32> key{};
    try {
        Botan::argon2(key.data(), key.size(), passphrase.data(), passphrase.size(), salt,
                      salt_size, nullptr, 0, nullptr, 0, /*Argon2id*/ 2, params.parallelism,
                      params.memory_kib, params.iterations);
    } catch (const std::bad_alloc&) {
        return std::nullopt;
    }
    return key;
}

}  // namespace

bool kdf_parameters::valid() const {
    return memory_kib >= memory_kib_min && memory_kib <= memory_kib_max &&
           iterations >= iterations_min && iterations <= iterations_max &&
           parallelism >= parallelism_min && parallelism <= parallelism_max &&
           memory_kib >= 8 * parallelism &&  // Argon2's own lower bound
           std::uint64_t{memory_kib} * iterations <= work_kib_passes_max;
}

bytes seal_key_with(const key_pair& pair, std::string_view passphrase,
                    const kdf_parameters& params, byte_view salt, byte_view nonce) {
    COVENANT_ASSERT(salt.size() == salt_size && nonce.size() == nonce_size,
                    "key file salt must be 16 bytes and nonce 24");
    COVENANT_ASSERT(params.valid(), "key file KDF parameters out of bounds");
    bytes out(magic.begin(), magic.end());
    out.push_back(version_1);
    out.push_back(kdf_argon2id);
    put_u32(out, params.memory_kib);
    put_u32(out, params.iterations);
    put_u32(out, params.parallelism);
    out.insert(out.end(), salt.begin(), salt.end());
    out.push_back(aead_xchacha20poly1305);
    out.insert(out.end(), nonce.begin(), nonce.end());
    out.insert(out.end(), pair.public_key().begin(), pair.public_key().end());
    COVENANT_ASSERT(out.size() == header_size, "key file header size");

    auto key = derive_key(passphrase, salt.data(), params);
    COVENANT_ASSERT(key.has_value(), "out of memory deriving a key file's key");
    out.resize(key_file_size);
    unsigned long long sealed_length = 0;
    Botan::Sodium::crypto_aead_xchacha20poly1305_ietf_encrypt(
        out.data() + header_size, &sealed_length, pair.seed().bytes().data(), 32, out.data(),
        header_size, nullptr, nonce.data(), key->data());
    Botan::secure_scrub_memory(key->data(), key->size());
    COVENANT_ASSERT(sealed_length == 32 + tag_size, "sealed key length");
    return out;
}

result<bytes> seal_key(const key_pair& pair, std::string_view passphrase,
                       const kdf_parameters& params) {
    if (passphrase.empty()) return fail(crypto_errc::empty_passphrase);
    if (!params.valid()) return fail(crypto_errc::key_file_bad_parameters, "KDF parameters");
    std::array<std::uint8_t, salt_size> salt{};
    std::array<std::uint8_t, nonce_size> nonce{};
    Botan::system_rng().randomize(salt.data(), salt.size());
    Botan::system_rng().randomize(nonce.data(), nonce.size());
    return seal_key_with(pair, passphrase, params, byte_view(salt.data(), salt.size()),
                         byte_view(nonce.data(), nonce.size()));
}

namespace {
// Checks everything that can be checked without the passphrase.
result<kdf_parameters> check_header(byte_view file) {
    if (file.size() < magic.size() || !std::equal(magic.begin(), magic.end(), file.begin()))
        return fail(crypto_errc::key_file_not_covenant);
    if (file.size() < 5) return fail(crypto_errc::key_file_truncated, "no version byte");
    if (file[4] != version_1)
        return fail(crypto_errc::key_file_unsupported_version, std::to_string(file[4]));
    if (file.size() < key_file_size)
        return fail(crypto_errc::key_file_truncated, std::to_string(file.size()) + " bytes, " +
                                                         std::to_string(key_file_size) +
                                                         " expected");
    if (file.size() > key_file_size)
        return fail(crypto_errc::key_file_too_long, std::to_string(file.size()) + " bytes, " +
                                                        std::to_string(key_file_size) +
                                                        " expected");
    if (file[5] != kdf_argon2id)
        return fail(crypto_errc::key_file_bad_parameters, "unknown KDF " + std::to_string(file[5]));
    kdf_parameters params;
    params.memory_kib = get_u32(file.data() + 6);
    params.iterations = get_u32(file.data() + 10);
    params.parallelism = get_u32(file.data() + 14);
    if (!params.valid())
        return fail(crypto_errc::key_file_bad_parameters,
                    "Argon2id memory " + std::to_string(params.memory_kib) + " KiB, iterations " +
                        std::to_string(params.iterations) + ", parallelism " +
                        std::to_string(params.parallelism));
    if (file[18 + salt_size] != aead_xchacha20poly1305)
        return fail(crypto_errc::key_file_bad_parameters,
                    "unknown cipher " + std::to_string(file[18 + salt_size]));
    return params;
}
constexpr std::size_t salt_offset = 18;
constexpr std::size_t nonce_offset = salt_offset + salt_size + 1;
constexpr std::size_t public_key_offset = nonce_offset + nonce_size;
}  // namespace

result<public_key> peek_public_key(byte_view file) {
    auto header = check_header(file);
    if (!header) return header.failure();
    return *public_key::from_view(byte_view(file.data() + public_key_offset, 32));
}

result<key_pair> open_key(byte_view file, std::string_view passphrase) {
    auto params = check_header(file);
    if (!params) return params.failure();
    auto key = derive_key(passphrase, file.data() + salt_offset, *params);
    if (!key)
        return fail(crypto_errc::key_file_bad_parameters,
                    "not enough memory for Argon2id with " + std::to_string(params->memory_kib) +
                        " KiB");
    std::array<std::uint8_t, 32> seed_bytes{};
    unsigned long long opened_length = 0;
    int rc = Botan::Sodium::crypto_aead_xchacha20poly1305_ietf_decrypt(
        seed_bytes.data(), &opened_length, nullptr, file.data() + header_size, 32 + tag_size,
        file.data(), header_size, file.data() + nonce_offset, key->data());
    Botan::secure_scrub_memory(key->data(), key->size());
    if (rc != 0 || opened_length != 32) {
        Botan::secure_scrub_memory(seed_bytes.data(), seed_bytes.size());
        return fail(crypto_errc::key_file_wrong_passphrase_or_altered);
    }
    key_pair pair = key_pair::from_seed(secret_seed(seed_bytes));
    Botan::secure_scrub_memory(seed_bytes.data(), seed_bytes.size());
    // The header is authenticated, so this can only fail for a file sealed by a broken
    // writer; still, never hand out a key whose public half disagrees with the file.
    if (pair.public_key().view() != byte_view(file.data() + public_key_offset, 32))
        return fail(crypto_errc::key_file_inconsistent);
    return pair;
}

result<nothing> write_key_file(const std::string& path, const key_pair& pair,
                               std::string_view passphrase, const kdf_parameters& params) {
    auto sealed = seal_key(pair, passphrase, params);
    if (!sealed) return sealed.failure();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return fail(crypto_errc::file_exists, path);
        return fail(crypto_errc::file_unwritable, path + ": " + std::strerror(errno));
    }
    const bytes& data = *sealed;
    std::size_t written = 0;
    while (written < data.size()) {
        ssize_t n = ::write(fd, data.data() + written, data.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += static_cast<std::size_t>(n);
    }
    const bool synced = written == data.size() && ::fsync(fd) == 0;
    const int saved_errno = errno;
    ::close(fd);
    if (!synced) {
        ::unlink(path.c_str());
        return fail(crypto_errc::file_unwritable, path + ": " + std::strerror(saved_errno));
    }
    // The new directory entry must be durable too, or a crash could lose the whole file.
    const auto slash = path.find_last_of('/');
    const std::string directory =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
    return nothing{};
}

result<key_pair> read_key_file(const std::string& path, std::string_view passphrase) {
    // Non-blocking open, so that a FIFO at the path cannot hang us before the type check.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return fail(crypto_errc::file_unreadable, path + ": " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return fail(crypto_errc::file_unreadable, path + ": not a regular file");
    }
    bytes data(read_limit + 1);
    std::size_t got = 0;
    while (got < data.size()) {
        ssize_t n = ::read(fd, data.data() + got, data.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int saved_errno = errno;
            ::close(fd);
            return fail(crypto_errc::file_unreadable, path + ": " + std::strerror(saved_errno));
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    data.resize(got);
    return open_key(data, passphrase);
}

}  // namespace covenant::crypto
