// Canonical bytes, hashes and signatures of the client messages.
#include "protocols/sql_messages.hpp"

#include "common/assert.hpp"
#include "crypto/hash.hpp"
#include "crypto/signing.hpp"
#include "protocols/canonical.hpp"

namespace covenant::protocols {

using crypto::sign_domain;

namespace {

// A request and an answer are signed alike (protocols/signed_batch.hpp): alone over their
// signing bytes, or together over the Merkle root of those bytes' hashes (a request's hash).

template <class Message>
bool signed_validly(const Message& m, const public_key& signer, const signature& sig,
                    sign_domain own_domain, sign_domain batch_domain) {
    const bytes signed_bytes = m.signing_bytes();
    return batch_signature_valid(signer, own_domain, batch_domain, signed_bytes,
                                 m.signed_at.alone() ? digest{} : crypto::hash(signed_bytes),
                                 m.signed_at, sig);
}

template <class Message>
void sign_together(std::vector<Message*> messages, const crypto::key_pair& key,
                   sign_domain batch_domain, public_key Message::*signer,
                   signature Message::*signature_field) {
    if (messages.size() == 1) messages.front()->sign(key);  // checks the signer itself
    if (messages.size() <= 1) return;
    std::vector<digest> hashes;
    hashes.reserve(messages.size());
    for (const auto* m : messages) {
        COVENANT_ASSERT(m->*signer == key.public_key(), "a message signed by a key not its signer's");
        hashes.push_back(crypto::hash(m->signing_bytes()));
    }
    auto signing = sign_batch(key, batch_domain, hashes);
    for (std::size_t i = 0; i < messages.size(); ++i) {
        messages[i]->*signature_field = signing.sig;
        messages[i]->signed_at = std::move(signing.positions[i]);
    }
}

}  // namespace

void write_canonical(canonical_writer& out, const sql_value& v) {
    out.u8(static_cast<std::uint8_t>(v.value.index()));
    switch (v.value.index()) {
        case 0: break;
        case 1: out.i64(std::get<1>(v.value)); break;
        case 2: out.f64(std::get<2>(v.value)); break;
        case 3: out.text(std::get<3>(v.value)); break;
        case 4: out.data(std::get<4>(v.value)); break;
        default: COVENANT_ASSERT(false, "sql_value alternative out of range");
    }
}

void write_canonical(canonical_writer& out, const client_request& r) {
    out.fixed(r.database).fixed(r.client).count(r.sequence).i64(r.timestamp_ms);
    out.u8(static_cast<std::uint8_t>(r.kind));
    out.u32(static_cast<std::uint32_t>(r.statements.size()));
    auto write_parameters = [&out](const std::vector<sql_parameter>& parameters) {
        out.u32(static_cast<std::uint32_t>(parameters.size()));
        for (const auto& parameter : parameters) {
            out.text(parameter.name);
            write_canonical(out, parameter.value);
        }
    };
    for (const auto& statement : r.statements) {
        out.text(statement.sql);
        if (statement.parameter_sets.empty()) {
            write_parameters(statement.parameters);  // as before parameter sets existed
            continue;
        }
        // A parameter count no statement can have (limits::parameters_per_statement_max)
        // marks the sets, so no request's bytes read as another's.
        out.u32(parameter_sets_marker);
        out.u32(static_cast<std::uint32_t>(statement.parameter_sets.size()));
        for (const auto& set : statement.parameter_sets) write_parameters(set);
    }
}

std::size_t statement_runs(const client_request& r) {
    std::size_t runs = 0;
    for (const auto& statement : r.statements) runs += statement.runs();
    return runs;
}

bytes client_request::signing_bytes() const {
    canonical_writer out;
    write_canonical(out, *this);
    return out.take();
}
digest client_request::hash() const { return crypto::hash(signing_bytes()); }
void client_request::sign(const crypto::key_pair& client_key) {
    COVENANT_ASSERT(client_key.public_key() == client, "request signed by a key not its client");
    client_signature = client_key.sign(sign_domain::client_request, signing_bytes());
    signed_at = batch_position{};
}
bool client_request::signature_valid() const {
    return signed_validly(*this, client, client_signature, sign_domain::client_request,
                          sign_domain::client_request_batch);
}
bool client_request::signature_valid(const bytes& signing_bytes, const digest& hash) const {
    return batch_signature_valid(client, sign_domain::client_request,
                                 sign_domain::client_request_batch, signing_bytes, hash, signed_at,
                                 client_signature);
}
void sign_requests(std::vector<client_request*> requests, const crypto::key_pair& client_key) {
    sign_together(std::move(requests), client_key, sign_domain::client_request_batch,
                  &client_request::client, &client_request::client_signature);
}
bool operator==(const client_request& a, const client_request& b) {
    return a.database == b.database && a.client == b.client && a.sequence == b.sequence &&
           a.timestamp_ms == b.timestamp_ms && a.kind == b.kind &&
           a.statements == b.statements && a.client_signature == b.client_signature &&
           a.signed_at == b.signed_at;
}

void write_canonical(canonical_writer& out, const request_outcome& o) {
    out.fixed(o.request_hash);
    out.u8(static_cast<std::uint8_t>(o.body.index()));
    if (const auto* results = std::get_if<std::vector<statement_result>>(&o.body)) {
        out.u32(static_cast<std::uint32_t>(results->size()));
        for (const auto& result : *results) {
            out.u32(static_cast<std::uint32_t>(result.columns.size()));
            for (const auto& column : result.columns) out.text(column);
            out.u32(static_cast<std::uint32_t>(result.rows.size()));
            for (const auto& row : result.rows) {
                out.u32(static_cast<std::uint32_t>(row.size()));
                for (const auto& value : row) write_canonical(out, value);
            }
            out.u64(result.affected_rows).i64(result.last_insert_id);
        }
    } else {
        const auto& failure = std::get<sql_failure>(o.body);
        out.u32(failure.statement_index).i32(failure.code).text(failure.message);
    }
}

digest request_outcome::hash() const {
    canonical_writer out;
    write_canonical(out, *this);
    return crypto::hash(out.get());
}

void write_canonical(canonical_writer& out, const certificate& c) {
    out.u8(static_cast<std::uint8_t>(c.phase)).fixed(c.database).count(c.view).count(c.seq);
    out.fixed(c.batch_hash).u32(static_cast<std::uint32_t>(c.votes.size()));
    for (const auto& v : c.votes) out.fixed(v.signer).fixed(v.sig);
}

bytes certificate::vote_signing_bytes() const {
    canonical_writer out;
    out.u8(static_cast<std::uint8_t>(phase)).fixed(database).count(view).count(seq);
    out.fixed(batch_hash);
    return out.take();
}
bool operator==(const certificate& a, const certificate& b) {
    return a.phase == b.phase && a.database == b.database && a.view == b.view && a.seq == b.seq &&
           a.batch_hash == b.batch_hash && a.votes == b.votes;
}

bool operator==(const write_receipt& a, const write_receipt& b) {
    return a.view == b.view && a.seq == b.seq && a.batch_hash == b.batch_hash &&
           a.commit_certificate == b.commit_certificate && a.results_root == b.results_root &&
           a.state_digest == b.state_digest && a.leaf_index == b.leaf_index &&
           a.leaf_count == b.leaf_count && a.path == b.path && a.executions == b.executions;
}

bytes execution_signing_bytes(const database_id& database, view_number view,
                              sequence_number seq, const digest& batch_hash,
                              const digest& results_root, const digest& state_digest) {
    canonical_writer out;
    out.fixed(database).count(view).count(seq).fixed(batch_hash).fixed(results_root);
    out.fixed(state_digest);
    return out.take();
}

bytes client_response::signing_bytes() const {
    canonical_writer out;
    out.fixed(database).fixed(request_hash).fixed(responder).count(state_seq).fixed(state_digest);
    out.u8(static_cast<std::uint8_t>(body.index()));
    if (const auto* rejected = std::get_if<rejection>(&body)) {
        out.u8(static_cast<std::uint8_t>(rejected->reason)).text(rejected->message);
        out.boolean(rejected->leader_hint.has_value());
        if (rejected->leader_hint) out.fixed(*rejected->leader_hint);
    } else {
        write_canonical(out, std::get<request_outcome>(body));
    }
    out.boolean(receipt.has_value());
    if (receipt) {
        out.count(receipt->view).count(receipt->seq).fixed(receipt->batch_hash);
        write_canonical(out, receipt->commit_certificate);
        out.fixed(receipt->results_root).fixed(receipt->state_digest);
        out.u32(receipt->leaf_index).u32(receipt->leaf_count);
        out.u32(static_cast<std::uint32_t>(receipt->path.size()));
        for (const auto& d : receipt->path) out.fixed(d);
        out.u32(static_cast<std::uint32_t>(receipt->executions.size()));
        for (const auto& e : receipt->executions) out.fixed(e.signer).fixed(e.sig);
    }
    return out.take();
}
void client_response::sign(const crypto::key_pair& member_key) {
    COVENANT_ASSERT(member_key.public_key() == responder, "response signed by a non-responder");
    responder_signature = member_key.sign(sign_domain::client_response, signing_bytes());
    signed_at = batch_position{};
}
bool client_response::signature_valid() const {
    return signed_validly(*this, responder, responder_signature, sign_domain::client_response,
                          sign_domain::client_response_batch);
}
void sign_responses(std::vector<client_response*> responses, const crypto::key_pair& member_key) {
    sign_together(std::move(responses), member_key, sign_domain::client_response_batch,
                  &client_response::responder, &client_response::responder_signature);
}
bool operator==(const client_response& a, const client_response& b) {
    return a.database == b.database && a.request_hash == b.request_hash &&
           a.responder == b.responder && a.state_seq == b.state_seq &&
           a.state_digest == b.state_digest && a.body == b.body && a.receipt == b.receipt &&
           a.responder_signature == b.responder_signature && a.signed_at == b.signed_at;
}

}  // namespace covenant::protocols
