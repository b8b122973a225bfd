// Deliberate bugs for the simulator (DESIGN.md section 8): defects that can be switched on
// in a replica to show that the simulator's checkers catch them. Each is a real defect at
// one point of the protocol, not a flag that reports itself: with it on, a run can break
// agreement, validity or same-state, and the checkers must notice from the outcome alone.
//
// Only the simulator sets them (covenant-sim --inject-bug NAME, the sim tests). Production
// configurations never do: replica_config::bugs is empty by default and nothing outside
// sim/ and tests/ writes it. With no bug set, every code path is the honest one unchanged.
//
//   commit-without-quorum        the leader certifies (prepare and commit) and a new leader
//                                starts its view on f+1 votes instead of q, and members take
//                                certificates of f+1 signatures (protocols/kayak/replica.cpp);
//   skip-client-signature-check  client signatures are not checked when requests are
//                                decoded, alone or inside a PREPARE's batch (the replica
//                                actor decodes with protocols::client_signatures_unchecked);
//   new-leader-ignores-lock      a new view does not respect locks from earlier views: the
//                                new leader re-proposes nothing, members vote against their
//                                locks of earlier views;
//   nondeterministic-time        a batch executes at the replica's own clock (when it
//                                executes there) instead of the batch's agreed timestamp;
//   accept-stale-view            a view-change decision for a view below the current one is
//                                taken: the replica goes back to that older view.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace covenant::kayak {

enum class injected_bug : std::uint8_t {
    commit_without_quorum,
    skip_client_signature_check,
    new_leader_ignores_lock,
    nondeterministic_time,
    accept_stale_view,
};
inline constexpr std::size_t injected_bug_count = 5;

/// The kebab-case name (`commit-without-quorum`, ...).
std::string_view to_string(injected_bug bug);
/// The bug of that name, or nullopt.
std::optional<injected_bug> parse_injected_bug(std::string_view name);
/// Every bug, in declaration order.
const std::vector<injected_bug>& all_injected_bugs();

/// A set of injected bugs (a bitmask). Empty by default: the honest replica.
class injected_bugs {
  public:
    injected_bugs() = default;
    injected_bugs(std::initializer_list<injected_bug> bugs) {
        for (auto b : bugs) add(b);
    }
    void add(injected_bug bug) { bits_ |= bit(bug); }
    void remove(injected_bug bug) { bits_ &= static_cast<std::uint32_t>(~bit(bug)); }
    bool has(injected_bug bug) const { return (bits_ & bit(bug)) != 0; }
    bool empty() const { return bits_ == 0; }
    std::vector<injected_bug> list() const;
    /// The names joined by commas ("" when empty).
    std::string to_string() const;
    friend bool operator==(const injected_bugs& a, const injected_bugs& b) {
        return a.bits_ == b.bits_;
    }
    friend bool operator!=(const injected_bugs& a, const injected_bugs& b) {
        return a.bits_ != b.bits_;
    }

  private:
    static std::uint32_t bit(injected_bug bug) {
        return std::uint32_t{1} << static_cast<unsigned>(bug);
    }
    std::uint32_t bits_ = 0;
};

}  // namespace covenant::kayak
