// What the Byzantine and injected-bug tests read back from a Kayak cluster and judge, as
// outcomes only (rows, digests, committed batches, evidence), the way the simulator's
// checkers do: agreement over the members' logs, validity of what they executed, same
// state where they executed the same sequence, evidence only against Byzantine members.
// The cluster's "main chain" here is the test: view_authority decides view changes from
// the members' suspicions as the chain would (f+1 distinct members suspecting the view).
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocols/kayak/client_check.hpp"
#include "sim/kayak_cluster.hpp"

namespace covenant::sim_test {

/// The first seq at which two of `members` committed different batches, or nullopt.
inline std::optional<std::uint64_t> first_disagreement(sim::cluster& c,
                                                       const std::vector<std::size_t>& members) {
    std::map<std::uint64_t, digest> seen;
    for (auto i : members) {
        for (const auto& b : c.log(i).load_committed(sequence_number(1), 1 << 20)) {
            auto [at, inserted] = seen.emplace(b.batch.header.seq.value, b.batch.hash());
            if (!inserted && at->second != b.batch.hash()) return b.batch.header.seq.value;
        }
    }
    return std::nullopt;
}

/// Committed batches of member i whose commit certificate does not prove them (fewer than
/// q valid signatures of the group).
inline std::size_t uncertified_commits(sim::cluster& c, std::size_t i) {
    std::size_t bad = 0;
    for (const auto& b : c.log(i).load_committed(sequence_number(1), 1 << 20))
        if (protocols::certificate_fault(b.commit_certificate, c.group(), true) ||
            b.commit_certificate.batch_hash != b.batch.hash())
            ++bad;
    return bad;
}

/// Requests member i committed that their client never signed.
inline std::size_t unsigned_requests_committed(sim::cluster& c, std::size_t i) {
    std::size_t bad = 0;
    for (const auto& b : c.log(i).load_committed(sequence_number(1), 1 << 20))
        for (const auto& r : b.batch.requests)
            if (!r.signature_valid()) ++bad;
    return bad;
}

/// Pairs of members that executed the same sequence and hold different state digests.
inline std::size_t divergent_states(sim::cluster& c, const std::vector<std::size_t>& members) {
    std::size_t bad = 0;
    for (std::size_t a = 0; a < members.size(); ++a)
        for (std::size_t b = a + 1; b < members.size(); ++b) {
            const auto x = c.status(members[a]);
            const auto y = c.status(members[b]);
            if (x.last_executed == y.last_executed && x.state_digest != y.state_digest) ++bad;
        }
    return bad;
}

/// Slots (view, seq) where member i accepted two different batches: an honest member signs
/// one prepare vote per slot, so these are conflicting votes by it.
inline std::size_t conflicting_slots(sim::cluster& c, std::size_t i) {
    std::size_t bad = 0;
    for (const auto& [slot, hashes] : c.log(i).accepted_history())
        if (hashes.size() > 1) ++bad;
    return bad;
}

/// Evidence kept by `members` against a member not in `byzantine`.
inline std::size_t evidence_against_honest(sim::cluster& c, const std::vector<std::size_t>& members,
                                           const std::set<std::size_t>& byzantine) {
    std::set<public_key> guilty;
    for (auto i : byzantine) guilty.insert(c.member_key(i).public_key());
    std::size_t bad = 0;
    for (auto i : members)
        for (const auto& e : c.log(i).evidence()) {
            const public_key offender = std::visit(
                [](const auto& proof) -> public_key {
                    using T = std::decay_t<decltype(proof)>;
                    if constexpr (std::is_same_v<T, protocols::tx::conflicting_votes>)
                        return proof.first.voter;
                    else if constexpr (std::is_same_v<T, protocols::tx::conflicting_proposals>)
                        return proof.first.leader;
                    else
                        return proof.first.signer;
                },
                e.proof);
            if (!guilty.count(offender)) ++bad;
        }
    return bad;
}

/// The main chain's part: f+1 distinct members suspecting the current view move it on.
class view_authority {
  public:
    explicit view_authority(sim::cluster& c) : c_(c) {}
    /// True if it changed the view.
    bool decide() {
        std::set<public_key> suspecting;
        for (const auto& [member, view] : c_.suspicions())
            if (view == view_) suspecting.insert(member);
        if (suspecting.size() < c_.group().one_honest()) return false;
        ++view_;
        c_.change_view(view_);
        return true;
    }
    std::uint64_t view() const { return view_; }

  private:
    sim::cluster& c_;
    std::uint64_t view_ = 0;
};

inline protocols::sql_statement sql(std::string text) {
    return sim::statement(std::move(text));
}

}  // namespace covenant::sim_test
