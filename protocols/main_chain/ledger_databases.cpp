// Ledger rules for databases: creation (members chosen deterministically, advance payment
// moved into the database, the owner its first admin), drop (admin only; the rest of the
// advance payment goes back to the owner), roles (granted and revoked by an admin; a
// database always keeps an admin), leader suspicions (f+1 distinct members suspecting the
// current view move the database to the next view) and shard-chain checkpoints (a quorum
// of members sign; billing is paid from the advance payment to the members).
#include <algorithm>
#include <string>

#include "crypto/signing.hpp"
#include "protocols/group.hpp"
#include "protocols/limits.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain/ledger_support.hpp"

namespace covenant::main_chain {

using namespace protocols;

namespace {
std::size_t admin_count(const database_record& db) {
    return static_cast<std::size_t>(std::count_if(
        db.roles.begin(), db.roles.end(), [](const auto& r) { return r.second == role::admin; }));
}
error unknown(const database_id& id) {
    return error{ledger_errc::unknown_database, "no database " + id.hex()};
}
}  // namespace

ledger::outcome ledger::apply_rule(const context& c, const tx::create_database& t) {
    if (t.miner_count == 0) return error{ledger_errc::invalid_value, "database of zero miners"};
    if (t.mode != consistency_mode::strong && t.mode != consistency_mode::eventual)
        return error{ledger_errc::invalid_value, "unknown consistency mode"};
    const auto eligible = eligible_miners(nullptr);
    if (t.miner_count > eligible.size())
        return error{ledger_errc::no_miners, std::to_string(t.miner_count) + " miners asked, " +
                                                 std::to_string(eligible.size()) + " eligible"};
    if (auto refusal = check_spend(c, t.advance_payment)) return *refusal;
    const database_id id = database_id_for(c.sender, c.tx.nonce);
    if (databases_.count(id) != 0)
        return error{ledger_errc::already_applied, "database " + id.hex() + " exists"};

    database_record db;
    db.id = id;
    db.owner = c.sender;
    db.members.assign(eligible.begin(), eligible.begin() + t.miner_count);
    db.past_members.insert(db.members.begin(), db.members.end());
    db.membership[0] = db.members;
    db.mode = t.mode;
    db.roles[c.sender] = role::admin;
    db.advance_payment = t.advance_payment;
    for (const auto& member : db.members) miners_.at(member).serving += 1;
    account_for_update(c.sender).balance -= t.advance_payment;
    databases_.emplace(id, std::move(db));
    apply_outcome out;
    out.created_database = id;
    return out;
}

ledger::outcome ledger::apply_rule(const context& c, const tx::drop_database& t) {
    auto at = databases_.find(t.database);
    if (at == databases_.end()) return unknown(t.database);
    if (role_of(t.database, c.sender) != role::admin)
        return error{ledger_errc::not_authorized,
                     c.sender.hex() + " is not an admin of " + t.database.hex()};
    const database_record& db = at->second;
    account_for_update(db.owner).balance += db.advance_payment;
    for (const auto& member : db.members) {
        auto m = miners_.find(member);
        if (m != miners_.end() && m->second.serving > 0) m->second.serving -= 1;
    }
    databases_.erase(at);
    return apply_outcome{};
}

ledger::outcome ledger::apply_rule(const context& c, const tx::grant_role& t) {
    auto at = databases_.find(t.database);
    if (at == databases_.end()) return unknown(t.database);
    if (role_of(t.database, c.sender) != role::admin)
        return error{ledger_errc::not_authorized,
                     c.sender.hex() + " is not an admin of " + t.database.hex()};
    if (t.granted != role::read && t.granted != role::write && t.granted != role::admin)
        return error{ledger_errc::invalid_value, "unknown role"};
    database_record& db = at->second;
    if (t.granted != role::admin && role_of(t.database, t.user) == role::admin &&
        admin_count(db) == 1)
        return error{ledger_errc::invalid_value, "would leave the database without an admin"};
    db.roles[t.user] = t.granted;
    return apply_outcome{};
}

ledger::outcome ledger::apply_rule(const context& c, const tx::revoke_role& t) {
    auto at = databases_.find(t.database);
    if (at == databases_.end()) return unknown(t.database);
    if (role_of(t.database, c.sender) != role::admin)
        return error{ledger_errc::not_authorized,
                     c.sender.hex() + " is not an admin of " + t.database.hex()};
    database_record& db = at->second;
    auto held = db.roles.find(t.user);
    if (held == db.roles.end())
        return error{ledger_errc::unknown_account, t.user.hex() + " has no role on the database"};
    if (held->second == role::admin && admin_count(db) == 1)
        return error{ledger_errc::invalid_value, "cannot revoke the last admin"};
    db.roles.erase(held);
    return apply_outcome{};
}

ledger::outcome ledger::apply_rule(const context&, const tx::suspect_leader& t) {
    const suspect_message& s = t.suspicion;
    auto at = databases_.find(s.database);
    if (at == databases_.end()) return unknown(s.database);
    database_record& db = at->second;
    if (!s.signature_valid())
        return error{ledger_errc::bad_signature, "suspicion signature does not verify"};
    if (std::find(db.members.begin(), db.members.end(), s.member) == db.members.end())
        return error{ledger_errc::not_member,
                     s.member.hex() + " is not a member of " + s.database.hex()};
    if (s.view != db.view)
        return error{ledger_errc::stale, "suspicion of view " + std::to_string(s.view.value) +
                                             ", current view is " + std::to_string(db.view.value)};
    if (db.view.value == view_number::max_value)
        return error{ledger_errc::invalid_value, "view space exhausted"};
    auto earlier = db.suspicions.find(db.view.value);
    if (earlier != db.suspicions.end() && earlier->second.count(s.member) != 0)
        return error{ledger_errc::already_applied,
                     s.member.hex() + " already suspects view " + std::to_string(db.view.value)};
    auto& suspects = db.suspicions[db.view.value];
    suspects.insert(s.member);
    const group members(db.members);
    std::size_t counted = 0;
    for (const auto& suspect : suspects)
        if (members.contains(suspect)) ++counted;
    apply_outcome out;
    if (counted >= members.one_honest()) {
        db.view = db.view.next();
        db.suspicions.clear();
        out.view_change = db.view;
        out.view_change_database = db.id;
    }
    return out;
}

ledger::outcome ledger::apply_rule(const context&, const tx::shard_checkpoint& t) {
    auto at = databases_.find(t.database);
    if (at == databases_.end()) return unknown(t.database);
    database_record& db = at->second;
    if (t.billing.size() > limits::billing_lines_max)
        return error{ledger_errc::invalid_value, "too many billing lines"};
    if (db.checkpoint_height && t.height <= *db.checkpoint_height)
        return error{ledger_errc::stale, "checkpoint height " + std::to_string(t.height.value) +
                                             " does not advance past " +
                                             std::to_string(db.checkpoint_height->value)};
    const group members(db.members);
    const bytes signed_bytes = t.checkpoint_signing_bytes();
    for (const auto& s : t.signatures)
        if (members.contains(s.signer) &&
            !crypto::verify(s.signer, crypto::sign_domain::shard_checkpoint, signed_bytes, s.sig))
            return error{ledger_errc::bad_signature,
                         "checkpoint signature by member " + s.signer.hex() + " does not verify"};
    if (auto fault = signer_set_fault(t.signatures, members, members.quorum(),
                                      crypto::sign_domain::shard_checkpoint, signed_bytes,
                                      /*check_signatures=*/false))
        return error{ledger_errc::no_quorum, "checkpoint: " + *fault};
    std::uint64_t cost = 0;
    for (const auto& line : t.billing) {
        if (!add_fits(cost, line.cost))
            return error{ledger_errc::overflow, "billing costs sum past 2^64"};
        cost += line.cost;
    }

    // Billing: what the advance payment covers, split equally among the members; the
    // remainder of the division goes to the member with the lowest address.
    const std::uint64_t paid = std::min(cost, db.advance_payment);
    db.advance_payment -= paid;
    if (paid < cost) db.out_of_funds = true;
    const std::uint64_t share = paid / db.members.size();
    const std::uint64_t remainder = paid % db.members.size();
    account_address first = crypto::address_of(db.members.front());
    for (const auto& member : db.members) first = std::min(first, crypto::address_of(member));
    for (const auto& member : db.members) {
        const account_address address = crypto::address_of(member);
        account_for_update(address).balance += share + (address == first ? remainder : 0);
    }
    db.checkpoint_height = t.height;
    db.checkpoint_head = t.head_hash;
    db.checkpoint_state = t.state_digest;
    return apply_outcome{};
}

}  // namespace covenant::main_chain
