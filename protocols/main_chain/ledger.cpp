// The ledger's frame: genesis, the checks every transaction passes (signature, nonce,
// fee), dispatch to the rule of its kind, the release of matured amounts, queries and
// the token total. The rules themselves live in ledger_accounts.cpp, ledger_miners.cpp,
// ledger_databases.cpp and ledger_evidence.cpp; the state root in ledger_root.cpp.
#include "protocols/main_chain/ledger.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "common/assert.hpp"
#include "crypto/hash.hpp"
#include "crypto/signing.hpp"
#include "protocols/canonical.hpp"
#include "protocols/main_chain/ledger_support.hpp"

namespace covenant::main_chain {

result<ledger> ledger::from_genesis(const genesis& g) {
    ledger out;
    std::uint64_t total = 0;
    for (const auto& [address, amount] : g.allocations) {
        if (!add_fits(total, amount))
            return error{ledger_errc::overflow, "genesis allocations sum past 2^64"};
        total += amount;
        if (amount > 0) out.accounts_[address].balance = amount;
    }
    out.parameters_ = g.parameters;
    out.initial_producers_ = g.initial_producers;
    out.producers_ = g.initial_producers;
    return out;
}

std::optional<error> ledger::check_spend(const context& c, std::uint64_t amount) const {
    if (!add_fits(amount, c.tx.fee))
        return error{ledger_errc::overflow, "amount " + std::to_string(amount) + " + fee " +
                                                std::to_string(c.tx.fee) + " overflows"};
    const std::uint64_t needed = amount + c.tx.fee;
    const std::uint64_t have = balance_of(c.sender);
    if (have < needed)
        return error{ledger_errc::insufficient_funds,
                     "sender " + c.sender.hex() + " has " + std::to_string(have) + ", needs " +
                         std::to_string(needed) + " (fee " + std::to_string(c.tx.fee) + ")"};
    return std::nullopt;
}

result<apply_outcome> ledger::apply(const protocols::transaction& tx, block_height height) {
    if (!tx.signature_valid())
        return error{ledger_errc::bad_signature,
                     "transaction signature does not verify for sender " + tx.sender.hex()};
    const account_address sender = crypto::address_of(tx.sender);
    const account_nonce expected = next_nonce(sender);
    if (tx.nonce != expected)
        return error{ledger_errc::bad_nonce, "nonce " + std::to_string(tx.nonce.value) +
                                                 ", sender's next nonce is " +
                                                 std::to_string(expected.value) +
                                                 (tx.nonce < expected ? " (replayed)" : " (gap)")};
    if (tx.nonce.value == account_nonce::max_value)
        return error{ledger_errc::invalid_value, "nonce space exhausted"};
    if (tx.fee < parameters_.minimum_fee)
        return error{ledger_errc::fee_too_low, "fee " + std::to_string(tx.fee) + " below minimum " +
                                                   std::to_string(parameters_.minimum_fee)};
    const context c{tx, sender, height};
    if (auto refusal = check_spend(c, 0)) return *refusal;

    auto out = std::visit([&](const auto& body) { return apply_rule(c, body); }, tx.body);
    if (!out) return out;

    auto& account = account_for_update(sender);
    COVENANT_ASSERT(account.balance >= tx.fee, "a rule spent the fee it had checked");
    account.balance -= tx.fee;
    fee_pool_ += tx.fee;
    account.next_nonce = account.next_nonce.next();
    if (!account.key) account.key = tx.sender;
    return out;
}

void ledger::release_matured(block_height height) {
    for (auto& [address, account] : accounts_) {
        auto& unstaking = account.unstaking;
        while (!unstaking.empty() && unstaking.begin()->first <= height.value) {
            account.balance += unstaking.begin()->second;
            unstaking.erase(unstaking.begin());
        }
    }
    std::vector<public_key> released;
    for (const auto& [key, m] : miners_)
        if (m.exit_requested &&
            saturating_add(m.exit_requested->value, parameters_.miner_exit_delay) <= height.value)
            released.push_back(key);
    for (const auto& key : released) {
        replace_everywhere(key);  // one more chance to hand its databases over
        auto at = miners_.find(key);
        account_for_update(crypto::address_of(key)).balance += at->second.deposit;
        miners_.erase(at);
    }
}

epoch_number ledger::epoch_of(block_height height) const {
    if (height.value == 0 || parameters_.epoch_length == 0) return epoch_number{0};
    return epoch_number{(height.value - 1) / parameters_.epoch_length};
}

void ledger::begin_block(block_height height) {
    release_matured(height);  // touches no stake or vote: the election is the same after it
    const epoch_number e = epoch_of(height);
    if (e == epoch_) return;
    COVENANT_ASSERT(epoch_ < e, "blocks are begun in height order");
    producers_ = producers_for(height);
    epoch_ = e;
}

std::vector<public_key> ledger::producers_for(block_height height) const {
    if (epoch_of(height) == epoch_) return producers_;
    auto elected = elect_producers();
    return elected.empty() ? producers_ : elected;
}

std::vector<public_key> ledger::elect_producers() const {
    struct ranked {
        std::uint64_t weight;
        account_address address;
        public_key key;
    };
    std::vector<ranked> candidates;
    for (const auto& [address, weight] : producer_candidates()) {
        const auto* record = account(address);
        if (weight == 0 || !record || !record->key) continue;
        candidates.push_back({weight, address, *record->key});
    }
    std::sort(candidates.begin(), candidates.end(), [](const ranked& a, const ranked& b) {
        if (a.weight != b.weight) return a.weight > b.weight;
        return a.address < b.address;
    });
    if (candidates.size() > parameters_.producers_max) candidates.resize(parameters_.producers_max);
    if (candidates.size() < parameters_.producers_min || candidates.empty()) return {};
    std::vector<public_key> set;
    for (const auto& c : candidates) set.push_back(c.key);
    return set;
}

// ---- queries ------------------------------------------------------------------------

const account_record* ledger::account(const account_address& a) const {
    auto at = accounts_.find(a);
    return at == accounts_.end() ? nullptr : &at->second;
}
std::uint64_t ledger::balance_of(const account_address& a) const {
    const auto* record = account(a);
    return record ? record->balance : 0;
}
account_nonce ledger::next_nonce(const account_address& a) const {
    const auto* record = account(a);
    return record ? record->next_nonce : account_nonce{1};
}
const miner_record* ledger::miner(const public_key& key) const {
    auto at = miners_.find(key);
    return at == miners_.end() ? nullptr : &at->second;
}
const database_record* ledger::database(const database_id& id) const {
    auto at = databases_.find(id);
    return at == databases_.end() ? nullptr : &at->second;
}
const std::vector<public_key>* ledger::members(const database_id& id) const {
    const auto* record = database(id);
    return record ? &record->members : nullptr;
}
std::optional<view_number> ledger::view(const database_id& id) const {
    const auto* record = database(id);
    if (!record) return std::nullopt;
    return record->view;
}
std::optional<protocols::role> ledger::role_of(const database_id& id,
                                               const account_address& user) const {
    const auto* record = database(id);
    if (!record) return std::nullopt;
    auto at = record->roles.find(user);
    if (at == record->roles.end()) return std::nullopt;
    return at->second;
}
std::optional<std::uint64_t> ledger::funding(const database_id& id) const {
    const auto* record = database(id);
    if (!record) return std::nullopt;
    return record->advance_payment;
}

std::map<account_address, std::uint64_t> ledger::producer_candidates() const {
    std::map<account_address, std::uint64_t> weights;
    for (const auto& [address, account] : accounts_)
        if (account.staked > 0) weights[address] = 0;
    for (const auto& [address, account] : accounts_)
        for (const auto& candidate : account.votes) {
            auto at = weights.find(candidate);
            if (at != weights.end()) at->second = saturating_add(at->second, account.staked);
        }
    return weights;
}

std::uint64_t ledger::total_tokens() const {
    // Every partial sum is bounded by the genesis total, which fits in 64 bits; the
    // assertions catch a rule that minted tokens.
    std::uint64_t total = 0;
    auto add = [&total](std::uint64_t amount) {
        COVENANT_ASSERT(add_fits(total, amount), "token total overflows: tokens were minted");
        total += amount;
    };
    for (const auto& [address, account] : accounts_) {
        add(account.balance);
        add(account.staked);
        for (const auto& [release, amount] : account.unstaking) add(amount);
    }
    for (const auto& [key, m] : miners_) add(m.deposit);
    for (const auto& [id, db] : databases_) add(db.advance_payment);
    add(fee_pool_);
    add(burned_);
    return total;
}

database_id ledger::database_id_for(const account_address& owner, account_nonce nonce) {
    protocols::canonical_writer out;
    out.text("covenant/v1/database-id").fixed(owner).count(nonce);
    const digest d = crypto::hash(out.get());
    database_id id;
    id.data = d.data;
    return id;
}

}  // namespace covenant::main_chain
