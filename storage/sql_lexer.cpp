// SQLite-compatible tokenizing for static checks (see sql_lexer.hpp).
#include "storage/sql_lexer.hpp"

namespace covenant::storage {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '\v';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// SQLite's IdChar: letters, digits, '_', '$' and every byte of a multi-byte character.
bool is_id_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80;
}
bool is_id_start(char c) {
    return is_alpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// End of a quoted run starting at `open` (the quote), doubled closing quotes escaping
/// themselves when `doubling`; appends the content to `content`.
std::size_t quoted_end(std::string_view sql, std::size_t open, char close, bool doubling,
                       std::string& content) {
    std::size_t i = open + 1;
    while (i < sql.size()) {
        if (sql[i] == close) {
            if (doubling && i + 1 < sql.size() && sql[i + 1] == close) {
                content.push_back(close);
                i += 2;
                continue;
            }
            return i + 1;
        }
        content.push_back(sql[i]);
        ++i;
    }
    return sql.size();
}

}  // namespace

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = lower(c);
    return out;
}

std::size_t skip_insignificant(std::string_view sql, std::size_t from, bool semicolons_too) {
    std::size_t i = from;
    while (i < sql.size()) {
        const char c = sql[i];
        if (is_space(c) || (semicolons_too && c == ';')) {
            ++i;
        } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            while (i < sql.size() && sql[i] != '\n') ++i;
        } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
            const std::size_t close = sql.find("*/", i + 2);
            i = close == std::string_view::npos ? sql.size() : close + 2;
        } else {
            break;
        }
    }
    return i;
}

bool sql_lexer::next(sql_token& out) {
    position_ = skip_insignificant(sql_, position_, /*semicolons_too=*/false);
    if (position_ >= sql_.size()) return false;
    const std::size_t start = position_;
    const char c = sql_[start];
    out.offset = start;
    out.value.clear();
    std::size_t end = start + 1;

    if ((c == 'x' || c == 'X') && start + 1 < sql_.size() && sql_[start + 1] == '\'') {
        out.kind = sql_token_kind::blob;
        std::string ignored;
        end = quoted_end(sql_, start + 1, '\'', false, ignored);
        out.value.assign(sql_.substr(start, end - start));
    } else if (is_id_start(c)) {
        out.kind = sql_token_kind::word;
        while (end < sql_.size() && is_id_char(sql_[end])) ++end;
        out.value = ascii_lower(sql_.substr(start, end - start));
    } else if (c == '"' || c == '`') {
        out.kind = sql_token_kind::quoted_identifier;
        end = quoted_end(sql_, start, c, true, out.value);
        out.value = ascii_lower(out.value);
    } else if (c == '[') {
        out.kind = sql_token_kind::quoted_identifier;
        end = quoted_end(sql_, start, ']', false, out.value);
        out.value = ascii_lower(out.value);
    } else if (c == '\'') {
        out.kind = sql_token_kind::string;
        end = quoted_end(sql_, start, '\'', true, out.value);
    } else if (is_digit(c) || (c == '.' && start + 1 < sql_.size() && is_digit(sql_[start + 1]))) {
        out.kind = sql_token_kind::number;
        while (end < sql_.size()) {
            const char d = sql_[end];
            if ((d == '+' || d == '-') && (sql_[end - 1] == 'e' || sql_[end - 1] == 'E')) {
                ++end;
            } else if (is_id_char(d) || d == '.') {
                ++end;
            } else {
                break;
            }
        }
        out.value.assign(sql_.substr(start, end - start));
    } else if (c == '?') {
        out.kind = sql_token_kind::variable;
        while (end < sql_.size() && is_digit(sql_[end])) ++end;
        out.value.assign(sql_.substr(start, end - start));
    } else if (c == ':' || c == '@' || c == '$' || c == '#') {
        out.kind = sql_token_kind::variable;
        while (end < sql_.size() && is_id_char(sql_[end])) ++end;
        out.value.assign(sql_.substr(start, end - start));
    } else {
        out.kind = sql_token_kind::symbol;
        out.value.assign(1, c);
    }
    out.length = end - start;
    position_ = end;
    return true;
}

}  // namespace covenant::storage
