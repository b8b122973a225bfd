// SHA-256 through Botan (which uses the CPU's SHA extensions where present).
#include "crypto/hash.hpp"

#include <botan/sha2_32.h>

namespace covenant::crypto {

struct hasher::impl {
    Botan::SHA_256 sha;
};

hasher::hasher() : impl_(std::make_unique<impl>()) {}
hasher::~hasher() = default;
hasher::hasher(hasher&&) noexcept = default;
hasher& hasher::operator=(hasher&&) noexcept = default;

hasher& hasher::update(byte_view data) {
    impl_->sha.update(data.data(), data.size());
    return *this;
}

digest hasher::finish() {
    digest out;
    impl_->sha.final(out.data.data());
    return out;
}

digest hash(byte_view data) {
    // One SHA-256 object per thread: hashing is on every hot path, and the object is
    // reset by final().
    thread_local Botan::SHA_256 sha;
    sha.update(data.data(), data.size());
    digest out;
    sha.final(out.data.data());
    return out;
}

}  // namespace covenant::crypto
