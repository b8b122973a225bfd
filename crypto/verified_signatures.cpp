// The process's memory of verified signatures (see verified_signatures.hpp).
#include "crypto/verified_signatures.hpp"

#include <atomic>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "crypto/hash.hpp"
#include "crypto/signing.hpp"

namespace covenant::crypto {
namespace {

struct digest_hasher {
    std::size_t operator()(const digest& d) const {
        std::size_t h = 0;
        for (std::size_t i = 0; i < sizeof(h); ++i) h = (h << 8) | d.data[i];
        return h;  // already uniform: the first bytes of a SHA-256
    }
};

// A set plus a ring of the same digests in arrival order: when full, the oldest leaves.
class memory {
public:
    bool contains(const digest& d) {
        std::lock_guard<std::mutex> lock(mutex_);
        const bool hit = set_.count(d) != 0;
        hit ? ++stats_.hits : ++stats_.misses;
        return hit;
    }
    void insert(const digest& d) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!set_.insert(d).second) return;
        if (ring_.size() < verified_signatures_kept) {
            ring_.push_back(d);
            return;
        }
        set_.erase(ring_[next_]);
        ring_[next_] = d;
        next_ = (next_ + 1) % verified_signatures_kept;
    }
    verified_signature_stats stats() {
        std::lock_guard<std::mutex> lock(mutex_);
        auto s = stats_;
        s.remembered = set_.size();
        return s;
    }
    void clear() {
        std::lock_guard<std::mutex> lock(mutex_);
        set_.clear();
        ring_.clear();
        next_ = 0;
    }

private:
    std::mutex mutex_;
    std::unordered_set<digest, digest_hasher> set_;
    std::vector<digest> ring_;
    std::size_t next_ = 0;
    verified_signature_stats stats_;
};

memory& process_memory() {
    static memory m;
    return m;
}

}  // namespace

digest verification_key(const public_key& key, sign_domain domain, byte_view payload,
                        const signature& sig) {
    thread_local hasher h;
    const std::uint8_t domain_byte = static_cast<std::uint8_t>(domain);
    h.update(key.view()).update(sig.view()).update(byte_view(&domain_byte, 1)).update(payload);
    return h.finish();
}

namespace {
std::atomic<bool> own_signatures_remembered{false};
}  // namespace

void remember_own_signatures(bool on) { own_signatures_remembered.store(on, std::memory_order_relaxed); }
bool remembering_own_signatures() { return own_signatures_remembered.load(std::memory_order_relaxed); }

bool remembered_valid(const digest& key) { return process_memory().contains(key); }
void remember_valid(const digest& key) { process_memory().insert(key); }
verified_signature_stats verified_signatures_stats() { return process_memory().stats(); }
void forget_verified_signatures() { process_memory().clear(); }

}  // namespace covenant::crypto
