// Covenant's one hash function: SHA-256. Chains, Merkle trees, state digests, addresses
// and node ids all use it, so that a digest means the same thing everywhere.
#pragma once

#include <memory>

#include "common/bytes.hpp"
#include "common/ids.hpp"

namespace covenant::crypto {

/// SHA-256 of `data`.
digest hash(byte_view data);

/// Incremental SHA-256 for data that arrives in pieces.
class hasher {
public:
    hasher();
    ~hasher();
    hasher(hasher&&) noexcept;
    hasher& operator=(hasher&&) noexcept;
    hasher(const hasher&) = delete;
    hasher& operator=(const hasher&) = delete;

    hasher& update(byte_view data);
    /// Returns the digest and resets the hasher for reuse.
    digest finish();

    struct impl;  // defined in hash.cpp, which keeps spare ones per thread

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace covenant::crypto
