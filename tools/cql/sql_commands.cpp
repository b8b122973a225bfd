// `cql exec DB SQL` (statements as one atomic write; `-` reads them from stdin) and
// `cql query DB SQL` (one read, answered by one member), with --param values for `?` and
// --named :NAME=VALUE for named parameters; exec also takes --param-set and
// --param-sets-file (one statement run once per set of parameters).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "answer_fields.hpp"
#include "arguments.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "protocols/limits.hpp"
#include "sql_runner.hpp"
#include "sql_text.hpp"

namespace cql {
namespace {

using nlohmann::json;

// The gateway's body limit is 8 MiB by default; SQL beyond it could not be sent anyway.
constexpr std::size_t stdin_sql_bytes_max = 8u << 20;

struct sql_options {
    std::string database;
    std::string sql;
    std::vector<std::string> params;
    std::vector<std::string> named;
    std::vector<std::string> param_sets;  // exec: each a JSON array or object
    std::string param_sets_file;          // exec: one set per line (JSON Lines)
    bool has_param_sets_file = false;     // given, even as an empty path
    std::string mode = "table";
    bool json = false;
};

std::string read_stdin_sql() {
    std::string text;
    char buffer[65536];
    while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
        if (text.size() > stdin_sql_bytes_max)
            throw usage_failure("more than " + std::to_string(stdin_sql_bytes_max >> 20) +
                                " MiB of SQL on stdin");
    }
    if (std::cin.bad()) throw failure("cannot read SQL from stdin");
    return text;
}

std::vector<std::string> statements_of(const sql_options& o) {
    const std::string text = o.sql == "-" ? read_stdin_sql() : o.sql;
    auto split = split_statements(text);
    if (!blank_sql(split.rest)) split.statements.push_back(split.rest);
    if (split.statements.empty()) throw usage_failure("SQL: no statement given");
    return split.statements;
}

json params_of(const sql_options& o) {
    if (!o.params.empty() && !o.named.empty())
        throw usage_failure("give --param (positional) or --named, not both");
    if (!o.params.empty()) {
        json list = json::array();
        for (const auto& p : o.params) list.push_back(parse_parameter(p));
        return list;
    }
    if (o.named.empty()) return nullptr;
    json object = json::object();
    for (const auto& n : o.named) {
        const auto eq = n.find('=');
        if (eq == std::string::npos || eq == 0)
            throw usage_failure("--named " + n + ": expected NAME=VALUE");
        object[n.substr(0, eq)] = parse_parameter(n.substr(eq + 1));
    }
    return object;
}

// A request runs its statements at most this many times (protocols::limits, which the
// gateway and every member enforce); more sets are refused here before any is sent.
constexpr std::size_t param_sets_max = covenant::protocols::limits::parameter_sets_per_statement_max;
// The largest body a gateway can be configured to take (`[client] http_body_bytes_max`);
// a bigger file could not be sent to any, and is refused before it is read.
constexpr std::uintmax_t param_sets_file_bytes_max = 64u << 20;

json param_sets_of(const sql_options& o) {
    json sets = json::array();
    for (const auto& text : o.param_sets)
        sets.push_back(parse_parameter_set(text, "--param-set " + text.substr(0, 40)));
    if (o.has_param_sets_file) {
        const std::string& path = o.param_sets_file;
        std::error_code error;
        const bool regular = std::filesystem::is_regular_file(path, error);
        const auto size = regular ? std::filesystem::file_size(path, error) : 0;
        if (!regular || error)
            throw usage_failure("--param-sets-file " + path + ": cannot read it (not a file)");
        if (size > param_sets_file_bytes_max)
            throw usage_failure("--param-sets-file " + path + ": more than " +
                                std::to_string(param_sets_file_bytes_max >> 20) +
                                " MiB, more than a gateway takes");
        std::ifstream file(path);
        if (!file) throw usage_failure("--param-sets-file " + path + ": cannot read it");
        std::string line;
        for (std::size_t number = 1; std::getline(file, line); ++number) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            sets.push_back(parse_parameter_set(
                line, "--param-sets-file " + path + " line " + std::to_string(number)));
        }
        if (file.bad()) throw failure("--param-sets-file " + path + ": read error");
    }
    if (sets.size() > param_sets_max)
        throw usage_failure("more than " + std::to_string(param_sets_max) + " parameter sets");
    return sets;
}

output_mode mode_of(const sql_options& o) {
    output_mode mode = output_mode::table;
    parse_output_mode(o.mode, mode);  // CLI11 checked it
    return mode;
}

void run_exec(const sql_options& o, const connection_options& connection) {
    const auto id = parse_database_argument(o.database);
    const auto statements = statements_of(o);
    const json params = params_of(o);
    const bool with_sets = !o.param_sets.empty() || o.has_param_sets_file;
    if (o.has_param_sets_file && o.param_sets_file.empty())
        throw usage_failure("--param-sets-file: empty path");
    if (with_sets && !params.is_null())
        throw usage_failure("give --param/--named or --param-set/--param-sets-file, not both");
    if ((with_sets || !params.is_null()) && statements.size() != 1)
        throw usage_failure("parameters apply to one statement; " +
                            std::to_string(statements.size()) + " were given");
    const json sets = with_sets ? param_sets_of(o) : json();
    if (with_sets && sets.empty())
        throw usage_failure("--param-sets-file " + o.param_sets_file + ": no parameter set in it");
    const gateway_client gateway(connection);
    json answer = with_sets ? sql_runner(gateway, id).exec_sets(statements.front(), sets)
                            : sql_runner(gateway, id).exec(statements, params);
    if (o.json) {
        answer["database"] = id.hex();
        return print_json(answer);
    }
    std::cout << describe_write(answer, mode_of(o), true) << std::flush;
    if (!std::cout) throw failure("cannot write to standard output");
}

void run_query(const sql_options& o, const connection_options& connection) {
    const auto id = parse_database_argument(o.database);
    const auto statements = statements_of(o);
    if (statements.size() != 1)
        throw usage_failure("a query is one statement; " + std::to_string(statements.size()) +
                            " were given (use cql exec for several)");
    const gateway_client gateway(connection);
    json answer = sql_runner(gateway, id).query(statements.front(), params_of(o));
    if (o.json) {
        answer["database"] = id.hex();
        return print_json(answer);
    }
    std::cout << describe_read(answer, mode_of(o)) << std::flush;
    if (!std::cout) throw failure("cannot write to standard output");
}

CLI::App* add_sql_options(CLI::App& root, const char* name, const char* help, sql_options& o,
                          const char* json_help) {
    CLI::App* app = root.add_subcommand(name, help);
    app->add_option("DB", o.database, "The database id")->required();
    app->add_option("SQL", o.sql, "The SQL, or - to read it from stdin")->required();
    app->add_option("--param", o.params,
                    "A value for the next ? (JSON: 42, 1.5, null, \"text\", {\"blob\": \"00ff\"}; "
                    "anything else is text); repeat for each");
    app->add_option("--named", o.named, "A named parameter, :NAME=VALUE; repeat for each");
    app->add_option("--mode", o.mode, "How rows are shown: table, csv or json")
        ->capture_default_str()
        ->check(CLI::IsMember({"table", "csv", "json"}));
    app->add_flag("--json", o.json, json_help);
    return app;
}

}  // namespace

std::vector<command> add_sql_commands(CLI::App& root, const connection_options& connection) {
    std::vector<command> out;
    {
        auto o = std::make_shared<sql_options>();
        CLI::App* app = add_sql_options(
            root, "exec", "Run SQL statements as one atomic write, answered once verified", *o,
            "Print the gateway's verified answer: {\"database\", \"results\": [{\"rows_affected\", "
            "\"last_insert_rowid\", \"columns\", \"rows\"}], \"seq\", \"verified\", \"receipt\", "
            "\"certificate_signers\", \"result_signers\", \"served_by\"}");
        app->add_option("--param-set", o->param_sets,
                        "Run the statement once per set, as one request: a JSON array of values "
                        "for ? ([1, \"a\"]) or an object of named ones ({\":k\": 1}); repeat "
                        "for each set")
            ->allow_extra_args(false);  // one set per flag: CLI11 would split "[1, 2]" itself
        CLI::Option* sets_file =
            app->add_option("--param-sets-file", o->param_sets_file,
                            "Parameter sets from a file, one per line (JSON Lines), as --param-set");
        out.push_back(command{app, [o, sets_file, &connection] {
                                  o->has_param_sets_file = sets_file->count() > 0;
                                  run_exec(*o, connection);
                              }});
    }
    {
        auto o = std::make_shared<sql_options>();
        CLI::App* app = add_sql_options(
            root, "query", "Run one read statement, answered by one member (signed)", *o,
            "Print {\"database\", \"columns\", \"rows\", \"served_by\", \"verified\", \"seq\", "
            "\"receipt\", \"certificate_signers\", \"result_signers\"}");
        out.push_back(command{app, [o, &connection] { run_query(*o, connection); }});
    }
    return out;
}

}  // namespace cql
