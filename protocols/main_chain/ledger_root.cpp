// The ledger's state root: a hash over the canonical serialization of the whole state,
// every map in key order, every field fixed-width big-endian (protocols/canonical.hpp).
// Two ledgers that applied the same transactions serialize byte for byte the same.
#include "crypto/hash.hpp"
#include "protocols/canonical.hpp"
#include "protocols/main_chain/ledger.hpp"

namespace covenant::main_chain {

namespace {
void write_optional_height(protocols::canonical_writer& out, const std::optional<block_height>& h) {
    out.boolean(h.has_value());
    if (h) out.count(*h);
}
}  // namespace

digest ledger::state_root() const {
    protocols::canonical_writer out;
    out.text("covenant/v1/main-chain-state");

    out.u64(parameters_.minimum_fee).u64(parameters_.unstake_delay);
    out.u64(parameters_.miner_exit_delay).u64(parameters_.minimum_miner_deposit);
    out.u32(parameters_.node_id_difficulty);
    out.u64(parameters_.epoch_length).u32(parameters_.producers_max).u32(parameters_.producers_min);
    out.u32(static_cast<std::uint32_t>(initial_producers_.size()));
    for (const auto& p : initial_producers_) out.fixed(p);
    out.count(epoch_).u32(static_cast<std::uint32_t>(producers_.size()));
    for (const auto& p : producers_) out.fixed(p);

    out.u64(accounts_.size());
    for (const auto& [address, a] : accounts_) {
        out.fixed(address).u64(a.balance).count(a.next_nonce).u64(a.staked);
        out.u64(a.unstaking.size());
        for (const auto& [release, amount] : a.unstaking) out.u64(release).u64(amount);
        out.u32(static_cast<std::uint32_t>(a.votes.size()));
        for (const auto& v : a.votes) out.fixed(v);
        out.boolean(a.key.has_value());
        if (a.key) out.fixed(*a.key);
    }

    out.u64(miners_.size());
    for (const auto& [key, m] : miners_) {
        out.fixed(key).u64(m.node_id_nonce).u64(m.deposit).u32(m.capacity).u32(m.serving);
        out.u64(m.price_per_statement).text(m.endpoint);
        write_optional_height(out, m.exit_requested);
        out.boolean(m.slashed);
    }

    out.u64(databases_.size());
    for (const auto& [id, db] : databases_) {
        out.fixed(id).fixed(db.owner);
        out.u32(static_cast<std::uint32_t>(db.members.size()));
        for (const auto& k : db.members) out.fixed(k);
        out.u32(static_cast<std::uint32_t>(db.past_members.size()));
        for (const auto& k : db.past_members) out.fixed(k);
        out.u32(static_cast<std::uint32_t>(db.awaiting_replacement.size()));
        for (const auto& k : db.awaiting_replacement) out.fixed(k);
        out.count(db.view).u8(static_cast<std::uint8_t>(db.mode));
        out.u32(static_cast<std::uint32_t>(db.roles.size()));
        for (const auto& [user, r] : db.roles) out.fixed(user).u8(static_cast<std::uint8_t>(r));
        out.u64(db.advance_payment).boolean(db.out_of_funds);
        out.u32(static_cast<std::uint32_t>(db.suspicions.size()));
        for (const auto& [view, suspects] : db.suspicions) {
            out.u64(view).u32(static_cast<std::uint32_t>(suspects.size()));
            for (const auto& k : suspects) out.fixed(k);
        }
        write_optional_height(out, db.checkpoint_height);
        out.fixed(db.checkpoint_head).fixed(db.checkpoint_state).u64(db.membership_changes);
        out.u32(static_cast<std::uint32_t>(db.membership.size()));
        for (const auto& [first_view, members] : db.membership) {
            out.u64(first_view).u32(static_cast<std::uint32_t>(members.size()));
            for (const auto& k : members) out.fixed(k);
        }
    }

    out.u64(applied_offences_.size());
    for (const auto& o : applied_offences_)
        out.fixed(o.member)
            .fixed(o.database)
            .count(o.view)
            .count(o.seq)
            .u8(static_cast<std::uint8_t>(o.kind));

    out.u64(fee_pool_).u64(burned_);
    return crypto::hash(out.get());
}

}  // namespace covenant::main_chain
