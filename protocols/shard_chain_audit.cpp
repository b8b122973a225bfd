// Auditing a database's shard chains from outside (see shard_chain_audit.hpp).
#include "protocols/shard_chain_audit.hpp"

#include <algorithm>
#include <tuple>

#include "common/assert.hpp"
#include "crypto/signing.hpp"

namespace covenant::protocols {
namespace {

std::string text(std::uint64_t v) {
    return std::to_string(v);
}

std::string short_hex(const digest& d) {
    return d.hex().substr(0, 16);
}

}  // namespace

std::vector<recorded_checkpoint> checkpoints_in(const main_block& block,
                                                const database_id& database) {
    std::vector<recorded_checkpoint> out;
    for (const auto& t : block.transactions) {
        const auto* c = std::get_if<tx::shard_checkpoint>(&t.body);
        if (c == nullptr || c->database != database) continue;
        out.push_back(recorded_checkpoint{block.header.height, t.hash(), *c});
    }
    return out;
}

std::string_view audit_fault_name(audit_fault_kind kind) {
    switch (kind) {
        case audit_fault_kind::shard_block:
            return "shard_block";
        case audit_fault_kind::fork:
            return "fork";
        case audit_fault_kind::missing_block:
            return "missing_block";
        case audit_fault_kind::unreachable:
            return "unreachable";
        case audit_fault_kind::checkpoint_mismatch:
            return "checkpoint_mismatch";
        case audit_fault_kind::checkpoint_signatures:
            return "checkpoint_signatures";
        case audit_fault_kind::checkpoint_unreached:
            return "checkpoint_unreached";
    }
    COVENANT_ASSERT(false, "audit_fault_kind out of range");
    return {};
}

shard_chain_audit::shard_chain_audit(database_id database, group_history groups,
                                     std::vector<public_key> members,
                                     std::vector<recorded_checkpoint> checkpoints)
    : database_(database), groups_(std::move(groups)) {
    auto sorted = members;
    std::sort(sorted.begin(), sorted.end());
    COVENANT_ASSERT(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(),
                    "a member is audited once");
    for (const auto& m : members) {
        member_audit a;
        a.member = m;
        a.verified = shard_chain_head::before_first_block(database_);
        members_.push_back(std::move(a));
    }
    for (auto& c : checkpoints) {
        checkpoint_audit a;
        a.recorded = std::move(c);
        checkpoint_at_.emplace(a.recorded.checkpoint.height, checkpoints_.size());
        checkpoints_.push_back(std::move(a));
    }
}

member_audit& shard_chain_audit::member_state(const public_key& member) {
    auto at = std::find_if(members_.begin(), members_.end(),
                           [&](const member_audit& m) { return m.member == member; });
    COVENANT_ASSERT(at != members_.end(), "blocks fed for a member that is not audited");
    return *at;
}

std::optional<block_height> shard_chain_audit::next_height(const public_key& member) const {
    for (const auto& m : members_) {
        if (m.member != member) continue;
        if (m.finished || m.verified.height.value == block_height::max_value) return std::nullopt;
        return m.verified.height.next();
    }
    return std::nullopt;
}

void shard_chain_audit::on_blocks(const public_key& member, const std::vector<shard_block>& blocks,
                                  block_height claimed_head) {
    COVENANT_ASSERT(!finished_, "blocks fed after the audit finished");
    member_audit& m = member_state(member);
    if (m.finished) return;
    m.claimed_head = claimed_head;
    const block_height asked = m.verified.height.next();
    if (blocks.empty()) {
        if (claimed_head >= asked) {
            m.fault =
                audit_fault{audit_fault_kind::missing_block, member, asked, std::nullopt,
                            "the member does not serve its block at height " + text(asked.value) +
                                " although its head is at height " + text(claimed_head.value) +
                                " (damaged in its store, or withheld)"};
        }
        m.finished = true;
        forget_passed_heights();
        return;
    }
    for (const auto& block : blocks) {
        verify_block(m, block);
        if (m.finished) break;
    }
    forget_passed_heights();
}

void shard_chain_audit::verify_block(member_audit& m, const shard_block& block) {
    if (auto fault = verify_next_shard_block(m.verified, block, groups_)) {
        m.fault = audit_fault{audit_fault_kind::shard_block, m.member, fault->height, std::nullopt,
                              fault->reason};
        m.finished = true;
        return;
    }
    const block_height height = block.header.height;
    const digest hash = block.hash();
    auto seen = seen_.find(height);
    if (seen == seen_.end()) {
        seen_.emplace(height, std::make_pair(hash, m.member));
    } else if (seen->second.first != hash) {
        m.fault =
            audit_fault{audit_fault_kind::fork, m.member, height, std::nullopt,
                        "a valid block " + short_hex(hash) + " where member " +
                            seen->second.second.hex().substr(0, 16) + " holds block " +
                            short_hex(seen->second.first) + " (both signed by a quorum: a fork)"};
        m.finished = true;
        return;
    }
    m.verified = shard_chain_head::after(block);
    check_checkpoints(m, block);
}

void shard_chain_audit::check_checkpoints(member_audit& m, const shard_block& block) {
    auto range = checkpoint_at_.equal_range(block.header.height);
    for (auto it = range.first; it != range.second; ++it) {
        checkpoint_audit& c = checkpoints_[it->second];
        const auto& cp = c.recorded.checkpoint;
        const std::string where =
            "checkpoint recorded at main height " + text(c.recorded.main_height.value) + ": ";
        if (cp.database != database_) {
            c.fault = audit_fault{audit_fault_kind::checkpoint_mismatch, std::nullopt, cp.height,
                                  c.recorded.main_height, where + "of another database"};
            continue;
        }
        if (cp.head_hash != block.hash()) {
            if (!c.fault)
                c.fault = audit_fault{audit_fault_kind::checkpoint_mismatch, m.member, cp.height,
                                      c.recorded.main_height,
                                      where + "head " + short_hex(cp.head_hash) + ", but member " +
                                          m.member.hex().substr(0, 16) + "'s block is " +
                                          short_hex(block.hash())};
            continue;
        }
        if (cp.state_digest != block.header.state_digest) {
            if (!c.fault)
                c.fault =
                    audit_fault{audit_fault_kind::checkpoint_mismatch, m.member, cp.height,
                                c.recorded.main_height,
                                where + "state digest " + short_hex(cp.state_digest) +
                                    ", but the block's is " + short_hex(block.header.state_digest)};
            continue;
        }
        c.matched_by.push_back(m.member);
        if (c.signatures_verified || c.fault) continue;
        // The group that signed the block is the one whose quorum stands behind its checkpoint.
        const group& signers = shard_block_group(block, groups_);
        if (auto fault = signer_set_fault(cp.signatures, signers, signers.quorum(),
                                          crypto::sign_domain::shard_checkpoint,
                                          cp.checkpoint_signing_bytes())) {
            c.fault = audit_fault{audit_fault_kind::checkpoint_signatures, std::nullopt, cp.height,
                                  c.recorded.main_height, where + "signatures: " + *fault};
        } else {
            c.signatures_verified = true;
        }
    }
}

void shard_chain_audit::forget_passed_heights() {
    std::optional<block_height> lowest;
    for (const auto& m : members_)
        if (!m.finished && (!lowest || m.verified.height < *lowest)) lowest = m.verified.height;
    if (!lowest) {
        seen_.clear();
        return;
    }
    seen_.erase(seen_.begin(), seen_.upper_bound(*lowest));
}

void shard_chain_audit::on_unreadable(const public_key& member, const std::string& why) {
    COVENANT_ASSERT(!finished_, "a block fed after the audit finished");
    member_audit& m = member_state(member);
    if (m.finished) return;
    m.fault = audit_fault{audit_fault_kind::shard_block, member, m.verified.height.next(),
                          std::nullopt, "the stored block does not read back: " + why};
    m.finished = true;
    forget_passed_heights();
}

void shard_chain_audit::on_unreachable(const public_key& member, const std::string& why) {
    COVENANT_ASSERT(!finished_, "an answer fed after the audit finished");
    member_audit& m = member_state(member);
    if (m.finished) return;
    m.fault = audit_fault{audit_fault_kind::unreachable, member, m.verified.height.next(),
                          std::nullopt, why};
    m.finished = true;
    forget_passed_heights();
}

void shard_chain_audit::finish() {
    COVENANT_ASSERT(!finished_, "an audit finishes once");
    for (auto& m : members_)
        if (!m.finished) on_unreachable(m.member, "the audit ended before the member's chain did");
    finished_ = true;
    block_height highest;
    for (const auto& m : members_) highest = std::max(highest, m.verified.height);
    for (auto& c : checkpoints_) {
        if (c.fault || !c.matched_by.empty()) continue;
        c.fault =
            audit_fault{audit_fault_kind::checkpoint_unreached, std::nullopt,
                        c.recorded.checkpoint.height, c.recorded.main_height,
                        "checkpoint recorded at main height " + text(c.recorded.main_height.value) +
                            ": no member's verified chain reaches shard height " +
                            text(c.recorded.checkpoint.height.value) + " (the highest is " +
                            text(highest.value) + ")"};
    }
}

std::vector<audit_fault> shard_chain_audit::faults() const {
    std::vector<audit_fault> out;
    for (const auto& m : members_)
        if (m.fault) out.push_back(*m.fault);
    for (const auto& c : checkpoints_)
        if (c.fault) out.push_back(*c.fault);
    std::stable_sort(out.begin(), out.end(), [](const audit_fault& a, const audit_fault& b) {
        return std::make_tuple(a.height, a.kind) < std::make_tuple(b.height, b.kind);
    });
    return out;
}

std::optional<audit_fault> shard_chain_audit::first_fault() const {
    auto all = faults();
    if (all.empty()) return std::nullopt;
    return all.front();
}

}  // namespace covenant::protocols
