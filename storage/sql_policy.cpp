// The refusal rules of client SQL (see sql_policy.hpp).
#include "storage/sql_policy.hpp"

#include <sqlite3.h>

#include <array>

#include "storage/sql_lexer.hpp"

namespace covenant::storage {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}
bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           equals_ignoring_case(text.substr(0, prefix.size()), prefix);
}
std::string_view view_of(const char* text) {
    return text == nullptr ? std::string_view() : text;
}

std::string not_allowed(std::string_view what) {
    return "not allowed: " + std::string(what);
}

std::string pragma_refusal(std::string_view name) {
    std::string out =
        not_allowed("PRAGMA " + ascii_lower(name)) + " (allowed: the read-only schema PRAGMAs";
    for (auto allowed : allowed_pragmas) out += " " + std::string(allowed);
    return out + ")";
}
std::string transaction_refusal(std::string_view what) {
    return not_allowed(what) + " (each request already runs as one transaction)";
}
std::string temp_refusal() {
    return not_allowed("TEMP objects") + " (they would live in one replica's connection)";
}
std::string metadata_refusal() {
    return not_allowed(metadata_table_name) + " (Covenant's internal table)";
}
std::string rollback_conflict_refusal() {
    return not_allowed("ROLLBACK conflict resolution") +
           " (it would end the whole batch's transaction; use ABORT or FAIL)";
}
std::string vacuum_refusal() {
    return not_allowed("VACUUM");
}
std::string physical_table_refusal(std::string_view name) {
    return not_allowed(ascii_lower(name)) + " (it shows state that differs between replicas)";
}
std::string statistics_refusal(std::string_view name) {
    return not_allowed("writing " + ascii_lower(name)) + " (run ANALYZE instead)";
}

bool names_metadata(std::string_view name) {
    return equals_ignoring_case(name, metadata_table_name);
}
bool is_physical_table(std::string_view name) {
    return equals_ignoring_case(name, "dbstat") || equals_ignoring_case(name, "sqlite_stmt");
}
bool is_statistics_table(std::string_view name) {
    return starts_with_ignoring_case(name, "sqlite_stat");
}

/// Reads tokens into a small look-behind window while scanning a statement.
class token_scanner {
  public:
    explicit token_scanner(std::string_view sql) : lexer_(sql) {}
    bool advance() {
        history_[2] = std::move(history_[1]);
        history_[1] = std::move(history_[0]);
        history_[0] = sql_token{};
        if (!lexer_.next(history_[0])) return false;
        ++count_;
        return true;
    }
    /// back(0) is the current token, back(1) the one before, back(2) the one before that.
    const sql_token& back(std::size_t n) const { return history_[n]; }
    std::size_t count() const { return count_; }

  private:
    sql_lexer lexer_;
    std::array<sql_token, 3> history_{};
    std::size_t count_ = 0;
};

/// The verdict on a statement's leading keywords (after EXPLAIN [QUERY PLAN]).
std::optional<std::string> leading_refusal(std::string_view sql) {
    sql_lexer lexer(sql);
    sql_token t;
    if (!lexer.next(t)) return std::nullopt;
    if (t.is_word("explain")) {
        if (!lexer.next(t)) return std::nullopt;
        if (!t.is_word("query")) return explain_refusal();
        if (!lexer.next(t) || !t.is_word("plan") || !lexer.next(t)) return std::nullopt;
    }
    if (t.kind != sql_token_kind::word) return std::nullopt;
    const std::string first = t.value;
    if (first == "attach") return not_allowed("ATTACH");
    if (first == "detach") return not_allowed("DETACH");
    if (first == "begin") return transaction_refusal("BEGIN");
    if (first == "commit" || first == "end") return transaction_refusal("COMMIT");
    if (first == "savepoint") return transaction_refusal("SAVEPOINT");
    if (first == "release") return transaction_refusal("RELEASE");
    if (first == "rollback") {
        while (lexer.next(t))
            if (t.is_word("to")) return transaction_refusal("ROLLBACK TO");
        return transaction_refusal("ROLLBACK");
    }
    if (first == "vacuum") return vacuum_refusal();
    if (first == "pragma") {
        sql_token name;
        if (!lexer.next(name) || !name.is_name()) return std::nullopt;  // SQLite: syntax error
        sql_token after;
        if (lexer.next(after) && after.is_symbol('.')) {
            if (!lexer.next(name) || !name.is_name()) return std::nullopt;
        }
        if (!pragma_allowed(name.value)) return pragma_refusal(name.value);
        // Its argument names a table or index: the metadata table is refused (strings too,
        // which the scan of names below does not look at).
        if (after.kind == sql_token_kind::string && names_metadata(after.value))
            return metadata_refusal();
        while (lexer.next(after))
            if ((after.is_name() || after.kind == sql_token_kind::string) &&
                names_metadata(after.value))
                return metadata_refusal();
        return std::nullopt;
    }
    if (first == "create") {
        if (!lexer.next(t)) return std::nullopt;
        if (t.is_word("temp") || t.is_word("temporary")) return temp_refusal();
        if (t.is_word("unique") || t.is_word("virtual")) {
            if (!lexer.next(t)) return std::nullopt;
        }
        if (!(t.is_word("table") || t.is_word("index") || t.is_word("view") ||
              t.is_word("trigger")))
            return std::nullopt;
        if (!lexer.next(t)) return std::nullopt;
        if (t.is_word("if")) {
            // IF NOT EXISTS
            if (!lexer.next(t) || !lexer.next(t) || !lexer.next(t)) return std::nullopt;
        }
        sql_token dot;
        if (t.is_name() && lexer.next(dot) && dot.is_symbol('.') && t.value == "temp")
            return temp_refusal();
    }
    return std::nullopt;
}

}  // namespace

std::string explain_refusal() {
    return not_allowed("EXPLAIN") +
           " (its listing shows counters of one replica's connection; EXPLAIN QUERY PLAN is "
           "allowed)";
}

bool pragma_allowed(std::string_view name) {
    for (auto allowed : allowed_pragmas)
        if (equals_ignoring_case(name, allowed)) return true;
    return false;
}

std::optional<std::string> lexical_refusal(std::string_view sql) {
    if (auto refusal = leading_refusal(sql)) return refusal;
    token_scanner scan(sql);
    while (scan.advance()) {
        const sql_token& t = scan.back(0);
        if (t.is_name()) {
            if (t.value == "load_extension") return not_allowed("load_extension");
            if (names_metadata(t.value)) return metadata_refusal();
            if (is_physical_table(t.value)) return physical_table_refusal(t.value);
            // Table-valued PRAGMA functions: SELECT * FROM pragma_index_list('t').
            constexpr std::string_view prefix = "pragma_";
            if (t.value.size() > prefix.size() && t.value.compare(0, prefix.size(), prefix) == 0 &&
                !pragma_allowed(std::string_view(t.value).substr(prefix.size())))
                return pragma_refusal(std::string_view(t.value).substr(prefix.size()));
        }
        if (t.is_word("rollback") && scan.count() >= 2) {
            // INSERT/UPDATE OR ROLLBACK, ON CONFLICT ROLLBACK, RAISE(ROLLBACK, ...)
            const sql_token& before = scan.back(1);
            if (before.is_word("or") || before.is_word("conflict"))
                return rollback_conflict_refusal();
            if (before.is_symbol('(') && scan.count() >= 3 && scan.back(2).is_word("raise"))
                return rollback_conflict_refusal();
        }
    }
    return std::nullopt;
}

std::optional<std::string> authorizer_refusal(int action, const char* argument1,
                                              const char* argument2, const char* database,
                                              const char* /*trigger_or_view*/,
                                              const action_context& context) {
    const std::string_view a = view_of(argument1);
    const std::string_view b = view_of(argument2);
    const std::string_view schema = view_of(database);
    switch (action) {
        case SQLITE_ATTACH:
            return not_allowed("ATTACH");
        case SQLITE_DETACH:
            return not_allowed("DETACH");
        case SQLITE_TRANSACTION:
            return transaction_refusal(a.empty() ? std::string_view("BEGIN") : a);
        case SQLITE_SAVEPOINT:
            if (equals_ignoring_case(a, "RELEASE")) return transaction_refusal("RELEASE");
            if (equals_ignoring_case(a, "ROLLBACK")) return transaction_refusal("ROLLBACK TO");
            return transaction_refusal("SAVEPOINT");
        case SQLITE_PRAGMA:
            if (context.origin == action_origin::client_text && !pragma_allowed(a))
                return pragma_refusal(a);
            if (names_metadata(b)) return metadata_refusal();
            return std::nullopt;
        case SQLITE_FUNCTION:
            if (equals_ignoring_case(b, "load_extension")) return not_allowed("load_extension");
            return std::nullopt;
        case SQLITE_CREATE_TEMP_INDEX:
        case SQLITE_CREATE_TEMP_TABLE:
        case SQLITE_CREATE_TEMP_TRIGGER:
        case SQLITE_CREATE_TEMP_VIEW:
        case SQLITE_DROP_TEMP_INDEX:
        case SQLITE_DROP_TEMP_TABLE:
        case SQLITE_DROP_TEMP_TRIGGER:
        case SQLITE_DROP_TEMP_VIEW:
            return temp_refusal();
        case SQLITE_ANALYZE:
            // ANALYZE with no argument visits every table, the metadata table included:
            // harmless, it only reads.
            return std::nullopt;
        default:
            break;
    }
    if (equals_ignoring_case(schema, "temp") &&
        (action == SQLITE_CREATE_INDEX || action == SQLITE_CREATE_TABLE ||
         action == SQLITE_CREATE_TRIGGER || action == SQLITE_CREATE_VIEW ||
         action == SQLITE_CREATE_VTABLE))
        return temp_refusal();
    if (names_metadata(a) || names_metadata(b)) return metadata_refusal();
    if (action == SQLITE_READ && is_physical_table(a)) return physical_table_refusal(a);
    if (action == SQLITE_CREATE_VTABLE && is_physical_table(b)) return physical_table_refusal(b);
    if (is_statistics_table(a) &&
        (action == SQLITE_DROP_TABLE ||
         (context.writes_rows &&
          (action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE))))
        return statistics_refusal(a);
    return std::nullopt;
}

std::string leading_keyword(std::string_view sql) {
    sql_lexer lexer(sql);
    sql_token t;
    if (!lexer.next(t)) return {};
    if (t.is_word("explain")) {
        if (!lexer.next(t)) return {};
        if (t.is_word("query") && (!lexer.next(t) || !t.is_word("plan") || !lexer.next(t)))
            return {};
    }
    return t.kind == sql_token_kind::word ? t.value : std::string();
}

bool keyword_writes_rows(std::string_view keyword) {
    return keyword == "insert" || keyword == "update" || keyword == "delete" ||
           keyword == "replace" || keyword == "with";
}

bool changes_schema(int action) {
    switch (action) {
        case SQLITE_CREATE_INDEX:
        case SQLITE_CREATE_TABLE:
        case SQLITE_CREATE_TRIGGER:
        case SQLITE_CREATE_VIEW:
        case SQLITE_DROP_INDEX:
        case SQLITE_DROP_TABLE:
        case SQLITE_DROP_TRIGGER:
        case SQLITE_DROP_VIEW:
        case SQLITE_ALTER_TABLE:
        case SQLITE_CREATE_VTABLE:
        case SQLITE_DROP_VTABLE:
        case SQLITE_ANALYZE:
        case SQLITE_REINDEX:
            return true;
        default:
            return false;
    }
}

bool is_analyze(int action) {
    return action == SQLITE_ANALYZE;
}

}  // namespace covenant::storage
