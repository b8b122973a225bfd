// The in-process block producers (see producer_cluster.hpp).
#include "sim/producer_cluster.hpp"


#include <filesystem>

#include "actors/router/router.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"
#include "protocols/main_chain/producer.hpp"
#include "sim/kayak_cluster.hpp"  // simulated_key
#include "storage/main_chain_store.hpp"
#include "storage/producer_record_store.hpp"

namespace covenant::sim {

namespace {
constexpr std::int64_t epoch_ms = 1'790'000'000'000;  // what the virtual clock's zero means
constexpr std::uint32_t account_key_base = 2000;      // simulated_key indexes of accounts
}  // namespace

producer_cluster::producer_cluster(producer_cluster_options options)
    : simulation("producers",
                 [](caf::actor_system_config& c) {
                     actors::add_router_message_types(c);
                     actors::add_producer_message_types(c);
                     add_network_message_types(c);
                 },
                 10),
      options_(options) {
    COVENANT_ASSERT(options_.producers >= 1, "a producer cluster has producers");
    for (std::size_t i = 0; i < options_.producers; ++i) {
        member m{simulated_key(static_cast<std::uint32_t>(i)),
                 {},
                 {},
                 {},
                 directory_ + "/producer" + std::to_string(i) + ".sqlite"};
        m.node = crypto::compute_node_id(m.key.public_key(), 0);
        genesis_.initial_producers.push_back(m.key.public_key());
        producers_.push_back(std::move(m));
    }
    producer_config_.block_interval_ms = options_.block_interval_ms;
    producer_config_.propose_timeout_ms = options_.propose_timeout_ms;
    producer_config_.prevote_timeout_ms = options_.prevote_timeout_ms;
    producer_config_.precommit_timeout_ms = options_.precommit_timeout_ms;
    producer_config_.timeout_step_ms = options_.timeout_step_ms;
    producer_config_.resend_interval_ms = options_.resend_interval_ms;
    producer_config_.transactions_per_block_max = options_.transactions_per_block_max;
    for (std::size_t k = 0; k < options_.accounts; ++k) {
        accounts_.push_back(simulated_key(account_key_base + static_cast<std::uint32_t>(k)));
        genesis_.allocations[crypto::address_of(accounts_.back().public_key())] =
            options_.account_balance;
    }
    auto ledger = main_chain::ledger::from_genesis(genesis_);
    COVENANT_ASSERT(ledger.ok(), "the cluster's genesis is valid");
    genesis_tokens_ = ledger->total_tokens();

    network_ = spawn_network(*system_, options_.seed, options_.faults);
    for (std::size_t i = 0; i < producers_.size(); ++i) {
        producers_[i].router = actors::spawn_router(*system_, {producers_[i].key, 0, 0});
        caf::anon_send(network_, register_atom::value, std::uint64_t{i}, producers_[i].router);
    }
    for (std::size_t i = 0; i < producers_.size(); ++i)
        for (std::size_t j = 0; j < producers_.size(); ++j)
            if (i != j)
                caf::anon_send(producers_[i].router, actors::add_peer_atom::value,
                               producers_[j].node.view().to_bytes(),
                               spawn_link(*system_, network_, i, j));
    scheduler_->run();
    for (std::size_t i = 0; i < producers_.size(); ++i) {
        auto started = start_producer(i);
        COVENANT_ASSERT(started.ok(), "a producer with a fresh store starts");
    }
    scheduler_->run();
}

producer_cluster::~producer_cluster() {
    for (auto& m : producers_) {
        if (m.actor) caf::anon_send_exit(m.actor, caf::exit_reason::user_shutdown);
        caf::anon_send_exit(m.router, caf::exit_reason::user_shutdown);
    }
    caf::anon_send_exit(network_, caf::exit_reason::user_shutdown);
    scheduler_->run();
    for (auto& m : producers_) m.actor = caf::actor{};
}

result<nothing> producer_cluster::start_producer(std::size_t i) {
    auto& m = producers_.at(i);
    std::map<public_key, node_id> peers;
    for (std::size_t j = 0; j < producers_.size(); ++j)
        if (j != i) peers[producers_[j].key.public_key()] = producers_[j].node;
    actors::producer_actor_config c{m.key,
                                    std::move(peers),
                                    m.router,
                                    m.store_path,
                                    genesis_,
                                    producer_config_,
                                    options_.tick_ms,
                                    epoch_ms,
                                    options_.fetch_timeout_ms,
                                    options_.catch_up_delay_ms,
                                    options_.fetch_blocks_max};
    auto spawned = actors::spawn_producer_actor(*system_, std::move(c));
    if (!spawned) return spawned.failure();
    m.actor = std::move(spawned).value();
    return nothing{};
}

account_address producer_cluster::address(std::size_t account) const {
    return crypto::address_of(accounts_.at(account).public_key());
}

protocols::transaction producer_cluster::transfer(std::size_t from_account, std::size_t to_account,
                                                  std::uint64_t amount, std::uint64_t fee) {
    protocols::transaction tx;
    tx.sender = accounts_.at(from_account).public_key();
    tx.nonce = account_nonce{++nonces_[from_account]};
    tx.fee = fee;
    tx.body = protocols::tx::transfer{address(to_account), amount};
    tx.sign(accounts_.at(from_account));
    return tx;
}

actors::submit_result producer_cluster::submit(std::size_t i, const protocols::transaction& tx) {
    COVENANT_ASSERT(alive(i), "submit to a crashed producer");
    return ask<actors::submit_result>(
        producers_.at(i).actor,
        caf::make_message(actors::submit_transaction_atom::value, protocols::encode(tx)));
}

actors::producer_status producer_cluster::status(std::size_t i) {
    COVENANT_ASSERT(alive(i), "status of a crashed producer");
    return ask<actors::producer_status>(producers_.at(i).actor,
                                        caf::make_message(actors::producer_status_atom::value));
}

std::uint64_t producer_cluster::balance(std::size_t i, const account_address& a) {
    COVENANT_ASSERT(alive(i), "balance from a crashed producer");
    return ask<std::uint64_t>(producers_.at(i).actor,
                              caf::make_message(actors::balance_atom::value, a.view().to_bytes()));
}

std::size_t producer_cluster::proposer_index(block_height height, view_number round) const {
    // Ask the state machine itself, so the rule lives in one place.
    auto ledger = main_chain::ledger::from_genesis(genesis_);
    COVENANT_ASSERT(ledger.ok(), "the cluster's genesis is valid");
    const main_chain::producer oracle(producers_.front().key, producer_config_,
                                      std::move(ledger).value());
    const auto& key = oracle.proposer_of(height, round);
    for (std::size_t i = 0; i < producers_.size(); ++i)
        if (producers_[i].key.public_key() == key) return i;
    COVENANT_ASSERT(false, "the proposer is one of the producers");
    return 0;
}

void producer_cluster::crash(std::size_t i) {
    auto& m = producers_.at(i);
    COVENANT_ASSERT(m.actor, "crash of a producer that is not running");
    caf::anon_send_exit(m.actor, caf::exit_reason::kill);
    m.actor = caf::actor{};
    scheduler_->run();
}

result<nothing> producer_cluster::restart(std::size_t i) {
    COVENANT_ASSERT(!producers_.at(i).actor, "restart of a running producer");
    auto started = start_producer(i);
    scheduler_->run();
    return started;
}

void producer_cluster::delete_store(std::size_t i) {
    COVENANT_ASSERT(!producers_.at(i).actor, "delete_store under a running producer");
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::error_code ignored;
        std::filesystem::remove(producers_.at(i).store_path + suffix, ignored);
    }
}

std::vector<protocols::main_block> producer_cluster::stored_chain(std::size_t i) const {
    auto store = storage::main_chain_store::open(producers_.at(i).store_path);
    COVENANT_ASSERT(store.ok(), "a producer's store opens");
    auto blocks = (*store)->load_all();
    COVENANT_ASSERT(blocks.ok(), "a producer's stored chain loads");
    return std::move(blocks).value();
}

std::vector<main_chain::producer_record> producer_cluster::stored_records(std::size_t i) const {
    auto store = storage::producer_record_store::open(producers_.at(i).store_path);
    COVENANT_ASSERT(store.ok(), "a producer's record store opens");
    auto records = (*store)->load_all();
    COVENANT_ASSERT(records.ok(), "a producer's records load");
    return std::move(records).value();
}

std::optional<std::string> producer_cluster::fork() const {
    std::vector<std::vector<protocols::main_block>> chains;
    for (std::size_t i = 0; i < producers_.size(); ++i) chains.push_back(stored_chain(i));
    for (std::size_t i = 1; i < chains.size(); ++i) {
        const std::size_t common = std::min(chains[0].size(), chains[i].size());
        for (std::size_t k = 0; k < common; ++k)
            if (chains[i][k].hash() != chains[0][k].hash())
                return "producers 0 and " + std::to_string(i) +
                       " hold different blocks at height " + std::to_string(k + 1);
    }
    return std::nullopt;
}

bool producer_cluster::converged(std::uint64_t min_height) {
    std::optional<actors::producer_status> first;
    for (std::size_t i = 0; i < producers_.size(); ++i) {
        if (!alive(i)) continue;
        auto s = status(i);
        if (s.final_height < min_height) return false;
        if (!first) {
            first = std::move(s);
            continue;
        }
        if (s.final_height != first->final_height || s.head_hash != first->head_hash ||
            s.state_root != first->state_root)
            return false;
    }
    return true;
}

void producer_cluster::cut(std::size_t from, std::size_t to, bool is_cut) {
    caf::anon_send(network_, partition_atom::value, std::uint64_t{from}, std::uint64_t{to}, is_cut);
    scheduler_->run();
}

void producer_cluster::isolate(std::size_t i, bool is_cut) {
    for (std::size_t j = 0; j < producers_.size(); ++j) {
        if (j == i) continue;
        cut(i, j, is_cut);
        cut(j, i, is_cut);
    }
}

void producer_cluster::set_faults(const network_faults& faults) {
    caf::anon_send(network_, faults_atom::value, faults);
    scheduler_->run();
}

network_stats producer_cluster::net_stats() {
    return ask<network_stats>(network_, caf::make_message(network_stats_atom::value));
}

void producer_cluster::send_as(std::size_t from, std::size_t to, protocols::message_kind kind,
                               bytes payload) {
    caf::anon_send(producers_.at(from).router, actors::send_atom::value,
                   producers_.at(to).node.view().to_bytes(), static_cast<std::uint16_t>(kind),
                   std::move(payload));
    scheduler_->run();
}

void producer_cluster::inject_wire(std::size_t i, const bytes& wire) {
    caf::anon_send(producers_.at(i).router, actors::wire_atom::value, wire);
    scheduler_->run();
}

}  // namespace covenant::sim
