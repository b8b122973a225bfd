// One signed SQL request of a client, from sending to a verified answer (DESIGN.md sections
// 2 and 4): a pure state machine the client gateway runs per request.
//
// A write goes to the database's leader as the followed chain names it (members[view mod
// n]) and to the f members after it: a follower forwards it to the leader, watches that it
// commits, suspects a leader that does not, and answers the client itself once it
// executed, so at least one honest member answers even if the leader is Byzantine (a
// member answers only clients that asked it before the request executed: one asked later
// says the sequence is used). A not-leader answer's hint is followed when it names a
// member; a view change the chain records moves it to the new leader; after resend_ms
// without a usable answer it goes to every member. A read goes to one member and, after
// resend_ms or a bad answer, to the next.
//
// A member saying the request's sequence is stale ends the call only once f+1 members say
// so (one of them is honest), and then only after resend_ms more (or once every member
// believed says so): a member asked before the request executed may still answer it. Then
// the sequence was used, by this request or another of this key, and the outcome cannot be
// learned any more. The call never signs anything itself.
//
// Every answer is checked against the members the chain lists before it counts
// (kayak/client_check): a strong-mode write needs its commit certificate (a quorum of
// members) and f+1 members' execution signatures over the results root its outcome is
// proven to be in; a read or an eventual-mode write needs the serving member's signature.
// An answer that fails the check is never a result: its member is not believed again
// during this call and the request goes to another member. A member's refusal is believed
// when the chain agrees (a role the chain does not give this client), and otherwise taken
// as a member that lags behind the chain: the call goes on.
//
// Pure: time comes in with every call; the actor sends what it is told and feeds answers.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "protocols/group_history.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/sql_messages.hpp"

namespace covenant::client {

/// A database as the followed chain lists it, seen by one client.
struct database_view {
    database_id id;
    protocols::group members;        // the current group
    protocols::group_history groups;  // every group by view: answers are checked against these
    view_number view;
    protocols::consistency_mode mode = protocols::consistency_mode::strong;
    std::optional<protocols::role> role;  // this client's, out of funds taken into account
};

/// The database `id` per `state`, for the client `client`; nullopt if the chain lists none.
std::optional<database_view> view_of(const main_chain::ledger& state, const database_id& id,
                                     const account_address& client);

struct sql_success {
    protocols::client_response response;  // verified; its body is a request_outcome
    bool receipt = false;                 // a strong-mode write's commit proof came with it
    std::size_t certificate_signers = 0;
    std::size_t result_signers = 0;
};

/// error's code is a client_errc. For stale_sequence, the highest sequence the members said
/// they expect, if they said one.
struct sql_failure_info {
    error failure;
    std::optional<std::uint64_t> expected_sequence;
};

using sql_call_result = std::variant<sql_success, sql_failure_info>;

class sql_call {
  public:
    struct settings {
        std::int64_t resend_ms = 1000;
        std::optional<std::int64_t> deadline_ms;  // none: until it settles
    };
    sql_call(protocols::client_request request, settings s);

    struct step {
        std::vector<public_key> send_to;      // members to send the request to now
        std::optional<sql_call_result> done;  // the call is over
    };
    step start(const database_view& db, std::int64_t now_ms);
    step on_response(const protocols::client_response& response, const database_view& db,
                     std::int64_t now_ms);
    step on_tick(const database_view& db, std::int64_t now_ms);

    const protocols::client_request& request() const { return request_; }
    const digest& request_hash() const { return hash_; }
    /// Answers that failed verification (from members not believed since).
    std::uint64_t refused_answers() const { return refused_answers_; }
    const std::string& last_problem() const { return last_problem_; }

  private:
    bool is_write() const { return request_.kind == protocols::query_kind::write; }
    std::optional<public_key> next_reader(const database_view& db);
    std::vector<public_key> everyone_believed(const database_view& db) const;
    bool chain_denies(const database_view& db) const;
    sql_failure_info stale_failure(const std::string& said) const;

    protocols::client_request request_;
    digest hash_;
    settings settings_;
    std::int64_t last_sent_ms_ = 0;
    view_number sent_for_view_;
    std::size_t reader_ = 0;
    std::set<public_key> distrusted_;
    std::set<public_key> said_stale_;
    std::optional<std::uint64_t> expected_sequence_;
    std::optional<std::int64_t> stale_since_ms_;
    std::uint64_t refused_answers_ = 0;
    std::string last_problem_;
};

}  // namespace covenant::client
