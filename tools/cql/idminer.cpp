// `cql idminer [--key FILE] --difficulty N`: mines the proof-of-work nonce that gives the
// key a node id with N leading zero bits. The key file is opened with its passphrase, like
// every other use of a key: its public half is only trusted once the file authenticates,
// so a damaged file can never make idminer spend its work on someone else's key.
#include <memory>
#include <string>

#include "commands.hpp"
#include "config_key.hpp"
#include "crypto/errors.hpp"
#include "crypto/key_file.hpp"
#include "failure.hpp"
#include "output.hpp"
#include "parallel_miner.hpp"
#include "passphrase.hpp"

namespace cql {
namespace {

// 64 leading zero bits already cost about 2^64 hashes: anything above is out of reach.
constexpr unsigned max_difficulty = 64;
constexpr unsigned max_threads = 64;

struct idminer_options {
    std::string key;
    unsigned difficulty = 0;
    unsigned threads = 1;
    passphrase_options passphrase;
    bool json = false;
};

void run_idminer(const idminer_options& options, const connection_options& connection) {
    const auto chosen = choose_key(options.key, options.passphrase, connection);
    std::string passphrase = read_passphrase(chosen.passphrase, passphrase_use::open_key);
    auto pair = covenant::crypto::read_key_file(chosen.path, passphrase);
    wipe(passphrase);
    if (!pair) throw failure(pair.failure().message() + ": " + chosen.path);
    const covenant::public_key* key = &pair->public_key();

    auto mined = mine_smallest_node_id(*key, options.difficulty, options.threads);
    if (!mined) {
        throw failure("no 64-bit nonce gives this key " + std::to_string(options.difficulty) +
                      " leading zero bits");
    }
    if (options.json) {
        print_json({{"node_id", mined->id.hex()},
                    {"nonce", mined->nonce},
                    {"difficulty", options.difficulty},
                    {"public_key", key->hex()}});
    } else {
        print_line("node id " + mined->id.hex() + "\nnonce " + std::to_string(mined->nonce));
    }
}

}  // namespace

command add_idminer_command(CLI::App& root, const connection_options& connection) {
    auto options = std::make_shared<idminer_options>();
    CLI::App* app = root.add_subcommand(
        "idminer", "Mine a proof-of-work node id for a key");
    app->add_option("--key", options->key,
                    "Key file whose public key to mine for (default: the config's key_file)");
    app->add_option("--difficulty", options->difficulty,
                    "Leading zero bits the node id must have (0.." +
                        std::to_string(max_difficulty) + "; each bit doubles the work)")
        ->required()
        ->check(CLI::Range(0u, max_difficulty));
    app->add_option("--threads", options->threads,
                    "Threads to mine with (1.." + std::to_string(max_threads) +
                        "); the answer does not depend on it")
        ->capture_default_str()
        ->check(CLI::Range(1u, max_threads));
    add_passphrase_options(*app, options->passphrase);
    app->add_flag("--json", options->json,
                  "Print {\"node_id\", \"nonce\", \"difficulty\", \"public_key\"} as JSON");
    return command{app, [options, &connection] { run_idminer(*options, connection); }};
}

}  // namespace cql
