// The members of one replication group across its membership changes. A database's group
// changes when the main chain replaces a member (evidence against it, or its exit), and
// every change starts a new view: each view has exactly one group, so a certificate or a
// signed message names, through its view, the group whose quorum must stand behind it.
// A member that joins later checks the history it catches up on (old certificates) against
// the group of their views, not against the group it joined.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocols/group.hpp"

namespace covenant::protocols {

class group_history {
public:
    group_history() = default;
    /// A group that never changed: `initial` from view 0 on. Implicit on purpose: a group
    /// is the history of a database that kept its members.
    group_history(group initial);  // NOLINT(google-explicit-constructor)
    /// Groups by the first view they hold for: the first at view 0, views ascending.
    explicit group_history(std::map<view_number, group> by_first_view);

    /// The group in force at `view`.
    const group& at(view_number view) const;
    /// The group of the latest change (the current one, once its view is reached).
    const group& latest() const;
    /// The first view of the latest group.
    view_number latest_from() const { return by_first_view_.rbegin()->first; }
    /// Every group in force at `view` or after it, oldest first.
    std::vector<const group*> since(view_number view) const;
    /// Records that `members` hold from `first_view` on (after every change so far).
    void add(view_number first_view, group members);
    const std::map<view_number, group>& changes() const { return by_first_view_; }

    friend bool operator==(const group_history& a, const group_history& b) {
        return a.by_first_view_ == b.by_first_view_;
    }

private:
    std::map<view_number, group> by_first_view_;
};

/// certificate_fault against the group of the certificate's own view.
std::optional<std::string> certificate_fault(const certificate& cert, const group_history& groups,
                                             bool check_signatures = true);

}  // namespace covenant::protocols
