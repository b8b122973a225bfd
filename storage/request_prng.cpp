// SHA-256 counter-mode stream per request (see request_prng.hpp).
#include "storage/request_prng.hpp"

#include <algorithm>
#include <cstring>

#include "crypto/hash.hpp"

namespace covenant::storage {
namespace {
void put_big_endian(std::uint8_t* out, std::uint64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        out[i] = static_cast<std::uint8_t>(value);
        value >>= 8;
    }
}
}  // namespace

void request_prng::reset(const digest& seed, std::uint32_t request_index) {
    seed_ = seed;
    request_index_ = request_index;
    keyed_ = false;
    counter_ = 0;
    used_ = block_.size();
}

void request_prng::next_block() {
    if (!keyed_) {
        std::uint8_t input[digest::size_bytes + 4];
        std::memcpy(input, seed_.begin(), digest::size_bytes);
        put_big_endian(input + digest::size_bytes, request_index_, 4);
        key_ = crypto::hash(byte_view(input, sizeof input));
        keyed_ = true;
    }
    std::uint8_t input[digest::size_bytes + 8];
    std::memcpy(input, key_.begin(), digest::size_bytes);
    put_big_endian(input + digest::size_bytes, counter_, 8);
    ++counter_;
    const digest block = crypto::hash(byte_view(input, sizeof input));
    std::memcpy(block_.data(), block.begin(), block_.size());
    used_ = 0;
}

void request_prng::fill(std::uint8_t* out, std::size_t size) {
    while (size > 0) {
        if (used_ == block_.size()) next_block();
        const std::size_t take = std::min(size, block_.size() - used_);
        std::memcpy(out, block_.data() + used_, take);
        used_ += take;
        out += take;
        size -= take;
    }
}

std::int64_t request_prng::next_int64() {
    std::uint8_t raw[8];
    fill(raw, sizeof raw);
    std::uint64_t value = 0;
    for (std::uint8_t b : raw) value = (value << 8) | b;
    return static_cast<std::int64_t>(value);
}

}  // namespace covenant::storage
