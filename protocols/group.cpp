// Quorum checks of certificates and signature sets against a group's members.
#include "protocols/group.hpp"

#include <set>

#include "crypto/signing.hpp"

namespace covenant::protocols {

std::optional<std::string> signer_set_fault(const std::vector<signer_signature>& signatures,
                                            const group& members, std::size_t needed,
                                            crypto::sign_domain domain, byte_view signed_bytes,
                                            bool check_signatures) {
    std::set<public_key> counted;
    for (const auto& s : signatures) {
        if (!members.contains(s.signer)) continue;  // a non-member's signature counts for nothing
        if (check_signatures && !crypto::verify(s.signer, domain, signed_bytes, s.sig))
            return "bad signature by member " + s.signer.hex();
        counted.insert(s.signer);
    }
    if (counted.size() < needed)
        return std::to_string(counted.size()) + " distinct members signed, " +
               std::to_string(needed) + " needed";
    return std::nullopt;
}

std::optional<std::string> certificate_fault(const certificate& cert, const group& members,
                                             bool check_signatures) {
    const auto domain = cert.phase == vote_phase::prepare ? crypto::sign_domain::kayak_prepare_vote
                                                          : crypto::sign_domain::kayak_commit_vote;
    auto fault = signer_set_fault(cert.votes, members, members.quorum(), domain,
                                  cert.vote_signing_bytes(), check_signatures);
    if (fault) return "certificate for seq " + std::to_string(cert.seq.value) + ": " + *fault;
    return std::nullopt;
}

}  // namespace covenant::protocols
