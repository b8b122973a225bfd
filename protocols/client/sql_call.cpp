// One SQL request's way to a verified answer (see sql_call.hpp).
#include "protocols/client/sql_call.hpp"

#include "protocols/client/client_errors.hpp"
#include "protocols/kayak/client_check.hpp"
#include "protocols/main_chain/miner_assignments.hpp"

namespace covenant::client {

using protocols::query_kind;
using protocols::rejection_reason;

std::optional<database_view> view_of(const main_chain::ledger& state, const database_id& id,
                                     const account_address& client) {
    const auto* db = state.database(id);
    if (db == nullptr || db->members.empty()) return std::nullopt;
    database_view v{id, protocols::group(db->members), main_chain::groups_of(db->membership), db->view,
                    db->mode, std::nullopt};
    if (auto held = db->roles.find(client); held != db->roles.end()) {
        v.role = held->second;
        // An owner out of funds: its users keep reads and lose writes (as the miners judge).
        if (db->out_of_funds && *v.role != protocols::role::read) v.role = protocols::role::read;
    }
    return v;
}

namespace {

/// "expected client sequence N" in a replica's stale-sequence refusal.
std::optional<std::uint64_t> expected_sequence_in(const std::string& message) {
    static const std::string marker = "expected client sequence ";
    const auto at = message.find(marker);
    if (at == std::string::npos) return std::nullopt;
    std::uint64_t n = 0;
    std::size_t digits = 0;
    for (std::size_t i = at + marker.size(); i < message.size() && digits < 19; ++i, ++digits) {
        const char c = message[i];
        if (c < '0' || c > '9') break;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (digits == 0) return std::nullopt;
    return n;
}

sql_failure_info failure(client_errc code, std::string message) {
    return sql_failure_info{error{code, std::move(message)}, std::nullopt};
}

}  // namespace

sql_call::sql_call(protocols::client_request request, settings s)
    : request_(std::move(request)), hash_(request_.hash()), settings_(s) {
    COVENANT_ASSERT(settings_.resend_ms > 0, "a call resends after a positive time");
}

std::vector<public_key> sql_call::everyone_believed(const database_view& db) const {
    std::vector<public_key> out;
    for (const auto& m : db.members.members())
        if (distrusted_.count(m) == 0) out.push_back(m);
    return out;
}

std::optional<public_key> sql_call::next_reader(const database_view& db) {
    const auto& members = db.members.members();
    for (std::size_t tried = 0; tried < members.size(); ++tried) {
        const auto& m = members[reader_++ % members.size()];
        if (distrusted_.count(m) == 0) return m;
    }
    return std::nullopt;
}

bool sql_call::chain_denies(const database_view& db) const {
    if (!db.role) return true;
    return is_write() && *db.role == protocols::role::read;
}

sql_call::step sql_call::start(const database_view& db, std::int64_t now_ms) {
    step out;
    last_sent_ms_ = now_ms;
    sent_for_view_ = db.view;
    if (is_write()) {
        // The leader and the f members after it: f+1, so one honest member answers.
        const auto& members = db.members.members();
        const std::size_t leader = static_cast<std::size_t>(db.view.value % members.size());
        for (std::size_t i = 0; i < db.members.one_honest() && i < members.size(); ++i)
            out.send_to.push_back(members[(leader + i) % members.size()]);
    } else {
        // Reads spread over the members: start at a member the request's hash picks.
        reader_ = hash_.data[0];
        if (auto m = next_reader(db)) out.send_to.push_back(*m);
    }
    return out;
}

sql_failure_info sql_call::stale_failure(const std::string& said) const {
    auto info = failure(client_errc::stale_sequence,
                        "sequence " + std::to_string(request_.sequence.value) +
                            " was already used on this database (by this request or another of "
                            "this key; its outcome is unknown): " +
                            said);
    info.expected_sequence = expected_sequence_;
    return info;
}

sql_call::step sql_call::on_tick(const database_view& db, std::int64_t now_ms) {
    step out;
    if (stale_since_ms_ && now_ms - *stale_since_ms_ >= settings_.resend_ms) {
        out.done = stale_failure(last_problem_);
        return out;
    }
    if (settings_.deadline_ms && now_ms >= *settings_.deadline_ms) {
        std::string why = "no verified answer in time";
        if (!last_problem_.empty()) why += " (last: " + last_problem_ + ")";
        out.done = failure(client_errc::timed_out, why);
        return out;
    }
    const bool new_leader = is_write() && db.view != sent_for_view_;
    if (!new_leader && now_ms - last_sent_ms_ < settings_.resend_ms) return out;
    last_sent_ms_ = now_ms;
    sent_for_view_ = db.view;
    if (is_write()) {
        // The chain moved the view: its new leader first. Else everyone: followers forward
        // to the leader and suspect it if it does not commit.
        if (new_leader)
            out.send_to.push_back(db.members.leader(db.view));
        else
            out.send_to = everyone_believed(db);
    } else if (auto m = next_reader(db)) {
        out.send_to.push_back(*m);
    }
    if (out.send_to.empty()) {
        out.done = failure(client_errc::unavailable,
                           "no member left to ask (every one gave an answer that failed "
                           "verification; last: " +
                               last_problem_ + ")");
    }
    return out;
}

sql_call::step sql_call::on_response(const protocols::client_response& response,
                                     const database_view& db, std::int64_t now_ms) {
    step out;
    if (response.request_hash != hash_ || response.database != db.id) return out;
    if (!db.members.contains(response.responder)) {
        ++refused_answers_;  // not a member: never an answer
        return out;
    }
    if (distrusted_.count(response.responder) != 0) return out;
    const bool strong_write = is_write() && db.mode == protocols::consistency_mode::strong;
    auto fault = strong_write ? kayak::write_response_fault(response, hash_, db.groups)
                              : kayak::read_response_fault(response, hash_, db.groups);
    if (fault) {
        // Never a result. That member is not believed again; others are asked at once.
        ++refused_answers_;
        distrusted_.insert(response.responder);
        last_problem_ = "member " + response.responder.hex().substr(0, 16) + ": " + *fault;
        last_sent_ms_ = now_ms;
        if (is_write()) {
            out.send_to = everyone_believed(db);
        } else if (auto m = next_reader(db)) {
            out.send_to.push_back(*m);
        }
        if (out.send_to.empty())
            out.done = failure(client_errc::unavailable,
                               "every member gave an answer that failed verification (last: " +
                                   last_problem_ + ")");
        return out;
    }
    if (const auto* refused = std::get_if<protocols::rejection>(&response.body)) {
        const std::string said =
            "member " + response.responder.hex().substr(0, 16) + ": " + refused->message;
        last_problem_ = said;
        switch (refused->reason) {
            case rejection_reason::not_leader:
                if (refused->leader_hint && db.members.contains(*refused->leader_hint) &&
                    distrusted_.count(*refused->leader_hint) == 0 &&
                    *refused->leader_hint != response.responder) {
                    out.send_to.push_back(*refused->leader_hint);
                    last_sent_ms_ = now_ms;
                }
                return out;
            case rejection_reason::not_permitted:
                // Believed when the chain agrees; else the member has not followed the
                // chain as far as this client (a role just granted): ask again later.
                if (chain_denies(db)) out.done = failure(client_errc::not_permitted, said);
                return out;
            case rejection_reason::out_of_funds:
                out.done = failure(client_errc::out_of_funds, said);
                return out;
            case rejection_reason::nondeterministic:
            case rejection_reason::malformed:
                out.done = failure(client_errc::bad_request, said);
                return out;
            case rejection_reason::stale_sequence: {
                if (auto expected = expected_sequence_in(refused->message))
                    expected_sequence_ = std::max(expected_sequence_.value_or(0), *expected);
                said_stale_.insert(response.responder);
                if (said_stale_.size() < db.members.one_honest()) return out;
                // f+1 say it is used. A member asked before it executed may still be
                // gathering the execution signatures to answer: it gets resend_ms, unless
                // every member believed already said so.
                if (!stale_since_ms_) stale_since_ms_ = now_ms;
                if (said_stale_.size() >= everyone_believed(db).size())
                    out.done = stale_failure(said);
                return out;
            }
            case rejection_reason::bad_signature:
            case rejection_reason::overloaded:
            case rejection_reason::unknown_database:
            case rejection_reason::unavailable:
                return out;  // another try at the next resend
        }
        return out;
    }
    sql_success ok;
    ok.response = response;
    if (strong_write && response.receipt) {
        ok.receipt = true;
        ok.certificate_signers = response.receipt->commit_certificate.votes.size();
        ok.result_signers = response.receipt->executions.size();
    } else {
        ok.result_signers = 1;  // the serving member's own signature
    }
    out.done = std::move(ok);
    return out;
}

}  // namespace covenant::client
