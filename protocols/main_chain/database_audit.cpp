// Re-verifying the main chain for one database's audit (see database_audit.hpp).
#include "protocols/main_chain/database_audit.hpp"

#include <system_error>

namespace covenant::main_chain {

result<database_audit> database_audit::start(const genesis& g, const database_id& database) {
    if (auto fault = producer_set_fault(g.initial_producers))
        return error{std::make_error_code(std::errc::invalid_argument), "genesis: " + *fault};
    auto built = ledger::from_genesis(g);
    if (!built) return built.failure();
    return database_audit(database, std::move(built).value());
}

database_audit::database_audit(const database_id& database, ledger start)
    : database_(database),
      follower_(std::make_unique<chain_follower>(std::move(start), std::nullopt)) {}

std::optional<digest> database_audit::head_hash() const {
    if (!follower_->head()) return std::nullopt;
    return follower_->head()->hash;
}

bool database_audit::on_blocks(const std::vector<protocols::main_block>& blocks) {
    if (fault_) return false;
    for (const auto& block : blocks) {
        // One at a time, so the database's record is taken after each block that changed it.
        auto outcome = follower_->on_final_blocks({block});
        if (outcome.refusal) {
            fault_ = main_chain_fault{follower_->height().next(), *outcome.refusal};
            return false;
        }
        for (const auto& applied : outcome.applied) {
            auto found = protocols::checkpoints_in(applied, database_);
            checkpoints_.insert(checkpoints_.end(), found.begin(), found.end());
            const auto* now = follower_->state().database(database_);
            listed_now_ = now != nullptr;
            if (now != nullptr) record_ = *now;
        }
    }
    return true;
}

}  // namespace covenant::main_chain
