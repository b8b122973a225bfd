// Codec of the client messages (requests and responses) and the shared field readers.
#include <cmath>

#include "common/utf8.hpp"
#include "crypto/hash.hpp"
#include "protocols/codec.hpp"
#include "protocols/merkle.hpp"
#include "protocols/wire_codec.hpp"

namespace covenant::protocols {

namespace {
thread_local bool client_signatures_skipped = false;  // see client_signatures_unchecked
}  // namespace

client_signatures_unchecked::client_signatures_unchecked() : previous_(client_signatures_skipped) {
    client_signatures_skipped = true;
}
client_signatures_unchecked::~client_signatures_unchecked() { client_signatures_skipped = previous_; }
bool client_signatures_unchecked::active() { return client_signatures_skipped; }

namespace codec {

decode_budget& current_budget() {
    thread_local decode_budget budget;
    return budget;
}

std::string read_text(capnp::Text::Reader text, std::size_t max_bytes, const char* field,
                      bool allow_nul) {
    if (text.size() > max_bytes)
        reject(protocol_errc::limit_exceeded, std::string(field) + ": " +
                                                  std::to_string(text.size()) + " bytes, limit " +
                                                  std::to_string(max_bytes));
    charge_memory(text.size(), 1, field);
    std::string out(text.cStr(), text.size());
    if (!allow_nul && out.find('\0') != std::string::npos)
        reject(protocol_errc::invalid_value, std::string(field) + ": contains a NUL byte");
    if (!valid_utf8(out))
        reject(protocol_errc::invalid_value, std::string(field) + ": not valid UTF-8");
    return out;
}

bytes read_data(capnp::Data::Reader data, std::size_t max_bytes, const char* field) {
    if (data.size() > max_bytes)
        reject(protocol_errc::limit_exceeded, std::string(field) + ": " +
                                                  std::to_string(data.size()) + " bytes, limit " +
                                                  std::to_string(max_bytes));
    charge_memory(data.size(), 1, field);
    return bytes(data.begin(), data.end());
}

namespace {

void write_value(wire::Value::Builder out, const sql_value& v) {
    switch (v.value.index()) {
        case 0: out.setNull(); break;
        case 1: out.setInteger(std::get<1>(v.value)); break;
        case 2: out.setReal(std::get<2>(v.value)); break;
        case 3: out.setText(as_text(std::get<3>(v.value))); break;
        case 4: out.setBlob(as_data(std::get<4>(v.value))); break;
        default: COVENANT_ASSERT(false, "sql_value alternative out of range");
    }
}

sql_value read_value(wire::Value::Reader in) {
    switch (in.which()) {
        case wire::Value::NULL_: return sql_value::null();
        case wire::Value::INTEGER: return sql_value::integer(in.getInteger());
        case wire::Value::REAL: {
            const double v = in.getReal();
            if (std::isnan(v)) reject(protocol_errc::invalid_value, "value: NaN");
            return sql_value::real(v);
        }
        case wire::Value::TEXT:
            return sql_value::text(read_text(in.getText(), limits::value_bytes_max, "value.text",
                                             /*allow_nul=*/true));
        case wire::Value::BLOB:
            return sql_value::blob(read_data(in.getBlob(), limits::value_bytes_max, "value.blob"));
    }
    reject(protocol_errc::unknown_enum, "value: unknown type");
}

void write_outcome(wire::Outcome::Builder out, const request_outcome& o) {
    out.setRequestHash(as_data(o.request_hash));
    if (const auto* results = std::get_if<std::vector<statement_result>>(&o.body)) {
        auto list = out.initResults(static_cast<unsigned>(results->size()));
        for (unsigned i = 0; i < results->size(); ++i) {
            const auto& r = (*results)[i];
            auto columns = list[i].initColumns(static_cast<unsigned>(r.columns.size()));
            for (unsigned c = 0; c < r.columns.size(); ++c) columns.set(c, as_text(r.columns[c]));
            auto rows = list[i].initRows(static_cast<unsigned>(r.rows.size()));
            for (unsigned row = 0; row < r.rows.size(); ++row) {
                auto values = rows[row].initValues(static_cast<unsigned>(r.rows[row].size()));
                for (unsigned c = 0; c < r.rows[row].size(); ++c)
                    write_value(values[c], r.rows[row][c]);
            }
            list[i].setAffectedRows(r.affected_rows);
            list[i].setLastInsertId(r.last_insert_id);
        }
    } else {
        const auto& f = std::get<sql_failure>(o.body);
        auto failure = out.initFailure();
        failure.setStatementIndex(f.statement_index);
        failure.setCode(f.code);
        failure.setMessage(as_text(f.message));
    }
}

request_outcome read_outcome(wire::Outcome::Reader in) {
    request_outcome out;
    out.request_hash = read_fixed<digest>(in.getRequestHash(), "outcome.requestHash");
    switch (in.which()) {
        case wire::Outcome::RESULTS: {
            auto list = in.getResults();
            check_count(list, 0, limits::statements_per_request_max, "outcome.results");
            std::vector<statement_result> results;
            results.reserve(list.size());
            for (auto r : list) {
                statement_result result;
                auto columns = r.getColumns();
                check_count(columns, 0, limits::result_columns_max, "result.columns");
                for (auto c : columns)
                    result.columns.push_back(
                        read_text(c, limits::column_name_bytes_max, "result.column"));
                auto rows = r.getRows();
                check_count(rows, 0, limits::result_rows_max, "result.rows");
                result.rows.reserve(rows.size());
                for (auto row : rows) {
                    auto values = row.getValues();
                    if (values.size() != columns.size())
                        reject(protocol_errc::inconsistent, "result row width != column count");
                    std::vector<sql_value> cells;
                    cells.reserve(values.size());
                    for (auto v : values) cells.push_back(read_value(v));
                    result.rows.push_back(std::move(cells));
                }
                result.affected_rows = r.getAffectedRows();
                result.last_insert_id = r.getLastInsertId();
                results.push_back(std::move(result));
            }
            out.body = std::move(results);
            return out;
        }
        case wire::Outcome::FAILURE: {
            auto f = in.getFailure();
            if (f.getStatementIndex() >= limits::statements_per_request_max)
                reject(protocol_errc::invalid_value, "failure.statementIndex out of range");
            out.body = sql_failure{f.getStatementIndex(), f.getCode(),
                                   read_text(f.getMessage(), limits::error_message_bytes_max,
                                             "failure.message")};
            return out;
        }
    }
    reject(protocol_errc::unknown_enum, "outcome: unknown kind");
}

}  // namespace

/// A signature's position among the messages signed with it (protocols/signed_batch.hpp).
template <class Builder>
void write_signed_at(Builder out, const batch_position& at) {
    out.setSignedIndex(at.index);
    out.setSignedCount(at.count);
    if (at.path.empty()) return;
    auto path = out.initSignedPath(static_cast<unsigned>(at.path.size()));
    for (unsigned i = 0; i < at.path.size(); ++i) path.set(i, as_data(at.path[i]));
}

template <class Reader>
batch_position read_signed_at(Reader in, const char* field) {
    batch_position at;
    at.index = in.getSignedIndex();
    at.count = in.getSignedCount();
    if (at.count < 1 || at.count > limits::signed_batch_messages_max || at.index >= at.count)
        reject(protocol_errc::invalid_value, std::string(field) + ": signed index or count out of range");
    auto path = in.getSignedPath();
    check_count(path, 0, limits::merkle_depth_max, field);
    if (at.count == 1 && path.size() != 0)
        reject(protocol_errc::invalid_value, std::string(field) + ": a path for a message signed alone");
    for (auto d : path) at.path.push_back(read_fixed<digest>(d, field));
    return at;
}

void write_request(wire::Request::Builder out, const client_request& r) {
    out.setDatabase(as_data(r.database));
    out.setClient(as_data(r.client));
    out.setSequence(r.sequence.value);
    out.setTimestampMs(r.timestamp_ms);
    out.setKind(static_cast<wire::QueryKind>(r.kind));
    auto statements = out.initStatements(static_cast<unsigned>(r.statements.size()));
    auto write_parameters = [](auto list, const std::vector<sql_parameter>& params) {
        for (unsigned p = 0; p < params.size(); ++p) {
            list[p].setName(as_text(params[p].name));
            write_value(list[p].initValue(), params[p].value);
        }
    };
    for (unsigned i = 0; i < r.statements.size(); ++i) {
        const auto& statement = r.statements[i];
        statements[i].setSql(as_text(statement.sql));
        write_parameters(statements[i].initParameters(static_cast<unsigned>(statement.parameters.size())),
                         statement.parameters);
        if (statement.parameter_sets.empty()) continue;
        auto sets = statements[i].initParameterSets(static_cast<unsigned>(statement.parameter_sets.size()));
        for (unsigned k = 0; k < statement.parameter_sets.size(); ++k) {
            const auto& set = statement.parameter_sets[k];
            write_parameters(sets[k].initParameters(static_cast<unsigned>(set.size())), set);
        }
    }
    out.setSignature(as_data(r.client_signature));
    write_signed_at(out, r.signed_at);
}

client_request read_request(wire::Request::Reader in) {
    digest unused;
    return read_request(in, unused);
}

client_request read_request(wire::Request::Reader in, digest& hash) {
    client_request r;
    r.database = read_fixed<database_id>(in.getDatabase(), "request.database");
    r.client = read_fixed<public_key>(in.getClient(), "request.client");
    r.sequence = client_sequence(in.getSequence());
    r.timestamp_ms = in.getTimestampMs();
    require(r.timestamp_ms >= 0, protocol_errc::invalid_value, "request.timestampMs negative");
    r.kind = static_cast<query_kind>(check_enum(in.getKind(), 2, "request.kind"));
    auto statements = in.getStatements();
    check_count(statements, 1, limits::statements_per_request_max, "request.statements");
    r.statements.reserve(statements.size());
    auto read_parameters = [](auto params, std::vector<sql_parameter>& into, const char* field) {
        check_count(params, 0, limits::parameters_per_statement_max, field);
        into.reserve(params.size());
        for (auto p : params) {
            sql_parameter parameter;
            parameter.name =
                read_text(p.getName(), limits::parameter_name_bytes_max, "parameter.name");
            if (!parameter.name.empty() && parameter.name[0] != ':' && parameter.name[0] != '@' &&
                parameter.name[0] != '$')
                reject(protocol_errc::invalid_value, "parameter.name must start with : @ or $");
            parameter.value = read_value(p.getValue());
            into.push_back(std::move(parameter));
        }
    };
    std::size_t runs = 0;
    for (auto s : statements) {
        sql_statement statement;
        statement.sql = read_text(s.getSql(), limits::sql_text_bytes_max, "statement.sql");
        require(!statement.sql.empty(), protocol_errc::invalid_value, "statement.sql is empty");
        read_parameters(s.getParameters(), statement.parameters, "statement.parameters");
        auto sets = s.getParameterSets();
        check_count(sets, 0, limits::parameter_sets_per_statement_max, "statement.parameterSets");
        require(sets.size() == 0 || statement.parameters.empty(), protocol_errc::invalid_value,
                "statement: parameters and parameterSets both given");
        statement.parameter_sets.resize(sets.size());
        for (unsigned k = 0; k < sets.size(); ++k)
            read_parameters(sets[k].getParameters(), statement.parameter_sets[k],
                            "statement.parameterSets.parameters");
        runs += statement.runs();
        if (runs > limits::statement_runs_per_request_max)
            reject(protocol_errc::limit_exceeded,
                   "request: more than " + std::to_string(limits::statement_runs_per_request_max) +
                       " statement runs (statements and their parameter sets)");
        r.statements.push_back(std::move(statement));
    }
    r.client_signature = read_fixed<signature>(in.getSignature(), "request.signature");
    r.signed_at = read_signed_at(in, "request.signedPath");
    charge_signature_check("request: client signature");
    const bytes signing = r.signing_bytes();
    hash = crypto::hash(signing);
    if (!client_signatures_unchecked::active() && !r.signature_valid(signing, hash))
        reject(protocol_errc::bad_signature, "request: client signature");
    return r;
}

void write_certificate(wire::Certificate::Builder out, const certificate& c) {
    out.setPhase(static_cast<wire::VotePhase>(c.phase));
    out.setDatabase(as_data(c.database));
    out.setView(c.view.value);
    out.setSeq(c.seq.value);
    out.setBatchHash(as_data(c.batch_hash));
    write_signer_list(out.initVotes(static_cast<unsigned>(c.votes.size())), c.votes);
}

certificate read_certificate(wire::Certificate::Reader in, vote_phase expected_phase,
                             const char* field) {
    certificate c;
    c.phase = static_cast<vote_phase>(check_enum(in.getPhase(), 2, field));
    if (c.phase != expected_phase)
        reject(protocol_errc::inconsistent, std::string(field) + ": wrong phase");
    c.database = read_fixed<database_id>(in.getDatabase(), field);
    c.view = view_number(in.getView());
    c.seq = sequence_number(in.getSeq());
    require(c.seq.value >= 1, protocol_errc::invalid_value, "certificate seq must be >= 1");
    c.batch_hash = read_fixed<digest>(in.getBatchHash(), field);
    const auto domain = c.phase == vote_phase::prepare ? crypto::sign_domain::kayak_prepare_vote
                                                       : crypto::sign_domain::kayak_commit_vote;
    c.votes = read_signer_list(in.getVotes(), 1, field, domain, c.vote_signing_bytes());
    return c;
}

namespace {

void write_response(wire::Response::Builder out, const client_response& m) {
    out.setDatabase(as_data(m.database));
    out.setRequestHash(as_data(m.request_hash));
    out.setResponder(as_data(m.responder));
    out.setStateSeq(m.state_seq.value);
    out.setStateDigest(as_data(m.state_digest));
    if (const auto* rejected = std::get_if<rejection>(&m.body)) {
        auto r = out.initRejected();
        r.setReason(static_cast<wire::RejectionReason>(rejected->reason));
        r.setMessage(as_text(rejected->message));
        if (rejected->leader_hint) r.setLeaderHint(as_data(*rejected->leader_hint));
    } else {
        write_outcome(out.initExecuted(), std::get<request_outcome>(m.body));
    }
    out.setHasReceipt(m.receipt.has_value());
    if (m.receipt) {
        const auto& w = *m.receipt;
        auto r = out.initReceipt();
        r.setView(w.view.value);
        r.setSeq(w.seq.value);
        r.setBatchHash(as_data(w.batch_hash));
        write_certificate(r.initCommitCertificate(), w.commit_certificate);
        r.setResultsRoot(as_data(w.results_root));
        r.setStateDigest(as_data(w.state_digest));
        r.setLeafIndex(w.leaf_index);
        r.setLeafCount(w.leaf_count);
        auto path = r.initPath(static_cast<unsigned>(w.path.size()));
        for (unsigned i = 0; i < w.path.size(); ++i) path.set(i, as_data(w.path[i]));
        write_signer_list(r.initExecutions(static_cast<unsigned>(w.executions.size())),
                          w.executions);
    }
    out.setSignature(as_data(m.responder_signature));
    write_signed_at(out, m.signed_at);
}

write_receipt read_receipt(wire::WriteReceipt::Reader in, const database_id& database,
                           const request_outcome& outcome) {
    write_receipt w;
    w.view = view_number(in.getView());
    w.seq = sequence_number(in.getSeq());
    w.batch_hash = read_fixed<digest>(in.getBatchHash(), "receipt.batchHash");
    w.commit_certificate = read_certificate(in.getCommitCertificate(), vote_phase::commit,
                                            "receipt.commitCertificate");
    const auto& cert = w.commit_certificate;
    require(cert.database == database && cert.view == w.view && cert.seq == w.seq &&
                cert.batch_hash == w.batch_hash,
            protocol_errc::inconsistent, "receipt: certificate is for another batch");
    w.results_root = read_fixed<digest>(in.getResultsRoot(), "receipt.resultsRoot");
    w.state_digest = read_fixed<digest>(in.getStateDigest(), "receipt.stateDigest");
    w.leaf_index = in.getLeafIndex();
    w.leaf_count = in.getLeafCount();
    require(w.leaf_count >= 1 && w.leaf_count <= limits::requests_per_batch_max &&
                w.leaf_index < w.leaf_count,
            protocol_errc::invalid_value, "receipt: leaf index or count out of range");
    auto path = in.getPath();
    check_count(path, 0, limits::merkle_depth_max, "receipt.path");
    for (auto d : path) w.path.push_back(read_fixed<digest>(d, "receipt.path"));
    const auto root = merkle_root_from_path(outcome.hash(), w.leaf_index, w.leaf_count, w.path);
    require(root.has_value() && *root == w.results_root, protocol_errc::inconsistent,
            "receipt: outcome is not in the results root");
    const bytes executed = execution_signing_bytes(database, w.view, w.seq, w.batch_hash,
                                                   w.results_root, w.state_digest);
    w.executions = read_signer_list(in.getExecutions(), 1, "receipt.executions",
                                    crypto::sign_domain::kayak_execution, executed);
    return w;
}

client_response read_response(wire::Response::Reader in) {
    client_response m;
    m.database = read_fixed<database_id>(in.getDatabase(), "response.database");
    m.request_hash = read_fixed<digest>(in.getRequestHash(), "response.requestHash");
    m.responder = read_fixed<public_key>(in.getResponder(), "response.responder");
    m.state_seq = sequence_number(in.getStateSeq());
    m.state_digest = read_fixed<digest>(in.getStateDigest(), "response.stateDigest");
    switch (in.which()) {
        case wire::Response::REJECTED: {
            auto r = in.getRejected();
            rejection out;
            out.reason = static_cast<rejection_reason>(
                check_enum(r.getReason(), rejection_reason_count, "rejection.reason"));
            out.message = read_text(r.getMessage(), limits::error_message_bytes_max,
                                    "rejection.message");
            if (r.getLeaderHint().size() != 0)
                out.leader_hint = read_fixed<public_key>(r.getLeaderHint(), "rejection.leaderHint");
            m.body = std::move(out);
            break;
        }
        case wire::Response::EXECUTED: {
            auto outcome = read_outcome(in.getExecuted());
            require(outcome.request_hash == m.request_hash, protocol_errc::inconsistent,
                    "response: outcome is for another request");
            m.body = std::move(outcome);
            break;
        }
        default: reject(protocol_errc::unknown_enum, "response: unknown kind");
    }
    if (in.getHasReceipt()) {
        const auto* outcome = std::get_if<request_outcome>(&m.body);
        require(outcome != nullptr, protocol_errc::inconsistent,
                "response: a rejection cannot carry a write receipt");
        m.receipt = read_receipt(in.getReceipt(), m.database, *outcome);
        require(m.state_seq == m.receipt->seq && m.state_digest == m.receipt->state_digest,
                protocol_errc::inconsistent,
                "response: state differs from the one its receipt certifies");
    } else {
        require(!in.hasReceipt(), protocol_errc::not_canonical,
                "response: receipt present but hasReceipt is false");
    }
    m.responder_signature = read_fixed<signature>(in.getSignature(), "response.signature");
    m.signed_at = read_signed_at(in, "response.signedPath");
    charge_signature_check("response: responder");
    if (!m.signature_valid()) reject(protocol_errc::bad_signature, "response: responder");
    return m;
}

}  // namespace
}  // namespace codec

bytes encode(const client_request& m) {
    return codec::encode_root<wire::Request>([&](auto root) { codec::write_request(root, m); });
}
result<client_request> decode_client_request(byte_view wire) {
    return codec::decode_root<wire::Request>(
        wire, [](wire::Request::Reader in) { return codec::read_request(in); });
}
result<hashed_client_request> decode_client_request_hashed(byte_view wire) {
    return codec::decode_root<wire::Request>(wire, [](wire::Request::Reader in) {
        hashed_client_request out;
        out.request = codec::read_request(in, out.hash);
        return out;
    });
}
bytes encode(const client_response& m) {
    return codec::encode_root<wire::Response>([&](auto root) { codec::write_response(root, m); });
}
result<client_response> decode_client_response(byte_view wire) {
    return codec::decode_root<wire::Response>(wire, codec::read_response);
}

}  // namespace covenant::protocols
