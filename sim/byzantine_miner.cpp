// A Byzantine miner's replica (see byzantine.hpp): the honest replica actor behind an
// outbox whose attacker rewrites the Kayak messages it sends, signed with the member's
// real key, so every attack is one a real Byzantine member could make.
#include <map>

#include "protocols/codec.hpp"
#include "sim/byzantine.hpp"
#include "sim/byzantine_outbox.hpp"

namespace covenant::sim {
namespace {

using protocols::message_kind;
using B = byzantine_behavior;

constexpr std::size_t plans_max = 256;  // proposals whose attack is remembered

/// What the member does with one of its proposals, decided once so that its re-sends
/// carry the same attack (an equivocation is two batches, not noise).
struct proposal_plan {
    std::optional<protocols::prepare_message> altered;  // sent to everyone instead
    std::optional<protocols::prepare_message> twin;     // to the odd half of the group
};

class replica_attacker final : public attack_base {
  public:
    replica_attacker(byzantine_options options, crypto::key_pair key,
                     const std::map<public_key, node_id>& member_nodes)
        : attack_base(std::move(options), std::move(key), member_nodes) {}

    std::vector<outgoing_message> attack(outgoing_message m) override {
        std::vector<outgoing_message> out;
        switch (static_cast<message_kind>(m.kind)) {
            case message_kind::kayak_prepare:
                out = attack_prepare(m);
                break;
            case message_kind::kayak_vote:
                out = attack_vote(m);
                break;
            case message_kind::kayak_execution:
            case message_kind::kayak_execution_wanted:
                out = attack_execution(m);
                break;
            case message_kind::shard_block_vote:
                out = attack_block_vote(m);
                break;
            case message_kind::client_response:
                out = attack_response(m);
                break;
            case message_kind::client_request:
                out = attack_forwarded_request(m);
                break;
            default:
                out.push_back(m);
                break;
        }
        return finish(m, std::move(out));
    }

  private:
    digest altered(digest d) {
        d.data[below(d.data.size())] ^= static_cast<std::uint8_t>(1 + below(255));
        return d;
    }

    void resign(protocols::prepare_message& p) {
        p.batch.seal_header();
        p.proposed.batch_hash = p.batch.hash();
        p.proposed.sign(key_);
    }

    protocols::prepare_message tampered_batch(protocols::prepare_message p) {
        auto& requests = p.batch.requests;
        const std::size_t mode = requests.empty() ? 2 : below(3);
        // A statement the member's clients never sent: a table of its own, visible in the
        // state if an honest replica ever executes it.
        const protocols::sql_statement forged{"CREATE TABLE IF NOT EXISTS byzantine_forged(v)", {}};
        if (mode == 0) {
            // A client's request altered: its signature no longer matches.
            requests[below(requests.size())].statements = {forged};
        } else if (mode == 1) {
            // A request forged in a permitted client's name, after that client's last one.
            protocols::client_request r = requests.back();
            r.sequence = client_sequence(r.sequence.value + 1);
            r.statements = {forged};
            requests.push_back(std::move(r));
        } else {
            // A request correctly signed, by the member's own key, which has no role.
            protocols::client_request r;
            r.database = p.batch.header.database;
            r.client = key_.public_key();
            r.sequence = client_sequence(1);
            r.timestamp_ms = p.batch.header.timestamp_ms;
            r.kind = protocols::query_kind::write;
            r.statements = {forged};
            r.sign(key_);
            requests.push_back(std::move(r));
        }
        resign(p);
        return p;
    }

    std::vector<outgoing_message> attack_prepare(outgoing_message m) {
        auto prepare = protocols::decode_prepare(m.payload);
        if (!prepare) return {m};
        const digest honest = prepare->proposed.batch_hash;
        auto at = plans_.find(honest);
        if (at == plans_.end()) {
            if (plans_.size() >= plans_max) plans_.erase(plans_.begin());
            proposal_plan plan;
            if (fire(B::alter_requests)) plan.altered = tampered_batch(*prepare);
            if (fire(B::equivocate)) {
                protocols::prepare_message twin = *prepare;
                twin.batch.header.timestamp_ms += 1 + static_cast<std::int64_t>(below(5));
                resign(twin);
                plan.twin = std::move(twin);
            }
            at = plans_.emplace(honest, std::move(plan)).first;
        }
        const auto& plan = at->second;
        if (plan.altered) {
            m.payload = protocols::encode(*plan.altered);
        } else if (plan.twin) {
            // Odd members get the twin; now and then one gets the other batch too, so
            // that someone holds both (evidence) rather than the group merely stalling.
            const bool odd = in_odd_half(m.to_node);
            const bool swap = below(8) == 0;
            if (odd != swap) m.payload = protocols::encode(*plan.twin);
        }
        return {m};
    }

    /// A client's request it forwards to the leader, altered on the way (the leader's
    /// decoder must refuse it: the signature no longer matches).
    std::vector<outgoing_message> attack_forwarded_request(outgoing_message m) {
        if (!has(B::alter_requests)) return {m};
        auto r = protocols::decode_client_request(m.payload);
        if (!r || !fire(B::alter_requests)) return {m};
        r->statements = {protocols::sql_statement{"CREATE TABLE IF NOT EXISTS byzantine_forged(v)", {}}};
        m.payload = protocols::encode(*r);
        return {m};
    }

    std::vector<outgoing_message> attack_vote(outgoing_message m) {
        if (fire(B::withhold_votes)) return {};
        if (has(B::wrong_digests)) {
            if (auto v = protocols::decode_vote(m.payload); v && fire(B::wrong_digests)) {
                v->batch_hash = altered(v->batch_hash);
                v->sign(key_);
                m.payload = protocols::encode(*v);
            }
        }
        if (fire(B::duplicate_votes)) return {m, m};
        return {m};
    }

    std::vector<outgoing_message> attack_execution(outgoing_message m) {
        auto e = protocols::decode_execution(m.payload);
        if (!e) return {m};
        bool changed = false;
        if (fire(B::wrong_results)) {
            e->results_root = altered(e->results_root);
            changed = true;
        }
        if (fire(B::wrong_digests)) {
            e->state_digest = altered(e->state_digest);
            changed = true;
        }
        if (changed) {
            e->sign(key_);
            m.payload = protocols::encode(*e);
        }
        if (fire(B::duplicate_votes)) return {m, m};
        return {m};
    }

    std::vector<outgoing_message> attack_block_vote(outgoing_message m) {
        if (fire(B::withhold_votes)) return {};
        if (has(B::wrong_digests)) {
            if (auto v = protocols::decode_shard_block_vote(m.payload);
                v && fire(B::wrong_digests)) {
                v->block_hash = altered(v->block_hash);
                v->sign(key_);
                m.payload = protocols::encode(*v);
            }
        }
        if (fire(B::duplicate_votes)) return {m, m};
        return {m};
    }

    std::vector<outgoing_message> attack_response(outgoing_message m) {
        if (!has(B::wrong_results) && !has(B::wrong_digests)) return {m};
        auto r = protocols::decode_client_response(m.payload);
        if (!r) return {m};
        bool changed = false;
        if (auto* outcome = std::get_if<protocols::request_outcome>(&r->body);
            outcome && fire(B::wrong_results)) {
            if (auto* results =
                    std::get_if<std::vector<protocols::statement_result>>(&outcome->body)) {
                for (auto& s : *results) {
                    s.affected_rows += 1;
                    s.rows.push_back({protocols::sql_value::integer(666)});
                }
                if (results->empty())
                    outcome->body = protocols::sql_failure{0, 1, "invented failure"};
            } else {
                outcome->body = std::vector<protocols::statement_result>{};
            }
            changed = true;
        }
        if (fire(B::wrong_digests)) {
            r->state_digest = altered(r->state_digest);
            changed = true;
        }
        if (changed) {
            r->sign(key_);
            m.payload = protocols::encode(*r);
        }
        return {m};
    }

    std::map<digest, proposal_plan> plans_;
};

}  // namespace

caf::actor spawn_byzantine_replica_actor(caf::actor_system& system,
                                         actors::replica_actor_config config,
                                         byzantine_options options) {
    auto attacks =
        std::make_shared<replica_attacker>(std::move(options), config.key, config.member_nodes);
    auto outbox = spawn_byzantine_outbox(system, config.router, attacks);
    config.router = outbox;
    auto core = actors::spawn_replica_actor(system, std::move(config));
    watch_core(outbox, core);
    return core;
}

actors::replica_actor_factory byzantine_replica_factory(byzantine_options options) {
    auto spawned = std::make_shared<std::uint64_t>(0);
    return [options, spawned](caf::actor_system& system, actors::replica_actor_config config) {
        byzantine_options these = options;
        these.seed = options.seed + (*spawned)++;
        return spawn_byzantine_replica_actor(system, std::move(config), std::move(these));
    };
}

}  // namespace covenant::sim
