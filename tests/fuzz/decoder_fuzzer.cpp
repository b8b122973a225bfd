// libFuzzer target over every decoder in the fuzz table (tests/protocols/decoder_targets.hpp).
//
// Input: the first byte picks the decoder (byte % number of targets, in the table's order);
// the rest is the wire message handed to it. An accepted message is checked like
// tests/protocols/fuzz_test.cpp checks it:
//  - it re-encodes, and the re-encoding decodes again to the same bytes;
//  - for signed targets, its skeleton equals a sample's and its parts are a subset of that
//    sample's parts (a mutation may drop signatures, never invent one).
// A violation prints the target and calls __builtin_trap(), which libFuzzer reports as a
// crash and saves as crash-<sha1>. Sanitizer reports, escaped exceptions, timeouts and
// out-of-memory are crashes too.
//
// Needs clang (the default g++ build has no libFuzzer). From the source tree:
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++
//         -DCMAKE_C_COMPILER=clang -DCOVENANT_FUZZ=ON      (one command)
//   ninja -C build-fuzz decoder_fuzzer decoder_fuzz_corpus
//   cd build-fuzz/tests
//   ./decoder_fuzz_corpus corpus          # seeds: <target index byte><sample bytes>
//   ./decoder_fuzzer corpus -max_total_time=60
// Useful extras: -rss_limit_mb=4096, -jobs=N -workers=N, -max_len=N (by default libFuzzer
// takes the largest seed's size). Replay a crash with `./decoder_fuzzer crash-<sha1>`:
// the first byte of the file names the target, in the order all_decoder_targets() lists
// them (decoder_fuzz_corpus prints that order).
// Regenerate the corpus (an empty directory) whenever the samples, the schemas or the
// table change: an old seed is a validly signed message the new table does not list as a
// sample, and so is reported as a violation; old selector bytes may also name other targets.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "decoder_targets.hpp"

namespace {

using namespace covenant;

struct fuzz_table {
    std::vector<test::decoder_target> targets;
    /// The forms of each target's samples, in the targets' order.
    std::vector<std::vector<test::message_form>> sample_forms;
};

[[noreturn]] void violation(const test::decoder_target& target, const char* what) {
    std::fprintf(stderr, "decoder_fuzzer: %s: %s\n", target.name.c_str(), what);
    __builtin_trap();
}

const fuzz_table& table() {
    static const fuzz_table built = [] {
        fuzz_table t;
        t.targets = test::all_decoder_targets();
        if (t.targets.empty() || t.targets.size() > 256) __builtin_trap();
        for (const auto& target : t.targets) {
            std::vector<test::message_form> forms;
            for (const auto& sample : target.samples) {
                // Each sample must itself be accepted, else the comparison proves nothing.
                const auto decoded = target.decode(sample);
                if (!decoded) violation(target, "sample rejected");
                if (decoded->first != sample) violation(target, "sample does not re-encode");
                forms.push_back(decoded->second);
            }
            t.sample_forms.push_back(std::move(forms));
        }
        return t;
    }();
    return built;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const fuzz_table& t = table();
    const std::size_t index = data[0] % t.targets.size();
    const test::decoder_target& target = t.targets[index];

    const auto decoded = target.decode(byte_view(data + 1, size - 1));
    if (!decoded) return 0;

    // Accepted: it must be stable under another round trip ...
    const auto again = target.decode(decoded->first);
    if (!again) violation(target, "re-encoding of an accepted input is rejected");
    if (again->first != decoded->first) violation(target, "re-encoding is not stable");

    // ... and, if signed, be a sample or a sample with parts left out.
    if (target.signed_message) {
        const test::message_form& form = decoded->second;
        const bool from_a_sample = std::any_of(
            t.sample_forms[index].begin(), t.sample_forms[index].end(),
            [&](const test::message_form& sample) {
                return form.skeleton == sample.skeleton &&
                       std::includes(sample.parts.begin(), sample.parts.end(),
                                     form.parts.begin(), form.parts.end());
            });
        if (!from_a_sample) violation(target, "accepted a message that is not a sample's");
    }
    return 0;
}
