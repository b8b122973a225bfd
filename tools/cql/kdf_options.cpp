// Argon2id cost options for new key files, and their validation.
#include "kdf_options.hpp"

#include <string>

#include "failure.hpp"

namespace cql {

using covenant::crypto::kdf_parameters;

void add_kdf_options(CLI::App& command, kdf_parameters& params) {
    // Hidden (empty group): lowering the cost weakens the key file; meant for tests.
    command.add_option("--kdf-memory-kib", params.memory_kib, "Argon2id memory in KiB")->group("");
    command.add_option("--kdf-iterations", params.iterations, "Argon2id iterations")->group("");
}

void check_kdf_parameters(const kdf_parameters& params) {
    if (params.valid()) return;
    throw usage_failure("KDF parameters out of bounds: --kdf-memory-kib must be " +
                        std::to_string(kdf_parameters::memory_kib_min) + ".." +
                        std::to_string(kdf_parameters::memory_kib_max) +
                        " KiB and --kdf-iterations " +
                        std::to_string(kdf_parameters::iterations_min) + ".." +
                        std::to_string(kdf_parameters::iterations_max) + " (got " +
                        std::to_string(params.memory_kib) + " KiB, " +
                        std::to_string(params.iterations) + " iterations)");
}

}  // namespace cql
