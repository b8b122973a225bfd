// What the gateway's inspection endpoints say in JSON (docs/node.md "Inspection"), written by
// the gateway (tools/covenant-node/http_api) and read back by cql (info, verify): a member's
// signed status as fields, and a database's groups by view. Reading is strict: any other shape
// is an error naming where it is, and a group must be non-empty and list each member once, the
// first at view 0 (what group_history requires).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <vector>

#include "common/result.hpp"
#include "protocols/member_status_messages.hpp"

namespace covenant::client {

/// {"view", "last_committed", "last_executed", "state_digest", "shard_height", "shard_head",
///  "timestamp_ms"}.
nlohmann::json member_status_json(const protocols::member_status& status);

/// [{"from_view", "members": [key...]}...], views ascending.
nlohmann::json membership_json(const std::map<std::uint64_t, std::vector<public_key>>& membership);
result<std::map<std::uint64_t, std::vector<public_key>>> membership_from_json(
    const nlohmann::json& j);

}  // namespace covenant::client
