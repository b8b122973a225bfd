// A Kayak log kept in memory: for unit tests and the simulator. It outlives the replica
// that uses it, so a test can "crash" a replica (destroy it) and start a new one on the
// same log, which then holds exactly what the real store would have fsynced.
#pragma once

#include <map>
#include <set>
#include <utility>

#include "protocols/kayak/ports.hpp"

namespace covenant::kayak {

class memory_log_store final : public log_store {
public:
    recovered_log recover() override {
        recovered_log out;
        out.view = view_;
        out.started_view = started_view_;
        if (!committed_.empty()) {
            const auto& last = committed_.rbegin()->second;
            out.last_committed = last.batch.header.seq;
            out.last_committed_hash = last.batch.hash();
            out.last_committed_timestamp_ms = last.batch.header.timestamp_ms;
        }
        for (const auto& [seq, slot] : accepted_)
            if (seq > out.last_committed) out.accepted.emplace(seq, slot);
        out.speculative = speculative_;
        return out;
    }
    void save_view(view_number view) override { view_ = view; }
    void save_view_started(view_number view) override { started_view_ = view; }
    void save_accepted(view_number view, const protocols::batch& batch) override {
        accepted_history_[{view, batch.header.seq}].insert(batch.hash());
        auto& slot = accepted_[batch.header.seq];
        if (slot.batch.hash() != batch.hash()) slot.prepared.reset();
        slot.batch = batch;
        slot.view = view;
    }
    void save_prepared(const protocols::certificate& prepare_certificate) override {
        auto it = accepted_.find(prepare_certificate.seq);
        if (it != accepted_.end() && it->second.batch.hash() == prepare_certificate.batch_hash)
            it->second.prepared = prepare_certificate;
    }
    void save_committed(const protocols::batch& batch,
                        const protocols::certificate& commit_certificate) override {
        committed_[batch.header.seq] = protocols::committed_batch{batch, commit_certificate};
        accepted_.erase(batch.header.seq);
    }
    std::vector<protocols::committed_batch> load_committed(sequence_number from,
                                                           std::size_t count) override {
        std::vector<protocols::committed_batch> out;
        for (auto it = committed_.lower_bound(from); it != committed_.end() && out.size() < count; ++it)
            out.push_back(it->second);
        return out;
    }
    void save_evidence(const protocols::tx::evidence& evidence) override {
        evidence_.push_back(evidence);
    }

    void save_entry(const pending_entry& entry) override { entries_[entry.entry.seq] = entry; }
    void save_speculative(sequence_number seq, const speculative_execution& execution) override {
        speculative_[seq] = execution;
    }
    std::vector<pending_entry> load_entries(sequence_number from) override {
        std::vector<pending_entry> out;
        for (auto it = entries_.lower_bound(from); it != entries_.end(); ++it) out.push_back(it->second);
        return out;
    }

    const std::vector<protocols::tx::evidence>& evidence() const { return evidence_; }
    std::size_t committed_count() const { return committed_.size(); }
    /// Every batch this member accepted (voted for, or proposed) by (view, seq), for
    /// checkers: an honest member accepts one batch per slot, two are conflicting votes.
    const std::map<std::pair<view_number, sequence_number>, std::set<digest>>& accepted_history() const {
        return accepted_history_;
    }

private:
    view_number view_;
    view_number started_view_;
    std::map<sequence_number, accepted_slot> accepted_;
    std::map<sequence_number, protocols::committed_batch> committed_;
    std::vector<protocols::tx::evidence> evidence_;
    std::map<sequence_number, pending_entry> entries_;
    std::map<sequence_number, speculative_execution> speculative_;
    std::map<std::pair<view_number, sequence_number>, std::set<digest>> accepted_history_;
};

/// A shard chain kept in memory, with the same refusal rule as the SQLite store.
class memory_block_store final : public block_store {
public:
    std::optional<protocols::shard_chain_head> head() const override { return head_; }
    bool append(const protocols::shard_block& block) override {
        const auto current =
            head_ ? *head_ : protocols::shard_chain_head::before_first_block(block.header.database);
        if (protocols::shard_block_link_fault(current, block)) return false;
        blocks_.push_back(block);
        head_ = protocols::shard_chain_head::after(block);
        return true;
    }
    std::vector<protocols::shard_block> load(block_height from_height, std::size_t count) const override {
        std::vector<protocols::shard_block> out;
        for (std::uint64_t h = from_height.value; h <= blocks_.size() && out.size() < count; ++h)
            out.push_back(blocks_[h - 1]);
        return out;
    }
    const std::vector<protocols::shard_block>& blocks() const { return blocks_; }

private:
    std::optional<protocols::shard_chain_head> head_;
    std::vector<protocols::shard_block> blocks_;
};

}  // namespace covenant::kayak
