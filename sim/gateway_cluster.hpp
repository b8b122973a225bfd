// chain_cluster with client gateways: the production client actor (actors/client/
// client_node.hpp) runs on client nodes of the simulated network, following the chain,
// submitting transactions and verifying SQL answers, under CAF's deterministic scheduler
// with virtual time. Gateway 0 holds the cluster's owner key on chain_cluster's client node
// (funded at genesis); gateways 1, 2, ... are further nodes with keys of their own (no
// tokens, no roles until the chain gives them some).
//
// A miner can be made Byzantine towards the gateways (make_byzantine): every answer it
// sends them is its own invention, as a member that holds its key can make it -- a write's
// results altered and "proven" by a receipt it builds alone (its own commit vote and
// execution signature over a results root of its choosing), a read's rows altered (its
// signature then no longer matches). What is exercised is the gateway's verification.
#pragma once

#include <memory>
#include <vector>

#include "actors/client/client_node.hpp"
#include "sim/chain_cluster.hpp"

namespace covenant::sim {

class gateway_cluster : public chain_cluster {
  public:
    explicit gateway_cluster(chain_cluster_options options = {}, std::size_t gateways = 2);
    ~gateway_cluster();

    std::size_t gateway_count() const { return gateways_.size(); }
    const crypto::key_pair& gateway_key(std::size_t g) const { return gateways_.at(g).key; }

    /// Asks gateway g and runs the simulation until it answers, at most `limit_ms` of
    /// virtual time (nullopt if it did not).
    std::optional<actors::transaction_answer> submit(std::size_t g, client::transaction_body body,
                                                     std::int64_t limit_ms = 20'000);
    std::optional<actors::sql_answer> exec(std::size_t g, const database_id& db,
                                           std::vector<protocols::sql_statement> statements,
                                           std::int64_t limit_ms = 20'000);
    std::optional<actors::sql_answer> query(std::size_t g, const database_id& db,
                                            protocols::sql_statement statement,
                                            std::int64_t limit_ms = 20'000);
    /// Inspection through gateway g (cql info, cql verify): each member's signed status over
    /// `challenge` (empty: the gateway picks one), a member's stored shard blocks relayed, the
    /// followed chain's final blocks, the checkpoints it holds for a database.
    std::optional<actors::member_report> members(std::size_t g, const database_id& db,
                                                 std::int64_t timeout_ms, bytes challenge = {},
                                                 std::int64_t limit_ms = 20'000);
    std::optional<actors::shard_blocks_answer> shard_blocks(std::size_t g,
                                                            actors::shard_blocks_request request,
                                                            std::int64_t limit_ms = 20'000);
    actors::main_blocks_answer main_blocks(std::size_t g, std::uint64_t from, std::uint32_t count);
    actors::checkpoint_list checkpoints(std::size_t g, const database_id& db);
    /// What the chain started from.
    const main_chain::genesis& genesis() const { return genesis_; }

    actors::client_status gateway_status(std::size_t g);
    actors::account_info account(std::size_t g);
    actors::database_list databases(std::size_t g);

    /// From now on miner i invents every answer it sends to the gateways.
    void make_byzantine(std::size_t miner);
    /// Stops gateway g's actor and starts it again on its data directory.
    void restart_gateway(std::size_t g);

  private:
    struct gateway {
        crypto::key_pair key;
        node_id id;
        caf::actor router;
        caf::actor actor;
        std::uint64_t network_index = 0;
        std::string path;
    };
    void start_gateway(std::size_t g);
    template <class Answer>
    std::optional<Answer> await(std::size_t g, caf::message request, std::int64_t limit_ms);

    std::vector<gateway> gateways_;
};

}  // namespace covenant::sim
