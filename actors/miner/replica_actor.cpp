// The Kayak replica actor (see replica_actor.hpp).
#include "actors/miner/replica_actor.hpp"

#include <caf/all.hpp>

#include "actors/router/router.hpp"
#include "protocols/codec.hpp"

namespace covenant::actors {
namespace {

using protocols::message_kind;

struct replica_actor_state {
    static inline const char* name = "covenant.kayak.replica";
    std::unique_ptr<kayak::replica> replica;
    std::unique_ptr<replica_actor_config> config_storage;  // set when the actor starts
    replica_actor_config& config() { return *config_storage; }
    std::map<node_id, public_key> node_members;  // reverse of config.member_nodes
    std::map<digest, node_id> reply_to;          // request hash -> the client's node
    bytes channel;  // the database id: the channel of everything this replica sends and hears
    std::uint64_t undecodable_payloads = 0;
    // One pass over the mailbox is one log group (kayak::log_store's group commit): the
    // first step of a pass opens it and sends the flush message to the back of the mailbox;
    // every step until the flush comes round saves into the same log transaction, and what
    // those steps produced waits here. The flush closes the group (one fsync for the votes
    // of all of them), then sends it all. Nothing leaves before the state it vouches for is
    // on disk, as without groups.
    bool log_group_open = false;
    std::vector<kayak::replica_output> held_outputs;  // their replies are in unsigned_replies
    // Answers produced since the last flush, signed together when it comes round: one
    // signature for the answers of a batch, or for a burst of reads.
    std::vector<kayak::client_reply> unsigned_replies;
    // Member-status answers given while a group was open: they state this member's view and
    // last commit, which may be in that group, so they too leave only after it is on disk.
    struct held_status {
        bytes to_node;
        bytes answer;
    };
    std::vector<held_status> held_statuses;
    bool flush_scheduled = false;
    // When the latest proposal timer (propose_due_atom) is set to fire: the leader's
    // waiting requests make a batch then rather than at the next tick.
    std::optional<std::int64_t> proposal_timer_ms;
    bool execution_scheduled = false;  // an execute_due_atom is in the mailbox
};

/// (flush_atom): the end of a pass over the mailbox: close the log group, send what its
/// steps produced, sign and send the answers gathered since the last flush.
using flush_atom = caf::atom_constant<caf::atom("flush")>;
/// (propose_due_atom): the leader's oldest waiting request has waited batch_delay_ms.
using propose_due_atom = caf::atom_constant<caf::atom("propdue")>;
/// (execute_due_atom): execute the batches committed so far (execute_in_own_step), after
/// the messages of the step that committed them went out.
using execute_due_atom = caf::atom_constant<caf::atom("execdue")>;

constexpr message_kind subscribed_kinds[] = {
    message_kind::client_request,  message_kind::kayak_prepare,
    message_kind::kayak_vote,      message_kind::kayak_commit,
    message_kind::kayak_commit_certificate, message_kind::kayak_execution,
    message_kind::kayak_execution_wanted,
    message_kind::kayak_new_view,  message_kind::kayak_fetch,
    message_kind::kayak_fetch_reply, message_kind::shard_block_vote,
    message_kind::shard_block_fetch, message_kind::shard_block_fetch_reply,
    message_kind::member_status_query,
};

using self_pointer = caf::stateful_actor<replica_actor_state>*;

std::int64_t now_ms(self_pointer self) {
    const auto since_epoch = self->clock().now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() +
           self->state.config().clock_offset_ms;
}

void schedule_flush(self_pointer self) {
    auto& st = self->state;
    if (st.flush_scheduled) return;
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
}

/// Sends what a step produced for the network and the view authority (its replies went to
/// unsigned_replies).
void send_output(self_pointer self, kayak::replica_output& out) {
    auto& st = self->state;
    for (auto& m : out.messages) {
        for (const auto& member : m.to) {
            auto node = st.config().member_nodes.find(member);
            if (node == st.config().member_nodes.end()) continue;
            self->send(st.config().router, send_atom::value, node->second.view().to_bytes(),
                       static_cast<std::uint16_t>(m.kind), st.channel, m.payload);
        }
    }
    if (st.config().view_authority) {
        for (auto& s : out.suspicions)
            self->send(st.config().view_authority, suspect_atom::value, protocols::encode(s));
        for (auto& e : out.evidence)
            self->send(st.config().view_authority, evidence_atom::value, protocols::encode(e));
        for (auto& c : out.checkpoints) {
            // The transaction codec carries (and checks) the checkpoint whole.
            protocols::transaction carrier;
            carrier.sender = st.config().key.public_key();
            carrier.nonce = account_nonce(1);
            carrier.body = std::move(c);
            carrier.sign(st.config().key);
            self->send(st.config().view_authority, checkpoint_atom::value, protocols::encode(carrier));
        }
    }
}

void carry_out(self_pointer self, kayak::replica_output&& out) {
    auto& st = self->state;
    for (auto& r : out.replies) {
        if (st.reply_to.count(r.request_hash) == 0) continue;  // not a client of this node
        st.unsigned_replies.push_back(std::move(r));
    }
    out.replies.clear();
    if (!out.messages.empty() || !out.suspicions.empty() || !out.evidence.empty() ||
        !out.checkpoints.empty()) {
        if (st.log_group_open) st.held_outputs.push_back(std::move(out));
        else send_output(self, out);
    }
    if (!st.unsigned_replies.empty()) schedule_flush(self);
    if (st.replica->execution_due() && !st.execution_scheduled) {
        st.execution_scheduled = true;
        self->send(self, execute_due_atom::value);
    }
    if (auto due = st.replica->proposal_due_ms();
        due && (!st.proposal_timer_ms || *due < *st.proposal_timer_ms)) {
        // At least 1 ms ahead: a timer that found nothing to propose cannot spin.
        const std::int64_t now = now_ms(self);
        const std::int64_t wait_ms = std::max<std::int64_t>(*due - now, 1);
        st.proposal_timer_ms = now + wait_ms;
        self->delayed_send(self, std::chrono::milliseconds(wait_ms), propose_due_atom::value,
                           *st.proposal_timer_ms);
    }
}

/// Runs one replica step inside the pass's log group (opening it, and scheduling the flush
/// that closes it, if this is the pass's first step).
template <class Step>
void run_step(self_pointer self, Step&& step) {
    auto& st = self->state;
    if (!st.log_group_open) {
        st.config().log->begin_group();
        st.log_group_open = true;
        schedule_flush(self);
    }
    carry_out(self, step());
}

// Decodes a payload of a known kind and hands it to the replica; undecodable payloads
// are counted by the replica's refusal counter through a no-op.
// The simulator's injected bug skip-client-signature-check (never set in production): while
// a protocols::client_signatures_unchecked scope lives, decoding takes client requests
// without checking their signatures, in messages and in the replica's own log alike.
bool skips_client_signatures(replica_actor_state& st) {
    return st.config().replica.bugs.has(kayak::injected_bug::skip_client_signature_check);
}

void flush(self_pointer self) {
    auto& st = self->state;
    st.flush_scheduled = false;
    if (st.log_group_open) {
        st.config().log->end_group();  // durable: now what it vouches for may go out
        st.log_group_open = false;
    }
    auto outputs = std::move(st.held_outputs);
    st.held_outputs.clear();
    for (auto& out : outputs) send_output(self, out);
    for (auto& status : st.held_statuses)
        self->send(st.config().router, send_atom::value, std::move(status.to_node),
                   static_cast<std::uint16_t>(message_kind::member_status), st.channel,
                   std::move(status.answer));
    st.held_statuses.clear();
    if (st.unsigned_replies.empty()) return;
    auto replies = std::move(st.unsigned_replies);
    st.unsigned_replies.clear();
    std::vector<protocols::client_response*> to_sign;
    to_sign.reserve(replies.size());
    for (auto& r : replies) to_sign.push_back(&r.response);
    protocols::sign_responses(std::move(to_sign), st.config().key);
    for (auto& r : replies) {
        auto client = st.reply_to.find(r.request_hash);
        if (client == st.reply_to.end()) continue;  // answered already (a duplicate request)
        self->send(st.config().router, send_atom::value, client->second.view().to_bytes(),
                   static_cast<std::uint16_t>(message_kind::client_response), st.channel,
                   protocols::encode(r.response));
        st.reply_to.erase(client);
    }
}

kayak::replica_output dispatch(self_pointer self, const inbound_envelope& in) {
    auto& st = self->state;
    auto& r = *st.replica;
    const std::int64_t now = now_ms(self);
    std::optional<protocols::client_signatures_unchecked> unchecked;
    if (skips_client_signatures(st)) unchecked.emplace();
    const auto sender_node = node_id::from_view(in.sender_node_id);
    const auto sender_member =
        sender_node ? st.node_members.find(*sender_node) : st.node_members.end();
    const bool from_member = sender_member != st.node_members.end();
    switch (static_cast<message_kind>(in.kind)) {
        case message_kind::client_request: {
            // The decoder hashes the request to check its signature: that hash is used here
            // and by the replica (and its batch), never computed again.
            auto m = protocols::decode_client_request_hashed(in.payload);
            if (!m) break;
            if (!from_member && sender_node) st.reply_to[m->hash] = *sender_node;
            return r.on_client_request(std::move(m->request), m->hash, now, from_member);
        }
        case message_kind::kayak_prepare:
            if (auto m = protocols::decode_prepare(in.payload)) return r.on_prepare(std::move(*m), now);
            break;
        case message_kind::kayak_vote:
            if (auto m = protocols::decode_vote(in.payload)) return r.on_vote(*m, now);
            break;
        case message_kind::kayak_commit:
            if (auto m = protocols::decode_commit(in.payload)) return r.on_commit(*m, now);
            break;
        case message_kind::kayak_commit_certificate:
            if (!from_member) break;
            if (auto m = protocols::decode_commit_certificate(in.payload))
                return r.on_commit_certificate(*m, sender_member->second, now);
            break;
        case message_kind::kayak_execution:
            if (auto m = protocols::decode_execution(in.payload)) return r.on_execution(*m, now);
            break;
        case message_kind::kayak_execution_wanted:
            if (auto m = protocols::decode_execution(in.payload)) return r.on_execution_wanted(*m, now);
            break;
        case message_kind::kayak_new_view:
            if (auto m = protocols::decode_new_view(in.payload)) return r.on_new_view(*m, now);
            break;
        case message_kind::kayak_fetch:
            if (!from_member) break;
            if (auto m = protocols::decode_fetch_batches(in.payload))
                return r.on_fetch(*m, sender_member->second);
            break;
        case message_kind::kayak_fetch_reply:
            if (!from_member) break;
            if (auto m = protocols::decode_fetch_reply(in.payload))
                return r.on_fetch_reply(*m, sender_member->second, now);
            break;
        case message_kind::shard_block_vote:
            if (auto m = protocols::decode_shard_block_vote(in.payload))
                return r.on_shard_block_vote(*m, now);
            break;
        case message_kind::shard_block_fetch: {
            // Served to anyone (the blocks hold hashes and signatures, no data), straight
            // back to the node that asked.
            auto m = protocols::decode_shard_block_fetch(in.payload);
            if (!m || !sender_node) break;
            auto reply = r.shard_blocks_for(*m);
            if (!reply) break;
            self->send(st.config().router, send_atom::value, in.sender_node_id,
                       static_cast<std::uint16_t>(message_kind::shard_block_fetch_reply), st.channel,
                       protocols::encode(*reply));
            return {};
        }
        case message_kind::member_status_query: {
            // Answered to anyone, signed, straight back to the node that asked (`cql info`).
            auto m = protocols::decode_member_status_query(in.payload);
            if (!m || !sender_node || m->database != st.config().replica.database) break;
            protocols::member_progress p;
            p.view = r.view();
            p.last_committed = r.last_committed();
            p.last_executed = r.last_executed();
            p.state_digest = r.state_digest();
            if (auto head = r.shard_head()) {
                p.shard_height = head->height;
                p.shard_head = head->hash;
            }
            const auto answer = protocols::member_status::answer(
                *m, p, std::max<std::int64_t>(now, 0), st.config().key);
            if (st.log_group_open) {
                st.held_statuses.push_back({in.sender_node_id, protocols::encode(answer)});
                schedule_flush(self);
            } else {
                self->send(st.config().router, send_atom::value, in.sender_node_id,
                           static_cast<std::uint16_t>(message_kind::member_status), st.channel,
                           protocols::encode(answer));
            }
            return {};
        }
        case message_kind::shard_block_fetch_reply:
            if (!from_member) break;
            if (auto m = protocols::decode_shard_block_fetch_reply(in.payload))
                return r.on_shard_block_fetch_reply(*m, sender_member->second, now);
            break;
        default: break;
    }
    ++st.undecodable_payloads;  // also: a kind only members may send, from a non-member
    return {};
}

caf::behavior replica_actor(self_pointer self, replica_actor_config config) {
    auto& st = self->state;
    st.config_storage = std::make_unique<replica_actor_config>(std::move(config));
    for (const auto& [member, node] : st.config().member_nodes) st.node_members[node] = member;
    st.channel = st.config().replica.database.view().to_bytes();
    // This actor runs executions as steps of their own (execute_due_atom).
    st.config().replica.execute_in_own_step = true;
    st.replica = std::make_unique<kayak::replica>(st.config().replica, st.config().key,
                                                  *st.config().log, *st.config().executor,
                                                  *st.config().blocks, *st.config().permissions);
    // On this database's channel only: the node may run replicas of other databases. (The
    // router drops these subscriptions when this actor terminates.)
    for (auto kind : subscribed_kinds)
        self->send(st.config().router, subscribe_atom::value, static_cast<std::uint16_t>(kind),
                   st.channel, caf::actor_cast<caf::actor>(self));
    {
        std::optional<protocols::client_signatures_unchecked> unchecked;
    if (skips_client_signatures(st)) unchecked.emplace();
        run_step(self, [&] { return st.replica->start(now_ms(self)); });
    }
    self->delayed_send(self, std::chrono::milliseconds(st.config().tick_ms), tick_atom::value);
    return {
        [=](deliver_atom, const inbound_envelope& in) {
            run_step(self, [&] { return dispatch(self, in); });
        },
        [=](flush_atom) {
            if (self->current_sender() != self->ctrl()) return;
            flush(self);
        },
        [=](execute_due_atom) {
            if (self->current_sender() != self->ctrl()) return;
            self->state.execution_scheduled = false;
            run_step(self, [&] { return self->state.replica->on_execution_due(now_ms(self)); });
        },
        [=](propose_due_atom, std::int64_t fires_at_ms) {
            if (self->current_sender() != self->ctrl()) return;
            auto& st2 = self->state;
            // Only the latest timer clears the mark (an earlier one may still be on its way).
            if (st2.proposal_timer_ms == fires_at_ms) st2.proposal_timer_ms.reset();
            run_step(self, [&] { return st2.replica->on_proposal_due(now_ms(self)); });
        },
        [=](tick_atom) {
            std::optional<protocols::client_signatures_unchecked> unchecked;
            if (skips_client_signatures(self->state)) unchecked.emplace();
            run_step(self, [&] { return self->state.replica->on_tick(now_ms(self)); });
            self->delayed_send(self, std::chrono::milliseconds(self->state.config().tick_ms),
                               tick_atom::value);
        },
        [=](view_change_atom, std::uint64_t view) {
            run_step(self, [&] {
                return self->state.replica->on_view_change(view_number(view), now_ms(self));
            });
        },
        [=](replica_status_atom) {
            const auto& r = *self->state.replica;
            replica_status s;
            s.view = r.view().value;
            s.last_committed = r.last_committed().value;
            s.last_executed = r.last_executed().value;
            s.state_digest = r.state_digest().view().to_bytes();
            s.batches_committed = r.stats().batches_committed;
            s.messages_refused = r.stats().messages_refused;
            s.batches_refused = r.stats().batches_refused;
            s.catch_up_batches = r.stats().catch_up_batches;
            s.divergent_executions = r.stats().divergent_executions;
            s.undecodable_payloads = self->state.undecodable_payloads;
            if (auto head = r.shard_head()) {
                s.shard_height = head->height.value;
                s.shard_head_hash = head->hash.view().to_bytes();
            }
            s.last_refusal = r.stats().last_refusal;
            s.leader_timing = r.stats().leader_timing;
            if (self->state.config().storage_report) self->state.config().storage_report(s);
            return s;
        },
    };
}

}  // namespace

void add_replica_message_types(caf::actor_system_config& config) {
    config.add_message_type<replica_status>("covenant::replica_status");
}

caf::actor spawn_replica_actor(caf::actor_system& system, replica_actor_config config) {
    return system.spawn(replica_actor, std::move(config));
}

}  // namespace covenant::actors
