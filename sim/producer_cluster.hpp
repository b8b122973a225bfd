// The main chain's block producers in one process: n producers, each with its router,
// producer actor and SQLite store of final blocks (in a temporary directory); the
// simulated network between the routers; all under CAF's deterministic scheduler with
// virtual time. Tests drive it (transactions, crashes and restarts on the same or a lost
// store, partitions, network faults) and read the producers' real state back: their
// status, balances, and the chains and own records in their store files. Keys come from
// sim::simulated_key and the network from one seed, so a run is the same every time.
#pragma once

#include <caf/all.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/producer/producer_actor.hpp"
#include "common/result.hpp"
#include "protocols/envelope.hpp"
#include "protocols/main_chain_messages.hpp"
#include "sim/network.hpp"
#include "sim/simulation.hpp"

namespace covenant::sim {

struct producer_cluster_options {
    std::size_t producers = 4;
    std::uint64_t seed = 1;
    network_faults faults{0, 0, 1, 3};
    /// The producers' timing (main_chain::producer_config), scaled down for tests.
    std::int64_t block_interval_ms = 100;
    std::int64_t propose_timeout_ms = 600;
    std::int64_t prevote_timeout_ms = 200;
    std::int64_t precommit_timeout_ms = 200;
    std::int64_t timeout_step_ms = 100;
    std::int64_t resend_interval_ms = 400;
    std::size_t transactions_per_block_max = 64;
    std::int64_t tick_ms = 20;
    std::int64_t fetch_timeout_ms = 500;
    std::int64_t catch_up_delay_ms = 300;
    /// Small, so that catching up takes several fetches.
    std::uint32_t fetch_blocks_max = 8;
    /// Funded genesis accounts (keys: account_key()).
    std::size_t accounts = 4;
    std::uint64_t account_balance = 1'000'000;
};

class producer_cluster : public simulation {
  public:
    explicit producer_cluster(producer_cluster_options options = {});
    ~producer_cluster();
    producer_cluster(const producer_cluster&) = delete;
    producer_cluster& operator=(const producer_cluster&) = delete;

    // ---- accounts and transactions ----
    const crypto::key_pair& account_key(std::size_t account) const { return accounts_.at(account); }
    account_address address(std::size_t account) const;
    /// A signed transfer from one genesis account to another, with the sender's next nonce
    /// (the cluster counts the nonces it hands out).
    protocols::transaction transfer(std::size_t from_account, std::size_t to_account,
                                    std::uint64_t amount, std::uint64_t fee = 1);
    /// Hands a transaction to producer i, as a client on its node would.
    actors::submit_result submit(std::size_t i, const protocols::transaction& tx);
    /// Tokens in the genesis state (constant through every transaction).
    std::uint64_t genesis_tokens() const { return genesis_tokens_; }

    // ---- producers ----
    std::size_t size() const { return producers_.size(); }
    bool alive(std::size_t i) const { return static_cast<bool>(producers_.at(i).actor); }
    actors::producer_status status(std::size_t i);
    std::uint64_t balance(std::size_t i, const account_address& address);
    /// The producer that proposes round `round` of `height` (the producer's own rule).
    std::size_t proposer_index(block_height height, view_number round) const;
    /// Kills producer i's actor: its in-memory state is gone, its store file stays.
    void crash(std::size_t i);
    /// Starts producer i again on its store file; the spawn's error value if it refuses.
    result<nothing> restart(std::size_t i);
    /// Removes a crashed producer's store file (with its WAL), as a lost disk.
    void delete_store(std::size_t i);
    const std::string& store_path(std::size_t i) const { return producers_.at(i).store_path; }
    /// The final blocks in producer i's store file, read back (and checked) from disk.
    std::vector<protocols::main_block> stored_chain(std::size_t i) const;
    /// Producer i's own records in its store file (what it signed or took at the height it
    /// decides, storage/producer_record_store.hpp), read back (and checked) from disk.
    std::vector<main_chain::producer_record> stored_records(std::size_t i) const;
    /// Compares every stored chain height by height: the first height at which two stores
    /// hold different blocks, described, or nullopt (no fork).
    std::optional<std::string> fork() const;
    /// True when every running producer has the same final height (>= min_height), head
    /// hash and state root.
    bool converged(std::uint64_t min_height = 0);

    // ---- network ----
    void cut(std::size_t from, std::size_t to, bool cut = true);
    void isolate(std::size_t i, bool cut = true);
    void set_faults(const network_faults& faults);
    network_stats net_stats();
    /// Sends `payload` of `kind` to producer `to`, sealed by producer `from`'s router as
    /// if from it (a Byzantine peer's bytes go through the real router and envelope).
    void send_as(std::size_t from, std::size_t to, protocols::message_kind kind, bytes payload);
    /// Raw bytes handed to producer i's router as if from the network (a forged envelope).
    void inject_wire(std::size_t i, const bytes& wire);
    const node_id& node(std::size_t i) const { return producers_.at(i).node; }
    const crypto::key_pair& producer_key(std::size_t i) const { return producers_.at(i).key; }

  private:
    struct member {
        crypto::key_pair key;
        node_id node;
        caf::actor router;
        caf::actor actor;
        std::string store_path;
    };
    result<nothing> start_producer(std::size_t i);

    producer_cluster_options options_;
    caf::actor network_;
    std::vector<member> producers_;
    std::vector<crypto::key_pair> accounts_;
    std::map<std::size_t, std::uint64_t> nonces_;  // account -> last nonce handed out
    main_chain::genesis genesis_;
    main_chain::producer_config producer_config_;
    std::uint64_t genesis_tokens_ = 0;
};

}  // namespace covenant::sim
