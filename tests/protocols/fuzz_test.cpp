// Seeded fuzzing of every decoder: random byte strings and mutations of valid messages
// (bit flips, byte overwrites, truncations, extensions, splices, pointer-word damage).
// Checks, for each of at least 100,000 inputs in total:
//  - the decoder returns (no crash, no hang, no exception escapes);
//  - an accepted input re-encodes and decodes again to the same message;
//  - for signed messages, an accepted input is a sample, or a sample with some of its
//    signatures (or catch-up batches) left out: never anything a mutation invented, and
//    random bytes are never accepted (decoder_targets.hpp explains the comparison).
// COVENANT_FUZZ_ITERATIONS and COVENANT_FUZZ_SEED override the count and the seed;
// COVENANT_FUZZ_DUMP=FILE writes a failing input to FILE for replay.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>

#include "decoder_targets.hpp"

using namespace covenant;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* value = std::getenv(name);
    return value ? std::strtoull(value, nullptr, 10) : fallback;
}

class mutator {
public:
    explicit mutator(std::uint64_t seed) : rng_(seed) {}

    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }

    bytes random_bytes() {
        // Half of them framed like a one-segment Cap'n Proto message, to get past framing.
        const std::size_t words = 1 + below(64);
        bytes out(words * 8);
        for (auto& b : out) b = static_cast<std::uint8_t>(rng_());
        if (below(2) == 0 && words > 1) {
            const std::uint32_t segment_words = static_cast<std::uint32_t>(words - 1);
            out[0] = out[1] = out[2] = out[3] = 0;
            for (int i = 0; i < 4; ++i)
                out[4 + static_cast<std::size_t>(i)] =
                    static_cast<std::uint8_t>(segment_words >> (8 * i));
        }
        if (below(4) == 0) out.resize(below(out.size() + 1));
        return out;
    }

    bytes mutate(const bytes& sample, const std::vector<bytes>& others) {
        bytes out = sample;
        const std::uint64_t rounds = 1 + below(4);
        for (std::uint64_t r = 0; r < rounds && !out.empty(); ++r) {
            switch (below(8)) {
                case 0:  // flip one bit
                    out[below(out.size())] ^= static_cast<std::uint8_t>(1u << below(8));
                    break;
                case 1:  // overwrite a byte
                    out[below(out.size())] = static_cast<std::uint8_t>(rng_());
                    break;
                case 2:  // truncate, often to a word boundary
                    out.resize(below(2) ? below(out.size()) : below(out.size() / 8) * 8);
                    break;
                case 3: {  // append random words
                    const std::size_t extra = 8 * (1 + below(4));
                    for (std::size_t i = 0; i < extra; ++i)
                        out.push_back(static_cast<std::uint8_t>(rng_()));
                    break;
                }
                case 4: {  // damage a whole word (pointers live in words)
                    const std::size_t word = below(out.size() / 8 + 1) * 8;
                    for (std::size_t i = word; i < word + 8 && i < out.size(); ++i)
                        out[i] = static_cast<std::uint8_t>(rng_());
                    break;
                }
                case 5: {  // splice in a piece of another message
                    const bytes& other = others[below(others.size())];
                    if (other.empty()) break;
                    const std::size_t from = below(other.size());
                    const std::size_t length = 1 + below(std::min<std::size_t>(64, other.size() - from));
                    const std::size_t to = below(out.size());
                    for (std::size_t i = 0; i < length && to + i < out.size(); ++i)
                        out[to + i] = other[from + i];
                    break;
                }
                case 6: {  // set a byte to an edge value
                    static constexpr std::uint8_t edges[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
                    out[below(out.size())] = edges[below(sizeof edges)];
                    break;
                }
                default: {  // corrupt the segment table
                    if (out.size() >= 8) out[below(8)] = static_cast<std::uint8_t>(rng_());
                    break;
                }
            }
        }
        return out;
    }

private:
    std::mt19937_64 rng_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(decoders_survive_random_and_mutated_input) {
    const std::uint64_t iterations = env_or("COVENANT_FUZZ_ITERATIONS", 120'000);
    const std::uint64_t seed = env_or("COVENANT_FUZZ_SEED", 0xc0ffee);
    BOOST_TEST_MESSAGE("fuzzing " << iterations << " inputs, seed " << seed);
    const auto targets = test::all_decoder_targets();
    std::vector<bytes> every_sample;
    std::vector<std::vector<test::message_form>> sample_forms(targets.size());
    for (std::size_t t = 0; t < targets.size(); ++t) {
        for (const auto& s : targets[t].samples) {
            every_sample.push_back(s);
            // Sanity: each sample is itself accepted, else the mutations prove nothing.
            auto decoded = targets[t].decode(s);
            BOOST_REQUIRE_MESSAGE(decoded.has_value(), targets[t].name << ": sample rejected");
            BOOST_REQUIRE_MESSAGE(decoded->first == s, targets[t].name << ": sample does not re-encode");
            sample_forms[t].push_back(decoded->second);
        }
    }

    mutator m(seed);
    std::uint64_t accepted_mutations = 0, rejected = 0, failures = 0;
    const auto started = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < iterations; ++i) {
        const std::size_t target_index = i % targets.size();
        const auto& target = targets[target_index];
        const bool from_sample = m.below(4) != 0;  // three in four mutate a valid message
        const bytes& sample = target.samples[m.below(target.samples.size())];
        const bytes input = from_sample ? m.mutate(sample, every_sample) : m.random_bytes();
        const auto decoded = target.decode(input);
        if (!decoded) {
            ++rejected;
            continue;
        }
        // Accepted: it must be stable under another round trip ...
        const auto again = target.decode(decoded->first);
        bool ok = again.has_value() && again->first == decoded->first;
        // ... and, if signed, be a sample or a sample with parts left out.
        if (target.signed_message) {
            bool from_a_sample = false;
            for (const auto& form : sample_forms[target_index]) {
                const auto& parts = decoded->second.parts;
                from_a_sample = from_a_sample ||
                                (decoded->second.skeleton == form.skeleton &&
                                 std::includes(form.parts.begin(), form.parts.end(),
                                               parts.begin(), parts.end()));
            }
            ok = ok && from_a_sample;
        }
        if (from_sample) ++accepted_mutations;
        if (!ok) {
            ++failures;
            BOOST_ERROR(target.name << ": accepted an invalid input at iteration " << i
                                    << " (seed " << seed << "), " << input.size() << " bytes: "
                                    << to_hex(input).substr(0, 200));
            if (const char* dump = std::getenv("COVENANT_FUZZ_DUMP")) {
                std::ofstream(dump, std::ios::binary)
                    .write(reinterpret_cast<const char*>(input.data()),
                           static_cast<std::streamsize>(input.size()));
            }
            if (failures > 10) break;
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    BOOST_TEST_MESSAGE("rejected " << rejected << ", accepted harmless mutations "
                                   << accepted_mutations << ", in " << seconds << " s");
    BOOST_TEST(failures == 0u);
    BOOST_TEST(rejected + accepted_mutations >= iterations - failures);
}
