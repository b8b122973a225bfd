// Reading a node's SQLite database file directly, as a test or checker sees the real state
// a replica left on disk (read-only; a file that does not open gives no rows).
#pragma once

#include <string>
#include <vector>

#include "protocols/sql_messages.hpp"

namespace covenant::sim {

std::vector<std::vector<protocols::sql_value>> sqlite_rows(const std::string& path,
                                                           const std::string& sql);

}  // namespace covenant::sim
