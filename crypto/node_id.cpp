// Proof-of-work node ids.
#include "crypto/node_id.hpp"

#include <botan/sha2_32.h>

#include <array>

#include "common/assert.hpp"

namespace covenant::crypto {
namespace {
void put_nonce(std::array<std::uint8_t, 40>& buffer, std::uint64_t nonce) {
    for (int i = 0; i < 8; ++i)
        buffer[32 + static_cast<std::size_t>(i)] =
            static_cast<std::uint8_t>(nonce >> (56 - 8 * i));
}
}  // namespace

node_id compute_node_id(const public_key& key, std::uint64_t nonce) {
    std::array<std::uint8_t, 40> input{};
    std::copy(key.begin(), key.end(), input.begin());
    put_nonce(input, nonce);
    Botan::SHA_256 sha;
    sha.update(input.data(), input.size());
    node_id id;
    sha.final(id.data.data());
    return id;
}

unsigned leading_zero_bits(const node_id& id) {
    unsigned bits = 0;
    for (std::uint8_t b : id.data) {
        if (b == 0) {
            bits += 8;
            continue;
        }
        for (int shift = 7; shift >= 0 && ((b >> shift) & 1) == 0; --shift) ++bits;
        break;
    }
    return bits;
}

bool node_id_meets_difficulty(const public_key& key, std::uint64_t nonce, unsigned difficulty) {
    return leading_zero_bits(compute_node_id(key, nonce)) >= difficulty;
}

std::optional<mined_node_id> mine_node_id(const public_key& key, unsigned difficulty,
                                          std::uint64_t first_nonce, std::uint64_t attempts) {
    COVENANT_ASSERT(difficulty <= node_id_difficulty_max, "difficulty above 256 bits");
    std::array<std::uint8_t, 40> input{};
    std::copy(key.begin(), key.end(), input.begin());
    Botan::SHA_256 sha;
    node_id id;
    for (std::uint64_t i = 0; i < attempts; ++i) {
        const std::uint64_t nonce = first_nonce + i;
        if (nonce < first_nonce) break;  // wrapped around the 64-bit nonce space
        put_nonce(input, nonce);
        sha.update(input.data(), input.size());
        sha.final(id.data.data());
        if (leading_zero_bits(id) >= difficulty) return mined_node_id{id, nonce};
    }
    return std::nullopt;
}

}  // namespace covenant::crypto
