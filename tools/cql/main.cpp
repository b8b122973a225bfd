// Entry point of cql: builds the command line (CLI11), runs the chosen command, and turns
// every error into one "cql: ..." line on stderr with exit status 1 (runtime) or 2 (usage).
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "failure.hpp"

namespace {

// One line, whatever the message holds (a path with a newline, a multi-line library
// message).
std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
}

int report(const std::string& where, const std::string& message, int status) {
    std::cerr << "cql: " << one_line(where.empty() ? message : where + ": " + message) << std::endl;
    return status;
}

constexpr const char* command_list =
    "generate, wallet, idminer, create, drop, databases, info, balance, transfer, grant, exec, "
    "query, console, verify";

// The first argument that is not an option (nor the value of a root option) names the command.
const char* first_positional(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--config" || arg == "--gateway" || arg == "--timeout-ms") {
            ++i;
            continue;
        }
        if (argv[i][0] != '-') return argv[i];
    }
    return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "cql: the command line of Covenant, a decentralized SQL database: keys, wallet "
        "addresses and node ids, and (through a client gateway) databases, SQL, tokens, "
        "permissions and verification.\nPassphrases come from --passphrase-file, else the "
        "CQL_PASSPHRASE environment variable, else the terminal. The gateway comes from "
        "--gateway, else the config file (--config, else CQL_CONFIG), else 127.0.0.1:7800.",
        "cql"};
    app.set_version_flag("--version", std::string("cql ") + CQL_VERSION,
                         "Print the version and exit");
    app.require_subcommand(0, 1);
    app.footer("Run 'cql COMMAND --help' for the options of a command.");
    cql::connection_options connection;
    cql::add_connection_options(app, connection);

    std::vector<cql::command> commands = {
        cql::add_generate_command(app),
        cql::add_wallet_command(app, connection),
        cql::add_idminer_command(app, connection),
    };
    for (auto* group :
         {&cql::add_database_commands, &cql::add_account_commands, &cql::add_sql_commands})
        for (auto& c : (*group)(app, connection)) commands.push_back(std::move(c));
    commands.push_back(cql::add_console_command(app, connection));
    commands.push_back(cql::add_verify_command(app, connection));
    // The root's options (--config, --gateway, --timeout-ms) may also follow the command.
    for (auto& c : commands) c.app->fallthrough();

    // Which command the error belongs to, for the message prefix.
    auto current_command = [&]() -> std::string {
        for (const auto& c : commands)
            if (c.app->parsed()) return c.app->get_name();
        return {};
    };

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            return app.exit(e);  // --help or --version: printed on stdout, status 0
        }
        if (current_command().empty()) {
            if (const char* name = first_positional(argc, argv)) {
                return report("",
                              std::string("unknown command '") + name +
                                  "' (commands: " + command_list + "; see cql --help)",
                              cql::exit_usage_error);
            }
        }
        return report(current_command(), e.what(), cql::exit_usage_error);
    }

    for (const auto& c : commands) {
        if (!c.app->parsed()) continue;
        try {
            c.run();
            return cql::exit_ok;
        } catch (const cql::failure& f) {
            return report(c.app->get_name(), f.what(), f.exit_status());
        } catch (const std::exception& e) {
            return report(c.app->get_name(), e.what(), cql::exit_runtime_error);
        }
    }
    return report("",
                  std::string("no command given (commands: ") + command_list + "; see cql --help)",
                  cql::exit_usage_error);
}
