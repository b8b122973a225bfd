// Ledger rule for evidence of misbehaviour: two messages signed by the same member for the
// same slot (database, view, sequence number) that conflict. Applying it slashes the
// member's whole deposit: the tokens are burned (counted in burned(), so the token total
// stays constant) rather than paid to anyone, so that reporting one's own offence or a
// colluder's never pays. The member is marked slashed, is never chosen again, and is
// replaced in every database it serves by the best eligible miner, when there is one.
// Each offence (member, database, view, seq, kind) is applied at most once; a miner
// already slashed cannot be slashed again.
#include <string>

#include "protocols/main_chain/ledger.hpp"

namespace covenant::main_chain {

using namespace protocols;

namespace {
struct examined {
    std::optional<error> refusal;  // set if the pair is not a conflict or a signature is bad
    offence what;
};

examined examine(const tx::conflicting_votes& p) {
    const vote& a = p.first;
    const vote& b = p.second;
    if (a.phase != b.phase || a.database != b.database || a.view != b.view || a.seq != b.seq ||
        a.voter != b.voter)
        return {error{ledger_errc::not_a_conflict, "votes for different slots or voters"}, {}};
    if (a.batch_hash == b.batch_hash)
        return {error{ledger_errc::not_a_conflict, "both votes are for the same batch"}, {}};
    if (!a.signature_valid() || !b.signature_valid())
        return {error{ledger_errc::bad_signature, "a vote's signature does not verify"}, {}};
    return {
        std::nullopt,
        {a.voter, a.database, a.view, a.seq,
         a.phase == vote_phase::prepare ? offence_kind::prepare_vote : offence_kind::commit_vote}};
}

examined examine(const tx::conflicting_proposals& p) {
    const proposal& a = p.first;
    const proposal& b = p.second;
    if (a.database != b.database || a.view != b.view || a.seq != b.seq || a.leader != b.leader)
        return {error{ledger_errc::not_a_conflict, "proposals for different slots or leaders"}, {}};
    if (a.batch_hash == b.batch_hash)
        return {error{ledger_errc::not_a_conflict, "both proposals are of the same batch"}, {}};
    if (!a.signature_valid() || !b.signature_valid())
        return {error{ledger_errc::bad_signature, "a proposal's signature does not verify"}, {}};
    return {std::nullopt, {a.leader, a.database, a.view, a.seq, offence_kind::proposal}};
}

examined examine(const tx::conflicting_executions& p) {
    const execution_message& a = p.first;
    const execution_message& b = p.second;
    if (a.database != b.database || a.view != b.view || a.seq != b.seq || a.signer != b.signer)
        return {error{ledger_errc::not_a_conflict, "executions for different slots or signers"},
                {}};
    if (a.batch_hash == b.batch_hash && a.results_root == b.results_root &&
        a.state_digest == b.state_digest)
        return {error{ledger_errc::not_a_conflict, "both executions say the same"}, {}};
    if (!a.signature_valid() || !b.signature_valid())
        return {error{ledger_errc::bad_signature, "an execution's signature does not verify"}, {}};
    return {std::nullopt, {a.signer, a.database, a.view, a.seq, offence_kind::execution}};
}
}  // namespace

ledger::outcome ledger::apply_rule(const context&, const tx::evidence& t) {
    const examined found = std::visit([](const auto& proof) { return examine(proof); }, t.proof);
    if (found.refusal) return *found.refusal;
    const offence& what = found.what;

    auto db = databases_.find(what.database);
    if (db == databases_.end())
        return error{ledger_errc::unknown_database, "no database " + what.database.hex()};
    if (db->second.past_members.count(what.member) == 0)
        return error{ledger_errc::not_member,
                     what.member.hex() + " was never a member of " + what.database.hex()};
    auto m = miners_.find(what.member);
    if (m == miners_.end())
        return error{ledger_errc::unknown_miner, what.member.hex() + " is no longer a miner"};
    if (applied_offences_.count(what) != 0)
        return error{ledger_errc::already_applied, "this offence was already slashed"};
    if (m->second.slashed)
        return error{ledger_errc::already_applied, what.member.hex() + " is already slashed"};

    apply_outcome out;
    out.slashed_amount = m->second.deposit;
    burned_ += m->second.deposit;
    m->second.deposit = 0;
    m->second.slashed = true;
    applied_offences_.insert(what);
    replace_everywhere(what.member);
    return out;
}

}  // namespace covenant::main_chain
