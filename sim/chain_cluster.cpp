// A whole network in one process (see chain_cluster.hpp).
#include "sim/chain_cluster.hpp"

#include <chrono>
#include <filesystem>
#include <utility>

#include "actors/router/router.hpp"
#include "common/assert.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "sim/kayak_cluster.hpp"
#include "sim/sqlite_rows.hpp"
#include "storage/kayak_log_store.hpp"
#include "storage/main_chain_store.hpp"
#include "storage/shard_chain_store.hpp"

namespace covenant::sim {

namespace {
constexpr std::int64_t epoch_ms = 1'790'000'000'000;  // what the virtual clock's zero means
constexpr std::uint32_t producer_key_base = 3000;
constexpr std::uint32_t miner_key_base = 3100;
constexpr std::uint32_t owner_key_index = 3200;

std::int64_t skew_of(const std::vector<std::int64_t>& skews, std::size_t i) {
    return i < skews.size() ? skews[i] : 0;
}
}  // namespace

using namespace protocols;

chain_cluster::chain_cluster(chain_cluster_options options)
    : simulation(
          "network",
          [](caf::actor_system_config& c) {
              actors::add_router_message_types(c);
              actors::add_producer_message_types(c);
              actors::add_replica_message_types(c);
              actors::add_miner_message_types(c);
              add_network_message_types(c);
          },
          10, options.directory_base),
      options_(options),
      owner_(simulated_key(owner_key_index)),
      client_{owner_, crypto::compute_node_id(owner_.public_key(), 0), {}, {}, ""} {
    auto make_node = [&](std::uint32_t key_index, std::string path) {
        node n{simulated_key(key_index), {}, {}, {}, std::move(path)};
        n.id = crypto::compute_node_id(n.key.public_key(), 0);
        return n;
    };
    for (std::size_t i = 0; i < options_.producers; ++i) {
        producers_.push_back(make_node(producer_key_base + static_cast<std::uint32_t>(i),
                                       directory_ + "/producer" + std::to_string(i) + ".sqlite"));
        genesis_.initial_producers.push_back(producers_.back().key.public_key());
    }
    for (std::size_t i = 0; i < options_.miners; ++i) {
        miners_.push_back(make_node(miner_key_base + static_cast<std::uint32_t>(i),
                                    directory_ + "/miner" + std::to_string(i)));
        genesis_.allocations[crypto::address_of(miners_.back().key.public_key())] =
            options_.miner_balance;
    }
    genesis_.allocations[crypto::address_of(owner_.public_key())] = options_.owner_balance;
    for (std::size_t u = 1; u <= options_.users; ++u)
        genesis_.allocations[crypto::address_of(client_key(u).public_key())] =
            options_.user_balance;
    genesis_.parameters.node_id_difficulty = 0;  // node ids are nonce 0 here
    genesis_.parameters.minimum_miner_deposit = 1'000;

    // Network: producers, then miners, then the client; every router reaches every other.
    network_ = spawn_network(*system_, options_.seed, options_.faults, options_.trace);
    std::vector<node*> all;
    for (auto& p : producers_) all.push_back(&p);
    for (auto& m : miners_) all.push_back(&m);
    all.push_back(&client_);
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i]->router = actors::spawn_router(*system_, {all[i]->key, 0, 0});
        caf::anon_send(network_, register_atom::value, std::uint64_t{i}, all[i]->router);
    }
    for (std::size_t i = 0; i < all.size(); ++i)
        for (std::size_t j = 0; j < all.size(); ++j)
            if (i != j)
                caf::anon_send(all[i]->router, actors::add_peer_atom::value,
                               all[j]->id.view().to_bytes(), spawn_link(*system_, network_, i, j));

    responses_ = std::make_shared<std::map<digest, client_response>>();
    arrived_ = std::make_shared<std::vector<arrived_response>>();
    auto responses = responses_;
    auto arrived = arrived_;
    auto recorder = system_->spawn([responses,
                                    arrived](caf::event_based_actor* self) -> caf::behavior {
        return {[=](actors::deliver_atom, const actors::inbound_envelope& in) {
            auto r = decode_client_response(in.payload);
            if (!r) return;
            // An executed answer is final: a later refusal of the same request (a copy sent
            // again while the first was being ordered is refused as stale) does not replace it.
            auto known = responses->find(r->request_hash);
            const bool executed_already =
                known != responses->end() &&
                std::holds_alternative<request_outcome>(known->second.body);
            if (!(executed_already && std::holds_alternative<rejection>(r->body)))
                (*responses)[r->request_hash] = *r;
            const auto t = std::chrono::duration_cast<std::chrono::milliseconds>(
                               self->clock().now().time_since_epoch())
                               .count();
            arrived->push_back({t, *r});
        }};
    });
    // No channel: the client's one recorder takes the responses of every database (each
    // arrives on its database's channel, which no other subscription of the client claims).
    caf::anon_send(client_.router, actors::subscribe_atom::value,
                   static_cast<std::uint16_t>(message_kind::client_response), recorder);
    scheduler_->run();
    for (std::size_t i = 0; i < producers_.size(); ++i) start_producer(i);
    for (std::size_t i = 0; i < miners_.size(); ++i) start_miner(i);
    scheduler_->run();
}

chain_cluster::~chain_cluster() {
    for (auto* group : {&producers_, &miners_})
        for (auto& n : *group) {
            if (n.node) caf::anon_send_exit(n.node, caf::exit_reason::user_shutdown);
            caf::anon_send_exit(n.router, caf::exit_reason::user_shutdown);
        }
    caf::anon_send_exit(client_.router, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(network_, caf::exit_reason::user_shutdown);
    scheduler_->run();
    for (auto* group : {&producers_, &miners_})
        for (auto& n : *group) n.node = caf::actor{};
}

void chain_cluster::start_producer(std::size_t i) {
    auto& p = producers_.at(i);
    std::map<public_key, node_id> peers;
    for (std::size_t j = 0; j < producers_.size(); ++j)
        if (j != i) peers[producers_[j].key.public_key()] = producers_[j].id;
    main_chain::producer_config timing;
    timing.block_interval_ms = options_.block_interval_ms;
    timing.propose_timeout_ms = 600;
    timing.prevote_timeout_ms = 200;
    timing.precommit_timeout_ms = 200;
    timing.timeout_step_ms = 100;
    timing.resend_interval_ms = 400;
    actors::producer_actor_config c{p.key, std::move(peers), p.router, p.path, genesis_,
                                    timing, 20, epoch_ms + skew_of(options_.producer_clock_skew_ms, i),
                                    500, 300, 64};
    auto byzantine = options_.byzantine_producers.find(i);
    auto spawned = byzantine == options_.byzantine_producers.end()
                       ? actors::spawn_producer_actor(*system_, std::move(c))
                       : spawn_byzantine_producer_actor(
                             *system_, std::move(c),
                             {byzantine->second, byzantine_seed() + 100 + i, options_.byzantine_per_million, nullptr});
    COVENANT_ASSERT(spawned.ok(), "a producer starts on its store");
    p.node = std::move(spawned).value();
}

void chain_cluster::start_miner(std::size_t i) {
    auto& m = miners_.at(i);
    std::vector<node_id> producer_nodes;
    for (const auto& p : producers_) producer_nodes.push_back(p.id);
    kayak::replica_config replica;
    replica.progress_timeout_ms = options_.replica_progress_timeout_ms;
    replica.seal_every_batches = 8;
    replica.seal_every_ms = 1000;
    replica.bugs = options_.bugs;
    actors::miner_node_config c{m.key, m.router, m.path, genesis_, std::move(producer_nodes),
                                replica, options_.miner_follow_interval_ms,
                                options_.suspicion_resend_ms, 10,
                                epoch_ms + skew_of(options_.miner_clock_skew_ms, i), 1};
    if (auto byzantine = options_.byzantine_miners.find(i); byzantine != options_.byzantine_miners.end())
        c.spawn_replica = byzantine_replica_factory(
            {byzantine->second, byzantine_seed() + i, options_.byzantine_per_million, nullptr});
    // Every replica's life is watched: one spawned while its predecessor on the same files
    // still lives is counted (replica_overlaps).
    c.spawn_replica = [spawn = std::move(c.spawn_replica), lives = replica_lives_, i](
                          caf::actor_system& system, actors::replica_actor_config config) {
        const std::pair<std::size_t, database_id> key{i, config.replica.database};
        auto& alive = lives->alive[key];
        if (alive > 0) ++lives->overlaps;
        ++alive;
        caf::actor actor = spawn(system, std::move(config));
        actor->attach_functor([lives, key] { --lives->alive[key]; });
        return actor;
    };
    auto spawned = actors::spawn_miner_node(*system_, std::move(c));
    COVENANT_ASSERT(spawned.ok(), "a miner starts on its data directory");
    m.node = std::move(spawned).value();
}

transaction chain_cluster::submit(const crypto::key_pair& signer,
                                  decltype(transaction{}.body) body) {
    auto& nonce = next_nonce_[signer.public_key()];
    transaction tx;
    tx.sender = signer.public_key();
    tx.nonce = account_nonce{++nonce};
    tx.fee = 1;
    tx.body = std::move(body);
    tx.sign(signer);
    const bytes wire = encode(tx);
    for (const auto& p : producers_)
        caf::anon_send(client_.router, actors::send_atom::value, p.id.view().to_bytes(),
                       static_cast<std::uint16_t>(message_kind::main_transaction), wire);
    scheduler_->run();
    return tx;
}

void chain_cluster::register_miners(std::uint64_t deposit, std::uint32_t capacity) {
    for (const auto& m : miners_) {
        tx::register_miner r;
        r.pow_nonce = 0;
        r.deposit = deposit;
        r.capacity = capacity;
        r.price_per_statement = 1;
        r.endpoint = "sim";
        submit(m.key, r);
    }
}

database_id chain_cluster::create_database(std::uint32_t miners, consistency_mode mode,
                                           std::uint64_t advance_payment) {
    const auto tx = submit(owner_, tx::create_database{miners, mode, advance_payment});
    return main_chain::ledger::database_id_for(crypto::address_of(owner_.public_key()), tx.nonce);
}

actors::producer_status chain_cluster::producer_status(std::size_t i) {
    return ask<actors::producer_status>(producers_.at(i).node,
                                        caf::make_message(actors::producer_status_atom::value));
}

std::uint64_t chain_cluster::chain_height() {
    std::optional<std::uint64_t> lowest;
    for (std::size_t i = 0; i < producers_.size(); ++i) {
        if (!producers_[i].node) continue;
        const auto h = producer_status(i).final_height;
        lowest = lowest ? std::min(*lowest, h) : h;
    }
    return lowest.value_or(0);
}

actors::miner_status chain_cluster::miner_status(std::size_t i) {
    return ask<actors::miner_status>(miners_.at(i).node,
                                     caf::make_message(actors::miner_status_atom::value));
}

std::optional<actors::replica_status> chain_cluster::replica_status(std::size_t i,
                                                                    const database_id& db) {
    if (!miners_.at(i).node) return std::nullopt;
    auto replica = ask<caf::actor>(miners_[i].node, caf::make_message(actors::replica_of_atom::value,
                                                                      db.view().to_bytes()));
    if (!replica) return std::nullopt;
    return ask<actors::replica_status>(replica, caf::make_message(actors::replica_status_atom::value));
}

void chain_cluster::deliver_view_decision(std::size_t i, const database_id& db, std::uint64_t view) {
    if (!miners_.at(i).node) return;
    auto replica = ask<caf::actor>(miners_[i].node, caf::make_message(actors::replica_of_atom::value,
                                                                      db.view().to_bytes()));
    if (replica) caf::anon_send(replica, actors::view_change_atom::value, view);
    scheduler_->run();
}

std::size_t chain_cluster::miner_index(const public_key& member) const {
    for (std::size_t i = 0; i < miners_.size(); ++i)
        if (miners_[i].key.public_key() == member) return i;
    COVENANT_ASSERT(false, "not a miner of this cluster");
    return 0;
}

std::vector<std::vector<sql_value>> chain_cluster::rows(std::size_t i, const database_id& db,
                                                        const std::string& sql) {
    return sqlite_rows(miners_.at(i).path + "/db-" + db.hex() + ".sqlite", sql);
}

main_chain::ledger chain_cluster::chain_state(std::size_t i) {
    auto store = storage::main_chain_store::open(producers_.at(i).path);
    COVENANT_ASSERT(store.ok(), "cannot open a producer's store");
    auto blocks = store.value()->load_all();
    COVENANT_ASSERT(blocks.ok(), "cannot read a producer's store");
    auto state = storage::replay(genesis_, blocks.value());
    COVENANT_ASSERT(state.ok(), "a producer's stored chain does not replay");
    return std::move(state).value();
}

std::vector<protocols::shard_block> chain_cluster::shard_chain(std::size_t i, const database_id& db) {
    auto store = storage::shard_chain_store::open(miners_.at(i).path + "/db-" + db.hex() + ".chain");
    COVENANT_ASSERT(store.ok(), "cannot open a miner's shard chain");
    auto blocks = store.value()->load_all();
    COVENANT_ASSERT(blocks.ok(), "cannot read a miner's shard chain");
    return std::move(blocks).value();
}

void chain_cluster::crash_miner(std::size_t i) {
    auto& m = miners_.at(i);
    caf::anon_send_exit(m.node, caf::exit_reason::kill);
    m.node = caf::actor{};
    scheduler_->run();
}

void chain_cluster::restart_miner(std::size_t i) {
    COVENANT_ASSERT(!miners_.at(i).node, "restart of a running miner");
    start_miner(i);
    scheduler_->run();
}

void chain_cluster::crash_producer(std::size_t i) {
    auto& p = producers_.at(i);
    caf::anon_send_exit(p.node, caf::exit_reason::kill);
    p.node = caf::actor{};
    scheduler_->run();
}

const crypto::key_pair& chain_cluster::client_key(std::size_t client) {
    if (client == 0) return owner_;
    auto at = users_.find(client);
    if (at == users_.end())
        at = users_.emplace(client, simulated_key(owner_key_index + static_cast<std::uint32_t>(client)))
                 .first;
    return at->second;
}

protocols::client_request chain_cluster::signed_write(const database_id& db, std::size_t client,
                                                      std::uint64_t sequence,
                                                      std::vector<sql_statement> statements) {
    client_request r;
    r.database = db;
    r.client = client_key(client).public_key();
    r.sequence = client_sequence(sequence);
    r.timestamp_ms = epoch_ms;
    r.kind = query_kind::write;
    r.statements = std::move(statements);
    r.sign(client_key(client));
    return r;
}

digest chain_cluster::write(const database_id& db, std::size_t to,
                            std::vector<sql_statement> statements, std::size_t client) {
    // A sequence is used up only by a request that was not refused: a client whose last
    // request was refused (no role yet, say) sends the next one under the same sequence.
    const auto stream = std::make_pair(client, db);
    auto last = last_request_.find(stream);
    const bool last_refused = last != last_request_.end() && response(last->second) &&
                              std::holds_alternative<rejection>(response(last->second)->body);
    if (!last_refused) ++client_sequences_[stream];
    const auto r = signed_write(db, client, client_sequences_[stream], std::move(statements));
    // The same request again (same sequence, statements and clock): its earlier refusal is
    // not the answer to this sending.
    responses_->erase(r.hash());
    sent_[r.hash()] = r;
    last_request_[stream] = r.hash();
    send_again(r.hash(), to);
    return r.hash();
}

digest chain_cluster::write_forged(const database_id& db, std::size_t to,
                                   std::vector<sql_statement> statements, std::size_t client) {
    // Its own stream: nothing it sends is ever accepted, so every forgery takes the next
    // sequence and the genuine streams are left alone.
    auto r = signed_write(db, client, ++client_sequences_[std::make_pair(client, db)],
                          std::move(statements));
    r.client_signature.data[0] ^= 0x01;
    sent_[r.hash()] = r;
    send_again(r.hash(), to);
    return r.hash();
}

void chain_cluster::set_next_sequence(const database_id& db, std::size_t client,
                                      std::uint64_t next) {
    COVENANT_ASSERT(next >= 1, "client sequences start at 1");
    const auto stream = std::make_pair(client, db);
    client_sequences_[stream] = next - 1;
    last_request_.erase(stream);  // so that write() counts up to `next`
}

void chain_cluster::send_again(const digest& request, std::size_t to) {
    auto it = sent_.find(request);
    COVENANT_ASSERT(it != sent_.end(), "send_again of a request never sent");
    caf::anon_send(client_.router, actors::send_atom::value, miners_.at(to).id.view().to_bytes(),
                   static_cast<std::uint16_t>(message_kind::client_request),
                   it->second.database.view().to_bytes(), encode(it->second));
    scheduler_->run();
}

std::optional<client_response> chain_cluster::response(const digest& request) const {
    auto it = responses_->find(request);
    if (it == responses_->end()) return std::nullopt;
    return it->second;
}

void chain_cluster::restart_producer(std::size_t i) {
    COVENANT_ASSERT(!producers_.at(i).node, "restart of a running producer");
    start_producer(i);
    scheduler_->run();
}

std::vector<main_block> chain_cluster::main_blocks(std::size_t i) {
    auto store = storage::main_chain_store::open(producers_.at(i).path);
    COVENANT_ASSERT(store.ok(), "cannot open a producer's store");
    auto blocks = store.value()->load_all();
    COVENANT_ASSERT(blocks.ok(), "cannot read a producer's store");
    return std::move(blocks).value();
}

bool chain_cluster::serves_files_of(std::size_t i, const database_id& db) const {
    return std::filesystem::exists(miners_.at(i).path + "/db-" + db.hex() + ".log");
}

std::vector<committed_batch> chain_cluster::committed_log(std::size_t i, const database_id& db) {
    if (!serves_files_of(i, db)) return {};
    // Read what the log holds, as it is: the checkers judge client signatures themselves
    // (a replica with an injected bug may have logged a forged request).
    protocols::client_signatures_unchecked unchecked;
    auto store = storage::kayak_log_store::open(miners_.at(i).path + "/db-" + db.hex() + ".log");
    COVENANT_ASSERT(store.ok(), "cannot open a miner's Kayak log");
    std::vector<committed_batch> out;
    constexpr std::size_t page = 256;
    for (sequence_number from(1);;) {
        auto chunk = store.value()->load_committed(from, page);
        if (chunk.empty()) break;
        for (auto& c : chunk) out.push_back(std::move(c));
        from = sequence_number(out.back().batch.header.seq.value + 1);
        if (chunk.size() < page) break;
    }
    return out;
}

std::map<std::uint64_t, digest> chain_cluster::speculative_executions(std::size_t i,
                                                                      const database_id& db) {
    std::map<std::uint64_t, digest> out;
    if (!serves_files_of(i, db)) return out;
    for (const auto& row : sqlite_rows(miners_.at(i).path + "/db-" + db.hex() + ".log",
                                       "SELECT seq, batch_hash FROM speculative ORDER BY seq")) {
        if (row.size() != 2 || !std::holds_alternative<std::int64_t>(row[0].value) ||
            !std::holds_alternative<bytes>(row[1].value))
            continue;
        auto hash = digest::from_view(std::get<bytes>(row[1].value));
        if (hash) out[static_cast<std::uint64_t>(std::get<std::int64_t>(row[0].value))] = *hash;
    }
    return out;
}

void chain_cluster::set_faults(const network_faults& faults) {
    caf::anon_send(network_, faults_atom::value, faults);
    scheduler_->run();
}

void chain_cluster::cut(std::uint64_t from, std::uint64_t to, bool cut) {
    caf::anon_send(network_, partition_atom::value, from, to, cut);
    scheduler_->run();
}

void chain_cluster::clog(std::uint64_t node_number, std::int64_t ms) {
    caf::anon_send(network_, clog_atom::value, node_number, ms);
    scheduler_->run();
}

network_stats chain_cluster::network_statistics() {
    return ask<network_stats>(network_, caf::make_message(network_stats_atom::value));
}

std::int64_t chain_cluster::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               scheduler_->clock().now().time_since_epoch())
        .count();
}

void chain_cluster::resubmit(const transaction& tx) {
    const bytes wire = encode(tx);
    for (const auto& p : producers_)
        caf::anon_send(client_.router, actors::send_atom::value, p.id.view().to_bytes(),
                       static_cast<std::uint16_t>(message_kind::main_transaction), wire);
    scheduler_->run();
}

const client_request* chain_cluster::sent_request(const digest& hash) const {
    auto it = sent_.find(hash);
    return it == sent_.end() ? nullptr : &it->second;
}

}  // namespace covenant::sim
