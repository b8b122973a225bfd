// The messages between a client and a database's members: signed SQL requests, and
// responses with typed results and the proofs a client checks. Plain structs; the wire
// form is protocols/schema/sql.capnp and the codec is protocols/codec.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.hpp"
#include "common/ids.hpp"
#include "protocols/signed_batch.hpp"

namespace covenant::crypto {
class key_pair;
}

namespace covenant::protocols {

class canonical_writer;

/// A SQLite value: NULL, 64-bit integer, double, UTF-8 text or blob.
struct sql_value {
    struct null_t {
        friend bool operator==(null_t, null_t) { return true; }
    };
    std::variant<null_t, std::int64_t, double, std::string, bytes> value;

    static sql_value null() { return {null_t{}}; }
    static sql_value integer(std::int64_t v) { return {v}; }
    static sql_value real(double v) { return {v}; }
    static sql_value text(std::string v) { return {std::move(v)}; }
    static sql_value blob(bytes v) { return {std::move(v)}; }
    bool is_null() const { return value.index() == 0; }

    friend bool operator==(const sql_value& a, const sql_value& b) { return a.value == b.value; }
    friend bool operator!=(const sql_value& a, const sql_value& b) { return !(a == b); }
};

struct sql_parameter {
    std::string name;  // empty: positional
    sql_value value;
    friend bool operator==(const sql_parameter& a, const sql_parameter& b) {
        return a.name == b.name && a.value == b.value;
    }
};

/// One statement: its SQL and its parameters, or several sets of them (`parameter_sets`,
/// with `parameters` empty): the statement then runs once per set, in order, prepared once,
/// and gives one result (the rows of every run in order, the affected rows summed, the last
/// run's insert id). A request inserting 100 rows sends its INSERT once with 100 sets,
/// not 100 statements: one text to carry, check and hash, one result to keep and prove.
struct sql_statement {
    std::string sql;
    std::vector<sql_parameter> parameters;
    std::vector<std::vector<sql_parameter>> parameter_sets = {};
    /// How many times the statement runs: once, or once per parameter set. Billing counts these.
    std::size_t runs() const { return parameter_sets.empty() ? 1 : parameter_sets.size(); }
    friend bool operator==(const sql_statement& a, const sql_statement& b) {
        return a.sql == b.sql && a.parameters == b.parameters &&
               a.parameter_sets == b.parameter_sets;
    }
};

enum class query_kind : std::uint8_t { read, write };

/// A client's signed request against one database.
struct client_request {
    database_id database;
    public_key client;
    client_sequence sequence;
    std::int64_t timestamp_ms = 0;
    query_kind kind = query_kind::write;
    std::vector<sql_statement> statements;
    signature client_signature;
    /// Where the request sits among those its client signed at once (sign_requests); alone
    /// when it was signed by itself.
    batch_position signed_at;

    /// Canonical bytes of everything but the signature and its position.
    bytes signing_bytes() const;
    /// The request's identity: hash of its signing bytes.
    digest hash() const;
    void sign(const crypto::key_pair& client_key);
    bool signature_valid() const;
    /// The same, given this request's signing_bytes() and hash() (a decoder has them).
    bool signature_valid(const bytes& signing_bytes, const digest& hash) const;

    friend bool operator==(const client_request& a, const client_request& b);
};

struct statement_result {
    std::vector<std::string> columns;
    std::vector<std::vector<sql_value>> rows;
    std::uint64_t affected_rows = 0;
    std::int64_t last_insert_id = 0;
    friend bool operator==(const statement_result& a, const statement_result& b) {
        return a.columns == b.columns && a.rows == b.rows && a.affected_rows == b.affected_rows &&
               a.last_insert_id == b.last_insert_id;
    }
};

/// A request that executed and failed: nothing of it applied.
struct sql_failure {
    std::uint32_t statement_index = 0;
    std::int32_t code = 0;  // SQLite's extended result code, or Covenant's own refusal code
    std::string message;
    friend bool operator==(const sql_failure& a, const sql_failure& b) {
        return a.statement_index == b.statement_index && a.code == b.code &&
               a.message == b.message;
    }
};

/// What executing one request produced.
struct request_outcome {
    digest request_hash;
    std::variant<std::vector<statement_result>, sql_failure> body;

    /// Hash of the canonical outcome: the leaf of a batch's results tree.
    digest hash() const;
    friend bool operator==(const request_outcome& a, const request_outcome& b) {
        return a.request_hash == b.request_hash && a.body == b.body;
    }
};

/// One member's signature, as gathered into certificates and signature lists.
struct signer_signature {
    public_key signer;
    signature sig;
    friend bool operator==(const signer_signature& a, const signer_signature& b) {
        return a.signer == b.signer && a.sig == b.sig;
    }
};

enum class vote_phase : std::uint8_t { prepare, commit };

/// q members' votes of one phase on one (database, view, seq, batch hash).
struct certificate {
    vote_phase phase = vote_phase::prepare;
    database_id database;
    view_number view;
    sequence_number seq;
    digest batch_hash;
    std::vector<signer_signature> votes;  // sorted by signer, strictly ascending

    /// What each vote signs (the vote's signing bytes).
    bytes vote_signing_bytes() const;
    friend bool operator==(const certificate& a, const certificate& b);
};

/// Strong-mode proof that a write committed with exactly these results.
struct write_receipt {
    view_number view;
    sequence_number seq;
    digest batch_hash;
    certificate commit_certificate;
    digest results_root;
    digest state_digest;
    std::uint32_t leaf_index = 0;
    std::uint32_t leaf_count = 0;
    std::vector<digest> path;
    std::vector<signer_signature> executions;  // over the execution signing bytes

    friend bool operator==(const write_receipt& a, const write_receipt& b);
};

enum class rejection_reason : std::uint8_t {
    malformed,
    bad_signature,
    not_permitted,
    stale_sequence,
    not_leader,
    overloaded,
    unknown_database,
    out_of_funds,
    nondeterministic,
    unavailable,
};
inline constexpr std::uint8_t rejection_reason_count = 10;

struct rejection {
    rejection_reason reason = rejection_reason::malformed;
    std::string message;
    std::optional<public_key> leader_hint;
    friend bool operator==(const rejection& a, const rejection& b) {
        return a.reason == b.reason && a.message == b.message && a.leader_hint == b.leader_hint;
    }
};

/// A member's signed answer to one request.
struct client_response {
    database_id database;
    digest request_hash;
    public_key responder;
    sequence_number state_seq;
    digest state_digest;
    std::variant<rejection, request_outcome> body;
    std::optional<write_receipt> receipt;
    signature responder_signature;
    /// Where the answer sits among those its responder signed at once (sign_responses).
    batch_position signed_at;

    /// Canonical bytes of everything but the signature and its position.
    bytes signing_bytes() const;
    void sign(const crypto::key_pair& member_key);
    bool signature_valid() const;
    friend bool operator==(const client_response& a, const client_response& b);
};

/// Signs requests of one client (every one's `client` is the key's) with one signature
/// over the Merkle root of their hashes; one request is signed by itself.
void sign_requests(std::vector<client_request*> requests, const crypto::key_pair& client_key);
/// Signs a member's answers (every one's `responder` is the key's) with one signature over
/// the Merkle root of their signing bytes' hashes; one answer is signed by itself.
void sign_responses(std::vector<client_response*> responses, const crypto::key_pair& member_key);

/// The bytes a member signs for a batch's execution (domain kayak/execution); shared by
/// Kayak's execution message and write receipts.
bytes execution_signing_bytes(const database_id& database, view_number view,
                              sequence_number seq, const digest& batch_hash,
                              const digest& results_root, const digest& state_digest);

void write_canonical(canonical_writer& out, const sql_value& v);
void write_canonical(canonical_writer& out, const client_request& r);  // without signature
/// In a request's canonical bytes, where a statement's parameter count would be: the
/// statement's parameter sets follow (u32 count, then each set as count and parameters).
inline constexpr std::uint32_t parameter_sets_marker = 0xFFFFFFFFu;
/// How many statement runs a request asks for (each statement once, or once per set).
std::size_t statement_runs(const client_request& r);
void write_canonical(canonical_writer& out, const request_outcome& o);
void write_canonical(canonical_writer& out, const certificate& c);

}  // namespace covenant::protocols
