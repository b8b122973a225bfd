// Ledger rules for miners: registration (node id proof of work, deposit moved from the
// balance), exit (deposit returned after the exit delay, by release_matured, unless
// slashed), and the deterministic choice of miners for databases: eligible miners ordered
// by price per statement, then by address; a departing or slashed member is replaced by
// the best eligible miner that is not already a member.
#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include "crypto/node_id.hpp"
#include "crypto/signing.hpp"
#include "protocols/limits.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain/ledger_support.hpp"

namespace covenant::main_chain {

using namespace protocols;

ledger::outcome ledger::apply_rule(const context& c, const tx::register_miner& t) {
    if (miners_.count(c.tx.sender) != 0)
        return error{ledger_errc::already_applied,
                     "miner " + c.tx.sender.hex() + " is already registered"};
    if (!crypto::node_id_meets_difficulty(c.tx.sender, t.pow_nonce, parameters_.node_id_difficulty))
        return error{ledger_errc::insufficient_work,
                     "hash(key || " + std::to_string(t.pow_nonce) + ") has fewer than " +
                         std::to_string(parameters_.node_id_difficulty) + " leading zero bits"};
    if (t.deposit < parameters_.minimum_miner_deposit)
        return error{ledger_errc::invalid_value,
                     "deposit " + std::to_string(t.deposit) + " below the minimum " +
                         std::to_string(parameters_.minimum_miner_deposit)};
    if (t.capacity == 0) return error{ledger_errc::invalid_value, "capacity of zero databases"};
    if (t.endpoint.empty() || t.endpoint.size() > limits::endpoint_bytes_max)
        return error{ledger_errc::invalid_value,
                     "endpoint of " + std::to_string(t.endpoint.size()) + " bytes"};
    if (auto refusal = check_spend(c, t.deposit)) return *refusal;

    account_for_update(c.sender).balance -= t.deposit;
    miner_record m;
    m.key = c.tx.sender;
    m.node_id_nonce = t.pow_nonce;
    m.deposit = t.deposit;
    m.capacity = t.capacity;
    m.price_per_statement = t.price_per_statement;
    m.endpoint = t.endpoint;
    miners_.emplace(c.tx.sender, std::move(m));
    return apply_outcome{};
}

ledger::outcome ledger::apply_rule(const context& c, const tx::miner_exit&) {
    auto at = miners_.find(c.tx.sender);
    if (at == miners_.end())
        return error{ledger_errc::unknown_miner, c.tx.sender.hex() + " is not a registered miner"};
    if (at->second.exit_requested)
        return error{
            ledger_errc::already_applied,
            "exit already requested at height " + std::to_string(at->second.exit_requested->value)};
    at->second.exit_requested = c.height;
    // Hand its databases over now: the replacements catch up during the exit delay.
    replace_everywhere(c.tx.sender);
    return apply_outcome{};
}

std::vector<public_key> ledger::eligible_miners(const database_record* excluding_members_of) const {
    struct ranked {
        std::uint64_t price;
        account_address address;
        public_key key;
    };
    std::vector<ranked> found;
    for (const auto& [key, m] : miners_) {
        if (m.exit_requested || m.slashed) continue;
        if (m.deposit < parameters_.minimum_miner_deposit) continue;
        if (m.serving >= m.capacity) continue;
        if (excluding_members_of) {
            const auto& current = excluding_members_of->members;
            if (std::find(current.begin(), current.end(), key) != current.end()) continue;
        }
        found.push_back({m.price_per_statement, crypto::address_of(key), key});
    }
    std::sort(found.begin(), found.end(), [](const ranked& a, const ranked& b) {
        return std::tie(a.price, a.address) < std::tie(b.price, b.address);
    });
    std::vector<public_key> out;
    out.reserve(found.size());
    for (const auto& r : found) out.push_back(r.key);
    return out;
}

void ledger::replace_everywhere(const public_key& member) {
    for (auto& [id, db] : databases_) {
        auto slot = std::find(db.members.begin(), db.members.end(), member);
        if (slot == db.members.end()) continue;
        const auto candidates = eligible_miners(&db);
        if (candidates.empty() || db.view.value == view_number::max_value) {
            db.awaiting_replacement.insert(member);
            continue;
        }
        const public_key& replacement = candidates.front();
        *slot = replacement;
        db.past_members.insert(replacement);
        db.awaiting_replacement.erase(member);
        // The new group starts a view of its own; suspicions of the old view are moot.
        db.view = db.view.next();
        db.suspicions.clear();
        db.membership[db.view.value] = db.members;
        ++db.membership_changes;
        miners_.at(replacement).serving += 1;
        auto old = miners_.find(member);
        if (old != miners_.end() && old->second.serving > 0) old->second.serving -= 1;
    }
}

}  // namespace covenant::main_chain
