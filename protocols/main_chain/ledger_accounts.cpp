// Ledger rules for accounts: transfer, stake, unstake (liquid again after the unstake
// delay, see release_matured) and votes for producer candidates (an account that has
// staked is a candidate; a vote's weight is the voter's current stake).
#include <string>

#include "protocols/limits.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain/ledger_support.hpp"

namespace covenant::main_chain {

using namespace protocols;

ledger::outcome ledger::apply_rule(const context& c, const tx::transfer& t) {
    if (t.amount == 0) return error{ledger_errc::invalid_value, "transfer of zero tokens"};
    if (auto refusal = check_spend(c, t.amount)) return *refusal;
    account_for_update(c.sender).balance -= t.amount;
    account_for_update(t.to).balance += t.amount;
    return apply_outcome{};
}

ledger::outcome ledger::apply_rule(const context& c, const tx::stake& t) {
    if (t.amount == 0) return error{ledger_errc::invalid_value, "stake of zero tokens"};
    if (auto refusal = check_spend(c, t.amount)) return *refusal;
    auto& account = account_for_update(c.sender);
    account.balance -= t.amount;
    account.staked += t.amount;
    return apply_outcome{};
}

ledger::outcome ledger::apply_rule(const context& c, const tx::unstake& t) {
    if (t.amount == 0) return error{ledger_errc::invalid_value, "unstake of zero tokens"};
    const auto* current = account(c.sender);
    const std::uint64_t staked = current ? current->staked : 0;
    if (staked < t.amount)
        return error{ledger_errc::insufficient_funds, "unstake of " + std::to_string(t.amount) +
                                                          " but only " + std::to_string(staked) +
                                                          " staked"};
    auto& account = account_for_update(c.sender);
    account.staked -= t.amount;
    account.unstaking[saturating_add(c.height.value, parameters_.unstake_delay)] += t.amount;
    return apply_outcome{};
}

ledger::outcome ledger::apply_rule(const context& c, const tx::vote_producers& t) {
    if (t.candidates.size() > limits::producer_candidates_max)
        return error{ledger_errc::invalid_value,
                     std::to_string(t.candidates.size()) + " candidates, at most " +
                         std::to_string(limits::producer_candidates_max)};
    for (std::size_t i = 0; i < t.candidates.size(); ++i) {
        if (i > 0 && !(t.candidates[i - 1] < t.candidates[i]))
            return error{ledger_errc::invalid_value, "candidates not strictly ascending"};
        const auto* candidate = account(t.candidates[i]);
        if (!candidate || candidate->staked == 0)
            return error{ledger_errc::unknown_account, "candidate " + t.candidates[i].hex() +
                                                           " is not a producer candidate "
                                                           "(has no stake)"};
    }
    account_for_update(c.sender).votes = t.candidates;
    return apply_outcome{};
}

}  // namespace covenant::main_chain
