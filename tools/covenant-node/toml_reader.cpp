// Strict reading of TOML config files (see toml_reader.hpp).
#include "toml_reader.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace covenant::node {

void toml_fail(const std::string& key, const toml::node* at, const std::string& what) {
    std::string where = key;
    if (at != nullptr && at->source().begin.line > 0)
        where += " (line " + std::to_string(at->source().begin.line) + ")";
    throw toml_error{where + ": " + what};
}

std::string toml_join(const std::string& table, const std::string& key) {
    return table.empty() ? key : table + "." + key;
}

std::string toml_type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a number with a fraction";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
        case toml::node_type::time:
        case toml::node_type::date_time:
            return "a date or time";
        default:
            return "nothing";
    }
}

const toml::node* toml_table_reader::take(const std::string& key) {
    taken_.insert(key);
    return table_.get(key);
}

std::optional<std::string> toml_table_reader::string(const std::string& k) {
    const toml::node* n = take(k);
    if (n == nullptr) return std::nullopt;
    if (!n->is_string()) toml_fail(key(k), n, "expected a string, found " + toml_type_name(*n));
    return n->value<std::string>();
}

std::optional<std::string> toml_table_reader::nonempty_string(const std::string& k) {
    auto s = string(k);
    if (s && s->empty()) toml_fail(key(k), table_.get(k), "must not be empty");
    return s;
}

std::optional<std::int64_t> toml_table_reader::integer(const std::string& k, std::int64_t min,
                                                       std::int64_t max) {
    const toml::node* n = take(k);
    if (n == nullptr) return std::nullopt;
    if (!n->is_integer()) toml_fail(key(k), n, "expected an integer, found " + toml_type_name(*n));
    const std::int64_t v = n->as_integer()->get();
    if (v < min) toml_fail(key(k), n, "must be at least " + std::to_string(min));
    if (v > max) toml_fail(key(k), n, "must be at most " + std::to_string(max));
    return v;
}

void toml_table_reader::boolean_into(const std::string& k, bool& out) {
    const toml::node* n = take(k);
    if (n == nullptr) return;
    if (!n->is_boolean()) toml_fail(key(k), n, "expected true or false, found " + toml_type_name(*n));
    out = n->as_boolean()->get();
}

const toml::table* toml_table_reader::sub_table(const std::string& k) {
    const toml::node* n = take(k);
    if (n == nullptr) return nullptr;
    if (!n->is_table())
        toml_fail(key(k), n, "expected a table ([" + k + "]), found " + toml_type_name(*n));
    return n->as_table();
}

void toml_table_reader::finish() const {
    for (auto&& [k, n] : table_) {
        const std::string name(k.str());
        if (taken_.count(name) == 0) toml_fail(key(name), &n, "unknown key");
    }
}

std::string resolve_config_path(const std::string& path, const std::string& base_dir) {
    std::filesystem::path p(path);
    if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
    return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

result<toml::table> parse_toml_text(const std::string& text, const std::string& source) {
    const std::string prefix = source.empty() ? "" : source + ": ";
    try {
        return toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        std::ostringstream message;
        message << prefix << "not valid TOML (line " << where.line << ", column " << where.column
                << "): " << e.description();
        return error{std::make_error_code(std::errc::invalid_argument), message.str()};
    }
}

result<config_file_text> read_config_file(const std::string& path, std::size_t bytes_max) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return error{std::make_error_code(std::errc::no_such_file_or_directory),
                     path + ": no such config file (or not a regular file)"};
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return error{std::make_error_code(std::errc::permission_denied),
                     path + ": cannot open the config file"};
    config_file_text out;
    out.text.resize(bytes_max + 1);
    in.read(out.text.data(), static_cast<std::streamsize>(out.text.size()));
    if (in.bad()) return error{std::make_error_code(std::errc::io_error), path + ": read error"};
    out.text.resize(static_cast<std::size_t>(in.gcount()));
    if (out.text.size() > bytes_max)
        return error{std::make_error_code(std::errc::invalid_argument),
                     path + ": larger than " + std::to_string(bytes_max) + " bytes"};
    out.base_dir =
        std::filesystem::absolute(std::filesystem::path(path), ec).parent_path().string();
    return out;
}

}  // namespace covenant::node
