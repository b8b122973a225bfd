// The checkers of covenant-sim (see checkers.hpp).
#include "sim/check/checkers.hpp"

#include <algorithm>

#include "protocols/kayak/client_check.hpp"
#include "sim/check/linearizability.hpp"

namespace covenant::sim {

namespace {
std::string short_hex(const digest& d) {
    return d.hex().substr(0, 12);
}
}  // namespace

violations check_log_agreement(const std::string& database, const std::vector<replica_log>& logs) {
    violations out;
    std::map<std::uint64_t, std::pair<digest, std::string>> first_seen;  // seq -> (hash, member)
    for (const auto& log : logs) {
        std::uint64_t expected_seq = 1;
        std::optional<digest> previous;
        for (const auto& c : log.batches) {
            const auto seq = c.batch.header.seq.value;
            const auto h = c.batch.hash();
            if (seq != expected_seq) {
                out.push_back({"agreement",
                               database + " " + log.member + " seq " + std::to_string(seq),
                               "log has a gap: expected seq " + std::to_string(expected_seq)});
                break;
            }
            if (previous && c.batch.header.parent != *previous)
                out.push_back({"agreement",
                               database + " " + log.member + " seq " + std::to_string(seq),
                               "batch's parent " + short_hex(c.batch.header.parent) +
                                   " is not the batch before it " + short_hex(*previous)});
            if (c.commit_certificate.batch_hash != h || c.commit_certificate.seq.value != seq)
                out.push_back({"agreement",
                               database + " " + log.member + " seq " + std::to_string(seq),
                               "commit certificate is for another batch"});
            auto [at, fresh] = first_seen.emplace(seq, std::make_pair(h, log.member));
            if (!fresh && at->second.first != h)
                out.push_back({"agreement", database + " seq " + std::to_string(seq),
                               at->second.second + " committed batch " +
                                   short_hex(at->second.first) + ", " + log.member + " committed " +
                                   short_hex(h)});
            previous = h;
            ++expected_seq;
        }
    }
    return out;
}

violations check_commit_certificates(const std::string& database,
                                     const std::vector<replica_log>& logs,
                                     const protocols::group_history& groups) {
    violations out;
    for (const auto& log : logs)
        for (const auto& c : log.batches)
            if (auto fault = protocols::certificate_fault(c.commit_certificate, groups)) {
                out.push_back({"agreement",
                               database + " " + log.member + " seq " +
                                   std::to_string(c.batch.header.seq.value),
                               "committed without a valid commit certificate: " + *fault});
                break;
            }
    return out;
}

violations check_main_chain_agreement(const std::map<std::string, std::vector<digest>>& chains) {
    violations out;
    std::map<std::size_t, std::pair<digest, std::string>> first_seen;
    for (const auto& [producer, hashes] : chains)
        for (std::size_t h = 0; h < hashes.size(); ++h) {
            auto [at, fresh] = first_seen.emplace(h, std::make_pair(hashes[h], producer));
            if (!fresh && at->second.first != hashes[h]) {
                out.push_back({"agreement", "main chain height " + std::to_string(h + 1),
                               at->second.second + " holds final block " +
                                   short_hex(at->second.first) + ", " + producer + " holds " +
                                   short_hex(hashes[h])});
                break;  // one fork per producer is enough to say
            }
        }
    return out;
}

violations check_durability(const std::string& database,
                            const std::vector<acknowledged_write>& acked,
                            const std::vector<replica_log>& logs,
                            const std::set<std::string>& caught_up) {
    violations out;
    for (const auto& log : logs) {
        std::map<std::uint64_t, const protocols::committed_batch*> by_seq;
        for (const auto& c : log.batches) by_seq[c.batch.header.seq.value] = &c;
        const std::uint64_t reached = by_seq.empty() ? 0 : by_seq.rbegin()->first;
        for (const auto& a : acked) {
            const std::string where =
                database + " " + log.member + " seq " + std::to_string(a.seq.value);
            if (a.seq.value > reached) {
                if (caught_up.count(log.member))
                    out.push_back({"durability", where,
                                   "acknowledged write " + short_hex(a.request) +
                                       " missing: the log ends at seq " + std::to_string(reached)});
                continue;
            }
            auto at = by_seq.find(a.seq.value);
            if (at == by_seq.end()) continue;  // reported as a gap by agreement
            const auto& requests = at->second->batch.requests;
            const bool there = std::any_of(requests.begin(), requests.end(),
                                           [&](const auto& r) { return r.hash() == a.request; });
            if (at->second->batch.hash() != a.batch_hash || !there)
                out.push_back({"durability", where,
                               "acknowledged write " + short_hex(a.request) + " (batch " +
                                   short_hex(a.batch_hash) +
                                   ") is not there: the log holds batch " +
                                   short_hex(at->second->batch.hash())});
        }
    }
    return out;
}

violations check_validity(const database_id& database, const std::vector<replica_log>& logs,
                          const std::set<public_key>& authorized, const std::set<digest>& sent) {
    violations out;
    const std::string db = "database " + database.hex().substr(0, 12);
    for (const auto& log : logs)
        for (const auto& c : log.batches)
            for (const auto& r : c.batch.requests) {
                const std::string where =
                    db + " " + log.member + " seq " + std::to_string(c.batch.header.seq.value);
                std::string what;
                if (r.database != database)
                    what = "a request for another database";
                else if (!r.signature_valid())
                    what = "a request with a bad client signature";
                else if (!authorized.count(r.client))
                    what = "a request from " + r.client.hex().substr(0, 12) + ", who may not write";
                else if (!sent.count(r.hash()))
                    what = "a request no client sent";
                if (!what.empty()) out.push_back({"validity", where, what + " was committed"});
            }
    return out;
}

violations check_same_state(const std::string& database, const std::vector<replica_state>& states,
                            bool converged, std::size_t* excused) {
    violations out;
    // The reference at each seq: the first member not known to diverge.
    std::map<std::uint64_t, const replica_state*> reference;
    std::uint64_t highest = 0;
    for (const auto& s : states)
        if (!s.known_divergent) {
            reference.emplace(s.last_executed, &s);
            highest = std::max(highest, s.last_executed);
        }
    for (const auto& s : states) {
        auto at = reference.find(s.last_executed);
        const bool differs =
            at != reference.end() && at->second != &s &&
            (at->second->state_digest != s.state_digest || at->second->rows != s.rows);
        if (s.known_divergent) {
            if (differs && excused != nullptr) ++*excused;
            continue;
        }
        if (differs) {
            const auto& other = *at->second;
            out.push_back({"same-state", database + " seq " + std::to_string(s.last_executed),
                           other.member + " and " + s.member +
                               (other.state_digest != s.state_digest
                                    ? " executed to the same seq with different digests"
                                    : " have equal digests but different rows")});
        }
        if (converged && s.last_executed != highest)
            out.push_back({"same-state", database + " " + s.member,
                           "executed to seq " + std::to_string(s.last_executed) +
                               " after healing, others to " + std::to_string(highest)});
    }
    return out;
}

violations check_bank_total(const std::string& database,
                            const std::map<std::string, std::int64_t>& sums, std::int64_t total) {
    violations out;
    for (const auto& [who, sum] : sums)
        if (sum != total)
            out.push_back(
                {"bank", database + " " + who,
                 "balances sum to " + std::to_string(sum) + ", not " + std::to_string(total)});
    return out;
}

violations check_verifiable(const std::string& database,
                            const std::vector<accepted_response>& accepted,
                            const protocols::group_history& groups) {
    violations out;
    for (const auto& a : accepted)
        if (auto fault = kayak::write_response_fault(a.response, a.request, groups))
            out.push_back({"verifiable", database + " request " + short_hex(a.request),
                           "an accepted result does not prove itself: " + *fault});
    return out;
}

violations check_liveness(const std::vector<std::string>& late, std::int64_t bound_ms) {
    violations out;
    for (const auto& what : late)
        out.push_back(
            {"liveness", what,
             "not done within " + std::to_string(bound_ms) + " ms after the faults healed"});
    return out;
}

violations check_conservation(const std::map<std::string, std::uint64_t>& totals,
                              std::uint64_t genesis_total) {
    violations out;
    for (const auto& [who, total] : totals)
        if (total != genesis_total)
            out.push_back({"conservation", who,
                           "the replayed chain holds " + std::to_string(total) +
                               " tokens, genesis made " + std::to_string(genesis_total)});
    return out;
}

violations check_balances(const std::map<std::string, std::uint64_t>& expected,
                          const std::map<std::string, std::uint64_t>& actual) {
    violations out;
    for (const auto& [who, want] : expected) {
        auto it = actual.find(who);
        const std::uint64_t have = it == actual.end() ? 0 : it->second;
        if (have != want)
            out.push_back({"conservation", who,
                           "balance " + std::to_string(have) +
                               " on the replayed chain, the included transfers make " +
                               std::to_string(want)});
    }
    return out;
}

violations check_registers(const std::string& database,
                           const std::vector<register_history>& histories) {
    violations out;
    for (const auto& h : histories)
        if (auto fault = linearizability_fault(h.ops, h.initial))
            out.push_back({"linearizability", database + " register " + h.key, *fault});
    return out;
}

}  // namespace covenant::sim
