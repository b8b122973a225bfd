// The key a command opens (wallet, idminer): --key FILE, else the config file's key_file, with
// the config's passphrase_file unless --passphrase-file is given. A missing key is a usage
// failure naming both ways to give one.
#pragma once

#include <string>

#include "gateway_client.hpp"
#include "passphrase.hpp"

namespace cql {

struct key_choice {
    std::string path;
    passphrase_options passphrase;
};

key_choice choose_key(const std::string& key_flag, const passphrase_options& passphrase_flag,
                      const connection_options& connection);

}  // namespace cql
