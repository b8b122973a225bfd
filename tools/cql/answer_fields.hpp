// Reading fields of a gateway's JSON answer: the gateway is the user's own process, but its
// answers are still checked for shape, so a wrong or missing field is a clear cql::failure
// ("the gateway's answer: FIELD: ...") instead of an exception from deep in the JSON library.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "common/bytes.hpp"
#include "failure.hpp"

namespace cql {

[[noreturn]] inline void bad_answer(const std::string& field, const std::string& what) {
    throw failure("the gateway's answer: " + field + ": " + what);
}

inline const nlohmann::json& field(const nlohmann::json& object, const std::string& name) {
    if (!object.is_object()) bad_answer(name, "not inside an object");
    const auto at = object.find(name);
    if (at == object.end()) bad_answer(name, "missing");
    return *at;
}

inline std::string text_field(const nlohmann::json& object, const std::string& name) {
    const auto& v = field(object, name);
    if (!v.is_string()) bad_answer(name, "expected a string");
    return v.get<std::string>();
}

inline std::uint64_t count_field(const nlohmann::json& object, const std::string& name) {
    const auto& v = field(object, name);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
        bad_answer(name, "expected an unsigned integer");
    return v.get<std::uint64_t>();
}

inline bool flag_field(const nlohmann::json& object, const std::string& name) {
    const auto& v = field(object, name);
    if (!v.is_boolean()) bad_answer(name, "expected true or false");
    return v.get<bool>();
}

inline const nlohmann::json& array_field(const nlohmann::json& object, const std::string& name) {
    const auto& v = field(object, name);
    if (!v.is_array()) bad_answer(name, "expected an array");
    return v;
}

/// Bytes given as hex in a string field.
inline covenant::bytes hex_bytes_field(const nlohmann::json& object, const std::string& name) {
    auto raw = covenant::from_hex(text_field(object, name));
    if (!raw) bad_answer(name, "expected hex digits");
    return std::move(*raw);
}

/// A fixed-size id (a key, a digest) given as hex.
template <class Fixed>
Fixed fixed_field(const nlohmann::json& object, const std::string& name) {
    auto v = Fixed::from_hex_string(text_field(object, name));
    if (!v) bad_answer(name, "expected " + std::to_string(Fixed::size() * 2) + " hex digits");
    return *v;
}

}  // namespace cql
