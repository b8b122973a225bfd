// Kayak's messages: batches, proposals, votes, certificates, executions, suspicions,
// view changes and catch-up. Plain structs; wire form in protocols/schema/kayak.capnp.
#pragma once

#include <optional>
#include <vector>

#include "protocols/sql_messages.hpp"

namespace covenant::protocols {

/// A batch's header. Its hash is the batch's identity; the view is not part of it, so a
/// batch re-proposed in a later view keeps its hash (votes carry the view instead).
struct batch_header {
    database_id database;
    sequence_number seq;
    digest parent;
    std::int64_t timestamp_ms = 0;
    digest requests_root;
    std::uint32_t request_count = 0;
    bool seals_block = false;  // the shard-chain block ends with this batch

    /// The batch hash: hash of the canonical header (which commits to the requests).
    digest hash() const;
    friend bool operator==(const batch_header& a, const batch_header& b);
};

struct batch {
    batch_header header;
    std::vector<client_request> requests;
    /// Each request's hash, in order, where whoever built or decoded the batch had them
    /// (seal_header and the decoder fill it in): members do not hash every request again
    /// to execute, commit or track it. Neither on the wire nor part of equality; of another
    /// length than requests, it is unknown. Whoever changes requests reseals the header.
    std::vector<digest> request_hashes;

    /// requests[i].hash(): the one known, or computed.
    digest request_hash(std::size_t i) const;
    /// Sets requests_root and request_count from the requests, and request_hashes.
    void seal_header();
    /// The same from request_hashes as they are, which whoever built the batch filled in
    /// with each request's hash (asserted to be one per request).
    void seal_header_from_request_hashes();
    digest hash() const { return header.hash(); }
    friend bool operator==(const batch& a, const batch& b) {
        return a.header == b.header && a.requests == b.requests;
    }
};

struct proposal {
    database_id database;
    view_number view;
    sequence_number seq;
    digest batch_hash;
    public_key leader;
    signature leader_signature;

    bytes signing_bytes() const;
    void sign(const crypto::key_pair& leader_key);
    bool signature_valid() const;
    friend bool operator==(const proposal& a, const proposal& b);
};

struct prepare_message {
    proposal proposed;
    struct batch batch;
    std::optional<certificate> last_commit;
    /// A prepare certificate for this batch from an earlier view (re-proposals only).
    std::optional<certificate> justification;
    friend bool operator==(const prepare_message& a, const prepare_message& b) {
        return a.proposed == b.proposed && a.batch == b.batch && a.last_commit == b.last_commit &&
               a.justification == b.justification;
    }
};

struct vote {
    vote_phase phase = vote_phase::prepare;
    database_id database;
    view_number view;
    sequence_number seq;
    digest batch_hash;
    public_key voter;
    signature voter_signature;

    bytes signing_bytes() const;
    void sign(const crypto::key_pair& voter_key);
    bool signature_valid() const;
    friend bool operator==(const vote& a, const vote& b);
};

struct commit_message {
    certificate prepare_certificate;
    friend bool operator==(const commit_message& a, const commit_message& b) {
        return a.prepare_certificate == b.prepare_certificate;
    }
};

struct execution_message {
    database_id database;
    view_number view;
    sequence_number seq;
    digest batch_hash;
    digest results_root;
    digest state_digest;
    public_key signer;
    signature signer_signature;

    bytes signing_bytes() const;
    void sign(const crypto::key_pair& member_key);
    bool signature_valid() const;
    friend bool operator==(const execution_message& a, const execution_message& b);
};

struct suspect_message {
    database_id database;
    view_number view;
    sequence_number last_committed;
    public_key member;
    signature member_signature;

    bytes signing_bytes() const;
    void sign(const crypto::key_pair& member_key);
    bool signature_valid() const;
    friend bool operator==(const suspect_message& a, const suspect_message& b);
};

struct prepared_batch {
    certificate prepare_certificate;
    struct batch batch;
    friend bool operator==(const prepared_batch& a, const prepared_batch& b) {
        return a.prepare_certificate == b.prepare_certificate && a.batch == b.batch;
    }
};

struct new_view_message {
    database_id database;
    view_number new_view;
    sequence_number last_committed;
    public_key member;
    std::vector<prepared_batch> prepared;  // above last_committed, ascending by seq
    signature member_signature;

    bytes signing_bytes() const;
    void sign(const crypto::key_pair& member_key);
    bool signature_valid() const;
    friend bool operator==(const new_view_message& a, const new_view_message& b);
};

struct fetch_batches {
    database_id database;
    sequence_number from_seq;
    std::uint32_t count = 0;
    friend bool operator==(const fetch_batches& a, const fetch_batches& b) {
        return a.database == b.database && a.from_seq == b.from_seq && a.count == b.count;
    }
};

struct committed_batch {
    struct batch batch;
    certificate commit_certificate;
    friend bool operator==(const committed_batch& a, const committed_batch& b) {
        return a.batch == b.batch && a.commit_certificate == b.commit_certificate;
    }
};

struct fetch_reply {
    database_id database;
    std::vector<committed_batch> batches;
    friend bool operator==(const fetch_reply& a, const fetch_reply& b) {
        return a.database == b.database && a.batches == b.batches;
    }
};

/// Signs a vote's bytes into a certificate entry (for building certificates in tests and
/// state machines); the certificate must have its slot fields set.
signer_signature sign_certificate_vote(const certificate& cert, const crypto::key_pair& voter);

}  // namespace covenant::protocols
