// Running SQL on one database through the gateway, shared by `cql exec`, `cql query` and
// `cql console`: reads go to /v1/query (one member answers, signed), writes to /v1/exec
// (ordered and committed by the group; in strong mode answered with the commit certificate and
// f+1 members' result signatures). The gateway verifies every answer before it returns it.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/ids.hpp"
#include "gateway_client.hpp"
#include "result_view.hpp"

namespace cql {

/// A parameter value from the command line: JSON when it is a JSON value the gateway takes
/// (42, -1.5, null, "text", {"blob": "00ff"}), else the text itself. A value the gateway would
/// refuse (an integer beyond 64 bits, a malformed blob) is a usage failure naming it.
nlohmann::json parse_parameter(const std::string& text);

/// One set of parameters for a statement that runs once per set (`"param_sets"` of
/// /v1/exec): a JSON array (values for `?` in order) or a JSON object (named parameters,
/// ":NAME": value), each value as the gateway takes it (42, -1.5, null, "text",
/// {"blob": "00ff"}). Anything else is a usage failure naming `where`.
nlohmann::json parse_parameter_set(const std::string& text, const std::string& where);

class sql_runner {
  public:
    sql_runner(const gateway_client& gateway, const covenant::database_id& database)
        : gateway_(gateway), database_(database) {}

    /// One read statement through /v1/query: {"columns", "rows", "served_by", ...}.
    nlohmann::json query(const std::string& sql, const nlohmann::json& params = nullptr) const;
    /// Statements as one atomic request through /v1/exec: {"results": [...], "seq", ...}.
    nlohmann::json exec(const std::vector<std::string>& statements,
                        const nlohmann::json& params = nullptr) const;
    /// One statement run once per set of `param_sets` (a JSON array of sets), as one request.
    nlohmann::json exec_sets(const std::string& statement, const nlohmann::json& param_sets) const;

    const covenant::database_id& database() const { return database_; }

  private:
    const gateway_client& gateway_;
    covenant::database_id database_;
};

/// What a shell shows for an answer: the rows of each statement in `mode`, and for a write a
/// line saying how it was verified (--json prints the answer itself instead).
std::string describe_read(const nlohmann::json& answer, output_mode mode);
std::string describe_write(const nlohmann::json& answer, output_mode mode, bool proof_line);

}  // namespace cql
