// Calls to a client gateway's HTTP API (see gateway_client.hpp).
#include "gateway_client.hpp"

#include <httplib.h>

#include <cctype>
#include <cstdlib>

#include "node_config.hpp"

namespace cql {
namespace {

constexpr const char* config_variable = "CQL_CONFIG";
const covenant::node::host_port default_gateway{"127.0.0.1", 7800};

std::string describe(httplib::Error e) {
    switch (e) {
        case httplib::Error::Connection:
            return "connection refused or no route (is the gateway running there?)";
        case httplib::Error::ConnectionTimeout:
            return "no connection within " +
                   std::to_string(gateway_client::connect_timeout_ms / 1000) + " s";
        case httplib::Error::Read:
            return "no complete answer in time (or the connection broke)";
        case httplib::Error::Write:
            return "the request could not be sent";
        case httplib::Error::Canceled:
            return "the answer is larger than " +
                   std::to_string(gateway_client::answer_bytes_max >> 20) + " MiB";
        default:
            return httplib::to_string(e);
    }
}

}  // namespace

void add_connection_options(CLI::App& root, connection_options& options) {
    root.add_option("--config", options.config_file,
                    "cql config file (TOML: gateway, key_file, passphrase_file, timeout_ms); "
                    "default: $CQL_CONFIG");
    root.add_option("--gateway", options.gateway,
                    "HOST:PORT of the client gateway's HTTP API (overrides the config; default "
                    "127.0.0.1:7800)");
    root.add_option("--timeout-ms", options.timeout_ms,
                    "How long to wait for the gateway's answer (default 60000)")
        ->check(CLI::Range(std::int64_t{1}, gateway_timeout_max_ms));
}

std::optional<cql_config> load_config(const connection_options& options) {
    std::string path = options.config_file;
    if (path.empty()) {
        if (const char* value = std::getenv(config_variable)) path = value;
        if (path.empty()) return std::nullopt;
    }
    auto config = read_cql_config(path);
    if (!config) throw usage_failure(config.failure().detail);
    return std::move(config).value();
}

gateway_client::gateway_client(const connection_options& options) {
    const auto config = load_config(options);
    covenant::node::host_port gateway = config ? config->gateway : default_gateway;
    if (!options.gateway.empty()) {
        auto parsed = covenant::node::parse_host_port(options.gateway, false);
        if (!parsed) throw usage_failure("--gateway: " + parsed.failure().detail);
        gateway = std::move(parsed).value();
    }
    host_ = gateway.host;
    if (!host_.empty() && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
    port_ = gateway.port;
    address_ = gateway.text();
    if (options.timeout_ms > 0)
        timeout_ms_ = options.timeout_ms;
    else if (config && config->timeout_ms)
        timeout_ms_ = *config->timeout_ms;
}

nlohmann::json gateway_client::get(const std::string& path) const {
    return call("GET", path, {});
}

nlohmann::json gateway_client::post(const std::string& path, const nlohmann::json& body) const {
    return call("POST", path, body.dump());
}

nlohmann::json gateway_client::del(const std::string& path) const {
    return call("DELETE", path, {});
}

nlohmann::json gateway_client::call(const std::string& method, const std::string& path,
                                    const std::string& body) const {
    httplib::Client client(host_, port_);
    client.set_connection_timeout(std::chrono::milliseconds(connect_timeout_ms));
    client.set_read_timeout(std::chrono::milliseconds(timeout_ms_));
    client.set_write_timeout(std::chrono::milliseconds(timeout_ms_));
    client.set_keep_alive(false);

    httplib::Request request;
    request.method = method;
    request.path = path;
    if (!body.empty()) {
        request.body = body;
        request.set_header("Content-Type", "application/json");
    }
    std::string answer;
    request.content_receiver = [&answer](const char* data, std::size_t length, std::uint64_t,
                                         std::uint64_t) {
        if (answer.size() + length > answer_bytes_max) return false;  // cancels the call
        answer.append(data, length);
        return true;
    };
    auto result = client.send(request);
    if (!result)
        throw failure("cannot reach the gateway at " + address_ + ": " + describe(result.error()));
    const int status = result->status;
    nlohmann::json parsed = nlohmann::json::parse(answer, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
        throw failure("the gateway at " + address_ + " answered " + method + " " + path +
                      " with HTTP " + std::to_string(status) +
                      " and no JSON object (is it a "
                      "Covenant gateway?)");
    if (status >= 200 && status < 300) return parsed;
    const auto text_of = [&parsed](const char* key) {
        const auto at = parsed.find(key);
        return at != parsed.end() && at->is_string() ? at->get<std::string>() : std::string();
    };
    std::string message = text_of("error");
    if (message.empty()) message = "HTTP " + std::to_string(status);
    std::string code = text_of("code");
    if (!code.empty()) message += " (" + code + ")";
    throw gateway_refusal(message, status, std::move(code), std::move(parsed));
}

std::string url_encode(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

}  // namespace cql
