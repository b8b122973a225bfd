// How cql reaches a network: through a client gateway's HTTP API (docs/node.md "The HTTP
// API"). Where the gateway is comes from the root options --config FILE (else the CQL_CONFIG
// environment variable) and --gateway HOST:PORT, which overrides the file; without either,
// the gateway's default address 127.0.0.1:7800.
//
// Every call has a bound: a connection within connect_timeout_ms, an answer within the
// timeout (--timeout-ms, the config's timeout_ms, else 60 s: longer than the gateway's own
// transaction and request timeouts), and at most answer_bytes_max of answer. A gateway that
// cannot be reached, does not answer in time or answers something that is not a JSON object
// is a cql::failure (exit 1) saying so; an error the gateway answers is a gateway_refusal
// carrying its status, code and body.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "cql_config.hpp"
#include "failure.hpp"

namespace cql {

/// The root options every network command reads.
struct connection_options {
    std::string config_file;      // --config; empty: CQL_CONFIG, else none
    std::string gateway;          // --gateway HOST:PORT; empty: the config's
    std::int64_t timeout_ms = 0;  // --timeout-ms; 0: the config's, else the default
};

/// Adds --config, --gateway and --timeout-ms to the root app (subcommands fall through to them).
void add_connection_options(CLI::App& root, connection_options& options);

/// The config file named by --config or CQL_CONFIG, if any (a usage failure, exit 2, if it
/// cannot be read or is invalid).
std::optional<cql_config> load_config(const connection_options& options);

/// A gateway's error answer (status >= 300): {"error", "code"} and the whole body.
class gateway_refusal : public failure {
  public:
    gateway_refusal(const std::string& message, int status, std::string code, nlohmann::json body)
        : failure(message), status_(status), code_(std::move(code)), body_(std::move(body)) {}
    int status() const { return status_; }
    const std::string& code() const { return code_; }
    const nlohmann::json& body() const { return body_; }

  private:
    int status_;
    std::string code_;
    nlohmann::json body_;
};

class gateway_client {
  public:
    static constexpr std::int64_t connect_timeout_ms = 3000;
    static constexpr std::int64_t default_timeout_ms = 60'000;
    static constexpr std::size_t answer_bytes_max = 64u << 20;

    /// Settles where the gateway is (throws a usage failure for a bad --gateway or config).
    explicit gateway_client(const connection_options& options);

    /// "HOST:PORT" of the gateway, for messages.
    const std::string& address() const { return address_; }
    std::int64_t timeout_ms() const { return timeout_ms_; }

    nlohmann::json get(const std::string& path) const;
    nlohmann::json post(const std::string& path, const nlohmann::json& body) const;
    nlohmann::json del(const std::string& path) const;

  private:
    nlohmann::json call(const std::string& method, const std::string& path,
                        const std::string& body) const;

    std::string host_;
    std::uint16_t port_ = 0;
    std::string address_;
    std::int64_t timeout_ms_ = default_timeout_ms;
};

/// `text` with every character an URL query value must not hold escaped.
std::string url_encode(const std::string& text);

}  // namespace cql
