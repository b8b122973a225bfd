// Plugs the SQL executor into a Kayak replica: the replica's batch_executor port served by
// a real SQLite database (storage::sql_executor).
#pragma once

#include <memory>

#include "protocols/kayak/ports.hpp"
#include "storage/sql_executor.hpp"

namespace covenant::storage {

class sql_batch_executor final : public kayak::batch_executor {
public:
    explicit sql_batch_executor(std::unique_ptr<sql_executor> executor)
        : executor_(std::move(executor)) {}

    sequence_number applied_seq() const override { return executor_->applied_seq(); }
    digest state_digest() const override { return executor_->state_digest(); }

    kayak::execution_result execute(const protocols::batch& b, std::int64_t timestamp_ms) override {
        auto done = executor_->execute_batch(b.header.seq, batch_context{timestamp_ms, b.hash()},
                                             b.requests, b.request_hashes);
        return {std::move(done.outcomes), done.results_root, done.state_digest};
    }

    protocols::request_outcome read(const protocols::client_request& request,
                                    std::int64_t timestamp_ms) override {
        // A read is seeded by its own request hash: random() in a read is the member's
        // own business, but still reproducible.
        return executor_->execute_read(request, batch_context{timestamp_ms, request.hash()});
    }

    std::optional<std::string> refusal_reason(
        const protocols::client_request& request) const override {
        return sql_executor::refusal_reason(request);
    }

    sql_executor& sql() { return *executor_; }

private:
    std::unique_ptr<sql_executor> executor_;
};

}  // namespace covenant::storage
