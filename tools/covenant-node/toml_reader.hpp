// Strict reading of TOML config files, shared by covenant-node's config (node_config.hpp)
// and cql's (tools/cql/cql_config.hpp): each key of a table is taken at most once and any key
// left over is an error; a value of the wrong type or out of range is an error naming the key
// and its line. Errors are thrown as toml_error inside a reader and turned into error values
// at its boundary (parse_toml_text, and the callers' own parse functions).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>

#include "common/result.hpp"

namespace covenant::node {

/// A bad value: "key (line N): what". Thrown by the readers below.
struct toml_error {
    std::string message;
};

/// Throws toml_error naming `key` and, when known, the line of `at`.
[[noreturn]] void toml_fail(const std::string& key, const toml::node* at, const std::string& what);

/// "a string", "an integer", ... for messages.
std::string toml_type_name(const toml::node& n);

/// `table.key`, or `key` at the top.
std::string toml_join(const std::string& table, const std::string& key);

/// A table being read: each key is taken at most once, and whatever is left at the end is
/// an unknown key.
class toml_table_reader {
  public:
    toml_table_reader(const toml::table& table, std::string name)
        : table_(table), name_(std::move(name)) {}

    const toml::node* take(const std::string& key);
    std::string key(const std::string& k) const { return toml_join(name_, k); }

    std::optional<std::string> string(const std::string& k);
    /// A string that names something (not empty).
    std::optional<std::string> nonempty_string(const std::string& k);
    std::optional<std::int64_t> integer(const std::string& k, std::int64_t min, std::int64_t max);
    template <class T>
    void integer_into(const std::string& k, T& out, std::int64_t min,
                      std::int64_t max = std::numeric_limits<std::int64_t>::max()) {
        if (auto v = integer(k, min, max)) out = static_cast<T>(*v);
    }
    /// `true` or `false` into `out`; `out` stays as it is when the key is absent.
    void boolean_into(const std::string& k, bool& out);
    /// A sub-table `[k]`, or nullptr when absent.
    const toml::table* sub_table(const std::string& k);
    /// Every key not taken is an error.
    void finish() const;
    const toml::table& table() const { return table_; }

  private:
    const toml::table& table_;
    std::string name_;
    std::set<std::string> taken_;
};

/// `path` made absolute against `base_dir` (a relative path in a config file is relative to
/// the file's directory), normalised.
std::string resolve_config_path(const std::string& path, const std::string& base_dir);

/// Parses TOML text; an error value "PREFIX not valid TOML (line L, column C): ..." otherwise.
result<toml::table> parse_toml_text(const std::string& text, const std::string& source);

/// A config file's text (a regular file of at most `bytes_max`) and the directory it is in.
struct config_file_text {
    std::string text;
    std::string base_dir;
};
result<config_file_text> read_config_file(const std::string& path, std::size_t bytes_max);

}  // namespace covenant::node
