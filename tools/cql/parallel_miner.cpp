// Parallel node id mining. Threads take consecutive chunks of nonces from a shared atomic
// counter. Chunk k's search yields its smallest valid nonce; a thread stops claiming once
// the counter passes the lowest chunk known to hold a find. Chunks are claimed in order
// and every claimed chunk below that one is searched to its end, so when all threads are
// done every chunk before the winning one was searched without a find: the answer is the
// smallest valid nonce overall, the same for any number of threads.
#include "parallel_miner.hpp"

#include <atomic>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "common/assert.hpp"

namespace cql {

std::optional<covenant::crypto::mined_node_id> mine_smallest_node_id(
    const covenant::public_key& key, unsigned difficulty, unsigned threads) {
    COVENANT_ASSERT(threads >= 1, "mining needs at least one thread");
    constexpr std::uint64_t no_chunk = std::numeric_limits<std::uint64_t>::max();
    // 2^64 nonces in chunks of 2^16.
    constexpr std::uint64_t chunk_count =
        (std::numeric_limits<std::uint64_t>::max() / mining_chunk_size) + 1;

    std::atomic<std::uint64_t> next_chunk{0};
    std::atomic<std::uint64_t> lowest_found_chunk{no_chunk};
    std::mutex best_mutex;
    std::optional<covenant::crypto::mined_node_id> best;  // guarded by best_mutex

    auto work = [&] {
        for (;;) {
            const std::uint64_t chunk = next_chunk.fetch_add(1);
            if (chunk >= chunk_count || chunk > lowest_found_chunk.load()) return;
            auto found = covenant::crypto::mine_node_id(key, difficulty, chunk * mining_chunk_size,
                                                        mining_chunk_size);
            if (!found) continue;
            std::lock_guard<std::mutex> lock(best_mutex);
            if (!best || found->nonce < best->nonce) best = found;
            std::uint64_t seen = lowest_found_chunk.load();
            while (chunk < seen && !lowest_found_chunk.compare_exchange_weak(seen, chunk)) {
            }
            return;  // any later chunk this thread could take is above its own find
        }
    };

    if (threads == 1) {
        work();
    } else {
        std::vector<std::thread> pool;
        pool.reserve(threads);
        for (unsigned i = 0; i < threads; ++i) pool.emplace_back(work);
        for (auto& t : pool) t.join();
    }
    return best;
}

}  // namespace cql
