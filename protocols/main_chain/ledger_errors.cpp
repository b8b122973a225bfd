// Messages for ledger_errc.
#include "protocols/main_chain/ledger_errors.hpp"

#include <string>

namespace covenant::main_chain {
namespace {
class category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "ledger"; }
    std::string message(int value) const override {
        switch (static_cast<ledger_errc>(value)) {
            case ledger_errc::bad_signature:
                return "bad signature";
            case ledger_errc::bad_nonce:
                return "wrong nonce";
            case ledger_errc::fee_too_low:
                return "fee too low";
            case ledger_errc::insufficient_funds:
                return "insufficient funds";
            case ledger_errc::invalid_value:
                return "invalid value";
            case ledger_errc::unknown_account:
                return "unknown account";
            case ledger_errc::unknown_miner:
                return "unknown miner";
            case ledger_errc::unknown_database:
                return "unknown database";
            case ledger_errc::not_authorized:
                return "not authorized";
            case ledger_errc::not_member:
                return "not a member";
            case ledger_errc::stale:
                return "stale";
            case ledger_errc::no_quorum:
                return "no quorum";
            case ledger_errc::not_a_conflict:
                return "not a conflict";
            case ledger_errc::already_applied:
                return "already applied";
            case ledger_errc::insufficient_work:
                return "node id lacks proof of work";
            case ledger_errc::no_miners:
                return "not enough eligible miners";
            case ledger_errc::overflow:
                return "amount overflow";
            case ledger_errc::block_mismatch:
                return "block header does not match its transactions";
        }
        return "unknown ledger error";
    }
};
}  // namespace

const std::error_category& ledger_category() {
    static const category instance;
    return instance;
}

}  // namespace covenant::main_chain
