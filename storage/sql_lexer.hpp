// A small tokenizer of SQLite's SQL for Covenant's static checks of client statements
// (sql_policy.hpp) and for finding trailing text after a statement. It follows SQLite's
// lexical rules (comments, the three identifier quotings, string and blob literals,
// parameters) closely enough to tell keywords and names from text inside literals; it
// does not parse. It never fails: an unterminated literal or comment runs to the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace covenant::storage {

enum class sql_token_kind : std::uint8_t {
    word,               // keyword or bare identifier
    quoted_identifier,  // "name", [name] or `name`
    string,             // 'text'
    blob,               // x'hex'
    number,
    variable,  // ?, ?NNN, :name, @name, $name, #name
    symbol,    // any other single character
};

struct sql_token {
    sql_token_kind kind = sql_token_kind::symbol;
    std::size_t offset = 0;  // in the statement text
    std::size_t length = 0;
    /// Words and quoted identifiers: the name, unquoted, ASCII letters in lower case.
    /// Strings: the content, unquoted. Symbols: the character. Others: the raw text.
    std::string value;

    bool is_name() const {
        return kind == sql_token_kind::word || kind == sql_token_kind::quoted_identifier;
    }
    bool is_word(std::string_view lower_case) const {
        return kind == sql_token_kind::word && value == lower_case;
    }
    bool is_symbol(char c) const {
        return kind == sql_token_kind::symbol && value.size() == 1 && value[0] == c;
    }
};

class sql_lexer {
  public:
    explicit sql_lexer(std::string_view sql) : sql_(sql) {}

    /// The next token, whitespace and comments skipped; false at the end of the text.
    bool next(sql_token& out);

  private:
    std::string_view sql_;
    std::size_t position_ = 0;
};

/// The first position at or after `from` that is not whitespace or a comment (nor a ';'
/// if `semicolons_too`); sql.size() if there is none.
std::size_t skip_insignificant(std::string_view sql, std::size_t from, bool semicolons_too);

/// ASCII lower case, byte by byte (SQLite's case folding of keywords and names).
std::string ascii_lower(std::string_view text);

}  // namespace covenant::storage
