// What the main chain asks of one miner: the databases it serves, with their members, view,
// mode, users' roles and funding (DESIGN.md section 6, issue 4 "Miners follow the chain").
// A miner computes this from its ledger after every final block and compares it with the
// previous one: the differences are what its per-database replicas must do (start,
// restart with a new member set, follow a view change, take new permissions, stop).
// Pure: no actors, no I/O.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "protocols/group_history.hpp"
#include "protocols/main_chain/ledger.hpp"

namespace covenant::main_chain {

struct database_assignment {
    database_id id;
    account_address owner;
    std::vector<public_key> members;  // in the agreed order: leader = members[view mod n]
    /// Every group the database had, by first view (the last is `members`).
    std::map<std::uint64_t, std::vector<public_key>> membership;
    view_number view;
    protocols::consistency_mode mode = protocols::consistency_mode::strong;
    std::map<account_address, protocols::role> roles;
    bool out_of_funds = false;

    friend bool operator==(const database_assignment& a, const database_assignment& b) {
        return a.id == b.id && a.owner == b.owner && a.members == b.members &&
               a.membership == b.membership && a.view == b.view && a.mode == b.mode && a.roles == b.roles &&
               a.out_of_funds == b.out_of_funds;
    }
};

using assignments = std::map<database_id, database_assignment>;

/// A database's groups by view (its `membership` record), as replicas and clients check
/// certificates.
protocols::group_history groups_of(const std::map<std::uint64_t, std::vector<public_key>>& membership);
inline protocols::group_history groups_of(const database_assignment& a) { return groups_of(a.membership); }

/// Every database `miner` is a current member of, per `state`.
assignments assignments_of(const ledger& state, const public_key& miner);

/// How the assignments changed from `before` to `after`, in database id order. A change of
/// members or mode restarts the replica (its group is fixed for its lifetime); a view change
/// alone is fed to the running replica; roles and funding only change its permissions.
struct assignment_changes {
    std::vector<database_assignment> started;
    std::vector<database_assignment> restarted;
    std::vector<std::pair<database_id, view_number>> view_changes;
    std::vector<database_assignment> permissions_changed;
    std::vector<database_id> stopped;

    bool empty() const {
        return started.empty() && restarted.empty() && view_changes.empty() &&
               permissions_changed.empty() && stopped.empty();
    }
};

assignment_changes compare_assignments(const assignments& before, const assignments& after);

/// The role a user has on an assigned database, as the replica should enforce it: an
/// owner out of funds keeps reads but loses writes (its users' writes are refused).
std::optional<protocols::role> effective_role(const database_assignment& a,
                                              const account_address& user);

}  // namespace covenant::main_chain
