// Cutting SQL text into statements and telling reads from writes (see sql_text.hpp).
#include "sql_text.hpp"

#include <sqlite3.h>

#include <cctype>

#include "storage/sql_lexer.hpp"
#include "storage/sql_policy.hpp"

namespace cql {
namespace {

std::string trimmed_statement(const std::string& text) {
    // Without the final ';' and surrounding whitespace: the gateway takes one statement.
    std::size_t end = text.size();
    while (end > 0 &&
           (text[end - 1] == ';' || std::isspace(static_cast<unsigned char>(text[end - 1]))))
        --end;
    std::size_t begin = 0;
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
    return text.substr(begin, end - begin);
}

}  // namespace

bool blank_sql(const std::string& rest) {
    return covenant::storage::skip_insignificant(rest, 0, true) == rest.size();
}

split_sql split_statements(const std::string& text) {
    split_sql out;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != ';') continue;
        const std::string candidate = text.substr(start, i + 1 - start);
        if (sqlite3_complete(candidate.c_str()) == 0) continue;  // inside a literal or a body
        if (!blank_sql(candidate)) out.statements.push_back(trimmed_statement(candidate));
        start = i + 1;
    }
    out.rest = text.substr(start);
    return out;
}

bool is_read_statement(const std::string& sql) {
    const std::string first = covenant::storage::leading_keyword(sql);
    if (first == "select" || first == "values" || first == "pragma") return true;
    if (first != "with") return false;
    covenant::storage::sql_lexer lexer(sql);
    covenant::storage::sql_token t;
    while (lexer.next(t))
        if (t.is_word("insert") || t.is_word("update") || t.is_word("delete") ||
            t.is_word("replace"))
            return false;
    return true;
}

}  // namespace cql
