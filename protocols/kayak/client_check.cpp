// Client-side checks of responses (see client_check.hpp).
#include "protocols/kayak/client_check.hpp"

#include <algorithm>

#include "protocols/merkle.hpp"

namespace covenant::kayak {

using namespace protocols;

namespace {
std::optional<std::string> answer_fault(const client_response& response, const digest& request_hash) {
    if (response.request_hash != request_hash) return std::string("answer to another request");
    if (!response.signature_valid()) return std::string("responder's signature does not verify");
    return std::nullopt;
}
}  // namespace

std::optional<std::string> read_response_fault(const client_response& response,
                                               const digest& request_hash,
                                               const group_history& groups) {
    if (!groups.latest().contains(response.responder))
        return std::string("responder is not a member");
    return answer_fault(response, request_hash);
}

std::optional<std::string> write_response_fault(const client_response& response,
                                                const digest& request_hash,
                                                const group_history& groups) {
    if (std::holds_alternative<rejection>(response.body))  // nothing claimed
        return read_response_fault(response, request_hash, groups);
    if (!response.receipt) return std::string("a write outcome without a receipt");
    const auto& w = *response.receipt;
    // Groups in force from the commit on: the batch's answer may come from a member of
    // any of them (the one that committed it, or a later one that executed it).
    const auto vouching_groups = groups.since(w.commit_certificate.view);
    if (std::none_of(vouching_groups.begin(), vouching_groups.end(),
                     [&](const group* g) { return g->contains(response.responder); }))
        return std::string("responder is not a member");
    if (auto fault = answer_fault(response, request_hash)) return fault;
    const auto& outcome = std::get<request_outcome>(response.body);
    if (outcome.request_hash != request_hash) return std::string("outcome of another request");
    const auto root = merkle_root_from_path(outcome.hash(), w.leaf_index, w.leaf_count, w.path);
    if (!root || *root != w.results_root) return std::string("outcome is not in the results root");
    if (w.commit_certificate.phase != vote_phase::commit || w.commit_certificate.seq != w.seq ||
        w.commit_certificate.batch_hash != w.batch_hash ||
        w.commit_certificate.database != response.database)
        return std::string("commit certificate is for another batch");
    if (auto fault = certificate_fault(w.commit_certificate, groups))
        return "commit certificate: " + *fault;
    const bytes executed = execution_signing_bytes(response.database, w.view, w.seq, w.batch_hash,
                                                   w.results_root, w.state_digest);
    // f+1 signers of one group: at least one of them honest, whichever group it is.
    std::optional<std::string> fault;
    for (const group* g : vouching_groups) {
        fault = signer_set_fault(w.executions, *g, g->one_honest(),
                                 crypto::sign_domain::kayak_execution, executed);
        if (!fault) return std::nullopt;
    }
    return "execution signatures: " + *fault;
}

}  // namespace covenant::kayak
