// SQL values in the gateway's JSON (see sql_json.hpp).
#include "protocols/client/sql_json.hpp"

#include <cmath>
#include <limits>
#include <system_error>

#include "protocols/limits.hpp"

namespace covenant::client {
namespace {

error bad(const std::string& where, const std::string& what) {
    return error{std::make_error_code(std::errc::invalid_argument), where + ": " + what};
}

}  // namespace

result<protocols::sql_value> sql_value_from_json(const nlohmann::json& j,
                                                 const std::string& where) {
    using protocols::sql_value;
    switch (j.type()) {
        case nlohmann::json::value_t::null:
            return sql_value::null();
        case nlohmann::json::value_t::boolean:
            return sql_value::integer(j.get<bool>() ? 1 : 0);
        case nlohmann::json::value_t::number_integer:
            return sql_value::integer(j.get<std::int64_t>());
        case nlohmann::json::value_t::number_unsigned: {
            const auto u = j.get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                return bad(where, "integer " + std::to_string(u) + " is beyond 64-bit signed");
            return sql_value::integer(static_cast<std::int64_t>(u));
        }
        case nlohmann::json::value_t::number_float: {
            const double d = j.get<double>();
            if (std::isnan(d)) return bad(where, "not a number");
            return sql_value::real(d);
        }
        case nlohmann::json::value_t::string:
            return sql_value::text(j.get<std::string>());
        case nlohmann::json::value_t::object: {
            if (j.size() == 1 && j.contains("blob") && j["blob"].is_string()) {
                auto raw = from_hex(j["blob"].get<std::string>());
                if (!raw) return bad(where, "blob: expected hex digits (an even number)");
                return sql_value::blob(std::move(*raw));
            }
            if (j.size() == 1 && j.contains("real") && j["real"].is_string()) {
                const auto text = j["real"].get<std::string>();
                if (text == "Infinity")
                    return sql_value::real(std::numeric_limits<double>::infinity());
                if (text == "-Infinity")
                    return sql_value::real(-std::numeric_limits<double>::infinity());
                return bad(where, "real: expected \"Infinity\" or \"-Infinity\"");
            }
            return bad(where, "an object value must be {\"blob\": \"<hex>\"}");
        }
        default:
            return bad(where, "expected null, a number, a string or {\"blob\": \"<hex>\"}");
    }
}

nlohmann::json sql_value_to_json(const protocols::sql_value& v) {
    return std::visit(
        [](const auto& x) -> nlohmann::json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, protocols::sql_value::null_t>) {
                return nullptr;
            } else if constexpr (std::is_same_v<T, double>) {
                if (std::isinf(x))
                    return nlohmann::json{{"real", x > 0 ? "Infinity" : "-Infinity"}};
                return x;
            } else if constexpr (std::is_same_v<T, bytes>) {
                return nlohmann::json{{"blob", to_hex(x)}};
            } else {
                return x;
            }
        },
        v.value);
}

result<std::vector<protocols::sql_parameter>> parameters_from_json(const nlohmann::json& params,
                                                                   const std::string& where) {
    std::vector<protocols::sql_parameter> out;
    if (params.size() > protocols::limits::parameters_per_statement_max)
        return bad(where, "too many");
    if (params.is_array()) {
        std::size_t i = 0;
        for (const auto& p : params) {
            auto v = sql_value_from_json(p, where + "[" + std::to_string(i++) + "]");
            if (!v) return v.failure();
            out.push_back(protocols::sql_parameter{"", std::move(v).value()});
        }
    } else if (params.is_object()) {
        for (const auto& [name, p] : params.items()) {
            if (name.empty() || name.size() > protocols::limits::parameter_name_bytes_max)
                return bad(where, "a parameter name must be 1 .. 256 bytes");
            auto v = sql_value_from_json(p, where + "." + name);
            if (!v) return v.failure();
            out.push_back(protocols::sql_parameter{name, std::move(v).value()});
        }
    } else {
        return bad(where, "expected an array (positional) or an object (named)");
    }
    return out;
}

result<protocols::sql_statement> sql_statement_from_json(const nlohmann::json& j,
                                                         const std::string& where) {
    if (!j.is_object()) return bad(where, "expected an object {\"sql\", \"params\"}");
    for (const auto& [key, value] : j.items())
        if (key != "sql" && key != "params" && key != "param_sets")
            return bad(where, "unknown field \"" + key + "\"");
    if (!j.contains("sql") || !j["sql"].is_string())
        return bad(where + ".sql", "expected a string");
    protocols::sql_statement s;
    s.sql = j["sql"].get<std::string>();
    if (s.sql.empty()) return bad(where + ".sql", "empty");
    if (s.sql.size() > protocols::limits::sql_text_bytes_max)
        return bad(where + ".sql", "too long");
    const bool has_params = j.contains("params") && !j["params"].is_null();
    const bool has_sets = j.contains("param_sets") && !j["param_sets"].is_null();
    if (has_params && has_sets)
        return bad(where, "give params or param_sets, not both");
    if (has_params) {
        auto params = parameters_from_json(j["params"], where + ".params");
        if (!params) return params.failure();
        s.parameters = std::move(params).value();
    }
    if (has_sets) {
        // The statement runs once per set, in order: {"sql": "INSERT ...", "param_sets":
        // [[1, "a"], [2, "b"]]}.
        const auto& sets = j["param_sets"];
        if (!sets.is_array() || sets.empty())
            return bad(where + ".param_sets", "expected a non-empty array of params");
        if (sets.size() > protocols::limits::parameter_sets_per_statement_max)
            return bad(where + ".param_sets",
                       "more than " + std::to_string(protocols::limits::parameter_sets_per_statement_max));
        std::size_t i = 0;
        for (const auto& set : sets) {
            auto params = parameters_from_json(set, where + ".param_sets[" + std::to_string(i++) + "]");
            if (!params) return params.failure();
            s.parameter_sets.push_back(std::move(params).value());
        }
    }
    return s;
}

result<std::vector<protocols::sql_statement>> sql_statements_from_json(const nlohmann::json& body) {
    std::vector<protocols::sql_statement> out;
    if (body.contains("statements")) {
        if (body.contains("sql") || body.contains("params") || body.contains("param_sets"))
            return bad("statements", "give statements, or sql and params, not both");
        const auto& list = body["statements"];
        if (!list.is_array() || list.empty())
            return bad("statements", "expected a non-empty array");
        if (list.size() > protocols::limits::statements_per_request_max)
            return bad(
                "statements",
                "more than " + std::to_string(protocols::limits::statements_per_request_max));
        std::size_t i = 0;
        for (const auto& s : list) {
            auto parsed = sql_statement_from_json(s, "statements[" + std::to_string(i++) + "]");
            if (!parsed) return parsed.failure();
            out.push_back(std::move(parsed).value());
        }
        return out;
    }
    nlohmann::json one = nlohmann::json::object();
    if (body.contains("sql")) one["sql"] = body["sql"];
    if (body.contains("params")) one["params"] = body["params"];
    if (body.contains("param_sets")) one["param_sets"] = body["param_sets"];
    auto parsed = sql_statement_from_json(one, "body");
    if (!parsed) return parsed.failure();
    out.push_back(std::move(parsed).value());
    return out;
}

}  // namespace covenant::client
