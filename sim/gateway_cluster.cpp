// chain_cluster with client gateways (see gateway_cluster.hpp).
#include "sim/gateway_cluster.hpp"

#include "actors/router/router.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"
#include "protocols/merkle.hpp"
#include "sim/kayak_cluster.hpp"

namespace covenant::sim {

namespace {
constexpr std::int64_t epoch_ms = 1'790'000'000'000;  // chain_cluster's virtual clock zero
constexpr std::uint32_t gateway_key_base = 3300;

using namespace protocols;

/// A write answer made up by `member` alone: results altered, with a receipt it signs by
/// itself (one commit vote, one execution signature over a results root of its choosing).
client_response invented_write(client_response r, const crypto::key_pair& member) {
    auto& outcome = std::get<request_outcome>(r.body);
    if (auto* results = std::get_if<std::vector<statement_result>>(&outcome.body))
        for (auto& result : *results) result.affected_rows += 1000;
    auto& w = *r.receipt;
    w.results_root = merkle_root({outcome.hash()});
    w.leaf_index = 0;
    w.leaf_count = 1;
    w.path.clear();
    w.commit_certificate.votes = {
        {member.public_key(), member.sign(crypto::sign_domain::kayak_commit_vote,
                                          w.commit_certificate.vote_signing_bytes())}};
    w.executions = {{member.public_key(),
                     member.sign(crypto::sign_domain::kayak_execution,
                                 execution_signing_bytes(r.database, w.view, w.seq, w.batch_hash,
                                                         w.results_root, w.state_digest))}};
    r.state_digest = w.state_digest;
    r.state_seq = w.seq;
    r.sign(member);
    return r;
}

/// A Byzantine member's version of its answer: a write with invented results and a receipt
/// it signs by itself, or a read with forged values under the original signature.
bytes altered_answer(const bytes& payload, const crypto::key_pair& member) {
    auto r = decode_client_response(payload);
    if (!r || !std::holds_alternative<request_outcome>(r->body)) return payload;
    client_response altered = *r;
    if (altered.receipt) {
        altered = invented_write(std::move(altered), member);
    } else if (auto* results = std::get_if<std::vector<statement_result>>(
                   &std::get<request_outcome>(altered.body).body)) {
        for (auto& result : *results)
            for (auto& row : result.rows)
                for (auto& value : row) value = sql_value::text("forged");
    }
    return encode(altered);
}

/// The link of a Byzantine member to a gateway: its client answers are replaced, alone or
/// inside a bundle.
caf::behavior byzantine_link(caf::event_based_actor* self, caf::actor net, std::uint64_t from,
                             std::uint64_t to, crypto::key_pair member) {
    return {[=](actors::wire_atom, bytes& wire) {
        auto sealed = decode_envelope(wire, 0);
        if (sealed && sealed->kind == message_kind::client_response) {
            wire = encode(seal_envelope(member, 0, message_kind::client_response,
                                        altered_answer(sealed->payload, member), sealed->channel));
        } else if (sealed && sealed->kind == message_kind::bundle) {
            if (auto items = decode_bundle(sealed->payload)) {
                for (auto& item : *items)
                    if (item.kind == message_kind::client_response)
                        item.payload = altered_answer(item.payload, member);
                wire = encode(seal_envelope(member, 0, message_kind::bundle, encode_bundle(*items)));
            }
        }
        self->send(net, transmit_atom::value, from, to, wire);
    }};
}

}  // namespace

gateway_cluster::gateway_cluster(chain_cluster_options options, std::size_t gateways)
    : chain_cluster(options) {
    COVENANT_ASSERT(gateways >= 1, "a gateway cluster has a gateway");
    const std::uint64_t client_index = producers_.size() + miners_.size();
    gateways_.push_back(
        gateway{owner_, client_.id, client_.router, {}, client_index, directory_ + "/gateway0"});
    std::vector<node*> others;
    for (auto& p : producers_) others.push_back(&p);
    for (auto& m : miners_) others.push_back(&m);
    for (std::size_t g = 1; g < gateways; ++g) {
        gateway gw{simulated_key(gateway_key_base + static_cast<std::uint32_t>(g)),
                   {},
                   {},
                   {},
                   client_index + g,
                   directory_ + "/gateway" + std::to_string(g)};
        gw.id = crypto::compute_node_id(gw.key.public_key(), 0);
        gw.router = actors::spawn_router(*system_, {gw.key, 0, 0});
        caf::anon_send(network_, register_atom::value, gw.network_index, gw.router);
        for (std::size_t j = 0; j < others.size(); ++j) {
            caf::anon_send(gw.router, actors::add_peer_atom::value, others[j]->id.view().to_bytes(),
                           spawn_link(*system_, network_, gw.network_index, j));
            caf::anon_send(others[j]->router, actors::add_peer_atom::value, gw.id.view().to_bytes(),
                           spawn_link(*system_, network_, j, gw.network_index));
        }
        gateways_.push_back(std::move(gw));
    }
    scheduler_->run();
    for (std::size_t g = 0; g < gateways_.size(); ++g) start_gateway(g);
    scheduler_->run();
}

gateway_cluster::~gateway_cluster() {
    for (auto& g : gateways_) {
        if (g.actor) caf::anon_send_exit(g.actor, caf::exit_reason::user_shutdown);
        if (g.network_index != gateways_.front().network_index)
            caf::anon_send_exit(g.router, caf::exit_reason::user_shutdown);
    }
    scheduler_->run();
}

void gateway_cluster::start_gateway(std::size_t g) {
    auto& gw = gateways_.at(g);
    actors::client_node_config c{gw.key};
    c.router = gw.router;
    c.data_dir = gw.path;
    c.genesis = genesis_;
    for (const auto& p : producers_) c.producer_nodes.push_back(p.id);
    c.follow_interval_ms = 100;
    c.resend_interval_ms = 500;
    c.request_resend_ms = 500;
    c.request_timeout_ms = 15'000;
    c.transaction_timeout_ms = 15'000;
    c.tick_ms = 10;
    c.clock_offset_ms = epoch_ms;
    auto spawned = actors::spawn_client_node(*system_, std::move(c));
    COVENANT_ASSERT(spawned.ok(), "a gateway starts on its data directory");
    gw.actor = std::move(spawned).value();
}

void gateway_cluster::restart_gateway(std::size_t g) {
    auto& gw = gateways_.at(g);
    caf::anon_send_exit(gw.actor, caf::exit_reason::kill);
    gw.actor = caf::actor{};
    scheduler_->run();
    start_gateway(g);
    scheduler_->run();
}

template <class Answer>
std::optional<Answer> gateway_cluster::await(std::size_t g, caf::message request,
                                             std::int64_t limit_ms) {
    auto out = std::make_shared<std::optional<Answer>>();
    auto target = gateways_.at(g).actor;
    system_->spawn([=](caf::event_based_actor* self) {
        self->request(target, caf::infinite, request).then([=](const Answer& a) { *out = a; });
    });
    run_until([&] { return out->has_value(); }, limit_ms);
    return *out;
}

std::optional<actors::transaction_answer> gateway_cluster::submit(std::size_t g,
                                                                  client::transaction_body body,
                                                                  std::int64_t limit_ms) {
    return await<actors::transaction_answer>(
        g,
        caf::make_message(actors::submit_atom::value, actors::transaction_request{std::move(body)}),
        limit_ms);
}

std::optional<actors::sql_answer> gateway_cluster::exec(std::size_t g, const database_id& db,
                                                        std::vector<sql_statement> statements,
                                                        std::int64_t limit_ms) {
    return await<actors::sql_answer>(
        g,
        caf::make_message(actors::sql_atom::value,
                          actors::sql_request{db, query_kind::write, std::move(statements)}),
        limit_ms);
}

std::optional<actors::sql_answer> gateway_cluster::query(std::size_t g, const database_id& db,
                                                         sql_statement statement,
                                                         std::int64_t limit_ms) {
    return await<actors::sql_answer>(
        g,
        caf::make_message(actors::sql_atom::value,
                          actors::sql_request{db, query_kind::read, {std::move(statement)}}),
        limit_ms);
}

std::optional<actors::member_report> gateway_cluster::members(std::size_t g, const database_id& db,
                                                              std::int64_t timeout_ms,
                                                              bytes challenge,
                                                              std::int64_t limit_ms) {
    return await<actors::member_report>(
        g,
        caf::make_message(actors::members_atom::value, db.view().to_bytes(), timeout_ms,
                          std::move(challenge)),
        limit_ms);
}

std::optional<actors::shard_blocks_answer> gateway_cluster::shard_blocks(
    std::size_t g, actors::shard_blocks_request request, std::int64_t limit_ms) {
    return await<actors::shard_blocks_answer>(
        g, caf::make_message(actors::shard_blocks_atom::value, std::move(request)), limit_ms);
}

actors::main_blocks_answer gateway_cluster::main_blocks(std::size_t g, std::uint64_t from,
                                                        std::uint32_t count) {
    return ask<actors::main_blocks_answer>(
        gateways_.at(g).actor, caf::make_message(actors::main_blocks_atom::value, from, count));
}

actors::checkpoint_list gateway_cluster::checkpoints(std::size_t g, const database_id& db) {
    return ask<actors::checkpoint_list>(
        gateways_.at(g).actor,
        caf::make_message(actors::checkpoints_atom::value, db.view().to_bytes()));
}

actors::client_status gateway_cluster::gateway_status(std::size_t g) {
    return ask<actors::client_status>(gateways_.at(g).actor,
                                      caf::make_message(actors::client_status_atom::value));
}

actors::account_info gateway_cluster::account(std::size_t g) {
    return ask<actors::account_info>(gateways_.at(g).actor,
                                     caf::make_message(actors::account_atom::value));
}

actors::database_list gateway_cluster::databases(std::size_t g) {
    return ask<actors::database_list>(gateways_.at(g).actor,
                                      caf::make_message(actors::databases_atom::value));
}

void gateway_cluster::make_byzantine(std::size_t miner) {
    const std::uint64_t from = producers_.size() + miner;
    for (const auto& gw : gateways_)
        caf::anon_send(miners_.at(miner).router, actors::add_peer_atom::value,
                       gw.id.view().to_bytes(),
                       system_->spawn(byzantine_link, network_, from, gw.network_index,
                                      miners_.at(miner).key));
    scheduler_->run();
}

}  // namespace covenant::sim
