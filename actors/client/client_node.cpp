// The client gateway's actor (see client_node.hpp).
#include "actors/client/client_node.hpp"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>

#include "actors/chain/followed_chain.hpp"
#include "actors/router/router.hpp"
#include "crypto/node_id.hpp"
#include "protocols/client/client_errors.hpp"
#include "protocols/client/sql_call.hpp"
#include "protocols/codec.hpp"
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
};

caf::behavior client_node(self_pointer self, std::shared_ptr<prepared_client> prepared) {
    auto& st = self->state;
    st.config_storage = std::make_unique<client_node_config>(std::move(prepared->config));
    st.chain = std::move(prepared->chain);
    st.sequences = std::move(prepared->sequences);
    st.address = crypto::address_of(st.config().key.public_key());
    st.tracker = std::make_unique<client::transaction_tracker>(
        st.config().key, client::transaction_tracker::settings{st.config().transaction_fee, 64,
                                                               st.config().transaction_timeout_ms});
    for (auto kind : {message_kind::main_block_fetch_reply, message_kind::client_response})
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
    };
}

}  // namespace

result<caf::actor> spawn_client_node(caf::actor_system& system, client_node_config config) {
    std::error_code ignored;
    std::filesystem::create_directories(config.data_dir, ignored);
    auto chain = followed_chain::open(config.data_dir + "/main_chain.sqlite", config.genesis,
                                      std::nullopt, config.producer_nodes);
    if (!chain) return chain.failure();
    auto sequences = storage::client_sequence_store::open(config.data_dir + "/client.sqlite");
    if (!sequences) return sequences.failure();
    auto prepared = std::make_shared<prepared_client>(
        prepared_client{std::move(config), std::move(chain).value(), std::move(sequences).value()});
    return system.spawn(client_node, std::move(prepared));
}

}  // namespace covenant::actors
