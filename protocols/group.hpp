// The members of one replication group (a database's miners, or the block producers), and
// the arithmetic of Byzantine quorums over them (DESIGN.md section 2):
//   f = floor((n-1)/3) faulty members tolerated, q = floor((n+f)/2) + 1 make a quorum
//   (n=4: f=1, q=3; n=3: f=0, q=2; n=1: q=1). Any two quorums share an honest member.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/assert.hpp"
#include "common/ids.hpp"
#include "crypto/signing.hpp"
#include "protocols/sql_messages.hpp"

namespace covenant::protocols {

class group {
public:
    group() = default;
    /// Members in their agreed order (the order decides leaders); no duplicates.
    explicit group(std::vector<public_key> members) : members_(std::move(members)) {
        COVENANT_ASSERT(!members_.empty(), "a group has at least one member");
        auto sorted = members_;
        std::sort(sorted.begin(), sorted.end());
        COVENANT_ASSERT(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(),
                        "a group lists each member once");
    }

    std::size_t size() const { return members_.size(); }
    std::size_t faults_tolerated() const { return (size() - 1) / 3; }
    std::size_t quorum() const { return (size() + faults_tolerated()) / 2 + 1; }
    /// f + 1: enough that at least one is honest.
    std::size_t one_honest() const { return faults_tolerated() + 1; }

    const std::vector<public_key>& members() const { return members_; }
    const public_key& leader(view_number view) const {
        return members_[static_cast<std::size_t>(view.value % members_.size())];
    }
    bool contains(const public_key& key) const {
        return std::find(members_.begin(), members_.end(), key) != members_.end();
    }
    std::optional<std::size_t> index_of(const public_key& key) const {
        auto at = std::find(members_.begin(), members_.end(), key);
        if (at == members_.end()) return std::nullopt;
        return static_cast<std::size_t>(at - members_.begin());
    }

    friend bool operator==(const group& a, const group& b) { return a.members_ == b.members_; }

private:
    std::vector<public_key> members_;
};

/// Why a certificate does not prove its slot for this group, or nullopt if it does: it
/// needs votes from at least a quorum of distinct members of the group, each a valid
/// signature of the certificate's phase over its slot. (Decoders already checked the
/// signatures of certificates that came off the wire; data read back from storage or
/// built in memory is checked again here.)
std::optional<std::string> certificate_fault(const certificate& cert, const group& members,
                                             bool check_signatures = true);

/// Why a set of signatures over `signed_bytes` (domain `domain`) is not from at least
/// `needed` distinct members, or nullopt if it is.
std::optional<std::string> signer_set_fault(const std::vector<signer_signature>& signatures,
                                            const group& members, std::size_t needed,
                                            crypto::sign_domain domain, byte_view signed_bytes,
                                            bool check_signatures = true);

}  // namespace covenant::protocols
