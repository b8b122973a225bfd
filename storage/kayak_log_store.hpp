// The Kayak log of one replica in SQLite (WAL, synchronous=FULL): the view, the batches
// it accepted and the locks it holds, every committed batch with its commit certificate,
// and evidence. Each save is one transaction, fsynced before it returns, so a vote is only
// ever sent for state that survives a crash; within a group (kayak::log_store) the saves
// share one transaction, fsynced when the group ends. The WAL is checkpointed by a thread of
// its own (wal_checkpointer.hpp), not by the replica's commits. Records are stored as their Cap'n Proto
// encodings and decoded (and so validated again) when read back: a damaged file is found
// out, not trusted. A batch's bytes are written once: the row that accepted it stays as the
// committed batch's bytes (its commit record then holds an empty batch column).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "common/result.hpp"
#include "protocols/kayak/ports.hpp"
#include "storage/wal_checkpointer.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace covenant::storage {

class kayak_log_store final : public kayak::log_store {
public:
    static result<std::unique_ptr<kayak_log_store>> open(const std::string& path);
    ~kayak_log_store() override;
    kayak_log_store(const kayak_log_store&) = delete;
    kayak_log_store& operator=(const kayak_log_store&) = delete;

    void begin_group() override;
    void end_group() override;
    void sync() override;
    kayak::recovered_log recover() override;
    void save_view(view_number view) override;
    void save_view_started(view_number view) override;
    void save_accepted(view_number view, const protocols::batch& batch) override;
    void save_prepared(const protocols::certificate& prepare_certificate) override;
    void save_committed(const protocols::batch& batch,
                        const protocols::certificate& commit_certificate) override;
    std::vector<protocols::committed_batch> load_committed(sequence_number from,
                                                           std::size_t count) override;
    void save_evidence(const protocols::tx::evidence& evidence) override;
    void save_entry(const kayak::pending_entry& entry) override;
    void save_speculative(sequence_number seq, const kayak::speculative_execution& execution) override;
    std::vector<kayak::pending_entry> load_entries(sequence_number from) override;

    std::size_t evidence_count();
    /// The background checkpoints of the log file (wal_checkpointer.hpp).
    wal_checkpointer::status checkpoint_status() const { return checkpointer_->current_status(); }

private:
    kayak_log_store(sqlite3* db, std::unique_ptr<wal_checkpointer> checkpointer)
        : db_(db), checkpointer_(std::move(checkpointer)) {}
    /// The statement for `sql` (a string literal: kept by its address), prepared on first use.
    sqlite3_stmt* prepared(const char* sql);
    /// A transaction; nested ones (a save inside a group) join the outermost.
    void begin();
    void commit();
    sqlite3* db_;
    int transaction_depth_ = 0;
    std::unique_ptr<wal_checkpointer> checkpointer_;
    std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace covenant::storage
