// Showing SQL results as a table, CSV or JSON (see result_view.hpp).
#include "result_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "answer_fields.hpp"
#include "protocols/client/sql_json.hpp"

namespace cql {
namespace {

using covenant::protocols::sql_value;

/// Display width of a cell: code points (close enough for a terminal; wide characters are rare
/// in database values).
std::size_t width_of(const std::string& text) {
    std::size_t n = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return text;
}

std::string csv_cell(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

std::string table_of(const result_rows& r) {
    std::vector<std::size_t> widths;
    for (const auto& c : r.columns) widths.push_back(width_of(one_line(c)));
    std::vector<std::vector<std::string>> cells;
    for (const auto& row : r.rows) {
        std::vector<std::string> line;
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
            line.push_back(one_line(display_value(row[i])));
            widths[i] = std::max(widths[i], width_of(line.back()));
        }
        cells.push_back(std::move(line));
    }
    std::string rule = "+";
    for (auto w : widths) rule += std::string(w + 2, '-') + "+";
    rule += "\n";
    auto line_of = [&](const std::vector<std::string>& values, bool right_align_numbers,
                       const std::vector<sql_value>* raw) {
        std::string out = "|";
        for (std::size_t i = 0; i < widths.size(); ++i) {
            const std::string v = i < values.size() ? values[i] : "";
            const std::string pad(widths[i] - width_of(v), ' ');
            const bool number = right_align_numbers && raw != nullptr && i < raw->size() &&
                                (std::holds_alternative<std::int64_t>((*raw)[i].value) ||
                                 std::holds_alternative<double>((*raw)[i].value));
            out += " " + (number ? pad + v : v + pad) + " |";
        }
        return out + "\n";
    };
    std::vector<std::string> header;
    for (const auto& c : r.columns) header.push_back(one_line(c));
    std::string out = rule + line_of(header, false, nullptr) + rule;
    for (std::size_t i = 0; i < cells.size(); ++i) out += line_of(cells[i], true, &r.rows[i]);
    return out + rule;
}

}  // namespace

bool parse_output_mode(const std::string& text, output_mode& out) {
    if (text == "table")
        out = output_mode::table;
    else if (text == "csv")
        out = output_mode::csv;
    else if (text == "json")
        out = output_mode::json;
    else
        return false;
    return true;
}

result_rows rows_from_answer(const nlohmann::json& statement) {
    result_rows out;
    for (const auto& c : array_field(statement, "columns")) {
        if (!c.is_string()) bad_answer("columns", "expected strings");
        out.columns.push_back(c.get<std::string>());
    }
    std::size_t index = 0;
    for (const auto& row : array_field(statement, "rows")) {
        const std::string where = "rows[" + std::to_string(index++) + "]";
        if (!row.is_array() || row.size() != out.columns.size())
            bad_answer(where,
                       "expected an array of " + std::to_string(out.columns.size()) + " values");
        std::vector<sql_value> values;
        for (const auto& cell : row) {
            auto v = covenant::client::sql_value_from_json(cell, where);
            if (!v) bad_answer(where, v.failure().detail);
            values.push_back(std::move(v).value());
        }
        out.rows.push_back(std::move(values));
    }
    return out;
}

std::string display_value(const sql_value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, sql_value::null_t>) {
                return "NULL";
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                return std::to_string(x);
            } else if constexpr (std::is_same_v<T, double>) {
                if (std::isinf(x)) return x > 0 ? "Inf" : "-Inf";
                std::string text = fmt::format("{}", x);  // the shortest exact form
                if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
                return text;
            } else if constexpr (std::is_same_v<T, covenant::bytes>) {
                return "X'" + covenant::to_hex(x) + "'";
            } else {
                return x;
            }
        },
        v.value);
}

std::string format_rows(const result_rows& r, output_mode mode) {
    if (r.columns.empty()) return {};
    switch (mode) {
        case output_mode::table:
            return table_of(r);
        case output_mode::csv: {
            std::string out;
            for (std::size_t i = 0; i < r.columns.size(); ++i)
                out += (i ? "," : "") + csv_cell(r.columns[i]);
            out += "\r\n";
            for (const auto& row : r.rows) {
                for (std::size_t i = 0; i < row.size(); ++i) {
                    const bool null = std::holds_alternative<sql_value::null_t>(row[i].value);
                    out +=
                        (i ? "," : "") + (null ? std::string() : csv_cell(display_value(row[i])));
                }
                out += "\r\n";
            }
            return out;
        }
        case output_mode::json: {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& row : r.rows) {
                nlohmann::json object = nlohmann::json::object();
                for (std::size_t i = 0; i < row.size(); ++i)
                    object[r.columns[i]] = covenant::client::sql_value_to_json(row[i]);
                list.push_back(std::move(object));
            }
            return list.dump() + "\n";
        }
    }
    return {};
}

}  // namespace cql
