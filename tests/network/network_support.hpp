// What the whole-network tests share: building statements and reading responses.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "protocols/sql_messages.hpp"

namespace covenant::network_test {

inline protocols::sql_statement sql(std::string text) {
    protocols::sql_statement s;
    s.sql = std::move(text);
    return s;
}

inline bool refused(const std::optional<protocols::client_response>& r) {
    return r && std::holds_alternative<protocols::rejection>(r->body);
}

inline bool succeeded(const std::optional<protocols::client_response>& r) {
    using namespace protocols;
    if (!r || !std::holds_alternative<request_outcome>(r->body)) return false;
    return std::holds_alternative<std::vector<statement_result>>(std::get<request_outcome>(r->body).body);
}

}  // namespace covenant::network_test
