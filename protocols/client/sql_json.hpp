// SQL values and statements as the gateway's HTTP API writes them in JSON (docs/node.md),
// shared by the gateway (tools/covenant-node/http_api) and cql, which reads its answers:
// null; integers as JSON integers (exactly int64); reals as JSON numbers (an infinite real
// as {"real": "Infinity"} or {"real": "-Infinity"}); text as strings; blobs as
// {"blob": "<hex>"}; true and false as the integers 1 and 0. A statement is
// {"sql": "...", "params": [positional...] or {"name": value, ...}}. Reading is strict: any
// other shape is an error naming where it is.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocols/sql_messages.hpp"

namespace covenant::client {

result<protocols::sql_value> sql_value_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json sql_value_to_json(const protocols::sql_value& v);

/// A statement's "params" (or one set of its "param_sets"): an array (positional) or an
/// object (named, each name 1 to 256 bytes), at most parameters_per_statement_max values.
result<std::vector<protocols::sql_parameter>> parameters_from_json(const nlohmann::json& params,
                                                                   const std::string& where);

result<protocols::sql_statement> sql_statement_from_json(const nlohmann::json& j,
                                                         const std::string& where);

/// {"statements": [statement, ...]} or one statement's fields at the top: {"sql", "params"}.
result<std::vector<protocols::sql_statement>> sql_statements_from_json(const nlohmann::json& body);

}  // namespace covenant::client
