// Printing a command's result on stdout: a human line, or one JSON object with --json.
// A failed write (a closed pipe, a full disk) is an error, not a silent success.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace cql {

/// Prints `text` and a newline, then flushes; throws cql::failure if stdout failed.
void print_line(const std::string& text);

/// Prints `object` as one line of JSON; throws cql::failure if stdout failed.
void print_json(const nlohmann::json& object);

}  // namespace cql
