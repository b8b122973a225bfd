// Running SQL through the gateway and showing its answers (see sql_runner.hpp).
#include "sql_runner.hpp"

#include "answer_fields.hpp"
#include "protocols/client/sql_json.hpp"

namespace cql {

using nlohmann::json;

json parse_parameter(const std::string& text) {
    json parsed = json::parse(text, nullptr, false);
    const bool value = !parsed.is_discarded() && !parsed.is_array() &&
                       !(parsed.is_object() && text.find('{') != 0);
    if (!value) return text;
    // What the gateway would refuse is refused here, with the same words.
    auto checked = covenant::client::sql_value_from_json(parsed, "--param " + text);
    if (!checked) throw usage_failure(checked.failure().detail);
    return parsed;
}

json parse_parameter_set(const std::string& text, const std::string& where) {
    json parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !(parsed.is_array() || parsed.is_object()))
        throw usage_failure(where + ": expected a JSON array of values or an object of named "
                                    "values, got " + text.substr(0, 80));
    // The gateway's own rules (names, counts, values), so what it would refuse is refused
    // here, in the same words, before anything is sent.
    auto checked = covenant::client::parameters_from_json(parsed, where);
    if (!checked) throw usage_failure(checked.failure().detail);
    return parsed;
}

json sql_runner::query(const std::string& sql, const json& params) const {
    json body{{"database", database_.hex()}, {"sql", sql}};
    if (!params.is_null()) body["params"] = params;
    return gateway_.post("/v1/query", body);
}

json sql_runner::exec(const std::vector<std::string>& statements, const json& params) const {
    json body{{"database", database_.hex()}};
    if (statements.size() == 1) {
        body["sql"] = statements.front();
        if (!params.is_null()) body["params"] = params;
    } else {
        json list = json::array();
        for (const auto& s : statements) list.push_back(json{{"sql", s}});
        body["statements"] = std::move(list);
    }
    return gateway_.post("/v1/exec", body);
}

json sql_runner::exec_sets(const std::string& statement, const json& param_sets) const {
    json body{{"database", database_.hex()}, {"sql", statement}, {"param_sets", param_sets}};
    return gateway_.post("/v1/exec", body);
}

std::string describe_read(const json& answer, output_mode mode) {
    return format_rows(rows_from_answer(answer), mode);
}

std::string describe_write(const json& answer, output_mode mode, bool proof_line) {
    std::string out;
    std::uint64_t affected = 0;
    for (const auto& r : array_field(answer, "results")) {
        out += format_rows(rows_from_answer(r), mode);
        affected += count_field(r, "rows_affected");
    }
    if (!proof_line) return out;
    const bool receipt = flag_field(answer, "receipt");
    out += "ok: " + std::to_string(affected) + " row(s) changed, seq " +
           std::to_string(count_field(answer, "seq")) + "; verified: " +
           (receipt ? "commit certificate of " +
                          std::to_string(count_field(answer, "certificate_signers")) +
                          " members, results signed by " +
                          std::to_string(count_field(answer, "result_signers"))
                    : "signed by the member that executed it (" +
                          text_field(answer, "served_by").substr(0, 16) + ")") +
           "\n";
    return out;
}

}  // namespace cql
