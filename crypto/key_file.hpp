// Encrypted key files: the private key of a user or node, sealed with a passphrase.
//
// Layout (version 1, integers big-endian), 139 bytes in all:
//   magic "CVKF" | version u8 = 1 | kdf u8 = 1 (Argon2id) | memory_kib u32 |
//   iterations u32 | parallelism u32 | salt[16] | aead u8 = 1 (XChaCha20-Poly1305) |
//   nonce[24] | public key[32] | ciphertext of the 32-byte seed [32] | tag [16]
// The key is Argon2id(passphrase, salt, parameters); everything before the ciphertext is
// the AEAD's associated data, so altering any byte of the file makes opening it fail. A
// wrong passphrase, a truncated, padded or altered file is an error value, never a crash
// and never a silently wrong key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/signing.hpp"

namespace covenant::crypto {

/// Argon2id cost. Bounds keep a hostile file from asking for absurd memory or time: the
/// KDF runs before the file can be authenticated, so its cost is capped up front.
struct kdf_parameters {
    std::uint32_t memory_kib = 64 * 1024;  // 64 MiB
    std::uint32_t iterations = 3;
    std::uint32_t parallelism = 1;

    static constexpr std::uint32_t memory_kib_min = 64;
    static constexpr std::uint32_t memory_kib_max = 256 * 1024;  // 256 MiB
    static constexpr std::uint32_t iterations_min = 1;
    static constexpr std::uint32_t iterations_max = 16;
    static constexpr std::uint32_t parallelism_min = 1;
    static constexpr std::uint32_t parallelism_max = 16;
    /// memory x iterations at most 1 GiB-pass (a few seconds here; the default is 192 MiB).
    static constexpr std::uint64_t work_kib_passes_max = 1024 * 1024;

    bool valid() const;
};

inline constexpr std::size_t key_file_size = 139;

/// Seals `pair` with the passphrase under fresh random salt and nonce.
result<bytes> seal_key(const key_pair& pair, std::string_view passphrase,
                       const kdf_parameters& params);

/// Deterministic sealing with the caller's salt (16 bytes) and nonce (24 bytes); for
/// tests that need fixed output. Asserts the sizes and valid parameters.
bytes seal_key_with(const key_pair& pair, std::string_view passphrase,
                    const kdf_parameters& params, byte_view salt, byte_view nonce);

/// Opens a sealed key; every way the bytes can be wrong is an error value.
result<key_pair> open_key(byte_view file_bytes, std::string_view passphrase);

/// The public key stored in a file's header, checked for format but not authenticated:
/// only open_key() proves the file is intact.
result<public_key> peek_public_key(byte_view file_bytes);

/// Writes a new key file with mode 0600: refuses to replace an existing file, and syncs
/// it and its directory before returning so a crash cannot leave a half-written key.
result<nothing> write_key_file(const std::string& path, const key_pair& pair,
                               std::string_view passphrase, const kdf_parameters& params);

/// Reads and opens a key file (a regular file; a FIFO or device is refused, not read).
result<key_pair> read_key_file(const std::string& path, std::string_view passphrase);

}  // namespace covenant::crypto
