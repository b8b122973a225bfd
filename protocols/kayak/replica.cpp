// The Kayak replica state machine (see replica.hpp for the protocol).
#include "protocols/kayak/replica.hpp"

#include <algorithm>

#include "common/assert.hpp"
#include "crypto/hash.hpp"
#include "protocols/codec.hpp"
#include "protocols/limits.hpp"
#include "protocols/merkle.hpp"
#include "protocols/shard_chain.hpp"

namespace covenant::kayak {

using namespace protocols;

void replica_output::append(replica_output&& other) {
    for (auto& m : other.messages) messages.push_back(std::move(m));
    for (auto& r : other.replies) replies.push_back(std::move(r));
    for (auto& s : other.suspicions) suspicions.push_back(std::move(s));
    for (auto& e : other.evidence) evidence.push_back(std::move(e));
    for (auto& c : other.checkpoints) checkpoints.push_back(std::move(c));
}

replica::replica(replica_config config, crypto::key_pair key, log_store& log,
                 batch_executor& executor, block_store& blocks,
                 const permission_source& permissions)
    : config_(std::move(config)),
      key_(std::move(key)),
      log_(log),
      executor_(executor),
      blocks_(blocks),
      permissions_(permissions) {
    COVENANT_ASSERT(config_.groups.latest().contains(key_.public_key()),
                    "a replica must be a member of its database's latest group");
    COVENANT_ASSERT(config_.pipeline_depth >= 1 && config_.pipeline_depth <= limits::pipeline_depth_max,
                    "pipeline depth out of range");
    COVENANT_ASSERT(config_.batch_requests_max >= 1 &&
                        config_.batch_requests_max <= limits::requests_per_batch_max,
                    "batch size out of range");
}

// ---- start and recovery -------------------------------------------------------------

replica_output replica::start(std::int64_t now_ms) {
    replica_output out;
    recovered_log recovered = log_.recover();
    view_ = recovered.view;
    last_committed_ = recovered.last_committed;
    last_committed_hash_ = recovered.last_committed_hash;
    last_committed_timestamp_ms_ = recovered.last_committed_timestamp_ms;
    for (auto& [seq, accepted] : recovered.accepted) {
        // As at a view change: what an old view accepted without a lock cannot commit.
        if (accepted.view < recovered.view && !accepted.prepared) continue;
        slot& s = slots_[seq];
        s.hash = accepted.batch.hash();
        s.batch = std::move(accepted.batch);
        s.accepted = true;
        s.accepted_view = accepted.view;
        s.prepared = std::move(accepted.prepared);
    }
    // Strong mode executes only committed batches. An eventual-mode leader executes as it
    // proposes, so it may hold batches its log has not committed yet (see docs/kayak.md).
    COVENANT_ASSERT(config_.mode == consistency_mode::eventual ||
                        executor_.applied_seq() <= last_committed_,
                    "the database has executed batches its log never committed");
    // Client sequences: replay the committed history's requests (the log keeps it all).
    for (sequence_number from(1); from <= last_committed_;) {
        const auto chunk = log_.load_committed(from, 256);
        COVENANT_ASSERT(!chunk.empty(), "committed batches missing from the log");
        // (an eventual-mode leader may have executed past its log: see above)
        for (const auto& c : chunk) {
            for (const auto& r : c.batch.requests) committed_client_seq_[r.client] = r.sequence.value;
            if (c.batch.header.seq > executor_.applied_seq())
                to_execute_.push_back(c);
        }
        from = sequence_number(chunk.back().batch.header.seq.value + 1);
    }
    next_seq_ = last_committed_.next();
    tip_hash_ = last_committed_hash_;
    tip_timestamp_ms_ = last_committed_timestamp_ms_;
    const bool proposed_in_this_view =
        std::any_of(slots_.begin(), slots_.end(), [&](const auto& e) { return e.second.accepted_view == view_; });
    if (!is_leader() && view_.value > 0) heard_from_leader_ = false;  // until it shows up again
    if (is_leader()) {
        if (recovered.started_view < view_ && !proposed_in_this_view) {
            // We were gathering NEW-VIEWs when we stopped: gather them again (members
            // re-send theirs until the view starts), never propose over what they carry.
            view_change_pending_ = true;
            new_views_[view_][key_.public_key()] = make_new_view();
        } else {
            // Our own view: what we proposed in it stays proposed. Signing the same
            // (view, seq, batch) again gives the same signature (Ed25519 is deterministic),
            // so re-sending it is no equivocation; new batches go after it.
            // A lock from an earlier view right after them is re-proposed with its own
            // certificate as justification (we crashed while re-proposing the chain).
            for (auto& [seq, s] : slots_) {
                if (seq != next_seq_ || !s.batch || s.batch->header.parent != tip_hash_) break;
                if (s.accepted_view != view_ && !s.prepared) break;
                if (s.accepted_view != view_) s.justification = s.prepared;
                proposal p{config_.database, view_, seq, s.hash, key_.public_key(), {}};
                p.sign(key_);
                s.proposal = p;
                s.accepted = true;
                s.accepted_view = view_;
                s.last_sent_ms = 0;  // re-sent at the first tick
                s.retransmit_wait_ms = 0;
                s.prepare_votes[key_.public_key()] =
                    make_vote(vote_phase::prepare, seq, s.hash).voter_signature;  // our own
                for (std::size_t i = 0; i < s.batch->requests.size(); ++i)
                    in_flight_.insert(s.batch->request_hash(i));
                next_seq_ = seq.next();
                tip_hash_ = s.hash;
                tip_timestamp_ms_ = s.batch->header.timestamp_ms;
            }
            if (recovered.started_view < view_) log_.save_view_started(view_);
        }
    }
    // Eventual mode: batches this leader executed before they committed. Their results
    // stand ready for the commit (to sign and to seal into the shard chain).
    for (const auto& [seq, spec] : recovered.speculative) {
        if (seq <= last_committed_ || seq > executor_.applied_seq()) continue;
        auto& done = executed_[seq];
        done.executed = true;
        done.seq = seq;
        done.batch_hash = spec.batch_hash;
        done.result.results_root = spec.results_root;
        done.result.state_digest = spec.state_digest;
        done.answered = true;  // its clients were answered before the restart
        execution_message own;
        own.database = config_.database;
        own.view = view_;
        own.seq = seq;
        own.batch_hash = spec.batch_hash;
        own.results_root = spec.results_root;
        own.state_digest = spec.state_digest;
        own.signer = key_.public_key();
        own.sign(key_);
        done.executions[own.signer] = own;
    }
    last_seal_ms_ = now_ms;
    note_progress(now_ms);
    // Executed batches not yet in a stored block: seal again what was sealed before.
    for (auto& e : log_.load_entries(chain_tip().last_seq.next())) unsealed_.push_back(std::move(e));
    seal_blocks(now_ms, out);
    execute_committed(now_ms, out);
    return out;
}

// ---- clients ------------------------------------------------------------------------

client_response replica::rejection_reply(const client_request& request, rejection_reason reason,
                                          std::string message) const {
    client_response r;
    r.database = config_.database;
    r.request_hash = request.hash();
    r.responder = key_.public_key();
    r.state_seq = executor_.applied_seq();
    r.state_digest = executor_.state_digest();
    std::optional<public_key> hint;
    if (reason == rejection_reason::not_leader) hint = members().leader(view_);
    r.body = rejection{reason, std::move(message), hint};
    return r;
}

replica_output replica::on_client_request(client_request request, std::int64_t now_ms,
                                          bool forwarded) {
    const digest request_hash = request.hash();
    return on_client_request(std::move(request), request_hash, now_ms, forwarded);
}

replica_output replica::on_client_request(client_request request, const digest& request_hash,
                                          std::int64_t now_ms, bool forwarded) {
    replica_output out;
    auto reject = [&](rejection_reason reason, std::string message) {
        // A member that forwarded a request checked it already: nothing to tell it.
        if (!forwarded)
            out.replies.push_back({request_hash, rejection_reply(request, reason, std::move(message))});
        return std::move(out);
    };
    if (request.database != config_.database)
        return reject(rejection_reason::unknown_database, "this replica serves another database");
    const auto role = permissions_.role_of(crypto::address_of(request.client));
    if (!role) return reject(rejection_reason::not_permitted, "no role on this database");

    if (request.kind == query_kind::read) {
        if (forwarded) return out;
        client_response r;
        r.database = config_.database;
        r.request_hash = request_hash;
        r.responder = key_.public_key();
        r.state_seq = executor_.applied_seq();
        r.state_digest = executor_.state_digest();
        r.body = executor_.read(request, now_ms);
        out.replies.push_back({request_hash, std::move(r)});
        return out;
    }

    if (*role == role::read) return reject(rejection_reason::not_permitted, "read-only role");
    if (auto reason = executor_.refusal_reason(request))
        return reject(rejection_reason::nondeterministic, *reason);

    if (!forwarded && !is_leader() && answers_awaiting_executions_.count(request_hash)) {
        // The client asks a follower again for a write it executed and is about to answer
        // once the others' executions come: a "stale sequence" now would race the answer.
        return out;
    }
    if (!is_leader() || view_change_pending_) {
        if (forwarded) {
            // Only the leader takes forwarded requests; one still gathering NEW-VIEWs keeps
            // them for when its view starts.
            if (is_leader() && awaited_requests_.size() < config_.pending_requests_max)
                awaited_requests_.emplace(request_hash, awaited_request{request, now_ms});
            return out;
        }
        // The leader orders it; we answer our client once it has executed, and suspect the
        // leader if it does not commit in time.
        // Only replays are refused here: requests may arrive out of order, and the leader
        // orders them (holding early ones until their gap fills).
        const std::uint64_t last = client_seq_before(request.client, sequence_number(~std::uint64_t{0}));
        if (request.sequence.value <= last || request.sequence.value > last + config_.client_window)
            return reject(rejection_reason::stale_sequence,
                          "expected client sequence " + std::to_string(last + 1));
        if (awaited_requests_.size() >= config_.pending_requests_max)
            return reject(rejection_reason::overloaded, "too many requests outstanding");
        awaited_requests_.emplace(request_hash, awaited_request{request, now_ms});
        clients_waiting_.insert(request_hash);
        if (!is_leader())
            send({members().leader(view_)}, message_kind::client_request, encode(request), out);
        return out;
    }
    if (in_flight_.count(request_hash)) {
        // Already ordered (the client also asked another member, who forwarded it).
        if (!forwarded) clients_waiting_.insert(request_hash);
        return out;
    }
    if (pending_.size() >= config_.pending_requests_max)
        return reject(rejection_reason::overloaded, "the leader's queue is full");
    const std::uint64_t last = [&] {
        auto queued = queued_client_seq_.find(request.client);
        if (queued != queued_client_seq_.end()) return queued->second;
        return client_seq_before(request.client, sequence_number(~std::uint64_t{0}));
    }();
    if (request.sequence.value <= last)
        return reject(rejection_reason::stale_sequence,
                      "expected client sequence " + std::to_string(last + 1));
    if (request.sequence.value > last + 1) {
        // Early: its predecessors may still be on their way. Hold it for a while.
        auto& held = held_requests_[request.client];
        if (held.size() >= config_.held_requests_per_client_max && !held.count(request.sequence.value))
            return reject(rejection_reason::stale_sequence,
                          "expected client sequence " + std::to_string(last + 1));
        held[request.sequence.value] = {std::move(request), request_hash, forwarded, now_ms};
        return out;
    }
    const public_key client = request.client;
    queue_request(std::move(request), request_hash, forwarded, now_ms);
    release_held_requests(client, now_ms);
    propose_ready_batches(now_ms, out);
    return out;
}

namespace {
// What a request adds to a PREPARE, as the batch builder counts it.
std::size_t estimated_batch_bytes(const client_request& r) {
    std::size_t bytes = 256;
    auto add = [&bytes](const std::vector<sql_parameter>& parameters) {
        for (const auto& p : parameters) {
            bytes += 64 + p.name.size();
            if (const auto* t = std::get_if<std::string>(&p.value.value)) bytes += t->size();
            if (const auto* b = std::get_if<covenant::bytes>(&p.value.value)) bytes += b->size();
        }
    };
    for (const auto& st : r.statements) {
        bytes += st.sql.size();
        add(st.parameters);
        for (const auto& set : st.parameter_sets) add(set);
    }
    return bytes;
}
}  // namespace

void replica::queue_request(client_request&& request, const digest& request_hash, bool forwarded,
                            std::int64_t now_ms) {
    queued_client_seq_[request.client] = request.sequence.value;
    if (pending_.empty()) oldest_pending_ms_ = now_ms;
    pending_bytes_ += estimated_batch_bytes(request);
    in_flight_.insert(request_hash);
    if (!forwarded) clients_waiting_.insert(request_hash);
    pending_.push_back({std::move(request), request_hash, now_ms});
}

void replica::release_held_requests(const public_key& client, std::int64_t now_ms) {
    auto held = held_requests_.find(client);
    if (held == held_requests_.end()) return;
    for (auto next = held->second.find(queued_client_seq_[client] + 1); next != held->second.end();
         next = held->second.find(queued_client_seq_[client] + 1)) {
        queue_request(std::move(next->second.request), next->second.hash, next->second.forwarded, now_ms);
        held->second.erase(next);
    }
    if (held->second.empty()) held_requests_.erase(held);
}

// ---- leader: proposing -----------------------------------------------------------------

bool replica::may_propose_next() const {
    if (!is_leader() || view_change_pending_) return false;
    // Our own lock binds us as it binds a follower: never propose a new batch at a seq
    // where we hold a prepare certificate (or a proposal of this view) for another.
    if (auto held = slots_.find(next_seq_);
        held != slots_.end() && (held->second.prepared || held->second.accepted_view == view_))
        return false;
    if (next_seq_.value - last_committed_.value - 1 >= config_.pipeline_depth) return false;
    // Followers vote for seq only once seq-1 is prepared at them (predecessor_ready): a batch
    // proposed before its predecessor is prepared here would only wait at every follower,
    // while requests arriving meanwhile would make batches of their own, each with its own
    // votes, certificates, log entries and executions. Held here, they join one batch, and
    // the pipeline still overlaps one batch's prepare phase with the earlier ones' commit
    // phase and execution.
    if (next_seq_ == last_committed_.next()) return true;
    // Strong mode answers at commit, so a short batch loses nothing by waiting for the one
    // in flight, and joins more requests. An eventual-mode leader has answered its batch
    // already: its clients' next requests would wait out a round of agreement they do not
    // need (covenant-bench, eventual mode: 9,352 writes/s waiting, 11,811 not).
    if (config_.pipeline_only_full_batches && config_.mode == consistency_mode::strong &&
        !pending_fills_a_batch())
        return false;
    auto previous = slots_.find(sequence_number(next_seq_.value - 1));
    return previous != slots_.end() && (previous->second.prepared || previous->second.committed);
}

bool replica::pending_fills_a_batch() const {
    return pending_.size() >= config_.batch_requests_max || pending_bytes_ > limits::batch_bytes_max;
}

std::optional<std::int64_t> replica::proposal_due_ms() const {
    if (pending_.empty() || !may_propose_next()) return std::nullopt;
    if (pending_.size() >= config_.batch_requests_max) return oldest_pending_ms_;
    return oldest_pending_ms_ + config_.batch_delay_ms;
}

replica_output replica::on_proposal_due(std::int64_t now_ms) {
    replica_output out;
    propose_ready_batches(now_ms, out);
    return out;
}

void replica::propose_ready_batches(std::int64_t now_ms, replica_output& out) {
    while (!pending_.empty() && may_propose_next() &&
           (pending_.size() >= config_.batch_requests_max ||
            now_ms - oldest_pending_ms_ >= config_.batch_delay_ms)) {
        batch b;
        b.header.database = config_.database;
        b.header.seq = next_seq_;
        b.header.parent = tip_hash_;
        b.header.timestamp_ms = std::max(now_ms, tip_timestamp_ms_);
        std::size_t bytes_in_batch = 0;
        while (!pending_.empty() && b.requests.size() < config_.batch_requests_max) {
            // Keep a PREPARE within one message (limits::batch_bytes_max).
            const std::size_t request_bytes = estimated_batch_bytes(pending_.front().request);
            if (!b.requests.empty() && bytes_in_batch + request_bytes > limits::batch_bytes_max) break;
            bytes_in_batch += request_bytes;
            pending_bytes_ -= request_bytes;
            if (config_.mode == consistency_mode::strong) {
                ++stats_.leader_timing.requests;
                stats_.leader_timing.queued_ms += now_ms - pending_.front().arrived_ms;
            }
            b.requests.push_back(std::move(pending_.front().request));
            b.request_hashes.push_back(pending_.front().hash);
            pending_.pop_front();
        }
        oldest_pending_ms_ = now_ms;
        ++batches_since_seal_;
        if (batches_since_seal_ >= config_.seal_every_batches ||
            b.header.timestamp_ms - last_seal_ms_ >= config_.seal_every_ms) {
            b.header.seals_block = true;
            batches_since_seal_ = 0;
            last_seal_ms_ = b.header.timestamp_ms;
        }
        b.seal_header_from_request_hashes();  // the hashes came with the requests
        propose(std::move(b), std::nullopt, now_ms, out);
    }
}

void replica::propose(batch b, std::optional<certificate> justification, std::int64_t now_ms,
                      replica_output& out) {
    const sequence_number seq = b.header.seq;
    COVENANT_ASSERT(seq == next_seq_, "proposals go in sequence order");
    prepare_message prepare;
    prepare.proposed.database = config_.database;
    prepare.proposed.view = view_;
    prepare.proposed.seq = seq;
    prepare.proposed.batch_hash = b.hash();
    prepare.proposed.leader = key_.public_key();
    prepare.proposed.sign(key_);
    prepare.batch = std::move(b);
    prepare.justification = std::move(justification);
    prepare.last_commit = last_commit_certificate_;

    slot& s = slots_[seq];
    s.justification = prepare.justification;
    s.last_sent_ms = now_ms;
    s.proposed_ms = now_ms;
    s.prepared_ms = -1;
    s.hash = prepare.proposed.batch_hash;
    s.proposal = prepare.proposed;
    s.accepted = true;
    s.accepted_view = view_;
    s.prepare_votes.clear();
    s.commit_votes.clear();
    s.sent_commit_vote = false;
    log_.save_accepted(view_, prepare.batch);

    tip_hash_ = s.hash;
    tip_timestamp_ms_ = prepare.batch.header.timestamp_ms;
    next_seq_ = seq.next();
    ++stats_.batches_proposed;
    send(others(), message_kind::kayak_prepare, encode(prepare), out);

    if (config_.mode == consistency_mode::eventual && seq == executor_.applied_seq().next()) {
        // Answer now; agreement and the followers' execution follow. The accepted batch is
        // on disk first: the database must never be ahead of the log.
        log_.sync();
        const auto result = executor_.execute(prepare.batch, prepare.batch.header.timestamp_ms);
        stats_.requests_executed += prepare.batch.requests.size();
        for (std::size_t i = 0; i < result.outcomes.size(); ++i) {
            const digest& request_hash = result.outcomes[i].request_hash;
            if (clients_waiting_.erase(request_hash) == 0) continue;
            client_response r;
            r.database = config_.database;
            r.request_hash = request_hash;
            r.responder = key_.public_key();
            r.state_seq = seq;
            r.state_digest = result.state_digest;
            r.body = result.outcomes[i];
            out.replies.push_back({request_hash, std::move(r)});
        }
        execution_message own;
        own.database = config_.database;
        own.view = view_;
        own.seq = seq;
        own.batch_hash = s.hash;
        own.results_root = result.results_root;
        own.state_digest = result.state_digest;
        own.signer = key_.public_key();
        own.sign(key_);
        log_.save_speculative(seq, {s.hash, result.results_root, result.state_digest});
        log_.sync();  // as for a shard entry (record_entry): the database holds the batch
        auto& done = executed_[seq];
        done.result = result;
        done.executions[own.signer] = own;
        done.answered = true;
        keep_executed(done, prepare.batch);
    }
    s.batch = std::move(prepare.batch);  // sent, logged (and executed): the slot keeps it
    // The leader's own prepare vote.
    const vote own = make_vote(vote_phase::prepare, seq, s.hash);
    record_prepare_vote(s, own.voter, own.voter_signature, out);
    advance_commits(now_ms, out);  // a group of one commits on its own vote
}

prepare_message replica::prepare_for(sequence_number seq, const slot& s) const {
    (void)seq;
    prepare_message prepare;
    prepare.proposed = *s.proposal;
    prepare.batch = *s.batch;
    prepare.justification = s.justification;
    if (last_commit_certificate_ && last_commit_certificate_->seq < s.batch->header.seq)
        prepare.last_commit = last_commit_certificate_;
    return prepare;
}

void replica::retransmit(std::int64_t now_ms, replica_output& out) {
    if (!is_leader() || view_change_pending_) return;
    // Only to the members whose vote is missing, and each time a slot goes unanswered the
    // wait doubles (up to retransmit_max_ms): a batch slowed by a busy group, not lost, was
    // otherwise sent whole to every member again every retransmit_ms, and every copy cost
    // each receiver a decode and the leader a send while the group was short of CPU.
    const std::int64_t longest = std::max(config_.retransmit_ms, config_.retransmit_max_ms);
    for (auto& [seq, s] : slots_) {
        if (!s.accepted || s.accepted_view != view_ || !s.proposal || s.committed) continue;
        const std::int64_t wait = s.retransmit_wait_ms > 0 ? s.retransmit_wait_ms : config_.retransmit_ms;
        if (now_ms - s.last_sent_ms < wait) continue;
        s.last_sent_ms = now_ms;
        s.retransmit_wait_ms = std::min(longest, wait * 2);
        const bool prepared = s.prepared && s.prepared->view == view_;
        const auto& voted = prepared ? s.commit_votes : s.prepare_votes;
        std::vector<public_key> missing;
        for (const auto& m : others())
            if (voted.count(m) == 0) missing.push_back(m);
        if (prepared)
            send(std::move(missing), message_kind::kayak_commit, encode(commit_message{*s.prepared}), out);
        else
            send(std::move(missing), message_kind::kayak_prepare, encode(prepare_for(seq, s)), out);
    }
    // The last commit certificate, for members that missed it while nothing else is moving.
    if (last_commit_certificate_ && slots_.empty() && now_ms - last_progress_ms_ >= config_.retransmit_ms &&
        now_ms - last_commit_broadcast_ms_ >= config_.retransmit_ms * 5) {
        last_commit_broadcast_ms_ = now_ms;
        send(others(), message_kind::kayak_commit_certificate, encode(*last_commit_certificate_), out);
    }
}

// ---- members: PREPARE ----------------------------------------------------------------

std::uint64_t replica::client_seq_before(const public_key& client, sequence_number seq) const {
    std::uint64_t last = 0;
    if (auto c = committed_client_seq_.find(client); c != committed_client_seq_.end()) last = c->second;
    for (auto it = slots_.begin(); it != slots_.end() && it->first < seq; ++it) {
        if (!it->second.batch) continue;
        for (const auto& r : it->second.batch->requests)
            if (r.client == client) last = r.sequence.value;
    }
    return last;
}

std::optional<std::string> replica::request_fault(const client_request& request,
                                                  std::map<public_key, std::uint64_t>& expected) const {
    if (request.kind != query_kind::write) return std::string("a read request in a batch");
    const auto role = permissions_.role_of(crypto::address_of(request.client));
    if (!role || *role == role::read)
        return "client " + request.client.hex() + " may not write";
    if (auto reason = executor_.refusal_reason(request)) return *reason;
    auto& last = expected[request.client];
    if (request.sequence.value != last + 1)
        return "client " + request.client.hex() + " sequence " +
               std::to_string(request.sequence.value) + " where " + std::to_string(last + 1) +
               " was due";
    last = request.sequence.value;
    return std::nullopt;
}

bool replica::predecessor_ready(const batch& b) const {
    const sequence_number seq = b.header.seq;
    if (seq == last_committed_.next()) return true;
    auto previous = slots_.find(sequence_number(seq.value - 1));
    return previous != slots_.end() && previous->second.batch &&
           (previous->second.prepared || previous->second.committed);
}

std::optional<std::string> replica::batch_fault(const batch& b, std::int64_t now_ms) const {
    const sequence_number seq = b.header.seq;
    digest parent_hash = last_committed_hash_;
    std::int64_t parent_time = last_committed_timestamp_ms_;
    if (seq != last_committed_.next()) {
        const slot& previous = slots_.at(sequence_number(seq.value - 1));
        parent_hash = previous.hash;
        parent_time = previous.batch->header.timestamp_ms;
    }
    if (b.header.parent != parent_hash) return std::string("parent is not the batch before it");
    if (b.header.timestamp_ms < parent_time) return std::string("time runs backwards");
    if (b.header.timestamp_ms > now_ms + config_.clock_skew_max_ms)
        return std::string("time too far ahead of ours");
    std::map<public_key, std::uint64_t> expected;
    for (const auto& r : b.requests)
        if (!expected.count(r.client)) expected[r.client] = client_seq_before(r.client, seq);
    for (const auto& r : b.requests)
        if (auto fault = request_fault(r, expected)) return fault;
    return std::nullopt;
}

replica_output replica::on_prepare(prepare_message prepare, std::int64_t now_ms) {
    replica_output out;
    const auto& p = prepare.proposed;
    if (p.database != config_.database || p.view != view_) {
        refuse("prepare for another database or view");
        return out;
    }
    if (p.leader != members().leader(view_) || p.leader == key_.public_key()) {
        refuse("prepare not from this view's leader");
        return out;
    }
    if (prepare.last_commit)
        out.append(on_commit_certificate(*prepare.last_commit, p.leader, now_ms));
    if (p.seq <= last_committed_) return out;  // already decided
    if (p.seq.value > last_committed_.value + 2 * limits::pipeline_depth_max) {
        request_catch_up(p.leader, now_ms, out);  // we are behind
        return out;
    }
    accept_prepare(std::move(prepare), now_ms, out);
    retry_buffered_prepares(now_ms, out);
    return out;
}

void replica::accept_prepare(prepare_message&& prepare, std::int64_t now_ms,
                             replica_output& out) {
    const auto& p = prepare.proposed;
    heard_from_leader_ = true;
    auto existing = slots_.find(p.seq);
    slot empty_slot;
    slot& s = existing != slots_.end() ? existing->second : empty_slot;
    if (s.accepted && s.accepted_view == view_) {
        if (s.hash == p.batch_hash) {
            // A repeated PREPARE: our vote may have been lost; send it again.
            send({p.leader}, message_kind::kayak_vote,
                 encode(make_vote(vote_phase::prepare, p.seq, s.hash)), out);
        } else if (s.proposal && s.proposal->leader == p.leader) {
            // The leader signed two batches for one slot: evidence.
            keep_evidence(tx::evidence{tx::conflicting_proposals{*s.proposal, p}}, out);
            leader_misbehaved_ = true;
            refuse("leader equivocated");
        }
        return;
    }
    // (new-leader-ignores-lock: a lock of an earlier view binds nobody in this one.)
    const bool lock_ignored = bug(injected_bug::new_leader_ignores_lock) && s.prepared &&
                              s.prepared->view < view_;
    if (s.prepared && s.prepared->batch_hash != p.batch_hash && !lock_ignored &&
        !(prepare.justification && prepare.justification->view > s.prepared->view)) {
        ++stats_.batches_refused;
        refuse("proposal conflicts with our lock and carries no later certificate");
        leader_misbehaved_ = true;
        return;
    }
    if (prepare.justification) {
        if (auto fault = certificate_refusal(*prepare.justification)) {
            refuse("justification: " + *fault);
            return;
        }
    }
    if (!predecessor_ready(prepare.batch)) {
        const sequence_number seq = p.seq;  // p refers into prepare, which moves
        if (buffered_prepares_.size() < config_.buffered_prepares_max || buffered_prepares_.count(seq))
            buffered_prepares_[seq] = std::move(prepare);
        return;
    }
    if (auto fault = batch_fault(prepare.batch, now_ms)) {
        ++stats_.batches_refused;
        refuse("batch " + std::to_string(p.seq.value) + ": " + *fault);
        leader_misbehaved_ = true;
        return;
    }
    log_.save_accepted(view_, prepare.batch);  // durable before the vote
    slot& accepted = existing != slots_.end() ? existing->second : slots_[p.seq];
    if (existing == slots_.end()) accepted = std::move(empty_slot);
    accept_into(accepted, std::move(prepare));  // moves the batch only: p stays readable
    send({p.leader}, message_kind::kayak_vote,
         encode(make_vote(vote_phase::prepare, p.seq, accepted.hash)), out);
}

void replica::accept_into(slot& s, prepare_message&& prepare) {
    const auto& p = prepare.proposed;
    s.batch = std::move(prepare.batch);
    s.hash = p.batch_hash;
    s.proposal = p;
    s.accepted = true;
    s.accepted_view = view_;
    if (s.prepared && s.prepared->batch_hash != s.hash) s.prepared.reset();  // superseded lock
}

void replica::retry_buffered_prepares(std::int64_t now_ms, replica_output& out) {
    bool progressed = true;
    while (progressed) {
        progressed = false;
        for (auto it = buffered_prepares_.begin(); it != buffered_prepares_.end();) {
            const auto& prepare = it->second;
            if (prepare.proposed.view != view_ || prepare.proposed.seq <= last_committed_) {
                it = buffered_prepares_.erase(it);
                continue;
            }
            if (!predecessor_ready(prepare.batch)) {
                ++it;
                continue;
            }
            auto ready = std::move(it->second);
            it = buffered_prepares_.erase(it);
            accept_prepare(std::move(ready), now_ms, out);
            progressed = true;
        }
    }
}

// ---- votes and certificates ----------------------------------------------------------

vote replica::make_vote(vote_phase phase, sequence_number seq, const digest& hash) {
    vote v;
    v.phase = phase;
    v.database = config_.database;
    v.view = view_;
    v.seq = seq;
    v.batch_hash = hash;
    v.voter = key_.public_key();
    v.sign(key_);
    return v;
}

namespace {
certificate make_certificate(vote_phase phase, const database_id& database, view_number view,
                             sequence_number seq, const digest& hash,
                             const std::map<public_key, signature>& votes) {
    certificate c;
    c.phase = phase;
    c.database = database;
    c.view = view;
    c.seq = seq;
    c.batch_hash = hash;
    for (const auto& [voter, sig] : votes) c.votes.push_back({voter, sig});  // map: sorted
    return c;
}
}  // namespace

replica_output replica::on_vote(const vote& v, std::int64_t now_ms) {
    replica_output out;
    (void)now_ms;
    if (v.database != config_.database || v.view != view_ || !is_leader() ||
        !members().contains(v.voter)) {
        refuse("vote not for this leader's view");
        return out;
    }
    if (v.seq <= last_committed_) return out;  // a late vote for a committed batch
    auto it = slots_.find(v.seq);
    if (it == slots_.end() || !it->second.accepted || it->second.hash != v.batch_hash) {
        // A member that voted for our batch at this (view, seq) and now for another has
        // signed two conflicting votes: evidence.
        if (it != slots_.end() && it->second.accepted && it->second.accepted_view == view_) {
            const auto& earlier = v.phase == vote_phase::prepare ? it->second.prepare_votes
                                                                 : it->second.commit_votes;
            if (auto mine = earlier.find(v.voter); mine != earlier.end()) {
                vote first = v;
                first.batch_hash = it->second.hash;
                first.voter_signature = mine->second;
                keep_evidence(tx::evidence{tx::conflicting_votes{first, v}}, out);
            }
        }
        refuse("vote for a batch this leader did not propose");
        return out;
    }
    if (v.phase == vote_phase::prepare)
        record_prepare_vote(it->second, v.voter, v.voter_signature, out);
    else
        record_commit_vote(it->second, v.voter, v.voter_signature, out);
    note_prepared(now_ms);
    advance_commits(now_ms, out);
    propose_ready_batches(now_ms, out);
    return out;
}

void replica::note_prepared(std::int64_t now_ms) {
    for (auto& [seq, s] : slots_)
        if (s.prepared_ms < 0 && s.proposed_ms >= 0 && s.prepared && s.prepared->view == view_)
            s.prepared_ms = now_ms;
}

void replica::record_prepare_vote(slot& s, const public_key& voter, const signature& sig,
                                  replica_output& out) {
    s.prepare_votes.emplace(voter, sig);
    try_certify_prepare(s.batch->header.seq, out);
}

void replica::try_certify_prepare(sequence_number seq, replica_output& out) {
    auto it = slots_.find(seq);
    if (it == slots_.end() || !it->second.accepted || it->second.accepted_view != view_) return;
    slot& s = it->second;
    if (s.prepared && s.prepared->view == view_) return;  // already certified
    if (s.prepare_votes.size() < votes_needed()) return;
    // Certificates go out in seq order: followers lock seq only after seq-1.
    if (seq != last_committed_.next()) {
        auto previous = slots_.find(sequence_number(seq.value - 1));
        const bool ready = previous != slots_.end() &&
                           ((previous->second.prepared && previous->second.prepared->view == view_) ||
                            previous->second.committed);
        if (!ready) return;
    }
    const certificate cert =
        make_certificate(vote_phase::prepare, config_.database, view_, seq, s.hash, s.prepare_votes);
    send(others(), message_kind::kayak_commit, encode(commit_message{cert}), out);
    lock(s, cert, out);
    try_certify_prepare(seq.next(), out);  // the next batch may have been waiting for this one
}

void replica::lock(slot& s, const certificate& prepare_certificate, replica_output& out) {
    log_.save_prepared(prepare_certificate);  // durable before the commit vote
    s.prepared = prepare_certificate;
    s.sent_commit_vote = true;
    const vote own = make_vote(vote_phase::commit, prepare_certificate.seq, s.hash);
    if (is_leader())
        record_commit_vote(s, own.voter, own.voter_signature, out);
    else
        send({members().leader(view_)}, message_kind::kayak_vote, encode(own), out);
}

void replica::record_commit_vote(slot& s, const public_key& voter, const signature& sig,
                                 replica_output& out) {
    if (!s.prepared || s.prepared->view != view_) return;  // commit votes follow our lock
    s.commit_votes.emplace(voter, sig);
    if (s.committed || s.commit_votes.size() < votes_needed()) return;
    const certificate cert = make_certificate(vote_phase::commit, config_.database, view_,
                                              s.batch->header.seq, s.hash, s.commit_votes);
    send(others(), message_kind::kayak_commit_certificate, encode(cert), out);
    if (!last_commit_certificate_ || last_commit_certificate_->seq < cert.seq)
        last_commit_certificate_ = cert;
    mark_committed(cert.seq, cert, out);
}

replica_output replica::on_commit(const commit_message& commit, std::int64_t now_ms) {
    replica_output out;
    const certificate& cert = commit.prepare_certificate;
    if (cert.database != config_.database || cert.view != view_ || is_leader()) {
        refuse("commit not for this view");
        return out;
    }
    if (cert.seq <= last_committed_) return out;
    if (auto fault = certificate_refusal(cert)) {
        refuse("commit: " + *fault);
        return out;
    }
    auto it = slots_.find(cert.seq);
    if (it == slots_.end() || !it->second.batch || it->second.hash != cert.batch_hash) {
        // We never accepted this batch; the commit certificate will tell us to fetch it.
        return out;
    }
    slot& s = it->second;
    heard_from_leader_ = true;  // a COMMIT of this view: its leader is at work
    if (!(s.prepared && s.prepared->view == view_))
        lock(s, cert, out);
    else  // a repeated COMMIT: our commit vote may have been lost
        send({members().leader(view_)}, message_kind::kayak_vote,
             encode(make_vote(vote_phase::commit, cert.seq, s.hash)), out);
    retry_buffered_prepares(now_ms, out);
    return out;
}

replica_output replica::on_commit_certificate(const certificate& cert, const public_key& from,
                                              std::int64_t now_ms) {
    replica_output out;
    if (cert.database != config_.database || cert.phase != vote_phase::commit) {
        refuse("commit certificate for another database");
        return out;
    }
    if (cert.seq <= last_committed_) return out;
    if (auto fault = certificate_refusal(cert)) {
        refuse("commit certificate: " + *fault);
        return out;
    }
    auto it = slots_.find(cert.seq);
    if (it == slots_.end() || !it->second.batch || it->second.hash != cert.batch_hash) {
        request_catch_up(from, now_ms, out);  // committed elsewhere, unknown here
        return out;
    }
    mark_committed(cert.seq, cert, out);
    advance_commits(now_ms, out);
    // Still short of it: an earlier batch's commit certificate never reached us. Ask.
    if (last_committed_ < cert.seq) request_catch_up(from, now_ms, out);
    retry_buffered_prepares(now_ms, out);
    return out;
}

void replica::mark_committed(sequence_number seq, const certificate& cert, replica_output& out) {
    (void)out;
    auto it = slots_.find(seq);
    COVENANT_ASSERT(it != slots_.end() && it->second.hash == cert.batch_hash,
                    "committing a batch this replica does not hold");
    if (!it->second.committed) it->second.committed = cert;
}

void replica::advance_commits(std::int64_t now_ms, replica_output& out) {
    bool advanced = false;
    for (auto it = slots_.find(last_committed_.next());
         it != slots_.end() && it->first == last_committed_.next() && it->second.committed;
         it = slots_.find(last_committed_.next())) {
        slot& s = it->second;
        log_.save_committed(*s.batch, *s.committed);
        for (std::size_t i = 0; i < s.batch->requests.size(); ++i) {
            const auto& r = s.batch->requests[i];
            committed_client_seq_[r.client] = r.sequence.value;
            if (!in_flight_.empty()) in_flight_.erase(s.batch->request_hash(i));  // the leader's
        }
        // Awaited requests now committed, or overtaken by their client's committed sequence
        // (a client that signed two requests with one sequence), are settled.
        for (auto a = awaited_requests_.begin(); a != awaited_requests_.end();) {
            const auto& r = a->second.request;
            auto committed = committed_client_seq_.find(r.client);
            a = committed != committed_client_seq_.end() && r.sequence.value <= committed->second
                    ? awaited_requests_.erase(a)
                    : std::next(a);
        }
        if (is_leader() && config_.mode == consistency_mode::strong && s.proposed_ms >= 0 &&
            s.prepared_ms >= 0 && commit_timelines_.size() < 4 * config_.pipeline_depth + 4)
            commit_timelines_[it->first] = {s.proposed_ms, s.prepared_ms, now_ms};
        last_committed_ = it->first;
        last_committed_hash_ = s.hash;
        last_committed_timestamp_ms_ = s.batch->header.timestamp_ms;
        to_execute_.push_back({std::move(*s.batch), std::move(*s.committed)});
        slots_.erase(it);
        ++stats_.batches_committed;
        advanced = true;
    }
    if (advanced) {
        note_progress(now_ms);
        leader_misbehaved_ = false;
        if (!config_.execute_in_own_step) execute_committed(now_ms, out);
    }
}

replica_output replica::on_execution_due(std::int64_t now_ms) {
    replica_output out;
    execute_committed(now_ms, out);
    return out;
}

// ---- execution and answers -------------------------------------------------------------

void replica::execute_committed(std::int64_t now_ms, replica_output& out) {
    while (!to_execute_.empty()) {
        auto next = std::move(to_execute_.front());
        to_execute_.pop_front();
        const sequence_number seq = next.batch.header.seq;
        if (seq <= executor_.applied_seq()) {
            // Eventual-mode leader: executed when proposed; now we have its certificate.
            auto done = executed_.find(seq);
            if (done != executed_.end()) {
                auto own = done->second.executions.find(key_.public_key());
                if (own != done->second.executions.end() && own->second.batch_hash != next.batch.hash())
                    ++stats_.divergent_executions;  // we executed another batch at this seq
                done->second.commit_certificate = next.commit_certificate;
                record_entry(next.batch, next.commit_certificate, done->second.result, out);
            }
            continue;
        }
        COVENANT_ASSERT(seq == executor_.applied_seq().next(), "batches execute in order");
        execute_one(next.batch, next.commit_certificate, now_ms, out);
    }
}

void replica::execute_one(const batch& b, const certificate& cert, std::int64_t now_ms,
                          replica_output& out) {
    const sequence_number seq = b.header.seq;
    // The batch's agreed time is 'now' for its statements (nondeterministic-time: this
    // replica's own clock, so members that execute at different times diverge).
    const std::int64_t sql_time_ms = bug(injected_bug::nondeterministic_time) ? now_ms : b.header.timestamp_ms;
    log_.sync();  // the commit record on disk before the database holds the batch
    execution_result result = executor_.execute(b, sql_time_ms);
    stats_.requests_executed += b.requests.size();
    execution_message signed_execution;
    signed_execution.database = config_.database;
    signed_execution.view = cert.view;
    signed_execution.seq = seq;
    signed_execution.batch_hash = b.hash();
    signed_execution.results_root = result.results_root;
    signed_execution.state_digest = result.state_digest;
    signed_execution.signer = key_.public_key();
    signed_execution.sign(key_);

    auto& done = executed_[seq];
    done.commit_certificate = cert;
    done.result = std::move(result);
    done.executions[key_.public_key()] = signed_execution;
    done.executed_ms = now_ms;
    if (auto timeline = commit_timelines_.find(seq); timeline != commit_timelines_.end()) {
        done.proposed_ms = timeline->second.proposed_ms;
        done.prepared_ms = timeline->second.prepared_ms;
        done.committed_ms = timeline->second.committed_ms;
        commit_timelines_.erase(commit_timelines_.begin(), std::next(timeline));
    }
    keep_executed(done, b);  // may drop older entries, never this newest one
    COVENANT_ASSERT(executed_.count(seq) == 1, "the batch just executed is kept");
    // The leader answers clients and compares every member's results: it gets every
    // execution. A follower with a client of its own waiting asks the others for theirs;
    // nobody else needs them (sending every execution to every member cost each follower
    // about a tenth of its CPU in checking and keeping them). A leader whose own clients
    // wait, should the others' not come (a view change), asks them at a tick.
    for (const auto& outcome : done.result.outcomes) {
        if (clients_waiting_.empty()) break;
        if (clients_waiting_.count(outcome.request_hash) == 0) continue;
        done.clients_here = true;
        if (is_leader()) break;  // it hears from everyone: knowing is enough
        answers_awaiting_executions_.emplace(outcome.request_hash, now_ms);
    }
    if (done.clients_here) awaiting_executions_.insert(seq);
    if (done.clients_here && !is_leader()) {
        ask_for_executions(done, now_ms, out);
    } else {
        std::set<public_key> to = std::move(done.wanted_by);
        if (!is_leader()) to.insert(members().leader(view_));
        to.erase(key_.public_key());
        if (!to.empty())
            send({to.begin(), to.end()}, message_kind::kayak_execution, encode(signed_execution), out);
    }
    done.wanted_by.clear();
    answer_clients(done, now_ms, out);
    record_entry(b, cert, done.result, out);
}

void replica::keep_executed(executed_batch& done, const batch& b) {
    done.executed = true;
    done.seq = b.header.seq;
    done.batch_hash = b.hash();
    // An estimate, not an encoding: what the outcomes hold (column names, row values) plus
    // a fixed cost per outcome, statement and value for hashes and containers.
    std::size_t total = 0;
    for (const auto& outcome : done.result.outcomes) {
        total += 96;
        const auto* results = std::get_if<std::vector<statement_result>>(&outcome.body);
        if (results == nullptr) {
            total += std::get<sql_failure>(outcome.body).message.size();
            continue;
        }
        for (const auto& st : *results) {
            total += 64;
            for (const auto& column : st.columns) total += 32 + column.size();
            for (const auto& row : st.rows)
                for (const auto& v : row) {
                    total += 32;
                    if (const auto* t = std::get_if<std::string>(&v.value)) total += t->size();
                    if (const auto* x = std::get_if<bytes>(&v.value)) total += x->size();
                }
        }
    }
    executed_bytes_ -= done.approximate_bytes;
    done.approximate_bytes = total;
    executed_bytes_ += total;
    // Entries ahead of execution (executions received early) reach 2 x pipeline_depth
    // past the newest executed batch: keeping more than that many never drops it.
    const std::size_t newest_kept = 4 * config_.pipeline_depth + 4;
    while (executed_.size() > config_.executed_kept ||
           (executed_bytes_ > config_.executed_bytes_max && executed_.size() > newest_kept)) {
        executed_bytes_ -= executed_.begin()->second.approximate_bytes;
        executed_.erase(executed_.begin());
    }
}

replica_output replica::on_execution(const execution_message& e, std::int64_t now_ms) {
    replica_output out;
    take_execution(e, now_ms, out);
    return out;
}

replica_output replica::on_execution_wanted(const execution_message& e, std::int64_t now_ms) {
    replica_output out;
    if (e.signer == key_.public_key() || !take_execution(e, now_ms, out)) return out;
    auto it = executed_.find(e.seq);
    if (it == executed_.end()) return out;  // too far ahead, or long gone: it asks again
    auto& done = it->second;
    auto own = done.executions.find(key_.public_key());
    if (done.executed && own != done.executions.end())
        send({e.signer}, message_kind::kayak_execution, encode(own->second), out);
    else
        done.wanted_by.insert(e.signer);  // sent when this member executes the batch
    return out;
}

void replica::ask_for_executions(executed_batch& done, std::int64_t now_ms, replica_output& out) {
    auto own = done.executions.find(key_.public_key());
    COVENANT_ASSERT(own != done.executions.end(), "only an executed batch is asked about");
    done.asked_ms = now_ms;
    send(others(), message_kind::kayak_execution_wanted, encode(own->second), out);
}

bool replica::take_execution(const execution_message& e, std::int64_t now_ms, replica_output& out) {
    if (e.database != config_.database || !known_member(e.signer)) {
        refuse("execution from a non-member");
        return false;
    }
    auto it = executed_.find(e.seq);
    if (it == executed_.end()) {
        if (e.seq > executor_.applied_seq() && e.seq.value <= executor_.applied_seq().value + 2 * config_.pipeline_depth) {
            // Ahead of us: keep it until we execute that batch.
            executed_[e.seq].executions[e.signer] = e;
        }
        return true;
    }
    auto& done = it->second;
    auto previous = done.executions.find(e.signer);
    if (previous != done.executions.end() && previous->second.batch_hash == e.batch_hash &&
        (previous->second.results_root != e.results_root ||
         previous->second.state_digest != e.state_digest)) {
        keep_evidence(tx::evidence{tx::conflicting_executions{previous->second, e}}, out);
        return true;
    }
    done.executions[e.signer] = e;
    auto own = done.executions.find(key_.public_key());
    if (done.answered && own != done.executions.end() &&
        (own->second.results_root != e.results_root || own->second.state_digest != e.state_digest))
        ++stats_.divergent_executions;  // eventual mode: a follower disagrees with what we answered
    answer_clients(done, now_ms, out);
    return true;
}

void replica::answer_clients(executed_batch& done, std::int64_t now_ms, replica_output& out) {
    if (done.answered || !done.executed || done.result.outcomes.empty()) return;
    auto own = done.executions.find(key_.public_key());
    if (own == done.executions.end()) return;  // not executed here yet
    // f+1 members (this one included) must vouch for exactly our results.
    std::vector<signer_signature> matching;
    for (const auto& [signer, e] : done.executions) {
        // Same batch, signed for the same view (members may hold commit certificates of
        // different views for it, and a receipt names one).
        if (e.batch_hash != own->second.batch_hash || e.view != own->second.view) continue;
        if (e.results_root == own->second.results_root && e.state_digest == own->second.state_digest)
            matching.push_back({signer, e.signer_signature});
        else
            ++stats_.divergent_executions;
    }
    // Counted in this view's group: a client accepts f+1 signers of any one group in
    // force from the batch's commit on (client_check.hpp).
    std::size_t vouching = 0;
    for (const auto& m : matching)
        if (members().contains(m.signer)) ++vouching;
    if (vouching < members().one_honest()) return;
    done.answered = true;
    if (done.committed_ms >= 0 && is_leader()) {
        auto& t = stats_.leader_timing;
        ++t.batches;
        t.prepare_ms += done.prepared_ms - done.proposed_ms;
        t.commit_ms += done.committed_ms - done.prepared_ms;
        t.execute_ms += done.executed_ms - done.committed_ms;
        t.answer_ms += now_ms - done.executed_ms;
    }
    const sequence_number seq = done.seq;
    const std::size_t leaf_count = done.result.outcomes.size();
    // Every leaf's path, built once, and only where this member has a client to answer
    // (a follower whose clients all write through the leader has none).
    std::vector<std::vector<digest>> paths;
    for (std::size_t i = 0; i < leaf_count && !clients_waiting_.empty(); ++i) {
        const digest& request_hash = done.result.outcomes[i].request_hash;
        if (clients_waiting_.erase(request_hash) == 0) continue;  // not our client
        answers_awaiting_executions_.erase(request_hash);
        if (paths.empty()) {
            std::vector<digest> leaves;
            leaves.reserve(leaf_count);
            for (const auto& o : done.result.outcomes) leaves.push_back(o.hash());
            paths = merkle_paths(leaves);
        }
        client_response r;
        r.database = config_.database;
        r.request_hash = request_hash;
        r.responder = key_.public_key();
        r.state_seq = seq;
        r.state_digest = done.result.state_digest;
        r.body = done.result.outcomes[i];
        write_receipt w;
        w.view = done.commit_certificate.view;
        w.seq = seq;
        w.batch_hash = done.batch_hash;
        w.commit_certificate = done.commit_certificate;
        w.results_root = done.result.results_root;
        w.state_digest = done.result.state_digest;
        w.leaf_index = static_cast<std::uint32_t>(i);
        w.leaf_count = static_cast<std::uint32_t>(leaf_count);
        w.path = std::move(paths[i]);
        w.executions = matching;  // from a map: sorted by signer
        r.receipt = std::move(w);
        out.replies.push_back({request_hash, std::move(r)});
    }
}

// ---- shard chain -------------------------------------------------------------------------

shard_chain_head replica::chain_tip() const {
    if (!building_.empty()) return shard_chain_head::after(building_.rbegin()->second);
    if (auto head = blocks_.head()) return *head;
    return shard_chain_head::before_first_block(config_.database);
}

void replica::record_entry(const batch& b, const certificate& cert, const execution_result& result,
                           replica_output& out) {
    pending_entry e;
    e.entry.view = cert.view;
    e.entry.seq = b.header.seq;
    e.entry.batch_hash = b.hash();
    e.entry.results_root = result.results_root;
    e.entry.state_digest = result.state_digest;
    e.entry.commit_certificate = cert;
    e.seals_block = b.header.seals_block;
    e.timestamp_ms = b.header.timestamp_ms;
    log_.save_entry(e);
    // On disk now, not at the end of the log group: the database holds the batch already,
    // and a restart re-executes nothing at or below its applied seq, so an entry lost with
    // an unfinished group would never be recorded again (a hole in this member's chain).
    log_.sync();
    auto& statements = unsealed_statements_[b.header.seq];
    statements.clear();
    for (const auto& r : b.requests) statements[r.client] += statement_runs(r);
    unsealed_.push_back(std::move(e));
    seal_blocks(0, out);
}

void replica::seal_blocks(std::int64_t now_ms, replica_output& out) {
    (void)now_ms;
    // Every member seals at the same batches (the leader chose them, consensus fixed them),
    // so every honest member builds the very same block and signs the same hash.
    for (;;) {
        auto seal = std::find_if(unsealed_.begin(), unsealed_.end(),
                                 [](const pending_entry& e) { return e.seals_block; });
        if (seal == unsealed_.end()) return;
        const shard_chain_head tip = chain_tip();
        std::vector<shard_entry> entries;
        for (auto it = unsealed_.begin(); it != std::next(seal); ++it) entries.push_back(it->entry);
        const std::int64_t timestamp = seal->timestamp_ms;
        const sequence_number last_sealed = seal->entry.seq;
        unsealed_.erase(unsealed_.begin(), std::next(seal));
        auto forget_statements = [&] {
            unsealed_statements_.erase(unsealed_statements_.begin(),
                                       unsealed_statements_.upper_bound(last_sealed));
        };
        if (entries.front().seq != tip.last_seq.next()) {  // already stored (recovery)
            forget_statements();
            continue;
        }
        shard_block block = build_shard_block(config_.database, tip.height.next(), tip.hash,
                                              timestamp, std::move(entries));
        // Only the block's group signs it: a member that joined after those batches
        // committed stores the block its predecessors signed.
        const group& signers = shard_block_group(block, config_.groups);
        begin_checkpoint(block, out);
        forget_statements();
        if (signers.contains(key_.public_key())) {
            block.add_signature(key_);
            send(others(), message_kind::shard_block_vote,
                 encode(own_block_vote(block.header.height, block.hash())), out);
        }
        const block_height height = block.header.height;
        building_.emplace(height, std::move(block));
        for (const auto& [signer, v] : early_block_votes_[height]) {
            if (v.block_hash != building_.at(height).hash()) continue;
            if (signers.contains(signer))
                building_.at(height).add_signature(signer_signature{signer, v.signer_signature});
            if (v.checkpoint_signature) take_checkpoint_signature(height, signer, *v.checkpoint_signature, out);
        }
        early_block_votes_.erase(height);
        complete_blocks(out);
    }
}

void replica::complete_blocks(replica_output& out) {
    (void)out;
    while (!building_.empty()) {
        const shard_block& block = building_.begin()->second;
        if (block.signatures.size() < shard_block_group(block, config_.groups).quorum()) return;
        if (!store_lowest_block(block, "own shard block does not verify: ")) return;
    }
}

bool replica::store_lowest_block(const shard_block& block, const char* refusal) {
    COVENANT_ASSERT(!building_.empty() && block.header.height == building_.begin()->first,
                    "only the lowest block being built is stored");
    const auto head = blocks_.head() ? *blocks_.head() : shard_chain_head::before_first_block(config_.database);
    if (auto fault = verify_next_shard_block(head, block, config_.groups)) {
        refuse(refusal + fault->reason);
        return false;
    }
    const bool stored = blocks_.append(block);
    COVENANT_ASSERT(stored, "the block store refused a verified block");
    ++stats_.shard_blocks_stored;
    const block_height height = block.header.height;
    early_block_votes_.erase(early_block_votes_.begin(), early_block_votes_.upper_bound(height));
    building_.erase(building_.begin());  // last: `block` may live there
    return true;
}

replica_output replica::on_shard_block_vote(const shard_block_vote& v, std::int64_t now_ms) {
    replica_output out;
    (void)now_ms;
    if (v.database != config_.database || !known_member(v.signer)) {
        refuse("shard block vote from a non-member");
        return out;
    }
    if (v.checkpoint_signature) {
        auto building = checkpoints_.find(v.height);
        if (building != checkpoints_.end() && building->second.body.head_hash == v.block_hash)
            take_checkpoint_signature(v.height, v.signer, *v.checkpoint_signature, out);
    }
    const auto head = blocks_.head();
    if (head && v.height <= head->height) return out;  // already stored
    auto building = building_.find(v.height);
    if (building == building_.end()) {
        // A vote for a block we have not sealed yet: keep it if it is the next few.
        const auto tip = chain_tip();
        if (v.height > tip.height && v.height.value <= tip.height.value + 4) early_block_votes_[v.height][v.signer] = v;
        return out;
    }
    if (building->second.hash() != v.block_hash) {
        refuse("a member signed another block at height " + std::to_string(v.height.value));
        return out;
    }
    if (!shard_block_group(building->second, config_.groups).contains(v.signer)) {
        refuse("shard block vote from a member outside the block's group");
        return out;
    }
    building->second.add_signature(signer_signature{v.signer, v.signer_signature});
    complete_blocks(out);
    return out;
}

void replica::begin_checkpoint(const shard_block& block, replica_output& out) {
    // Billing: the statements each client's requests ran in the block's batches, at the
    // database's price. Every member reads the same committed batches, so honest members
    // sign the same checkpoint.
    std::map<public_key, std::uint64_t> by_client;
    bool counted = true;
    for (std::uint64_t i = 0; i < block.entries.size() && counted; ++i) {
        auto at = unsealed_statements_.find(sequence_number(block.header.first_seq.value + i));
        counted = at != unsealed_statements_.end();
        if (counted)
            for (const auto& [client, count] : at->second) by_client[client] += count;
    }
    if (!counted) {  // executed before a restart: read the block's batches back
        by_client.clear();
        const auto batches = log_.load_committed(block.header.first_seq, block.entries.size());
        if (batches.size() != block.entries.size()) return;  // cannot happen: the log keeps them all
        for (const auto& c : batches)
            for (const auto& r : c.batch.requests) by_client[r.client] += statement_runs(r);
    }
    std::map<account_address, std::uint64_t> statements;
    for (const auto& [client, count] : by_client) statements[crypto::address_of(client)] += count;
    if (statements.size() > limits::billing_lines_max) return;  // too many to bill in one go
    checkpoint_in_progress c;
    c.body.database = config_.database;
    c.body.height = block.header.height;
    c.body.head_hash = block.hash();
    c.body.state_digest = block.header.state_digest;
    std::uint64_t total = 0;
    for (const auto& [user, count] : statements) {  // a map: users ascending, as billing must be
        std::uint64_t cost = 0;
        if (__builtin_mul_overflow(count, config_.price_per_statement, &cost) ||
            __builtin_add_overflow(total, cost, &total))
            return;  // a price this high cannot be billed: no checkpoint for this block
        c.body.billing.push_back(billing_line{user, count, cost});
    }
    c.signing_bytes = c.body.checkpoint_signing_bytes();
    const signature own = key_.sign(crypto::sign_domain::shard_checkpoint, c.signing_bytes);
    checkpoints_[block.header.height] = std::move(c);
    // Keep the last few: late signatures for a block already stored still count.
    while (checkpoints_.size() > 8) checkpoints_.erase(checkpoints_.begin());
    take_checkpoint_signature(block.header.height, key_.public_key(), own, out);
}

shard_block_vote replica::own_block_vote(block_height height, const digest& block_hash) const {
    shard_block_vote own{config_.database, height, block_hash, key_.public_key(), {}, std::nullopt};
    own.sign(key_);
    auto c = checkpoints_.find(height);
    if (c != checkpoints_.end() && c->second.body.head_hash == block_hash) {
        auto mine = c->second.signers.find(key_.public_key());
        if (mine != c->second.signers.end()) own.checkpoint_signature = mine->second;
    }
    return own;
}

void replica::take_checkpoint_signature(block_height height, const public_key& signer,
                                        const signature& sig, replica_output& out) {
    auto at = checkpoints_.find(height);
    if (at == checkpoints_.end()) return;
    auto& c = at->second;
    // The chain counts the signatures of its current members.
    const group& members = config_.groups.latest();
    if (c.handed_out || !members.contains(signer) || c.signers.count(signer)) return;
    // A signature over another billing (or a forged one) does not verify against ours.
    if (!crypto::verify(signer, crypto::sign_domain::shard_checkpoint, c.signing_bytes, sig)) return;
    c.signers[signer] = sig;
    std::size_t counted = 0;
    for (const auto& [key, s] : c.signers)
        if (members.contains(key)) ++counted;
    if (counted < members.quorum()) return;
    tx::shard_checkpoint done = c.body;
    for (const auto& [key, s] : c.signers) done.signatures.push_back({key, s});  // sorted
    c.handed_out = true;
    ++stats_.checkpoints_signed;
    out.checkpoints.push_back(std::move(done));
}

std::optional<shard_block_fetch_reply> replica::shard_blocks_for(const shard_block_fetch& request) const {
    if (request.database != config_.database) return std::nullopt;
    shard_block_fetch_reply reply;
    reply.database = config_.database;
    if (auto head = blocks_.head()) reply.head_height = head->height;
    std::size_t reply_bytes = 0;
    for (auto& block : blocks_.load(request.from_height,
                                    std::min<std::size_t>(request.count, limits::shard_blocks_per_fetch_max))) {
        const std::size_t size = encode(block).size();
        if (!reply.blocks.empty() && reply_bytes + size > limits::shard_fetch_reply_bytes_soft_max) break;
        reply_bytes += size;
        reply.blocks.push_back(std::move(block));
    }
    return reply;
}

replica_output replica::on_shard_block_fetch_reply(const shard_block_fetch_reply& reply,
                                                   const public_key& from, std::int64_t now_ms) {
    replica_output out;
    (void)now_ms;
    if (reply.database != config_.database || !known_member(from)) {
        refuse("shard block fetch reply from a non-member");
        return out;
    }
    for (const auto& fetched : reply.blocks) {
        if (building_.empty()) break;
        auto& [height, ours] = *building_.begin();
        if (fetched.header.height < height) continue;
        if (fetched.header.height > height) break;
        if (fetched.hash() != ours.hash()) {
            refuse("a member served another block at height " + std::to_string(height.value));
            break;
        }
        if (!store_lowest_block(fetched, "fetched shard block: ")) break;
    }
    complete_blocks(out);  // the next one may have its signatures already
    return out;
}

// ---- view change -------------------------------------------------------------------------

replica_output replica::on_view_change(view_number new_view, std::int64_t now_ms) {
    replica_output out;
    // The chain's views only go up: an older one is a stale decision (accept-stale-view:
    // taken anyway, and the replica goes back to it).
    if (new_view == view_ || (new_view < view_ && !bug(injected_bug::accept_stale_view))) return out;
    view_ = new_view;
    log_.save_view(view_);
    new_views_.erase(new_views_.begin(), new_views_.lower_bound(view_));
    note_progress(now_ms);
    last_suspect_ms_ = now_ms;
    leader_misbehaved_ = false;
    buffered_prepares_.clear();
    // Requests queued at the old leader go back to their clients: they retry at the new one.
    for (const auto& p : pending_)
        out.replies.push_back({p.hash, rejection_reply(p.request, rejection_reason::not_leader,
                                                        "the leader changed")});
    pending_.clear();
    pending_bytes_ = 0;
    held_requests_.clear();
    queued_client_seq_.clear();
    in_flight_.clear();  // whatever the old view proposed must be proposed anew
    commit_timelines_.clear();
    // Batches accepted in an old view without a lock can never commit from there: the new
    // leader re-proposes only certified ones. Forget them (and what they said of client
    // sequences); locked ones stay for the NEW-VIEW.
    for (auto it = slots_.begin(); it != slots_.end();) {
        if (!it->second.prepared && !it->second.committed) {
            it = slots_.erase(it);
            continue;
        }
        it->second.prepare_votes.clear();
        it->second.commit_votes.clear();
        it->second.sent_commit_vote = false;
        ++it;
    }
    heard_from_leader_ = false;
    last_new_view_sent_ms_ = now_ms;
    const new_view_message nv = make_new_view();
    const public_key leader = members().leader(view_);
    if (leader == key_.public_key()) {
        view_change_pending_ = true;
        out.append(on_new_view(nv, now_ms));
    } else {
        view_change_pending_ = false;
        send({leader}, message_kind::kayak_new_view, encode(nv), out);
        hand_awaited_requests_to_leader(now_ms, out);
    }
    return out;
}

new_view_message replica::make_new_view() const {
    new_view_message nv;
    nv.database = config_.database;
    nv.new_view = view_;
    nv.last_committed = last_committed_;
    nv.member = key_.public_key();
    for (const auto& [seq, s] : slots_)
        if (s.prepared && s.batch && s.prepared->batch_hash == s.hash)
            nv.prepared.push_back({*s.prepared, *s.batch});
    nv.sign(key_);
    return nv;
}

void replica::hand_awaited_requests_to_leader(std::int64_t now_ms, replica_output& out) {
    // Requests our clients gave us that the old leader never committed: the new leader
    // orders them (we still answer our clients once they execute).
    if (awaited_requests_.empty()) return;
    if (is_leader()) {
        std::vector<client_request> mine;
        for (const auto& [hash, a] : awaited_requests_) mine.push_back(a.request);
        std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) {
            return std::tie(a.client, a.sequence) < std::tie(b.client, b.sequence);
        });
        awaited_requests_.clear();
        for (const auto& r : mine) out.append(on_client_request(r, now_ms, /*forwarded=*/true));
        return;
    }
    for (const auto& [hash, a] : awaited_requests_)
        send({members().leader(view_)}, message_kind::client_request, encode(a.request), out);
}

replica_output replica::on_new_view(const new_view_message& message, std::int64_t now_ms) {
    replica_output out;
    if (message.database == config_.database && message.new_view == view_ &&
        message.member == members().leader(view_) && message.member != key_.public_key()) {
        heard_from_leader_ = true;  // the leader's own NEW-VIEW: its view has started
        return out;
    }
    const group& addressed = config_.groups.at(message.new_view);
    if (message.database != config_.database || !addressed.contains(message.member) ||
        addressed.leader(message.new_view) != key_.public_key() || message.new_view < view_) {
        refuse("new view not addressed to this member as leader");
        return out;
    }
    for (const auto& p : message.prepared)
        if (auto fault = certificate_refusal(p.prepare_certificate)) {
            refuse("new view: " + *fault);
            return out;
        }
    if (message.new_view > view_) {
        // We have not learned of this view yet; keep it for when we do, if it is near.
        if (message.new_view.value <= view_.value + members().size())
            new_views_[message.new_view][message.member] = message;
        return out;
    }
    if (!view_change_pending_) {
        // The view already started and this member missed the announcement: repeat it.
        if (message.member != key_.public_key()) {
            auto& last = last_announced_ms_[message.member];
            if (now_ms - last >= config_.retransmit_ms) {
                last = now_ms;
                send({message.member}, message_kind::kayak_new_view, encode(make_new_view()), out);
            }
        }
        return out;
    }
    new_views_[view_][message.member] = message;
    start_new_view_as_leader(now_ms, out);
    return out;
}

void replica::start_new_view_as_leader(std::int64_t now_ms, replica_output& out) {
    auto& gathered = new_views_[view_];
    if (gathered.size() < votes_needed()) return;
    // Catch up first to the furthest commit any of them reports. A member whose claim a
    // fetch does not bear out loses its say (see on_fetch_reply and on_tick).
    for (const auto& [member, nv] : gathered) {
        if (nv.last_committed > last_committed_) {
            request_catch_up(member, now_ms, out);
            return;
        }
    }
    // The highest certified chain above our last commit: take the highest seq with a
    // certificate (the latest view's certificate there), then follow parents down.
    std::map<sequence_number, std::vector<const prepared_batch*>> by_seq;
    for (const auto& [member, nv] : gathered)
        for (const auto& p : nv.prepared)
            if (p.batch.header.seq > last_committed_) by_seq[p.batch.header.seq].push_back(&p);
    std::vector<const prepared_batch*> chain;
    if (!by_seq.empty()) {
        const prepared_batch* top = nullptr;
        for (const auto* p : by_seq.rbegin()->second)
            if (!top || p->prepare_certificate.view > top->prepare_certificate.view) top = p;
        chain.push_back(top);
        for (sequence_number seq(top->batch.header.seq.value - 1); seq > last_committed_;
             seq = sequence_number(seq.value - 1)) {
            const digest wanted = chain.back()->batch.header.parent;
            const prepared_batch* found = nullptr;
            for (const auto* p : by_seq[seq])
                if (p->batch.hash() == wanted &&
                    (!found || p->prepare_certificate.view > found->prepare_certificate.view))
                    found = p;
            if (!found) {
                chain.clear();  // a broken chain cannot be re-proposed; start afresh
                break;
            }
            chain.push_back(found);
        }
        std::reverse(chain.begin(), chain.end());
        if (!chain.empty() && chain.front()->batch.header.parent != last_committed_hash_) chain.clear();
    }
    // new-leader-ignores-lock: what the NEW-VIEWs (and this leader) hold locked is dropped
    // below with the other uncertified proposals, and the view starts afresh.
    if (bug(injected_bug::new_leader_ignores_lock)) chain.clear();
    // Copy the chain out before the NEW-VIEWs it points into are dropped.
    std::vector<prepared_batch> to_repropose;
    for (const auto* p : chain) to_repropose.push_back(*p);
    view_change_pending_ = false;
    new_views_.erase(new_views_.begin(), new_views_.upper_bound(view_));
    // Forget uncertified proposals of earlier views above the chain.
    next_seq_ = last_committed_.next();
    tip_hash_ = last_committed_hash_;
    tip_timestamp_ms_ = last_committed_timestamp_ms_;
    for (auto it = slots_.begin(); it != slots_.end();) {
        if (it->first.value > last_committed_.value + to_repropose.size() && !it->second.committed)
            it = slots_.erase(it);
        else
            ++it;
    }
    for (auto& p : to_repropose) {
        for (std::size_t i = 0; i < p.batch.requests.size(); ++i)
            in_flight_.insert(p.batch.request_hash(i));
        propose(std::move(p.batch), std::move(p.prepare_certificate), now_ms, out);
    }
    // After the re-proposals are logged: a crash in between restarts as "proposed in this
    // view" (see start), never as a view to gather again.
    log_.save_view_started(view_);
    // Tell the members the view has started (they stop re-sending NEW-VIEWs and stop
    // counting an unstarted view against this leader).
    send(others(), message_kind::kayak_new_view, encode(make_new_view()), out);
    note_progress(now_ms);
    hand_awaited_requests_to_leader(now_ms, out);
    propose_ready_batches(now_ms, out);
}

// ---- catch-up ----------------------------------------------------------------------------

void replica::request_catch_up(const public_key& from, std::int64_t now_ms, replica_output& out) {
    if (from == key_.public_key() || !known_member(from)) return;
    if (fetching_from_ && now_ms - fetch_sent_ms_ < config_.fetch_retry_ms) return;
    fetching_from_ = from;
    fetch_sent_ms_ = now_ms;
    fetch_batches request{config_.database, last_committed_.next(),
                          static_cast<std::uint32_t>(limits::fetch_batches_max / 2)};
    send({from}, message_kind::kayak_fetch, encode(request), out);
}

replica_output replica::on_fetch(const fetch_batches& request, const public_key& from) {
    replica_output out;
    if (request.database != config_.database || !known_member(from)) {
        refuse("fetch from a non-member");
        return out;
    }
    fetch_reply reply;
    reply.database = config_.database;
    if (request.from_seq <= last_committed_) {
        std::size_t bytes_in_reply = 0;
        for (auto& c : log_.load_committed(request.from_seq, request.count)) {
            const std::size_t size = encode(c.commit_certificate).size() + c.batch.requests.size() * 512;
            if (!reply.batches.empty() && bytes_in_reply + size > limits::message_bytes_max / 2) break;
            bytes_in_reply += size;
            reply.batches.push_back(std::move(c));
        }
    }
    send({from}, message_kind::kayak_fetch_reply, encode(reply), out);
    return out;
}

replica_output replica::on_fetch_reply(const fetch_reply& reply, const public_key& from,
                                       std::int64_t now_ms) {
    replica_output out;
    if (reply.database != config_.database || !known_member(from)) {
        refuse("fetch reply from a non-member");
        return out;
    }
    const bool was_fetching_from_it = fetching_from_ == from;
    if (was_fetching_from_it) fetching_from_.reset();
    std::size_t applied = 0;
    for (const auto& c : reply.batches) {
        const auto& b = c.batch;
        if (b.header.seq <= last_committed_) continue;
        if (b.header.seq != last_committed_.next() || b.header.parent != last_committed_hash_) {
            refuse("fetch reply does not continue our chain");
            break;
        }
        if (auto fault = certificate_refusal(c.commit_certificate)) {
            refuse("fetch reply: " + *fault);
            break;
        }
        slot& s = slots_[b.header.seq];
        s.batch = b;
        s.hash = b.hash();
        s.committed = c.commit_certificate;
        advance_commits(now_ms, out);
        ++stats_.catch_up_batches;
        ++applied;
    }
    if (applied > 0 && reply.batches.size() >= limits::fetch_batches_max / 2)
        request_catch_up(from, now_ms, out);  // there may be more
    retry_buffered_prepares(now_ms, out);
    if (is_leader() && view_change_pending_) {
        auto gathered = new_views_.find(view_);
        if (applied == 0 && was_fetching_from_it && gathered != new_views_.end()) {
            // It claimed commits it cannot show: its NEW-VIEW does not count.
            auto claim = gathered->second.find(from);
            if (claim != gathered->second.end() && claim->second.last_committed > last_committed_)
                gathered->second.erase(claim);
        }
        start_new_view_as_leader(now_ms, out);
    }
    return out;
}

// ---- time --------------------------------------------------------------------------------

replica_output replica::on_tick(std::int64_t now_ms) {
    replica_output out;
    for (auto client = held_requests_.begin(); client != held_requests_.end();) {
        for (auto it = client->second.begin(); it != client->second.end();) {
            if (now_ms - it->second.since_ms < config_.hold_request_ms) {
                ++it;
                continue;
            }
            if (!it->second.forwarded)
                out.replies.push_back({it->second.hash,
                                       rejection_reply(it->second.request, rejection_reason::stale_sequence,
                                                        "an earlier request of this client never arrived")});
            it = client->second.erase(it);
        }
        client = client->second.empty() ? held_requests_.erase(client) : std::next(client);
    }
    propose_ready_batches(now_ms, out);
    retransmit(now_ms, out);
    // Executions this member's clients wait for that have not come (lost, or sent to the
    // leader of a view that has changed since): ask again at the retransmit pace, for as
    // long as a forwarded request is remembered.
    // (Only those batches are visited: walking all of executed_, up to executed_kept
    // entries, every tick took about 5% of a miner's CPU in eventual mode.)
    for (auto it = awaiting_executions_.begin(); it != awaiting_executions_.end();) {
        auto done = executed_.find(*it);
        if (done == executed_.end() || done->second.answered ||
            now_ms - done->second.executed_ms > 3 * config_.progress_timeout_ms) {
            it = awaiting_executions_.erase(it);
            continue;
        }
        if (now_ms - std::max(done->second.executed_ms, done->second.asked_ms) >= config_.retransmit_ms)
            ask_for_executions(done->second, now_ms, out);
        ++it;
    }
    for (auto it = answers_awaiting_executions_.begin(); it != answers_awaiting_executions_.end();)
        it = now_ms - it->second > 3 * config_.progress_timeout_ms ? answers_awaiting_executions_.erase(it)
                                                                   : std::next(it);
    // Forget forwarded requests long gone (their clients will have retried elsewhere).
    for (auto it = awaited_requests_.begin(); it != awaited_requests_.end();)
        it = now_ms - it->second.since_ms > 3 * config_.progress_timeout_ms ? awaited_requests_.erase(it)
                                                                            : std::next(it);
    // A new view whose leader has not started it: our NEW-VIEW may have been lost, or the
    // leader's node may have learned of the view after us (members follow the main chain
    // each at its own pace) and dropped it. Soon again, well within the progress timeout.
    if (!is_leader() && !heard_from_leader_ && now_ms - last_new_view_sent_ms_ >= 2 * config_.retransmit_ms &&
        view_.value > 0) {
        last_new_view_sent_ms_ = now_ms;
        send({members().leader(view_)}, message_kind::kayak_new_view, encode(make_new_view()), out);
    }
    if (view_change_pending_ && fetching_from_ && now_ms - fetch_sent_ms_ >= config_.fetch_retry_ms) {
        // A member that claimed further commits does not answer: drop its NEW-VIEW.
        auto gathered = new_views_.find(view_);
        if (gathered != new_views_.end()) gathered->second.erase(*fetching_from_);
        fetching_from_.reset();
        start_new_view_as_leader(now_ms, out);
    }
    const bool work_outstanding = !pending_.empty() || awaiting_suspicious_work() ||
                                  view_change_pending_ || (!is_leader() && !heard_from_leader_ && view_.value > 0) ||
                                  std::any_of(slots_.begin(), slots_.end(), [&](const auto& entry) {
                                      return entry.second.accepted_view == view_ || entry.second.prepared;
                                  });
    // Stalled: work has waited a progress timeout since the later of the last progress and
    // the last tick with nothing to wait for. (Counting from the last progress alone, the
    // first write after a database sat idle longer than the timeout made every follower
    // suspect its leader at once, and each such write changed the leader.)
    if (!work_outstanding) last_idle_tick_ms_ = now_ms;
    const bool stalled = work_outstanding && now_ms - std::max(last_progress_ms_, last_idle_tick_ms_) >=
                                                 config_.progress_timeout_ms;
    if ((stalled || leader_misbehaved_) &&
        now_ms - last_suspect_ms_ >= config_.progress_timeout_ms) {
        suspect_message s;
        s.database = config_.database;
        s.view = view_;
        s.last_committed = last_committed_;
        s.member = key_.public_key();
        s.sign(key_);
        out.suspicions.push_back(std::move(s));
        last_suspect_ms_ = now_ms;
    }
    if (!building_.empty() && now_ms - last_block_vote_ms_ >= 5 * config_.retransmit_ms) {
        last_block_vote_ms_ = now_ms;
        for (const auto& [height, block] : building_) {
            if (!shard_block_group(block, config_.groups).contains(key_.public_key())) continue;
            send(others(), message_kind::shard_block_vote, encode(own_block_vote(height, block.hash())), out);
        }
    }
    // A block that gathers no quorum for long: its signers may have stored it before this
    // member built it (it executed late, or joined the group late). Fetch it, stored.
    if (building_.empty()) {
        stuck_block_height_ = block_height{};
    } else if (building_.begin()->first != stuck_block_height_) {
        stuck_block_height_ = building_.begin()->first;
        stuck_block_since_ms_ = now_ms;
    } else if (now_ms - stuck_block_since_ms_ >= 10 * config_.retransmit_ms &&
               now_ms - block_fetch_sent_ms_ >= config_.fetch_retry_ms) {
        const auto peers = others();
        if (!peers.empty()) {
            block_fetch_sent_ms_ = now_ms;
            const public_key& peer = peers[block_fetch_turn_++ % peers.size()];
            shard_block_fetch request{config_.database, stuck_block_height_,
                                      static_cast<std::uint32_t>(limits::shard_blocks_per_fetch_max)};
            send({peer}, message_kind::shard_block_fetch, encode(request), out);
        }
    }
    if (fetching_from_ && now_ms - fetch_sent_ms_ >= config_.fetch_retry_ms) {
        const public_key again = *fetching_from_;
        fetching_from_.reset();
        request_catch_up(again, now_ms, out);
    }
    return out;
}

// ---- helpers -----------------------------------------------------------------------------

void replica::keep_evidence(tx::evidence evidence, replica_output& out) {
    evidence.canonicalize();
    log_.save_evidence(evidence);
    out.evidence.push_back(std::move(evidence));
}

bool replica::awaiting_suspicious_work() const {
    // Only the next request due from its client counts against the leader: one with a gap
    // (or one of two a client signed with the same sequence) may wait forever through no
    // fault of the leader.
    const sequence_number everything(~std::uint64_t{0});
    return std::any_of(awaited_requests_.begin(), awaited_requests_.end(), [&](const auto& entry) {
        const auto& r = entry.second.request;
        return r.sequence.value == client_seq_before(r.client, everything) + 1;
    });
}

std::vector<public_key> replica::others() const {
    std::vector<public_key> to;
    for (const auto& m : members().members())
        if (m != key_.public_key()) to.push_back(m);
    return to;
}

void replica::send(std::vector<public_key> to, message_kind kind, bytes payload,
                   replica_output& out) const {
    if (to.empty()) return;
    out.messages.push_back({std::move(to), kind, std::move(payload)});
}

std::size_t replica::votes_needed() const {
    // commit-without-quorum: f+1, enough for "one honest member", not for agreement.
    return bug(injected_bug::commit_without_quorum) ? members().one_honest() : members().quorum();
}

std::optional<std::string> replica::certificate_refusal(const certificate& cert) const {
    if (!bug(injected_bug::commit_without_quorum)) return certificate_fault(cert, config_.groups, false);
    const auto domain = cert.phase == vote_phase::prepare ? crypto::sign_domain::kayak_prepare_vote
                                                          : crypto::sign_domain::kayak_commit_vote;
    const group& signers = config_.groups.at(cert.view);
    return signer_set_fault(cert.votes, signers, signers.one_honest(), domain, cert.vote_signing_bytes(), false);
}

void replica::refuse(const std::string& why) {
    ++stats_.messages_refused;
    stats_.last_refusal = why;
}

}  // namespace covenant::kayak
