// A Byzantine block producer (see byzantine.hpp): the honest producer actor behind an
// outbox whose attacker rewrites the consensus messages it sends, signed with the
// producer's real key: two blocks for its turn to the two halves of the set, votes
// withheld, doubled or for blocks that do not exist, proposals with a wrong state root,
// altered transactions, replays and garbage. The honest producers must neither fork nor
// stop (at most f of them Byzantine).
#include <caf/all.hpp>

#include <map>

#include "protocols/main_chain/producer_wire.hpp"
#include "sim/byzantine.hpp"
#include "sim/byzantine_outbox.hpp"

namespace covenant::sim {
namespace {

using protocols::message_kind;
using B = byzantine_behavior;
constexpr std::size_t plans_max = 64;

struct proposal_plan {
    std::optional<main_chain::block_proposal> wrong;  // to everyone instead
    std::optional<main_chain::block_proposal> twin;   // to the odd half of the set
};

class producer_attacker final : public attack_base {
  public:
    producer_attacker(byzantine_options options, crypto::key_pair key,
                      const std::map<public_key, node_id>& peers)
        : attack_base(std::move(options), std::move(key), peers) {}

    std::vector<outgoing_message> attack(outgoing_message m) override {
        std::vector<outgoing_message> out{m};
        const auto kind = static_cast<message_kind>(m.kind);
        if (main_chain::is_producer_message_kind(kind)) {
            auto decoded = main_chain::decode_producer_message(kind, m.payload);
            if (decoded) out = attack_message(m, std::move(decoded).value());
        }
        return finish(m, std::move(out));
    }

  private:
    digest altered(digest d) {
        d.data[below(d.data.size())] ^= static_cast<std::uint8_t>(1 + below(255));
        return d;
    }

    outgoing_message with(outgoing_message m, const main_chain::producer_message& body) {
        auto wire = main_chain::encode_producer_message(body);
        m.kind = static_cast<std::uint16_t>(wire.kind);
        m.payload = std::move(wire.payload);
        return m;
    }

    /// The proposal with its block rebuilt by `change` and signed again (only blocks this
    /// producer built itself: a re-proposal keeps its first proposer's signature).
    template <class Change>
    std::optional<main_chain::block_proposal> rebuilt(main_chain::block_proposal p, Change change) {
        if (p.block.header.proposer != key_.public_key() || p.valid_round) return std::nullopt;
        change(p.block);
        p.block.sign_proposal(key_);
        p.sign(key_);
        return p;
    }

    std::vector<outgoing_message> attack_message(outgoing_message m,
                                                 main_chain::producer_message message) {
        if (auto* p = std::get_if<main_chain::block_proposal>(&message.body)) {
            const auto slot = std::make_pair(p->height(), p->round);
            auto at = plans_.find(slot);
            if (at == plans_.end()) {
                if (plans_.size() >= plans_max) plans_.erase(plans_.begin());
                proposal_plan plan;
                if (fire(B::wrong_results) || fire(B::wrong_digests))
                    plan.wrong = rebuilt(*p, [&](protocols::main_block& b) {
                        b.header.state_root = altered(b.header.state_root);
                    });
                if (fire(B::equivocate))
                    plan.twin = rebuilt(*p, [&](protocols::main_block& b) {
                        b.header.timestamp_ms += 1 + static_cast<std::int64_t>(below(5));
                    });
                at = plans_.emplace(slot, std::move(plan)).first;
            }
            if (at->second.wrong) return {with(m, {*at->second.wrong})};
            if (at->second.twin) {
                if (in_odd_half(m.to_node)) return {with(m, {*at->second.twin})};
            }
            return {m};
        }
        if (auto* v = std::get_if<main_chain::block_vote>(&message.body)) {
            if (fire(B::withhold_votes)) return {};
            if (v->block_hash && fire(B::wrong_digests)) {
                v->block_hash = altered(*v->block_hash);
                v->sign(key_);
                m = with(m, message);
            }
            if (fire(B::duplicate_votes)) return {m, m};
            return {m};
        }
        if (auto* t = std::get_if<protocols::transaction>(&message.body)) {
            if (fire(B::alter_requests)) {
                t->fee += 1;  // the sender's signature no longer covers it
                return {with(m, message)};
            }
        }
        return {m};
    }

    std::map<std::pair<block_height, view_number>, proposal_plan> plans_;
};

}  // namespace

result<caf::actor> spawn_byzantine_producer_actor(caf::actor_system& system,
                                                  actors::producer_actor_config config,
                                                  byzantine_options options) {
    auto attacks =
        std::make_shared<producer_attacker>(std::move(options), config.key, config.peers);
    auto outbox = spawn_byzantine_outbox(system, config.router, attacks);
    config.router = outbox;
    auto core = actors::spawn_producer_actor(system, std::move(config));
    if (!core) {
        caf::anon_send_exit(outbox, caf::exit_reason::user_shutdown);
        return core;
    }
    watch_core(outbox, *core);
    return core;
}

}  // namespace covenant::sim
