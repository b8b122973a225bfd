// The console's statements and dot commands (see console_shell.hpp).
#include "console_shell.hpp"

#include <ostream>
#include <sstream>

#include "answer_fields.hpp"
#include "sql_text.hpp"
#include "storage/sql_policy.hpp"

namespace cql {
namespace {

using nlohmann::json;

constexpr const char* help_text =
    "Statements end with ';' and may span lines. Reads run on one member, writes are\n"
    "committed by the database's group; every answer is verified by the gateway.\n"
    ".tables              the tables and views\n"
    ".schema [TABLE]      the CREATE statements (of one table and its indexes and triggers)\n"
    ".mode [MODE]         show or set how rows are shown: table, csv or json\n"
    ".help                this text\n"
    ".quit, .exit         leave the console\n";

std::string trim(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r");
    if (begin == std::string::npos) return {};
    const auto end = text.find_last_not_of(" \t\r");
    return text.substr(begin, end - begin + 1);
}

/// Covenant's own table is not the user's: it is left out of .tables and .schema.
bool internal_table(const std::string& name) {
    return name == covenant::storage::metadata_table_name;
}

const char* mode_name(output_mode m) {
    switch (m) {
        case output_mode::table:
            return "table";
        case output_mode::csv:
            return "csv";
        case output_mode::json:
            return "json";
    }
    return "table";
}

}  // namespace

console_shell::console_shell(const sql_runner& runner, output_mode mode, bool json_lines,
                             std::ostream& out, std::ostream& err)
    : runner_(runner), mode_(mode), json_lines_(json_lines), out_(out), err_(err) {}

bool console_shell::on_line(const std::string& line) {
    if (buffer_.empty()) {
        const std::string command = trim(line);
        if (!command.empty() && command.front() == '.') return dot_command(command);
    }
    if (buffer_.size() + line.size() + 1 > statement_bytes_max) {
        buffer_.clear();
        report_error("",
                     "a statement longer than " + std::to_string(statement_bytes_max >> 20) +
                         " MiB: dropped",
                     "too_large");
        return true;
    }
    buffer_ += line;
    buffer_ += '\n';
    auto split = split_statements(buffer_);
    buffer_ = blank_sql(split.rest) ? std::string() : split.rest;
    for (const auto& statement : split.statements) run_statement(statement);
    return true;
}

void console_shell::on_end() {
    if (buffer_.empty()) return;
    const std::string rest = trim(buffer_);
    buffer_.clear();
    if (!rest.empty()) run_statement(rest);
}

void console_shell::report_error(const std::string& statement, const std::string& message,
                                 const std::string& code) {
    ++failures_;
    if (json_lines_) {
        out_ << json{{"statement", statement}, {"error", message}, {"code", code}}.dump() << '\n'
             << std::flush;
        return;
    }
    err_ << "Error: " << message << '\n' << std::flush;
}

void console_shell::run_statement(const std::string& sql) {
    ++statements_run_;
    try {
        const bool read = is_read_statement(sql);
        json answer = read ? runner_.query(sql) : runner_.exec({sql});
        if (json_lines_) {
            answer["statement"] = sql;
            out_ << answer.dump() << '\n' << std::flush;
            return;
        }
        out_ << (read ? describe_read(answer, mode_) : describe_write(answer, mode_, false))
             << std::flush;
    } catch (const gateway_refusal& e) {
        report_error(sql, e.what(), e.code());
    } catch (const failure& e) {
        report_error(sql, e.what(), "gateway");
    }
}

bool console_shell::dot_command(const std::string& line) {
    std::istringstream words(line);
    std::string name, argument, extra;
    words >> name >> argument >> extra;
    if (!extra.empty()) {
        report_error(line, name + ": too many arguments", "usage");
        return true;
    }
    if (name == ".quit" || name == ".exit") return false;
    if (name == ".help") {
        if (json_lines_)
            out_ << json{{"help", help_text}}.dump() << '\n';
        else
            out_ << help_text;
        out_ << std::flush;
    } else if (name == ".tables") {
        show_tables();
    } else if (name == ".schema") {
        show_schema(argument);
    } else if (name == ".mode") {
        if (!argument.empty() && !parse_output_mode(argument, mode_)) {
            report_error(line, ".mode: expected table, csv or json", "usage");
            return true;
        }
        if (argument.empty() || json_lines_) {
            if (json_lines_)
                out_ << json{{"mode", mode_name(mode_)}}.dump() << '\n';
            else
                out_ << "current mode: " << mode_name(mode_) << '\n';
            out_ << std::flush;
        }
    } else {
        report_error(line, "unknown command " + name + " (see .help)", "usage");
    }
    return true;
}

void console_shell::show_tables() {
    const std::string sql =
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE "
        "'sqlite\\_%' ESCAPE '\\' ORDER BY name";
    try {
        const auto rows = rows_from_answer(runner_.query(sql));
        json names = json::array();
        for (const auto& row : rows.rows) {
            const auto* name = std::get_if<std::string>(&row.at(0).value);
            if (name != nullptr && !internal_table(*name)) names.push_back(*name);
        }
        if (json_lines_) {
            out_ << json{{"tables", names}}.dump() << '\n' << std::flush;
            return;
        }
        std::string text;
        for (const auto& n : names) text += (text.empty() ? "" : "  ") + n.get<std::string>();
        if (!text.empty()) out_ << text << '\n' << std::flush;
    } catch (const gateway_refusal& e) {
        report_error(".tables", e.what(), e.code());
    } catch (const failure& e) {
        report_error(".tables", e.what(), "gateway");
    }
}

void console_shell::show_schema(const std::string& table) {
    std::string sql = "SELECT name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL";
    json params = nullptr;
    if (!table.empty()) {
        sql += " AND tbl_name = ? COLLATE NOCASE";
        params = json::array({table});
    }
    sql += " ORDER BY tbl_name, type DESC, name";
    try {
        const auto rows = rows_from_answer(runner_.query(sql, params));
        json statements = json::array();
        for (const auto& row : rows.rows) {
            const auto* name = std::get_if<std::string>(&row.at(0).value);
            const auto* owner = std::get_if<std::string>(&row.at(1).value);
            const auto* text = std::get_if<std::string>(&row.at(2).value);
            if (text == nullptr || (name != nullptr && internal_table(*name)) ||
                (owner != nullptr && internal_table(*owner)))
                continue;
            statements.push_back(*text + ";");
        }
        if (json_lines_) {
            out_ << json{{"schema", statements}}.dump() << '\n' << std::flush;
            return;
        }
        for (const auto& s : statements) out_ << s.get<std::string>() << '\n';
        out_ << std::flush;
    } catch (const gateway_refusal& e) {
        report_error(".schema", e.what(), e.code());
    } catch (const failure& e) {
        report_error(".schema", e.what(), "gateway");
    }
}

}  // namespace cql
