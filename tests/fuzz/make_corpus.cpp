// decoder_fuzz_corpus DIR: writes the seed corpus for decoder_fuzzer into DIR (created if
// missing). One file per sample, named <index>-<target>-<n>, holding the target's index
// byte followed by the sample's wire bytes. Prints the index of every target.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "decoder_targets.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        std::fprintf(stderr, "%s: %s\n", dir.c_str(), ec.message().c_str());
        return 1;
    }
    const auto targets = covenant::test::all_decoder_targets();
    if (targets.size() > 256) {
        std::fprintf(stderr, "%zu targets do not fit the one-byte selector\n", targets.size());
        return 1;
    }
    std::size_t files = 0;
    for (std::size_t t = 0; t < targets.size(); ++t) {
        const auto& target = targets[t];
        std::printf("%3zu %s (%zu samples)\n", t, target.name.c_str(), target.samples.size());
        for (std::size_t n = 0; n < target.samples.size(); ++n) {
            const auto& sample = target.samples[n];
            const auto path = dir / (std::to_string(t) + "-" + target.name + "-" + std::to_string(n));
            std::ofstream out(path, std::ios::binary | std::ios::trunc);
            const char selector = static_cast<char>(t);
            out.write(&selector, 1);
            out.write(reinterpret_cast<const char*>(sample.data()),
                      static_cast<std::streamsize>(sample.size()));
            if (!out) {
                std::fprintf(stderr, "%s: write failed\n", path.c_str());
                return 1;
            }
            ++files;
        }
    }
    std::printf("wrote %zu seed files to %s\n", files, dir.c_str());
    return 0;
}
