// A miner's assignments from the main chain and their differences (see the header).
#include "protocols/main_chain/miner_assignments.hpp"

#include <algorithm>

#include "common/assert.hpp"

namespace covenant::main_chain {

assignments assignments_of(const ledger& state, const public_key& miner) {
    assignments out;
    for (const auto& [id, db] : state.databases()) {
        if (std::find(db.members.begin(), db.members.end(), miner) == db.members.end())
            continue;
        database_assignment a;
        a.id = id;
        a.owner = db.owner;
        a.members = db.members;
        a.membership = db.membership;
        a.view = db.view;
        a.mode = db.mode;
        a.roles = db.roles;
        a.out_of_funds = db.out_of_funds;
        out.emplace(id, std::move(a));
    }
    return out;
}

protocols::group_history groups_of(const std::map<std::uint64_t, std::vector<public_key>>& membership) {
    COVENANT_ASSERT(!membership.empty(), "a database has had at least one group");
    std::map<view_number, protocols::group> by_first_view;
    for (const auto& [first_view, members] : membership)
        by_first_view.emplace(view_number(first_view), protocols::group(members));
    return protocols::group_history(std::move(by_first_view));
}

assignment_changes compare_assignments(const assignments& before, const assignments& after) {
    assignment_changes changes;
    for (const auto& [id, now] : after) {
        auto was = before.find(id);
        if (was == before.end()) {
            changes.started.push_back(now);
            continue;
        }
        const auto& old = was->second;
        if (old.members != now.members || old.mode != now.mode) {
            changes.restarted.push_back(now);
            continue;
        }
        if (old.view != now.view) changes.view_changes.emplace_back(id, now.view);
        if (old.roles != now.roles || old.out_of_funds != now.out_of_funds)
            changes.permissions_changed.push_back(now);
    }
    for (const auto& [id, old] : before)
        if (after.count(id) == 0) changes.stopped.push_back(id);
    return changes;
}

std::optional<protocols::role> effective_role(const database_assignment& a,
                                              const account_address& user) {
    auto at = a.roles.find(user);
    if (at == a.roles.end()) return std::nullopt;
    if (a.out_of_funds && at->second != protocols::role::read) return protocols::role::read;
    return at->second;
}

}  // namespace covenant::main_chain
