// The interactive SQL shell of `cql console DB`, in the manner of sqlite3, apart from how lines
// are read (readline on a terminal, a pipe, or -c): lines are gathered until they end a
// complete statement (sql_text.hpp); each statement runs on its own, a read through /v1/query
// and a write through /v1/exec; an error is printed ("Error: ...") and the shell goes on.
// Dot commands at the start of a line: .tables, .schema [TABLE], .mode [table|csv|json],
// .help, .quit (.exit).
#pragma once

#include <iosfwd>
#include <string>

#include "result_view.hpp"
#include "sql_runner.hpp"

namespace cql {

class console_shell {
  public:
    /// The most SQL one statement may gather (the gateway's default body limit).
    static constexpr std::size_t statement_bytes_max = 8u << 20;

    /// `json_lines`: print each answer as one JSON object ({"statement", ...the gateway's
    /// answer} or {"statement", "error", "code"}) instead of rows.
    console_shell(const sql_runner& runner, output_mode mode, bool json_lines, std::ostream& out,
                  std::ostream& err);

    /// One line of input (without its newline). False once the user asked to quit.
    bool on_line(const std::string& line);
    /// The end of the input: an unfinished statement still runs (the members judge it).
    void on_end();

    /// Inside a statement that is not complete yet (a continuation prompt is due).
    bool pending() const { return !buffer_.empty(); }
    std::size_t statements_run() const { return statements_run_; }
    std::size_t failures() const { return failures_; }

  private:
    void run_statement(const std::string& sql);
    bool dot_command(const std::string& line);
    void show_tables();
    void show_schema(const std::string& table);
    void report_error(const std::string& statement, const std::string& message,
                      const std::string& code);

    const sql_runner& runner_;
    output_mode mode_;
    bool json_lines_;
    std::ostream& out_;
    std::ostream& err_;
    std::string buffer_;
    std::size_t statements_run_ = 0;
    std::size_t failures_ = 0;
};

}  // namespace cql
