// `cql console DB [-c SQL]`: the SQL shell (console_shell.hpp) fed from readline on a terminal
// (line editing, history kept in ~/.cql_history), from stdin when it is not a terminal (a pipe,
// a file), or from -c SQL. Not on a terminal, the exit status says whether every statement
// succeeded (1 if any failed), so scripts can rely on it.
#include <readline/history.h>
#include <readline/readline.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "arguments.hpp"
#include "commands.hpp"
#include "console_shell.hpp"
#include "output.hpp"

namespace cql {
namespace {

// Lines kept in the history file.
constexpr int history_lines_max = 1000;

struct console_options {
    std::string database;
    std::string command;  // -c
    bool has_command = false;
    std::string mode = "table";
    std::string history;  // --history; empty: ~/.cql_history
    bool json = false;
};

std::string history_path(const console_options& o) {
    if (!o.history.empty()) return o.history;
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') return {};
    return std::string(home) + "/.cql_history";
}

/// Reads lines with readline until the end of input or .quit.
void interactive(console_shell& shell, const std::string& history) {
    using_history();
    stifle_history(history_lines_max);
    if (!history.empty()) read_history(history.c_str());  // a missing file is fine
    std::cout << "cql console: statements end with ';', .help for more, .quit to leave\n"
              << std::flush;
    for (;;) {
        std::unique_ptr<char, decltype(&std::free)> line(
            readline(shell.pending() ? "   ...> " : "cql> "), &std::free);
        if (!line) {
            std::cout << '\n';
            shell.on_end();
            break;
        }
        const std::string text = line.get();
        if (text.find_first_not_of(" \t") != std::string::npos) add_history(line.get());
        if (!shell.on_line(text)) break;
    }
    if (!history.empty()) write_history(history.c_str());
}

void from_stream(console_shell& shell, std::istream& in) {
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!shell.on_line(line)) return;
    }
    if (in.bad()) throw failure("cannot read standard input");
    shell.on_end();
}

void run_console(const console_options& o, const connection_options& connection) {
    const auto id = parse_database_argument(o.database);
    output_mode mode = output_mode::table;
    parse_output_mode(o.mode, mode);
    const gateway_client gateway(connection);
    gateway.get("/v1/databases/" + id.hex());  // the gateway answers and knows the database
    const sql_runner runner(gateway, id);
    console_shell shell(runner, mode, o.json, std::cout, std::cerr);
    const bool terminal = !o.has_command && ::isatty(STDIN_FILENO) == 1;
    if (o.has_command) {
        std::istringstream in(o.command);
        from_stream(shell, in);
    } else if (terminal) {
        interactive(shell, history_path(o));
    } else {
        from_stream(shell, std::cin);
    }
    if (!std::cout) throw failure("cannot write to standard output");
    if (!terminal && shell.failures() > 0)
        throw failure(std::to_string(shell.failures()) + " of " +
                      std::to_string(shell.statements_run()) + " statement(s) failed");
}

}  // namespace

command add_console_command(CLI::App& root, const connection_options& connection) {
    auto o = std::make_shared<console_options>();
    CLI::App* app = root.add_subcommand(
        "console", "An SQL shell on a database (like sqlite3): statements end with ';'");
    app->add_option("DB", o->database, "The database id")->required();
    app->add_option("-c,--command", o->command,
                    "Run this SQL (statements and dot commands, one per line) and exit")
        ->each([o](const std::string&) { o->has_command = true; });
    app->add_option("--mode", o->mode, "How rows are shown at first: table, csv or json")
        ->capture_default_str()
        ->check(CLI::IsMember({"table", "csv", "json"}));
    app->add_option("--history", o->history, "History file (default ~/.cql_history)");
    app->add_flag("--json", o->json,
                  "Print each answer as one JSON object per line: {\"statement\", ...the "
                  "gateway's answer} or {\"statement\", \"error\", \"code\"}");
    return command{app, [o, &connection] { run_console(*o, connection); }};
}

}  // namespace cql
