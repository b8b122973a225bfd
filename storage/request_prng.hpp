// The random source of one request: what random() and randomblob() read instead of the
// operating system. Key = SHA-256(batch seed || request index as u32 big-endian); the
// stream is SHA-256(key || block counter as u64 big-endian) for counter 0, 1, 2, ...
// Every replica derives the same stream for the same request of the same batch; no state
// is shared between executors or kept between requests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/ids.hpp"

namespace covenant::storage {

class request_prng {
  public:
    /// Starts the stream of request `request_index` of the batch whose hash is `seed`.
    /// The key is derived on first use: most requests never call random().
    void reset(const digest& seed, std::uint32_t request_index);

    void fill(std::uint8_t* out, std::size_t size);
    /// The next 8 bytes of the stream, big-endian, as a signed integer.
    std::int64_t next_int64();

  private:
    void next_block();

    digest seed_;
    std::uint32_t request_index_ = 0;
    bool keyed_ = false;
    digest key_;
    std::uint64_t counter_ = 0;
    std::array<std::uint8_t, 32> block_{};
    std::size_t used_ = 32;  // bytes of block_ already handed out
};

}  // namespace covenant::storage
