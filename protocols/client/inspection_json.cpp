// The inspection endpoints' JSON (see inspection_json.hpp).
#include "protocols/client/inspection_json.hpp"

#include <algorithm>
#include <system_error>

namespace covenant::client {
namespace {

error bad(const std::string& what) {
    return error{std::make_error_code(std::errc::invalid_argument), "membership: " + what};
}

}  // namespace

nlohmann::json member_status_json(const protocols::member_status& status) {
    const auto& p = status.progress;
    return nlohmann::json{{"view", p.view.value},
                          {"last_committed", p.last_committed.value},
                          {"last_executed", p.last_executed.value},
                          {"state_digest", p.state_digest.hex()},
                          {"shard_height", p.shard_height.value},
                          {"shard_head", p.shard_head.hex()},
                          {"timestamp_ms", status.timestamp_ms}};
}

nlohmann::json membership_json(const std::map<std::uint64_t, std::vector<public_key>>& membership) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [first_view, members] : membership) {
        nlohmann::json keys = nlohmann::json::array();
        for (const auto& m : members) keys.push_back(m.hex());
        out.push_back(nlohmann::json{{"from_view", first_view}, {"members", keys}});
    }
    return out;
}

result<std::map<std::uint64_t, std::vector<public_key>>> membership_from_json(
    const nlohmann::json& j) {
    if (!j.is_array() || j.empty()) return bad("expected a non-empty array");
    std::map<std::uint64_t, std::vector<public_key>> out;
    for (const auto& entry : j) {
        if (!entry.is_object() || !entry.contains("from_view") || !entry.contains("members") ||
            !entry["from_view"].is_number_unsigned() || !entry["members"].is_array())
            return bad("expected {\"from_view\": N, \"members\": [...]}");
        std::vector<public_key> members;
        for (const auto& m : entry["members"]) {
            auto key =
                m.is_string() ? public_key::from_hex_string(m.get<std::string>()) : std::nullopt;
            if (!key) return bad("a member is 64 hex digits");
            members.push_back(*key);
        }
        auto sorted = members;
        std::sort(sorted.begin(), sorted.end());
        if (members.empty() || std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
            return bad("a group is non-empty and lists each member once");
        if (!out.emplace(entry["from_view"].get<std::uint64_t>(), std::move(members)).second)
            return bad("a view listed twice");
    }
    if (out.begin()->first != 0) return bad("the groups start at view 0");
    return out;
}

}  // namespace covenant::client
