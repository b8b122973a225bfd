// The client gateway's actor (see client_node.hpp).
#include "actors/client/client_node.hpp"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>

#include "actors/chain/followed_chain.hpp"
#include "actors/router/router.hpp"
#include "crypto/hash.hpp"
#include "crypto/node_id.hpp"
#include "protocols/canonical.hpp"
#include "protocols/client/client_errors.hpp"
#include "protocols/client/sql_call.hpp"
#include "protocols/codec.hpp"
#include "protocols/limits.hpp"
#include "storage/client_sequence_store.hpp"

namespace covenant::actors {
namespace {

using client::client_errc;
using protocols::message_kind;
using follow_atom = caf::atom_constant<caf::atom("follow")>;
using resend_atom = caf::atom_constant<caf::atom("resend")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

struct call_state {
    std::unique_ptr<client::sql_call> call;
    database_id database;
    std::vector<protocols::sql_statement> statements;
    std::optional<caf::response_promise> promise;  // none: settling in the background
    std::int64_t deadline_ms = 0;                  // the waiter's
};

struct queued_write {
    std::vector<protocols::sql_statement> statements;
    caf::response_promise promise;
    std::int64_t deadline_ms = 0;
};

/// A member-status query waiting for the members' answers (by its challenge).
struct status_query {
    caf::response_promise promise;
    member_report report;
    std::int64_t deadline_ms = 0;
    std::size_t waiting = 0;  // members asked that have not answered
};

/// A ShardBlockFetch relayed to one member for a caller. One per (member node, database) is
/// sent at a time: a reply names no request, so it answers the one in flight.
struct relayed_fetch {
    caf::response_promise promise;
    shard_blocks_request request;
    std::int64_t deadline_ms = 0;
    bool sent = false;
};

/// The shard checkpoints the followed chain holds, by database (bounded in total).
struct checkpoint_index {
    std::map<database_id, std::vector<checkpoint_record>> by_database;
    std::set<database_id> incomplete;  // some of theirs were not kept
    std::size_t count = 0;

    void add(const protocols::main_block& block, std::size_t max) {
        for (const auto& t : block.transactions) {
            const auto* c = std::get_if<protocols::tx::shard_checkpoint>(&t.body);
            if (c == nullptr) continue;
            if (count >= max) {
                incomplete.insert(c->database);
                continue;
            }
            by_database[c->database].push_back(checkpoint_record{block.header.height, t});
            ++count;
        }
    }
};

struct client_state {
    static inline const char* name = "covenant.client.node";
    std::unique_ptr<client_node_config> config_storage;
    client_node_config& config() { return *config_storage; }
    account_address address;
    std::unique_ptr<followed_chain> chain;
    std::unique_ptr<client::transaction_tracker> tracker;
    std::unique_ptr<storage::client_sequence_store> sequences;
    std::map<std::uint64_t, caf::response_promise> transaction_waiters;  // by ticket
    std::uint64_t next_ticket = 0;
    std::map<std::uint64_t, call_state> calls;              // by call id
    std::multimap<digest, std::uint64_t> calls_by_request;  // request hash -> call id
    std::map<database_id, std::uint64_t> active_write;      // one per database
    std::map<database_id, std::deque<queued_write>> write_queue;
    std::size_t queued_writes = 0;
    std::uint64_t next_call = 0;
    std::uint64_t read_counter = 0;  // makes every read request distinct
    std::map<node_id, caf::actor> links;
    client_status status;
    std::map<digest, status_query> status_queries;  // by challenge
    std::map<std::pair<node_id, database_id>, std::deque<relayed_fetch>> relayed_fetches;
    std::size_t relayed_waiting = 0;
    std::uint64_t challenges_made = 0;
    checkpoint_index checkpoints;
};

using self_pointer = caf::stateful_actor<client_state>*;

std::int64_t now_ms(self_pointer self) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               self->clock().now().time_since_epoch())
               .count() +
           self->state.config().clock_offset_ms;
}

const main_chain::ledger& ledger_of(self_pointer self) {
    return self->state.chain->ledger();
}

database_info info_of(const main_chain::database_record& db, const account_address& me) {
    database_info d;
    d.id = db.id;
    d.owner = db.owner;
    d.mode = db.mode;
    d.members = db.members;
    d.view = db.view;
    if (!db.members.empty()) d.leader = protocols::group(db.members).leader(db.view);
    if (auto r = db.roles.find(me); r != db.roles.end()) d.role = r->second;
    d.advance_payment = db.advance_payment;
    d.out_of_funds = db.out_of_funds;
    return d;
}

std::size_t load(self_pointer self) {
    auto& st = self->state;
    return st.calls.size() + st.queued_writes + st.transaction_waiters.size();
}

// ---- routes -------------------------------------------------------------------------------

/// The node of a member, and a route to it: a configured peer, or a link opened to the
/// endpoint it registered on the chain.
std::optional<node_id> route_to_member(self_pointer self, const public_key& member) {
    auto& st = self->state;
    const auto* record = ledger_of(self).miner(member);
    const auto node = crypto::compute_node_id(member, record ? record->node_id_nonce : 0);
    if (st.config().routed_nodes.count(node) != 0 || st.links.count(node) != 0) return node;
    if (!st.config().connect) return node;  // the simulator: every node is routed
    if (record == nullptr || st.links.size() >= st.config().links_max) {
        st.status.last_problem = "no route to member " + member.hex().substr(0, 16);
        return std::nullopt;
    }
    auto link = st.config().connect(node, record->endpoint);
    if (!link) {
        st.status.last_problem = "member " + member.hex().substr(0, 16) +
                                 " registered an unusable endpoint \"" + record->endpoint + "\"";
        return std::nullopt;
    }
    self->link_to(link);  // links stop with the gateway
    // The link registers itself too; this one is ordered before the request that follows.
    self->send(st.config().router, add_peer_atom::value, node.view().to_bytes(), link);
    st.links.emplace(node, link);
    ++st.status.links_opened;
    return node;
}

void send_request(self_pointer self, const protocols::client_request& request,
                  const std::vector<public_key>& members) {
    auto& st = self->state;
    const bytes wire = protocols::encode(request);
    for (const auto& member : members) {
        auto node = route_to_member(self, member);
        if (!node) continue;
        self->send(st.config().router, send_atom::value, node->view().to_bytes(),
                   static_cast<std::uint16_t>(message_kind::client_request),
                   request.database.view().to_bytes(), wire);
        ++st.status.requests_sent;
    }
}

// ---- transactions ---------------------------------------------------------------------------

void send_transaction(self_pointer self, const protocols::transaction& tx) {
    const bytes wire = protocols::encode(tx);
    for (const auto& node : self->state.config().producer_nodes)
        self->send(self->state.config().router, send_atom::value, node.view().to_bytes(),
                   static_cast<std::uint16_t>(message_kind::main_transaction), wire);
}

void answer_settled(self_pointer self, const std::vector<client::transaction_settled>& settled) {
    auto& st = self->state;
    for (const auto& s : settled) {
        auto waiter = st.transaction_waiters.find(s.ticket);
        transaction_answer a;
        a.tx = s.tx;
        a.height = s.height.value;
        if (s.final) {
            ++st.status.transactions_final;
            if (std::holds_alternative<protocols::tx::create_database>(s.tx.body)) {
                const auto id = main_chain::ledger::database_id_for(st.address, s.tx.nonce);
                if (const auto* db = ledger_of(self).database(id))
                    a.database = info_of(*db, st.address);
            }
        } else {
            ++st.status.transactions_refused;
            a.failure = s.refusal;
            if (s.refusal) st.status.last_problem = "transaction: " + s.refusal->message();
        }
        if (waiter == st.transaction_waiters.end()) continue;
        waiter->second.deliver(std::move(a));
        st.transaction_waiters.erase(waiter);
    }
}

// ---- SQL calls ------------------------------------------------------------------------------

void pump_writes(self_pointer self, const database_id& db);

void deliver(call_state& c, sql_answer answer) {
    if (!c.promise) return;
    c.promise->deliver(std::move(answer));
    c.promise.reset();
}

sql_answer failure_answer(const error& e) {
    sql_answer a;
    a.failure = e;
    return a;
}

std::uint64_t start_call(self_pointer self, call_state c) {
    auto& st = self->state;
    const auto id = ++st.next_call;
    auto view = client::view_of(ledger_of(self), c.database, st.address);
    COVENANT_ASSERT(view.has_value(), "a call starts on a database the chain lists");
    auto step = c.call->start(*view, now_ms(self));
    st.calls_by_request.emplace(c.call->request_hash(), id);
    const auto request = c.call->request();
    st.calls.emplace(id, std::move(c));
    send_request(self, request, step.send_to);
    return id;
}

/// Removes call `id` (running: asserted) and returns it.
call_state take_call(self_pointer self, std::uint64_t id) {
    auto& st = self->state;
    auto at = st.calls.find(id);
    COVENANT_ASSERT(at != st.calls.end(), "taking a call that is not running");
    auto range = st.calls_by_request.equal_range(at->second.call->request_hash());
    for (auto it = range.first; it != range.second; ++it)
        if (it->second == id) {
            st.calls_by_request.erase(it);
            break;
        }
    call_state c = std::move(at->second);
    st.calls.erase(at);
    return c;
}

/// Signs the next write of `db` under its next sequence (written to disk first) and starts it.
void begin_write(self_pointer self, const database_id& db,
                 std::vector<protocols::sql_statement> statements,
                 std::optional<caf::response_promise> promise, std::int64_t deadline_ms) {
    auto& st = self->state;
    protocols::client_request r;
    r.database = db;
    r.client = st.config().key.public_key();
    r.sequence = st.sequences->next(db);
    r.timestamp_ms = now_ms(self);
    r.kind = protocols::query_kind::write;
    r.statements = statements;
    r.sign(st.config().key);
    if (auto begun = st.sequences->begin(r); !begun) {
        if (promise)
            promise->deliver(
                failure_answer(error{client_errc::storage_failed, begun.failure().message()}));
        return;
    }
    call_state c{std::make_unique<client::sql_call>(
                     r, client::sql_call::settings{st.config().request_resend_ms, std::nullopt}),
                 db, std::move(statements), std::move(promise), deadline_ms};
    st.active_write[db] = start_call(self, std::move(c));
}

/// A write call is over: its sequence settles on disk, its waiter (if still waiting) hears.
void finish_write(self_pointer self, std::uint64_t id, client::sql_call_result outcome) {
    auto& st = self->state;
    call_state c = take_call(self, id);
    st.active_write.erase(c.database);
    const auto seq = c.call->request().sequence;
    if (auto* ok = std::get_if<client::sql_success>(&outcome)) {
        ++st.status.answers_verified;
        if (auto settled = st.sequences->settle(c.database, true); !settled)
            st.status.last_problem = "client.sqlite: " + settled.failure().message();
        sql_answer a;
        a.response = std::move(ok->response);
        a.receipt = ok->receipt;
        a.certificate_signers = ok->certificate_signers;
        a.result_signers = ok->result_signers;
        deliver(c, std::move(a));
    } else {
        auto& failed = std::get<client::sql_failure_info>(outcome);
        st.status.last_problem = "write: " + failed.failure.message();
        const auto code = static_cast<client_errc>(failed.failure.code.value());
        covenant::result<nothing> settled = nothing{};
        if (code == client_errc::stale_sequence && failed.expected_sequence &&
            *failed.expected_sequence > seq.value + 1) {
            // The replicas are past this sequence (another gateway with this key, or a lost
            // data directory): later requests take theirs, never one below. This request is
            // not signed again: it may be the one that executed.
            settled = st.sequences->advance(c.database, client_sequence(*failed.expected_sequence));
        } else if (code == client_errc::not_permitted || code == client_errc::out_of_funds ||
                   code == client_errc::bad_request) {
            // Refused before it was ordered: the replicas still expect this sequence.
            settled = st.sequences->settle(c.database, false);
        } else {
            settled = st.sequences->settle(c.database, true);  // it may have executed
        }
        if (!settled) st.status.last_problem = "client.sqlite: " + settled.failure().message();
        deliver(c, failure_answer(failed.failure));
    }
    pump_writes(self, c.database);
}

void finish_read(self_pointer self, std::uint64_t id, client::sql_call_result outcome) {
    auto& st = self->state;
    call_state c = take_call(self, id);
    if (auto* ok = std::get_if<client::sql_success>(&outcome)) {
        ++st.status.answers_verified;
        sql_answer a;
        a.response = std::move(ok->response);
        a.result_signers = ok->result_signers;
        deliver(c, std::move(a));
    } else {
        const auto& failed = std::get<client::sql_failure_info>(outcome).failure;
        st.status.last_problem = "read: " + failed.message();
        deliver(c, failure_answer(failed));
    }
}

void apply_step(self_pointer self, std::uint64_t id, client::sql_call::step step) {
    auto& st = self->state;
    auto at = st.calls.find(id);
    if (at == st.calls.end()) return;
    if (!step.send_to.empty()) send_request(self, at->second.call->request(), step.send_to);
    if (!step.done) return;
    if (at->second.call->request().kind == protocols::query_kind::write)
        finish_write(self, id, std::move(*step.done));
    else
        finish_read(self, id, std::move(*step.done));
}

void fail_call(self_pointer self, std::uint64_t id, client_errc code, const std::string& why) {
    apply_step(self, id,
               client::sql_call::step{{}, client::sql_failure_info{error{code, why}, {}}});
}

/// Starts the next write of `db` if none is running: first a request left unsettled by an
/// earlier run (or a timed-out waiter), then the queue.
void pump_writes(self_pointer self, const database_id& db) {
    auto& st = self->state;
    if (st.active_write.count(db) != 0) return;
    if (!client::view_of(ledger_of(self), db, st.address))
        return;  // not on the followed chain (yet)
    if (auto unsettled = st.sequences->pending(db)) {
        call_state c{std::make_unique<client::sql_call>(
                         *unsettled,
                         client::sql_call::settings{st.config().request_resend_ms, std::nullopt}),
                     db, unsettled->statements, std::nullopt, 0};
        st.active_write[db] = start_call(self, std::move(c));
        return;
    }
    auto q = st.write_queue.find(db);
    const auto now = now_ms(self);
    while (q != st.write_queue.end() && !q->second.empty()) {
        auto next = std::move(q->second.front());
        q->second.pop_front();
        --st.queued_writes;
        if (now >= next.deadline_ms) {
            next.promise.deliver(failure_answer(
                error{client_errc::timed_out, "queued behind other writes until the deadline"}));
            continue;
        }
        begin_write(self, db, std::move(next.statements), std::move(next.promise),
                    next.deadline_ms);
        break;
    }
    if (q != st.write_queue.end() && q->second.empty()) st.write_queue.erase(q);
}

void on_sql(self_pointer self, sql_request& request, caf::response_promise promise) {
    auto& st = self->state;
    if (request.statements.empty()) {
        promise.deliver(failure_answer(error{client_errc::bad_request, "no statements"}));
        return;
    }
    if (load(self) >= st.config().calls_max) {
        promise.deliver(failure_answer(error{client_errc::overloaded, "too many calls in flight"}));
        return;
    }
    auto view = client::view_of(ledger_of(self), request.database, st.address);
    if (!view) {
        promise.deliver(failure_answer(error{client_errc::unknown_database,
                                             "the followed chain (height " +
                                                 std::to_string(st.chain->height().value) +
                                                 ") has no database " + request.database.hex()}));
        return;
    }
    const auto deadline = now_ms(self) + st.config().request_timeout_ms;
    if (request.kind == protocols::query_kind::write) {
        st.write_queue[request.database].push_back(
            queued_write{std::move(request.statements), std::move(promise), deadline});
        ++st.queued_writes;
        pump_writes(self, request.database);
        return;
    }
    protocols::client_request r;
    r.database = request.database;
    r.client = st.config().key.public_key();
    r.sequence =
        client_sequence(++st.read_counter);  // reads use no sequence: it only sets them apart
    r.timestamp_ms = now_ms(self);
    r.kind = protocols::query_kind::read;
    r.statements = std::move(request.statements);
    r.sign(st.config().key);
    call_state c{std::make_unique<client::sql_call>(
                     r, client::sql_call::settings{st.config().request_resend_ms, deadline}),
                 request.database,
                 {},
                 std::move(promise),
                 deadline};
    start_call(self, std::move(c));
}

void on_response(self_pointer self, const inbound_envelope& in) {
    auto& st = self->state;
    auto response = protocols::decode_client_response(in.payload);
    if (!response) {
        ++st.status.answers_refused;
        st.status.last_problem = "undecodable answer: " + response.failure().message();
        return;
    }
    std::vector<std::uint64_t> ids;
    auto range = st.calls_by_request.equal_range(response->request_hash);
    for (auto it = range.first; it != range.second; ++it) ids.push_back(it->second);
    for (auto id : ids) {
        auto at = st.calls.find(id);
        if (at == st.calls.end()) continue;
        auto view = client::view_of(ledger_of(self), at->second.database, st.address);
        if (!view) {
            fail_call(self, id, client_errc::unknown_database, "the database was dropped");
            continue;
        }
        const auto refused_before = at->second.call->refused_answers();
        auto step = at->second.call->on_response(*response, *view, now_ms(self));
        st.status.answers_refused += at->second.call->refused_answers() - refused_before;
        apply_step(self, id, std::move(step));
    }
}

void on_tick(self_pointer self) {
    auto& st = self->state;
    const auto now = now_ms(self);
    answer_settled(self, st.tracker->on_tick(ledger_of(self), st.chain->height(), now));
    std::vector<std::uint64_t> ids;
    for (const auto& [id, c] : st.calls) ids.push_back(id);
    for (auto id : ids) {
        auto at = st.calls.find(id);
        if (at == st.calls.end()) continue;
        auto& c = at->second;
        if (c.promise && c.call->request().kind == protocols::query_kind::write &&
            now >= c.deadline_ms) {
            // The waiter hears now; the request itself goes on until it settles, so that its
            // sequence is known to be spent or free before the next write of the database.
            std::string why = "no verified answer in time";
            if (!c.call->last_problem().empty()) why += " (last: " + c.call->last_problem() + ")";
            deliver(c, failure_answer(error{client_errc::timed_out, why}));
        }
        auto view = client::view_of(ledger_of(self), c.database, st.address);
        if (!view) {
            fail_call(self, id, client_errc::unknown_database, "the database was dropped");
            continue;
        }
        apply_step(self, id, c.call->on_tick(*view, now));
    }
    // Writes waiting for their database to appear on the followed chain, or for an earlier
    // run's request to settle.
    std::vector<database_id> waiting;
    for (const auto& [db, q] : st.write_queue) waiting.push_back(db);
    for (const auto& [db, r] : st.sequences->all_pending()) waiting.push_back(db);
    for (const auto& db : waiting) pump_writes(self, db);
    for (auto q = st.write_queue.begin(); q != st.write_queue.end();) {
        // Expired waiters of a queue that cannot move (its database unknown) hear too.
        auto& items = q->second;
        for (auto it = items.begin(); it != items.end();) {
            if (now < it->deadline_ms) {
                ++it;
                continue;
            }
            it->promise.deliver(
                failure_answer(error{client_errc::timed_out, "not started before the deadline"}));
            it = items.erase(it);
            --st.queued_writes;
        }
        q = items.empty() ? st.write_queue.erase(q) : std::next(q);
    }
}

// ---- inspection (cql info, cql verify) ----------------------------------------------------------

/// How long an inspection waits for members: the caller's timeout within sane bounds.
std::int64_t bounded_wait_ms(std::int64_t asked) {
    constexpr std::int64_t wait_min_ms = 50;
    constexpr std::int64_t wait_max_ms = 60'000;
    return std::clamp(asked, wait_min_ms, wait_max_ms);
}

std::size_t inspections_waiting(self_pointer self) {
    return self->state.status_queries.size() + self->state.relayed_waiting;
}

/// A challenge no earlier query of this gateway used: its key, the time and a counter.
digest next_challenge(self_pointer self) {
    auto& st = self->state;
    protocols::canonical_writer out;
    out.fixed(st.config().key.public_key()).i64(now_ms(self)).u64(++st.challenges_made);
    return crypto::hash(out.get());
}

caf::result<member_report> on_members(self_pointer self, const bytes& id, std::int64_t timeout_ms,
                                      const bytes& asked_challenge) {
    auto& st = self->state;
    member_report report;
    report.chain_height = st.chain->height().value;
    const auto database = database_id::from_view(id);
    const auto* db = database ? ledger_of(self).database(*database) : nullptr;
    if (db == nullptr) {
        report.failure = error{client_errc::unknown_database,
                               "the followed chain (height " + std::to_string(report.chain_height) +
                                   ") has no such database"};
        return report;
    }
    if (inspections_waiting(self) >= st.config().status_queries_max) {
        report.failure = error{client_errc::overloaded, "too many inspections waiting"};
        return report;
    }
    report.database = info_of(*db, st.address);
    digest challenge;
    if (asked_challenge.empty()) {
        challenge = next_challenge(self);
    } else if (auto given = digest::from_view(asked_challenge)) {
        challenge = *given;
    } else {
        report.failure = error{client_errc::bad_request, "a challenge is 32 bytes"};
        return report;
    }
    if (st.status_queries.count(challenge) != 0) {
        report.failure =
            error{client_errc::bad_request, "that challenge is in use by another query"};
        return report;
    }
    const bytes query = protocols::encode(protocols::member_status_query{db->id, challenge});
    std::size_t waiting = 0;
    for (const auto& member : db->members) {
        member_answer a;
        a.member = member;
        const auto* record = ledger_of(self).miner(member);
        a.node = crypto::compute_node_id(member, record ? record->node_id_nonce : 0);
        a.leader = member == report.database.leader;
        if (auto node = route_to_member(self, member)) {
            self->send(st.config().router, send_atom::value, node->view().to_bytes(),
                       static_cast<std::uint16_t>(message_kind::member_status_query),
                       db->id.view().to_bytes(), query);
            ++waiting;
        } else {
            a.problem = "no route to it (" + st.status.last_problem + ")";
        }
        report.members.push_back(std::move(a));
    }
    if (waiting == 0) return report;
    status_query q;
    q.promise = self->make_response_promise();
    q.report = std::move(report);
    q.deadline_ms = now_ms(self) + bounded_wait_ms(timeout_ms);
    q.waiting = waiting;
    st.status_queries.emplace(challenge, std::move(q));
    return caf::delegated<member_report>();
}

void on_member_status(self_pointer self, const inbound_envelope& in) {
    auto& st = self->state;
    auto m = protocols::decode_member_status(in.payload);
    if (!m) {
        st.status.last_problem = "undecodable member status: " + m.failure().message();
        return;
    }
    auto q = st.status_queries.find(m->challenge);
    if (q == st.status_queries.end() || m->database != q->second.report.database.id) return;
    for (auto& a : q->second.report.members) {
        if (a.member != m->member || a.status) continue;
        a.status = *m;
        a.signed_status = in.payload;
        a.problem.clear();
        --q->second.waiting;
    }
    if (q->second.waiting > 0) return;
    q->second.promise.deliver(std::move(q->second.report));
    st.status_queries.erase(q);
}

void send_relayed_fetch(self_pointer self, const node_id& node, relayed_fetch& f) {
    protocols::shard_block_fetch fetch{f.request.database, f.request.from_height, f.request.count};
    self->send(self->state.config().router, send_atom::value, node.view().to_bytes(),
               static_cast<std::uint16_t>(message_kind::shard_block_fetch),
               f.request.database.view().to_bytes(), protocols::encode(fetch));
    f.sent = true;
}

shard_blocks_answer failed_fetch(client_errc code, const std::string& why) {
    shard_blocks_answer a;
    a.failure = error{code, why};
    return a;
}

caf::result<shard_blocks_answer> on_shard_blocks(self_pointer self, shard_blocks_request& request) {
    auto& st = self->state;
    if (request.from_height.value == 0 || request.count == 0 ||
        request.count > protocols::limits::shard_blocks_per_fetch_max)
        return failed_fetch(client_errc::bad_request,
                            "from must be at least 1 and count 1 .. " +
                                std::to_string(protocols::limits::shard_blocks_per_fetch_max));
    const auto* db = ledger_of(self).database(request.database);
    if (db == nullptr)
        return failed_fetch(client_errc::unknown_database,
                            "the followed chain has no database " + request.database.hex());
    if (db->past_members.count(request.member) == 0 &&
        std::find(db->members.begin(), db->members.end(), request.member) == db->members.end())
        return failed_fetch(client_errc::bad_request,
                            request.member.hex() + " was never a member of the database");
    if (inspections_waiting(self) >= st.config().status_queries_max)
        return failed_fetch(client_errc::overloaded, "too many inspections waiting");
    auto node = route_to_member(self, request.member);
    if (!node) return failed_fetch(client_errc::unavailable, "no route to the member");
    relayed_fetch f;
    f.promise = self->make_response_promise();
    f.request = request;
    f.deadline_ms = now_ms(self) + bounded_wait_ms(request.timeout_ms);
    auto& queue = st.relayed_fetches[{*node, request.database}];
    queue.push_back(std::move(f));
    ++st.relayed_waiting;
    if (queue.size() == 1) send_relayed_fetch(self, *node, queue.front());
    return caf::delegated<shard_blocks_answer>();
}

/// Answers the head of a relay queue and sends the next one.
void pop_relayed(self_pointer self,
                 std::map<std::pair<node_id, database_id>, std::deque<relayed_fetch>>::iterator at,
                 shard_blocks_answer answer) {
    auto& st = self->state;
    at->second.front().promise.deliver(std::move(answer));
    at->second.pop_front();
    --st.relayed_waiting;
    if (at->second.empty()) {
        st.relayed_fetches.erase(at);
        return;
    }
    send_relayed_fetch(self, at->first.first, at->second.front());
}

void on_shard_block_reply(self_pointer self, const inbound_envelope& in) {
    auto& st = self->state;
    const auto sender = node_id::from_view(in.sender_node_id);
    auto reply = protocols::decode_shard_block_fetch_reply(in.payload);
    if (!sender || !reply) {
        if (!reply)
            st.status.last_problem = "undecodable shard blocks: " + reply.failure().message();
        return;
    }
    auto at = st.relayed_fetches.find({*sender, reply->database});
    if (at == st.relayed_fetches.end() || !at->second.front().sent) return;
    const auto& asked = at->second.front().request;
    // A late reply to an earlier request (its waiter timed out) starts elsewhere.
    if (!reply->blocks.empty() && reply->blocks.front().header.height != asked.from_height) return;
    shard_blocks_answer answer;
    answer.head_height = reply->head_height;
    for (const auto& block : reply->blocks) answer.blocks.push_back(protocols::encode(block));
    pop_relayed(self, at, std::move(answer));
}

/// Inspections past their deadline answer with what they have.
void expire_inspections(self_pointer self, std::int64_t now) {
    auto& st = self->state;
    for (auto q = st.status_queries.begin(); q != st.status_queries.end();) {
        if (now < q->second.deadline_ms) {
            ++q;
            continue;
        }
        for (auto& a : q->second.report.members)
            if (!a.status && a.problem.empty()) a.problem = "no answer in time";
        q->second.promise.deliver(std::move(q->second.report));
        q = st.status_queries.erase(q);
    }
    for (auto at = st.relayed_fetches.begin(); at != st.relayed_fetches.end();) {
        auto next = std::next(at);
        auto& queue = at->second;
        // Waiting behind the one in flight past their own deadline: answered now.
        for (auto it = std::next(queue.begin()); it != queue.end();) {
            if (now < it->deadline_ms) {
                ++it;
                continue;
            }
            it->promise.deliver(failed_fetch(client_errc::timed_out,
                                             "queued behind another fetch from the member"));
            it = queue.erase(it);
            --st.relayed_waiting;
        }
        if (now >= queue.front().deadline_ms)
            pop_relayed(
                self, at,
                failed_fetch(client_errc::unavailable, "the member did not answer in time"));
        at = next;
    }
}

main_blocks_answer on_main_blocks(self_pointer self, std::uint64_t from, std::uint32_t count) {
    main_blocks_answer a;
    a.head_height = self->state.chain->height().value;
    if (from == 0 || count == 0 || count > protocols::limits::main_blocks_per_fetch_max) {
        a.failure = error{client_errc::bad_request,
                          "from must be at least 1 and count 1 .. " +
                              std::to_string(protocols::limits::main_blocks_per_fetch_max)};
        return a;
    }
    if (from > a.head_height) return a;
    auto blocks = self->state.chain->stored_blocks(block_height(from), count);
    if (!blocks) {
        a.failure = error{client_errc::storage_failed, blocks.failure().message()};
        return a;
    }
    for (const auto& b : blocks.value()) a.blocks.push_back(protocols::encode(b));
    return a;
}

checkpoint_list on_checkpoints(self_pointer self, const bytes& id) {
    auto& st = self->state;
    checkpoint_list out;
    out.chain_height = st.chain->height().value;
    const auto database = database_id::from_view(id);
    const auto* db = database ? ledger_of(self).database(*database) : nullptr;
    if (db == nullptr) {
        out.failure = error{client_errc::unknown_database, "the followed chain (height " +
                                                               std::to_string(out.chain_height) +
                                                               ") has no such database"};
        return out;
    }
    out.database = info_of(*db, st.address);
    out.membership = db->membership;
    if (auto at = st.checkpoints.by_database.find(db->id); at != st.checkpoints.by_database.end())
        out.checkpoints = at->second;
    out.complete = st.checkpoints.incomplete.count(db->id) == 0;
    return out;
}

// ---- chain ----------------------------------------------------------------------------------

void ask_for_blocks(self_pointer self) {
    auto fetch = self->state.chain->next_fetch();
    if (!fetch) return;
    self->send(self->state.config().router, send_atom::value, fetch->to.view().to_bytes(),
               static_cast<std::uint16_t>(message_kind::main_block_fetch),
               std::move(fetch->payload));
}

void on_block_reply(self_pointer self, const inbound_envelope& in) {
    auto& st = self->state;
    auto out = st.chain->on_reply(
        in.sender_node_id, in.payload,
        [=](const protocols::main_block& block, const main_chain::assignment_changes&) {
            self->state.checkpoints.add(block, self->state.config().checkpoints_max);
            answer_settled(self, self->state.tracker->on_block(block, ledger_of(self)));
        });
    if (out.store_failure) {
        self->quit(caf::make_error(caf::sec::runtime_error, "client: " + *out.store_failure));
        return;
    }
    if (out.ask_again) ask_for_blocks(self);
}

client_status status_of(self_pointer self) {
    auto& st = self->state;
    client_status s = st.status;
    const auto& follow = st.chain->stats();
    s.chain_height = st.chain->height().value;
    if (st.chain->follower().head()) s.chain_head = st.chain->follower().head()->hash;
    s.blocks_applied = follow.blocks_applied;
    s.blocks_refused = follow.blocks_refused;
    s.replies_ignored = follow.replies_ignored;
    if (s.last_problem.empty()) s.last_problem = follow.last_refusal;
    s.transactions_in_flight = st.tracker->size();
    s.calls_in_flight = st.calls.size() + st.queued_writes;
    return s;
}

struct prepared_client {
    client_node_config config;
    std::unique_ptr<followed_chain> chain;
    std::unique_ptr<storage::client_sequence_store> sequences;
    checkpoint_index checkpoints;  // of the blocks replayed at start
};

caf::behavior client_node(self_pointer self, std::shared_ptr<prepared_client> prepared) {
    auto& st = self->state;
    st.config_storage = std::make_unique<client_node_config>(std::move(prepared->config));
    st.chain = std::move(prepared->chain);
    st.sequences = std::move(prepared->sequences);
    st.checkpoints = std::move(prepared->checkpoints);
    st.address = crypto::address_of(st.config().key.public_key());
    st.tracker = std::make_unique<client::transaction_tracker>(
        st.config().key, client::transaction_tracker::settings{st.config().transaction_fee, 64,
                                                               st.config().transaction_timeout_ms});
    for (auto kind : {message_kind::main_block_fetch_reply, message_kind::client_response,
                      message_kind::member_status, message_kind::shard_block_fetch_reply})
        self->send(st.config().router, subscribe_atom::value, static_cast<std::uint16_t>(kind),
                   caf::actor_cast<caf::actor>(self));
    ask_for_blocks(self);
    self->delayed_send(self, std::chrono::milliseconds(st.config().follow_interval_ms),
                       follow_atom::value);
    self->delayed_send(self, std::chrono::milliseconds(st.config().resend_interval_ms),
                       resend_atom::value);
    self->delayed_send(self, std::chrono::milliseconds(st.config().tick_ms), tick_atom::value);
    return {
        [=](deliver_atom, const inbound_envelope& in) {
            if (in.kind == static_cast<std::uint16_t>(message_kind::main_block_fetch_reply))
                on_block_reply(self, in);
            else if (in.kind == static_cast<std::uint16_t>(message_kind::client_response))
                on_response(self, in);
            else if (in.kind == static_cast<std::uint16_t>(message_kind::member_status))
                on_member_status(self, in);
            else if (in.kind == static_cast<std::uint16_t>(message_kind::shard_block_fetch_reply))
                on_shard_block_reply(self, in);
        },
        [=](follow_atom) {
            ask_for_blocks(self);
            self->delayed_send(self,
                               std::chrono::milliseconds(self->state.config().follow_interval_ms),
                               follow_atom::value);
        },
        [=](resend_atom) {
            // A producer's mempool is not durable, and a producer may have been away.
            for (const auto& tx : self->state.tracker->in_flight()) send_transaction(self, tx);
            self->delayed_send(self,
                               std::chrono::milliseconds(self->state.config().resend_interval_ms),
                               resend_atom::value);
        },
        [=](tick_atom) {
            on_tick(self);
            expire_inspections(self, now_ms(self));
            self->delayed_send(self, std::chrono::milliseconds(self->state.config().tick_ms),
                               tick_atom::value);
        },
        [=](client_status_atom) { return status_of(self); },
        [=](account_atom) {
            auto& s = self->state;
            const auto& ledger = ledger_of(self);
            account_info a;
            a.address = s.address;
            a.key = s.config().key.public_key();
            a.node = crypto::compute_node_id(a.key, s.config().node_id_nonce);
            a.balance = ledger.balance_of(s.address);
            a.next_nonce = ledger.next_nonce(s.address);
            if (const auto* account = ledger.account(s.address)) a.staked = account->staked;
            a.chain_height = s.chain->height().value;
            return a;
        },
        [=](databases_atom) {
            auto& s = self->state;
            database_list out;
            out.chain_height = s.chain->height().value;
            for (const auto& [id, db] : ledger_of(self).databases())
                if (db.owner == s.address || db.roles.count(s.address) != 0)
                    out.databases.push_back(info_of(db, s.address));
            return out;
        },
        [=](databases_atom, const bytes& id) {
            auto& s = self->state;
            database_list out;
            out.chain_height = s.chain->height().value;
            const auto parsed = database_id::from_view(id);
            const auto* db = parsed ? ledger_of(self).database(*parsed) : nullptr;
            if (db != nullptr) out.databases.push_back(info_of(*db, s.address));
            return out;
        },
        [=](submit_atom, transaction_request& request) -> caf::result<transaction_answer> {
            auto& s = self->state;
            transaction_answer refused;
            if (load(self) >= s.config().calls_max) {
                refused.failure = error{client_errc::overloaded, "too many calls in flight"};
                return refused;
            }
            const auto ticket = ++s.next_ticket;
            auto tx = s.tracker->submit(ticket, std::move(request.body), ledger_of(self),
                                        s.chain->height(), now_ms(self));
            if (!tx) {
                ++s.status.transactions_refused;
                refused.failure = tx.failure();
                return refused;
            }
            ++s.status.transactions_submitted;
            // Only now: a promise taken would swallow the refusals returned above.
            s.transaction_waiters.emplace(ticket, self->make_response_promise());
            send_transaction(self, *tx);
            return caf::delegated<transaction_answer>();
        },
        [=](sql_atom, sql_request& request) -> caf::result<sql_answer> {
            auto promise = self->make_response_promise();
            on_sql(self, request, promise);
            return caf::delegated<sql_answer>();
        },
        [=](members_atom, const bytes& id, std::int64_t timeout_ms, const bytes& challenge)
            -> caf::result<member_report> { return on_members(self, id, timeout_ms, challenge); },
        [=](shard_blocks_atom, shard_blocks_request& request) -> caf::result<shard_blocks_answer> {
            return on_shard_blocks(self, request);
        },
        [=](main_blocks_atom, std::uint64_t from, std::uint32_t count) {
            return on_main_blocks(self, from, count);
        },
        [=](checkpoints_atom, const bytes& id) { return on_checkpoints(self, id); },
    };
}

}  // namespace

result<caf::actor> spawn_client_node(caf::actor_system& system, client_node_config config) {
    std::error_code ignored;
    std::filesystem::create_directories(config.data_dir, ignored);
    checkpoint_index checkpoints;
    const auto checkpoints_max = config.checkpoints_max;
    auto chain = followed_chain::open(
        config.data_dir + "/main_chain.sqlite", config.genesis, std::nullopt, config.producer_nodes,
        [&](const protocols::main_block& block) { checkpoints.add(block, checkpoints_max); });
    if (!chain) return chain.failure();
    auto sequences = storage::client_sequence_store::open(config.data_dir + "/client.sqlite");
    if (!sequences) return sequences.failure();
    auto prepared = std::make_shared<prepared_client>(
        prepared_client{std::move(config), std::move(chain).value(), std::move(sequences).value(),
                        std::move(checkpoints)});
    return system.spawn(client_node, std::move(prepared));
}

}  // namespace covenant::actors
