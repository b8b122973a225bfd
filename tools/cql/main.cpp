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

// The first argument that is not an option names the command: the top level has only
// flags (--help, --version), so nothing else can stand there.
const char* first_positional(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (argv[i][0] != '-') return argv[i];
    return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "cql: keys, wallet addresses and node ids for Covenant, a decentralized SQL "
        "database.\nPassphrases come from --passphrase-file, else the "
        "CQL_PASSPHRASE environment variable, else the terminal.",
        "cql"};
    app.set_version_flag("--version", std::string("cql ") + CQL_VERSION,
                         "Print the version and exit");
    app.require_subcommand(0, 1);
    app.footer("Run 'cql COMMAND --help' for the options of a command.");

    std::vector<cql::command> commands = {
        cql::add_generate_command(app),
        cql::add_wallet_command(app),
        cql::add_idminer_command(app),
    };

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
                                  "' (commands: generate, wallet, idminer; see cql --help)",
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
    return report("", "no command given (commands: generate, wallet, idminer; see cql --help)",
                  cql::exit_usage_error);
}
