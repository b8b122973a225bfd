// SHA-256 through Botan (which uses the CPU's SHA extensions where present).
#include "crypto/hash.hpp"

#include <botan/sha2_32.h>

#include <vector>

namespace covenant::crypto {

struct hasher::impl {
    Botan::SHA_256 sha;
};

namespace {
// Spare SHA-256 objects of this thread. Constructing one allocates its buffers from
// Botan's locked-memory pool, behind a mutex: a Merkle path made a hasher per node, and
// constructing them took about a tenth of a load client's CPU. A hasher takes a spare one
// and gives it back, reset, when it goes.
struct spare_hashers {
    static constexpr std::size_t kept_max = 16;
    std::vector<hasher::impl*> unused;
    ~spare_hashers();
};
thread_local spare_hashers spares;
// Set when this thread's spares are gone (a hasher in another thread-local object may
// outlive them); a bool needs no destructor, so it outlives every other thread-local.
thread_local bool spares_gone = false;
spare_hashers::~spare_hashers() {
    for (auto* spare : unused) delete spare;
    spares_gone = true;
}
}  // namespace

hasher::hasher() {
    if (spares_gone || spares.unused.empty()) {
        impl_ = std::make_unique<impl>();
    } else {
        impl_.reset(spares.unused.back());
        spares.unused.pop_back();
    }
}
hasher::~hasher() {
    if (impl_ && !spares_gone && spares.unused.size() < spare_hashers::kept_max) {
        impl_->sha.clear();
        spares.unused.push_back(impl_.release());
    }
}
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
