// Groups by view: lookups and the rule that a history only grows forward.
#include "protocols/group_history.hpp"

#include "common/assert.hpp"

namespace covenant::protocols {

group_history::group_history(group initial) {
    by_first_view_.emplace(view_number(0), std::move(initial));
}

group_history::group_history(std::map<view_number, group> by_first_view)
    : by_first_view_(std::move(by_first_view)) {
    COVENANT_ASSERT(!by_first_view_.empty() && by_first_view_.begin()->first == view_number(0),
                    "a group history starts at view 0");
}

const group& group_history::at(view_number view) const {
    COVENANT_ASSERT(!by_first_view_.empty(), "an empty group history has no groups");
    auto after = by_first_view_.upper_bound(view);
    return std::prev(after)->second;  // the first entry is view 0, so there is one before
}

const group& group_history::latest() const {
    COVENANT_ASSERT(!by_first_view_.empty(), "an empty group history has no groups");
    return by_first_view_.rbegin()->second;
}

std::vector<const group*> group_history::since(view_number view) const {
    std::vector<const group*> out;
    out.push_back(&at(view));
    for (auto it = by_first_view_.upper_bound(view); it != by_first_view_.end(); ++it)
        out.push_back(&it->second);
    return out;
}

void group_history::add(view_number first_view, group members) {
    COVENANT_ASSERT(by_first_view_.empty() ? first_view == view_number(0)
                                           : first_view > by_first_view_.rbegin()->first,
                    "a group history only grows forward");
    by_first_view_.emplace(first_view, std::move(members));
}

std::optional<std::string> certificate_fault(const certificate& cert, const group_history& groups,
                                             bool check_signatures) {
    return certificate_fault(cert, groups.at(cert.view), check_signatures);
}

}  // namespace covenant::protocols
