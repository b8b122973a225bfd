// Client-side checks of responses (see client_check.hpp).
#include "protocols/kayak/client_check.hpp"

#include "protocols/merkle.hpp"

namespace covenant::kayak {

using namespace protocols;

std::optional<std::string> read_response_fault(const client_response& response,
                                               const digest& request_hash, const group& members) {
    if (response.request_hash != request_hash) return std::string("answer to another request");
    if (!members.contains(response.responder)) return std::string("responder is not a member");
    if (!response.signature_valid()) return std::string("responder's signature does not verify");
    return std::nullopt;
}

std::optional<std::string> write_response_fault(const client_response& response,
                                                const digest& request_hash, const group& members) {
    if (auto fault = read_response_fault(response, request_hash, members)) return fault;
    if (std::holds_alternative<rejection>(response.body)) return std::nullopt;  // nothing claimed
    if (!response.receipt) return std::string("a write outcome without a receipt");
    const auto& w = *response.receipt;
    const auto& outcome = std::get<request_outcome>(response.body);
    if (outcome.request_hash != request_hash) return std::string("outcome of another request");
    const auto root = merkle_root_from_path(outcome.hash(), w.leaf_index, w.leaf_count, w.path);
    if (!root || *root != w.results_root) return std::string("outcome is not in the results root");
    if (w.commit_certificate.phase != vote_phase::commit || w.commit_certificate.seq != w.seq ||
        w.commit_certificate.batch_hash != w.batch_hash ||
        w.commit_certificate.database != response.database)
        return std::string("commit certificate is for another batch");
    if (auto fault = certificate_fault(w.commit_certificate, members))
        return "commit certificate: " + *fault;
    const bytes executed = execution_signing_bytes(response.database, w.view, w.seq, w.batch_hash,
                                                   w.results_root, w.state_digest);
    if (auto fault = signer_set_fault(w.executions, members, members.one_honest(),
                                      crypto::sign_domain::kayak_execution, executed))
        return "execution signatures: " + *fault;
    return std::nullopt;
}

}  // namespace covenant::kayak
