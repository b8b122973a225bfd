// covenant-node: runs one node of a Covenant network -- a block producer, a miner, or a
// client gateway (the user's key behind an HTTP/JSON API on loopback) -- from a TOML config
// file and flags that override it.
//
// Startup, in order, each failure a one-line "covenant-node: ..." on stderr (and in the log
// file, if there is one) and a non-zero exit: the command line and the config file (exit
// 2), the log file, the genesis file, the key file and its passphrase (exit 1), this node's
// node-id nonce and the peers against the genesis (exit 2), then the data directory, the
// listen address, the role's actor and (client) the HTTP address (exit 1). docs/node.md
// describes the config, the HTTP API and status.json.
#include <signal.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/key_file.hpp"
#include "crypto/node_id.hpp"
#include "crypto/verified_signatures.hpp"
#include "failure.hpp"
#include "node.hpp"
#include "node_config.hpp"
#include "passphrase.hpp"
#include "storage/genesis_file.hpp"

namespace {

using namespace covenant::node;

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

/// Says why the node cannot go on: "covenant-node: message" on stderr until the log is
/// set up, then through the log (whose errors always reach stderr, see make_logger).
class reporter {
  public:
    int fail(const std::string& message, int status) {
        if (log_ && log_->should_log(spdlog::level::err))
            log_->error("{}", one_line(message));
        else
            std::cerr << "covenant-node: " << one_line(message) << std::endl;
        return status;
    }
    void use(std::shared_ptr<spdlog::logger> log) { log_ = std::move(log); }

  private:
    std::shared_ptr<spdlog::logger> log_;
};

/// The log: stderr, or a file (appended to) with its errors and worse also on stderr, so
/// that an operator starting the node sees why it stopped.
std::shared_ptr<spdlog::logger> make_logger(const log_settings& settings) {
    std::vector<spdlog::sink_ptr> sinks;
    if (settings.file.empty()) {
        sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
        sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.file, false));
        auto errors = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        errors->set_level(spdlog::level::err);
        sinks.push_back(std::move(errors));
    }
    auto log = std::make_shared<spdlog::logger>("covenant-node", sinks.begin(), sinks.end());
    log->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    if (sinks.size() > 1) sinks[1]->set_pattern("covenant-node: %v");
    log->set_level(spdlog::level::from_str(settings.level));
    log->flush_on(spdlog::level::info);
    return log;
}

}  // namespace

int main(int argc, char** argv) {
    // SIGINT and SIGTERM are taken by run_node's loop (sigtimedwait), so they are blocked
    // before anything starts a thread (the actor system, and Botan's pool that opening the
    // key file starts), so that every thread inherits the mask: a thread that did not would
    // let the default action end the process. SIGPIPE from a peer's closed socket must not
    // end it either.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    // One node per process: what it signs needs no checking when it comes back.
    covenant::crypto::remember_own_signatures(true);

    CLI::App app{
        "covenant-node: one node of a Covenant network -- a block producer, a miner, or a "
        "client gateway serving the HTTP/JSON API of docs/node.md on loopback -- from a TOML "
        "config file (docs/node.md); the flags below override the file's values.\n"
        "The key file's passphrase comes from --passphrase-file (or the config's "
        "passphrase_file), else the CQL_PASSPHRASE environment variable, else the terminal.\n"
        "The node writes DATA_DIR/status.json every status_interval_ms and stops cleanly on "
        "SIGINT or SIGTERM (exit 0). Exit 1: a runtime error (key, genesis, data directory, "
        "listen or HTTP address in use, a failed actor); exit 2: the command line or the "
        "config.\n"
        "Role client: the [client] table sets the HTTP API (http_listen, default "
        "127.0.0.1:7800, loopback only unless http_allow_remote = true; http_threads, "
        "http_body_bytes_max) and its calls (request_timeout_ms, request_resend_ms, "
        "transaction_timeout_ms, follow_interval_ms, resend_interval_ms, transaction_fee, "
        "calls_max, links_max). Role miner: [miner.registration] (deposit, capacity, "
        "price_per_statement, endpoint) registers the miner on the chain.",
        "covenant-node"};
    app.set_version_flag("--version", std::string("covenant-node ") + COVENANT_NODE_VERSION,
                         "Print the version and exit");
    std::string config_path;
    config_overrides o;
    std::string role;
    app.add_option("--config", config_path, "The node's TOML config file")->required();
    auto* role_option =
        app.add_option("--role", role, "producer, miner or client (overrides role)");
    auto* listen_option =
        app.add_option("--listen", o.listen.emplace(),
                       "HOST:PORT to accept peers on; port 0 picks a free one (overrides listen)");
    auto* data_dir_option =
        app.add_option("--data-dir", o.data_dir.emplace(),
                       "Directory of the node's files: main_chain.sqlite, databases, status.json "
                       "(overrides data_dir)");
    auto* genesis_option = app.add_option("--genesis", o.genesis.emplace(),
                                          "The network's genesis JSON file "
                                          "(overrides genesis)");
    auto* key_option = app.add_option("--key-file", o.key_file.emplace(),
                                      "The node's key file, from `cql generate` (overrides "
                                      "key_file)");
    auto* passphrase_option =
        app.add_option("--passphrase-file", o.passphrase_file.emplace(),
                       "Read the key's passphrase from the first line of this file (overrides "
                       "passphrase_file)");
    auto* level_option =
        app.add_option("--log-level", o.log_level.emplace(),
                       "trace, debug, info, warn, error, critical or off (overrides [log] level)");
    auto* log_file_option = app.add_option(
        "--log-file", o.log_file.emplace(),
        "Append the log to this file instead of stderr; empty: stderr (overrides [log] file)");
    auto* http_option = app.add_option(
        "--http-listen", o.http_listen.emplace(),
        "Role client: HOST:PORT of the HTTP API, loopback unless [client] http_allow_remote; "
        "port 0 picks a free one (overrides [client] http_listen)");
    auto* timeout_option = app.add_option(
        "--request-timeout-ms", o.request_timeout_ms.emplace(),
        "Role client: how long an SQL call waits for a verified answer before 504 (overrides "
        "[client] request_timeout_ms)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
        std::cerr << "covenant-node: " << one_line(e.what()) << " (see covenant-node --help)"
                  << std::endl;
        return exit_usage_error;
    }
    // Options not given keep no value (CLI11 wrote into the optionals only if given).
    auto keep_if = [](CLI::Option* option, auto& value) {
        if (option->count() == 0) value.reset();
    };
    keep_if(listen_option, o.listen);
    keep_if(data_dir_option, o.data_dir);
    keep_if(genesis_option, o.genesis);
    keep_if(key_option, o.key_file);
    keep_if(passphrase_option, o.passphrase_file);
    keep_if(level_option, o.log_level);
    keep_if(log_file_option, o.log_file);
    keep_if(http_option, o.http_listen);
    keep_if(timeout_option, o.request_timeout_ms);
    if (role_option->count() > 0) o.role = role;

    reporter report;
    auto config = read_node_config(config_path, o);
    if (!config) return report.fail(config.failure().detail, exit_usage_error);

    std::shared_ptr<spdlog::logger> log;
    try {
        log = make_logger(config->log);
    } catch (const spdlog::spdlog_ex& e) {
        return report.fail("log file " + config->log.file + ": " + e.what(), exit_runtime_error);
    }
    report.use(log);

    auto genesis = covenant::storage::read_genesis_file(config->genesis);
    if (!genesis)
        return report.fail("genesis " + config->genesis + ": " + genesis.failure().message(),
                           exit_runtime_error);

    std::optional<covenant::crypto::key_pair> key;
    try {
        cql::passphrase_options source{config->passphrase_file};
        // Ctrl-C at the passphrase prompt ends the process (and restores the terminal):
        // the signals are let through while this thread alone reads it.
        ::pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
        std::string passphrase;
        try {
            passphrase = cql::read_passphrase(source, cql::passphrase_use::open_key);
        } catch (...) {
            ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
            throw;
        }
        ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
        auto opened = covenant::crypto::read_key_file(config->key_file, passphrase);
        cql::wipe(passphrase);
        if (!opened)
            return report.fail("key_file " + config->key_file + ": " + opened.failure().message(),
                               exit_runtime_error);
        key.emplace(std::move(opened).value());
    } catch (const cql::failure& f) {
        return report.fail(std::string("key_file ") + config->key_file + ": " + f.what(),
                           exit_runtime_error);
    }
    auto nonce = own_node_id_nonce(*config, *genesis, key->public_key());
    if (!nonce) return report.fail(nonce.failure().detail, exit_usage_error);
    const node_identity identity{*key, *nonce,
                                 covenant::crypto::compute_node_id(key->public_key(), *nonce)};

    if (config->role == node_role::producer &&
        genesis->producer_node_nonces.count(identity.key.public_key()) == 0)
        return report.fail(config->source + ": role = \"producer\", but the key " +
                               identity.key.public_key().hex() +
                               " is not one of the genesis producers",
                           exit_usage_error);

    auto peers = resolve_peers(*config, *genesis, identity.id);
    if (!peers) return report.fail(peers.failure().detail, exit_usage_error);

    try {
        return run_node(*config, *genesis, identity, *peers, *log);
    } catch (const std::exception& e) {
        return report.fail(std::string("stopped on an unexpected error: ") + e.what(),
                           exit_runtime_error);
    }
}
