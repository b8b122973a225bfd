// Which key file a command opens (see config_key.hpp).
#include "config_key.hpp"

namespace cql {

key_choice choose_key(const std::string& key_flag, const passphrase_options& passphrase_flag,
                      const connection_options& connection) {
    key_choice out{key_flag, passphrase_flag};
    if (!out.path.empty()) return out;
    const auto config = load_config(connection);
    if (!config || config->key_file.empty())
        throw usage_failure(
            "--key is required (or a config file with key_file: --config FILE "
            "or CQL_CONFIG)");
    out.path = config->key_file;
    if (out.passphrase.file.empty()) out.passphrase.file = config->passphrase_file;
    return out;
}

}  // namespace cql
