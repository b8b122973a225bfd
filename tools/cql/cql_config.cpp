// Reading cql's config file (see cql_config.hpp).
#include "cql_config.hpp"

#include <system_error>

#include "toml_reader.hpp"

namespace cql {
namespace {

using covenant::error;
using covenant::node::toml_error;
using covenant::node::toml_fail;
using covenant::node::toml_table_reader;

constexpr std::size_t config_bytes_max = 64u << 10;

}  // namespace

covenant::result<cql_config> parse_cql_config(const std::string& toml_text,
                                              const std::string& base_dir,
                                              const std::string& source) {
    auto parsed = covenant::node::parse_toml_text(toml_text, source);
    if (!parsed) return parsed.failure();
    const toml::table root = std::move(parsed).value();
    cql_config c;
    c.source = source;
    try {
        toml_table_reader r(root, "");
        auto gateway = r.nonempty_string("gateway");
        if (!gateway)
            toml_fail("gateway", nullptr, "missing (HOST:PORT of the gateway's HTTP API)");
        auto address = covenant::node::parse_host_port(*gateway, false);
        if (!address) toml_fail("gateway", root.get("gateway"), address.failure().detail);
        c.gateway = std::move(address).value();
        if (auto key = r.nonempty_string("key_file"))
            c.key_file = covenant::node::resolve_config_path(*key, base_dir);
        if (auto pass = r.nonempty_string("passphrase_file"))
            c.passphrase_file = covenant::node::resolve_config_path(*pass, base_dir);
        c.timeout_ms = r.integer("timeout_ms", 1, gateway_timeout_max_ms);
        r.finish();
    } catch (const toml_error& e) {
        return error{std::make_error_code(std::errc::invalid_argument),
                     (source.empty() ? "" : source + ": ") + e.message};
    }
    return c;
}

covenant::result<cql_config> read_cql_config(const std::string& path) {
    auto file = covenant::node::read_config_file(path, config_bytes_max);
    if (!file) return file.failure();
    return parse_cql_config(file->text, file->base_dir, path);
}

}  // namespace cql
