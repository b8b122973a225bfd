// The in-process Kayak cluster (see cluster.hpp).
#include "sim/kayak_cluster.hpp"


#include <cstdlib>
#include <algorithm>
#include <tuple>

#include "actors/router/router.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"
#include "crypto/hash.hpp"
#include "sim/sqlite_rows.hpp"
#include "storage/kayak_block_store.hpp"
#include "storage/kayak_log_store.hpp"

namespace covenant::sim {

crypto::key_pair simulated_key(std::uint32_t index) {
    const std::string label = "covenant/sim/key/" + std::to_string(index);
    const digest seed = crypto::hash(byte_view(label));
    return crypto::key_pair::from_seed(crypto::secret_seed(seed.data));
}

using namespace protocols;

namespace {

// Clients 0 and 1 may write; client 2 may only read; client 3 has no role.
class fixed_permissions final : public kayak::permission_source {
public:
    explicit fixed_permissions(std::map<account_address, role> roles) : roles_(std::move(roles)) {}
    std::optional<role> role_of(const account_address& user) const override {
        auto it = roles_.find(user);
        if (it == roles_.end()) return std::nullopt;
        return it->second;
    }

private:
    std::map<account_address, role> roles_;
};

node_id node_of(const crypto::key_pair& key) { return crypto::compute_node_id(key.public_key(), 0); }

constexpr std::int64_t epoch_ms = 1'790'000'000'000;  // what the virtual clock's zero means

}  // namespace

sql_statement statement(std::string sql, std::vector<sql_value> values) {
    sql_statement s{std::move(sql), {}};
    for (auto& v : values) s.parameters.push_back({"", std::move(v)});
    return s;
}

cluster::cluster(cluster_options options)
    : simulation("cluster",
                 [](caf::actor_system_config& c) {
                     actors::add_router_message_types(c);
                     actors::add_replica_message_types(c);
                     add_network_message_types(c);
                 },
                 1),
      options_(options) {
    database_.data.fill(0xdb);
    for (std::size_t c = 0; c < std::max<std::size_t>(options_.clients, 4); ++c)
        clients_.push_back(simulated_key(static_cast<std::uint32_t>(1000 + c)));
    std::map<account_address, role> roles{
        {crypto::address_of(clients_[0].public_key()), role::admin},
        {crypto::address_of(clients_[1].public_key()), role::write},
        {crypto::address_of(clients_[2].public_key()), role::read}};
    for (std::size_t c = 4; c < clients_.size(); ++c)
        roles[crypto::address_of(clients_[c].public_key())] = role::write;
    permissions_ = std::make_shared<fixed_permissions>(roles);

    std::vector<public_key> keys;
    for (std::size_t i = 0; i < options_.members; ++i) {
        member m{simulated_key(static_cast<std::uint32_t>(i)), {}, {}, {}, std::make_shared<kayak::memory_log_store>(),
                 directory_ + "/member" + std::to_string(i) + ".sqlite", std::make_shared<byzantine_stats>(), 0};
        m.node = node_of(m.key);
        keys.push_back(m.key.public_key());
        members_.push_back(std::move(m));
    }
    group_ = protocols::group(keys);

    network_ = spawn_network(*system_, options_.seed, options_.faults);
    responses_ = std::make_shared<std::map<digest, client_response>>();
    suspicions_ = std::make_shared<std::vector<std::pair<public_key, std::uint64_t>>>();
    evidence_ = std::make_shared<std::size_t>(0);
    checkpoints_ = std::make_shared<std::size_t>(0);
    auto suspicions = suspicions_;
    auto evidence = evidence_;
    auto checkpoints = checkpoints_;
    authority_ = system_->spawn([suspicions, evidence, checkpoints](caf::event_based_actor*) -> caf::behavior {
        return {
            [=](actors::suspect_atom, const bytes& wire) {
                auto s = decode_suspect(wire);
                if (s) suspicions->push_back({s->member, s->view.value});
            },
            [=](actors::evidence_atom, const bytes&) { ++*evidence; },
            [=](actors::checkpoint_atom, const bytes&) { ++*checkpoints; },
        };
    });

    // Routers: members 0..n-1 are network nodes 0..n-1, the client is node n.
    const std::uint64_t client_index = options_.members;
    client_node_ = node_of(clients_[0]);
    for (std::size_t i = 0; i < members_.size(); ++i) {
        members_[i].router = actors::spawn_router(*system_, {members_[i].key, 0, 0});
        caf::anon_send(network_, register_atom::value, std::uint64_t{i}, members_[i].router);
    }
    client_router_ = actors::spawn_router(*system_, {clients_[0], 0, 0});
    caf::anon_send(network_, register_atom::value, client_index, client_router_);
    auto link_all = [&](const caf::actor& router, std::uint64_t from) {
        for (std::size_t j = 0; j < members_.size(); ++j)
            if (j != from)
                caf::anon_send(router, actors::add_peer_atom::value, members_[j].node.view().to_bytes(),
                               spawn_link(*system_, network_, from, j));
        if (from != client_index)
            caf::anon_send(router, actors::add_peer_atom::value, client_node_.view().to_bytes(),
                           spawn_link(*system_, network_, from, client_index));
    };
    for (std::size_t i = 0; i < members_.size(); ++i) link_all(members_[i].router, i);
    link_all(client_router_, client_index);
    auto responses = responses_;
    auto recorder = system_->spawn([responses](caf::event_based_actor*) -> caf::behavior {
        return {[=](actors::deliver_atom, const actors::inbound_envelope& in) {
            auto r = decode_client_response(in.payload);
            if (r) (*responses)[r->request_hash] = *r;
        }};
    });
    // No channel: responses arrive on the database's channel, which no other subscription
    // of the client's router claims, so they fall to this one.
    caf::anon_send(client_router_, actors::subscribe_atom::value,
                   static_cast<std::uint16_t>(message_kind::client_response), recorder);
    for (std::size_t i = 0; i < members_.size(); ++i) start_replica(i);
    scheduler_->run();
}

cluster::~cluster() {
    for (auto& m : members_) {
        if (m.replica) caf::anon_send_exit(m.replica, caf::exit_reason::user_shutdown);
        caf::anon_send_exit(m.router, caf::exit_reason::user_shutdown);
    }
    caf::anon_send_exit(client_router_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(network_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(authority_, caf::exit_reason::user_shutdown);
    scheduler_->run();
    for (auto& m : members_) m.replica = caf::actor{};
}

void cluster::start_replica(std::size_t i) {
    auto& m = members_[i];
    auto executor = storage::sql_executor::open(m.database_path);
    COVENANT_ASSERT(executor.ok(), "cannot open a member's database");
    auto chain = storage::shard_chain_store::open(m.database_path + ".chain");
    COVENANT_ASSERT(chain.ok(), "cannot open a member's shard chain");
    std::shared_ptr<kayak::log_store> log = m.log;
    if (options_.sqlite_logs) {
        auto opened = storage::kayak_log_store::open(m.database_path + ".log");
        COVENANT_ASSERT(opened.ok(), "cannot open a member's Kayak log");
        log = std::shared_ptr<kayak::log_store>(std::move(opened).value());
    }
    actors::replica_actor_config c{
        kayak::replica_config{}, m.key, {}, m.router, authority_, log,
        std::make_shared<storage::sql_batch_executor>(std::move(executor).value()),
        std::make_shared<storage::kayak_block_store>(std::move(chain).value()), permissions_,
        10, epoch_ms};
    if (auto skew = options_.clock_skew_ms.find(i); skew != options_.clock_skew_ms.end()) c.clock_offset_ms += skew->second;
    c.replica.bugs = options_.bugs;
    c.replica.database = database_;
    c.replica.groups = group_;
    c.replica.mode = options_.mode;
    c.replica.pipeline_depth = options_.pipeline_depth;
    c.replica.batch_requests_max = options_.batch_requests_max;
    c.replica.progress_timeout_ms = options_.progress_timeout_ms;
    if (options_.retransmit_max_ms > 0) c.replica.retransmit_max_ms = options_.retransmit_max_ms;
    c.replica.seal_every_batches = 8;
    c.replica.seal_every_ms = 1000;
    for (const auto& other : members_) c.member_nodes[other.key.public_key()] = other.node;
    auto byzantine = options_.byzantine.find(i);
    if (byzantine == options_.byzantine.end()) {
        m.replica = actors::spawn_replica_actor(*system_, std::move(c));
    } else {
        const std::uint64_t base = options_.byzantine_seed != 0 ? options_.byzantine_seed
                                                                : options_.seed * 0x9e3779b97f4a7c15ull + 17;
        byzantine_options b{byzantine->second, base + i + 1000 * m.starts, options_.byzantine_per_million, m.byzantine};
        m.replica = spawn_byzantine_replica_actor(*system_, std::move(c), std::move(b));
    }
    ++m.starts;
}

void cluster::resend_unanswered(std::size_t to) {
    std::vector<client_request> again;
    for (const auto& [hash, request] : sent_) {
        auto answer = responses_->find(hash);
        const bool settled = answer != responses_->end() &&
                             !(std::holds_alternative<rejection>(answer->second.body) &&
                               std::get<rejection>(answer->second.body).reason == rejection_reason::stale_sequence);
        if (!settled && request.kind == query_kind::write) again.push_back(request);
    }
    std::sort(again.begin(), again.end(), [](const auto& a, const auto& b) {
        return std::tie(a.client, a.sequence) < std::tie(b.client, b.sequence);
    });
    for (const auto& r : again) {
        responses_->erase(r.hash());
        send_request(to, r);
    }
}

void cluster::send_again(const digest& request, std::size_t to) {
    auto it = sent_.find(request);
    COVENANT_ASSERT(it != sent_.end(), "send_again of a request never sent");
    const client_request copy = it->second;
    send_request(to, copy);
}

void cluster::send_request(std::size_t to, const client_request& request) {
    sent_[request.hash()] = request;
    caf::anon_send(client_router_, actors::send_atom::value, members_.at(to).node.view().to_bytes(),
                   static_cast<std::uint16_t>(message_kind::client_request),
                   database_.view().to_bytes(), encode(request));
    scheduler_->run();
}

namespace {
client_request make_request(const database_id& database, const crypto::key_pair& key,
                            std::uint64_t sequence, query_kind kind,
                            std::vector<sql_statement> statements) {
    client_request r;
    r.database = database;
    r.client = key.public_key();
    r.sequence = client_sequence(sequence);
    r.timestamp_ms = epoch_ms;
    r.kind = kind;
    r.statements = std::move(statements);
    r.sign(key);
    return r;
}
}  // namespace

digest cluster::write(std::size_t to, std::vector<sql_statement> statements, std::size_t client) {
    // Client requests from clients other than 0 travel through the same client node: the
    // node is the transport, the request's own key and signature say who asks.
    const auto r = make_request(database_, clients_.at(client), ++client_sequences_[client],
                                query_kind::write, std::move(statements));
    send_request(to, r);
    return r.hash();
}

digest cluster::read(std::size_t to, std::vector<sql_statement> statements, std::size_t client) {
    const auto r = make_request(database_, clients_.at(client), 0, query_kind::read,
                                std::move(statements));
    send_request(to, r);
    return r.hash();
}

std::optional<client_response> cluster::response(const digest& request) const {
    auto it = responses_->find(request);
    if (it == responses_->end()) return std::nullopt;
    return it->second;
}

actors::replica_status cluster::status(std::size_t i) {
    return ask<actors::replica_status>(members_.at(i).replica,
                                       caf::make_message(actors::replica_status_atom::value));
}

std::vector<shard_block> cluster::shard_chain(std::size_t i) {
    auto chain = storage::shard_chain_store::open(members_.at(i).database_path + ".chain");
    COVENANT_ASSERT(chain.ok(), "cannot open a member's shard chain");
    auto blocks = (*chain)->load_all();
    COVENANT_ASSERT(blocks.ok(), "a member's shard chain does not load");
    return std::move(blocks).value();
}

std::vector<std::vector<sql_value>> cluster::rows(std::size_t i, const std::string& sql) {
    return sqlite_rows(members_.at(i).database_path, sql);
}

void cluster::crash(std::size_t i) {
    auto& m = members_.at(i);
    caf::anon_send_exit(m.replica, caf::exit_reason::kill);
    m.replica = caf::actor{};
    scheduler_->run();
}

void cluster::restart(std::size_t i) {
    COVENANT_ASSERT(!members_.at(i).replica, "restart of a running member");
    start_replica(i);
    scheduler_->run();
}

void cluster::change_view(std::uint64_t view) {
    for (auto& m : members_)
        if (m.replica) caf::anon_send(m.replica, actors::view_change_atom::value, view);
    scheduler_->run();
}

void cluster::change_view_at(std::size_t i, std::uint64_t view) {
    if (members_.at(i).replica) caf::anon_send(members_.at(i).replica, actors::view_change_atom::value, view);
    scheduler_->run();
}

void cluster::cut(std::size_t from, std::size_t to, bool is_cut) {
    caf::anon_send(network_, partition_atom::value, std::uint64_t{from}, std::uint64_t{to}, is_cut);
    scheduler_->run();
}

void cluster::isolate(std::size_t i, bool is_cut) {
    for (std::size_t j = 0; j <= members_.size(); ++j) {
        if (j == i) continue;
        cut(i, j, is_cut);
        cut(j, i, is_cut);
    }
}

void cluster::set_faults(const network_faults& faults) {
    caf::anon_send(network_, faults_atom::value, faults);
    scheduler_->run();
}

void cluster::inject_wire(std::size_t i, const bytes& wire) {
    caf::anon_send(members_.at(i).router, actors::wire_atom::value, wire);
    scheduler_->run();
}

}  // namespace covenant::sim
