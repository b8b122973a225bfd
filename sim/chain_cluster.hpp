// A whole Covenant network in one process: block producers keeping the main chain, miners
// following it and serving the databases it assigns them, and a client node; each node with
// its router on the simulated network, under CAF's deterministic scheduler with virtual time
// (DESIGN.md section 8). The production actors run here (producer actors, miner nodes with
// their Kayak replicas, SQLite files in a temporary directory); what the harness adds is
// the client's side: signing main-chain transactions and SQL requests, and collecting the
// answers. Tests read the real state back: producer and miner status, rows and digests.
#pragma once

#include <caf/all.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/miner/miner_node.hpp"
#include "actors/miner/replica_actor.hpp"
#include "actors/producer/producer_actor.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain_messages.hpp"
#include "protocols/sql_messages.hpp"
#include "sim/byzantine.hpp"
#include "sim/network.hpp"
#include "sim/simulation.hpp"

namespace covenant::sim {

struct chain_cluster_options {
    std::size_t producers = 4;
    std::size_t miners = 4;
    std::uint64_t seed = 1;
    network_faults faults{0, 0, 1, 3};
    std::int64_t block_interval_ms = 100;
    std::int64_t miner_follow_interval_ms = 100;
    std::int64_t suspicion_resend_ms = 500;
    std::int64_t replica_progress_timeout_ms = 1000;
    std::uint64_t owner_balance = 1'000'000;
    std::uint64_t miner_balance = 100'000;
    /// Byzantine miners and producers by index (sim/byzantine.hpp). Node i of a kind draws
    /// from byzantine_seed + i (miners), + 100 + i (producers); byzantine_seed 0: derived
    /// from seed.
    std::map<std::size_t, byzantine_behaviors> byzantine_miners;
    std::map<std::size_t, byzantine_behaviors> byzantine_producers;
    std::uint64_t byzantine_seed = 0;
    std::uint32_t byzantine_per_million = 300'000;
    /// Deliberate bugs in every miner's replicas (protocols/kayak/injected_bugs.hpp).
    injected_bugs bugs;
    // ---- for covenant-sim (sim/run.hpp); the defaults leave the tests' networks as they were
    /// Records every message of the network (the run's trace hash); null: none.
    std::shared_ptr<trace_sink> trace;
    /// Clock skew per node: added to that node's clock (index = miner or producer number;
    /// missing entries are 0).
    std::vector<std::int64_t> miner_clock_skew_ms;
    std::vector<std::int64_t> producer_clock_skew_ms;
    /// Genesis balances of clients 1, 2, ... (the owner is client 0, owner_balance).
    std::uint64_t user_balance = 0;
    std::size_t users = 0;
    /// Where the nodes' temporary directory goes (its name never reaches the trace).
    std::string directory_base = "/tmp";
};

class chain_cluster : public simulation {
  public:
    explicit chain_cluster(chain_cluster_options options = {});
    ~chain_cluster();
    chain_cluster(const chain_cluster&) = delete;
    chain_cluster& operator=(const chain_cluster&) = delete;

    // ---- time ----
    // ---- the main chain ----
    /// Signs `body` as account `signer` with its next nonce (counted here) and sends it to
    /// every producer. Returns the transaction.
    protocols::transaction submit(const crypto::key_pair& signer,
                                  decltype(protocols::transaction{}.body) body);
    /// Every miner sends register_miner (deposit, capacity: how many databases it serves at
    /// once, price 1).
    void register_miners(std::uint64_t deposit = 10'000, std::uint32_t capacity = 1);
    /// The owner creates a database; its id (from the owner and the nonce used).
    database_id create_database(std::uint32_t miners, protocols::consistency_mode mode,
                                std::uint64_t advance_payment = 100'000);
    const crypto::key_pair& owner() const { return owner_; }
    const crypto::key_pair& miner_key(std::size_t i) const { return miners_.at(i).key; }
    actors::producer_status producer_status(std::size_t i);
    /// The main chain's state as producer i stored it: its blocks replayed from genesis.
    main_chain::ledger chain_state(std::size_t i = 0);
    /// The lowest final height among running producers.
    std::uint64_t chain_height();

    // ---- miners ----
    std::size_t miner_count() const { return miners_.size(); }
    bool miner_alive(std::size_t i) const { return static_cast<bool>(miners_.at(i).node); }
    actors::miner_status miner_status(std::size_t i);
    /// Replica status of database `db` on miner i, or nullopt if it does not serve it.
    std::optional<actors::replica_status> replica_status(std::size_t i, const database_id& db);
    /// Fault: a view-change decision for `db` delivered (again) to miner i's replica, as by
    /// a node following a lagging producer; an old view must be ignored (an injected bug,
    /// accept-stale-view, takes it).
    void deliver_view_decision(std::size_t i, const database_id& db, std::uint64_t view);
    /// The miner index whose key is `member`.
    std::size_t miner_index(const public_key& member) const;
    /// Rows of a query run directly on miner i's SQLite file of `db`.
    std::vector<std::vector<protocols::sql_value>> rows(std::size_t i, const database_id& db,
                                                        const std::string& sql);
    /// The shard chain miner i stored for `db`, read back from its file.
    std::vector<protocols::shard_block> shard_chain(std::size_t i, const database_id& db);
    /// Kills miner i's node (its replicas die with it; its files survive, as after a crash).
    void crash_miner(std::size_t i);
    void restart_miner(std::size_t i);
    /// Kills producer i (its store survives).
    void crash_producer(std::size_t i);
    /// Starts producer i again on its store.
    void restart_producer(std::size_t i);
    std::size_t producer_count() const { return producers_.size(); }
    bool producer_alive(std::size_t i) const { return static_cast<bool>(producers_.at(i).node); }
    /// Every final block producer i stored, from height 1.
    std::vector<protocols::main_block> main_blocks(std::size_t i);
    const main_chain::genesis& genesis() const { return genesis_; }
    /// Every committed batch (with its certificate) in miner i's Kayak log of `db`, read
    /// back from the log file; empty when the miner never served it.
    std::vector<protocols::committed_batch> committed_log(std::size_t i, const database_id& db);
    bool serves_files_of(std::size_t i, const database_id& db) const;
    /// The batches miner i executed speculatively as an eventual-mode leader (seq -> batch
    /// hash), from its log file.
    std::map<std::uint64_t, digest> speculative_executions(std::size_t i, const database_id& db);
    /// Times a miner spawned a replica of a database while the replica it had before on the
    /// same files had not ended yet (its state, which holds the files, still alive): the
    /// node must wait for the old one's end. Counted across all miners.
    std::size_t replica_overlaps() const { return replica_lives_->overlaps; }

    // ---- the network (node numbers: producers 0.., then miners, then the client) ----
    std::uint64_t producer_node(std::size_t i) const { return i; }
    std::uint64_t miner_node(std::size_t i) const { return producers_.size() + i; }
    std::uint64_t client_node() const { return producers_.size() + miners_.size(); }
    std::size_t node_count() const { return producers_.size() + miners_.size() + 1; }
    void set_faults(const network_faults& faults);
    /// Cuts (or heals) the direction from -> to.
    void cut(std::uint64_t from, std::uint64_t to, bool cut);
    /// Nothing from or to `node_number` is delivered for `ms`.
    void clog(std::uint64_t node_number, std::int64_t ms);
    network_stats network_statistics();
    /// Virtual time since the start.
    std::int64_t now_ms() const;
    /// Sends an earlier transaction again to every producer.
    void resubmit(const protocols::transaction& tx);

    // ---- the client ----
    /// Signs a write request on `db` with the client's next sequence on that database and
    /// sends it to miner `to`, on the database's channel; returns the request hash. Client 0
    /// is the owner; clients 1, 2, ... are other users (no role until one is granted on the
    /// chain). The request after a refused one reuses its sequence, as a client does.
    digest write(const database_id& db, std::size_t to,
                 std::vector<protocols::sql_statement> statements, std::size_t client = 0);
    const crypto::key_pair& client_key(std::size_t client);
    /// The next write of `client` on `db` takes sequence `next` (a client told by the
    /// replicas that its sequence is used, by a request whose answer it never got, moves on).
    void set_next_sequence(const database_id& db, std::size_t client, std::uint64_t next);
    /// A forgery: a write in `client`'s name on its own sequence stream, its client signature
    /// spoiled after signing (one bit flipped), sent to miner `to`. Honest members drop it
    /// (the request decoder checks the signature); the simulator's validity checker fires
    /// if any log ever holds it. Returns its hash.
    digest write_forged(const database_id& db, std::size_t to,
                        std::vector<protocols::sql_statement> statements, std::size_t client);
    /// Sends an earlier request again, unchanged, to miner `to`.
    void send_again(const digest& request, std::size_t to);
    std::optional<protocols::client_response> response(const digest& request) const;
    /// Every response that arrived, in arrival order, with its virtual arrival time.
    struct arrived_response {
        std::int64_t time_ms = 0;
        protocols::client_response response;
    };
    const std::vector<arrived_response>& arrived() const { return *arrived_; }
    /// The request sent under `hash` (nullptr if none was).
    const protocols::client_request* sent_request(const digest& hash) const;

  protected:  // for harnesses built on this one (sim/gateway_cluster.hpp)
    struct node {
        crypto::key_pair key;
        node_id id;
        caf::actor router;
        caf::actor node;  // the producer actor or the miner node
        std::string path;  // producer: store file; miner: data directory
    };
    void start_producer(std::size_t i);
    void start_miner(std::size_t i);
    /// A write request of `client` at `sequence`, signed by it.
    protocols::client_request signed_write(const database_id& db, std::size_t client,
                                           std::uint64_t sequence,
                                           std::vector<protocols::sql_statement> statements);
    std::uint64_t byzantine_seed() const {
        return options_.byzantine_seed != 0 ? options_.byzantine_seed : options_.seed * 0x9e3779b97f4a7c15ull + 17;
    }

    /// Replica actors alive per (miner, database), decremented when each one has ended.
    struct replica_lives {
        std::map<std::pair<std::size_t, database_id>, std::size_t> alive;
        std::size_t overlaps = 0;
    };
    std::shared_ptr<replica_lives> replica_lives_ = std::make_shared<replica_lives>();

    chain_cluster_options options_;
    caf::actor network_;
    main_chain::genesis genesis_;
    std::vector<node> producers_;
    std::vector<node> miners_;
    crypto::key_pair owner_;
    node client_;
    std::map<public_key, std::uint64_t> next_nonce_;
    std::map<std::size_t, crypto::key_pair> users_;
    // Client sequences and last requests by (client, database): each database numbers a
    // client's requests on its own.
    std::map<std::pair<std::size_t, database_id>, std::uint64_t> client_sequences_;
    std::map<std::pair<std::size_t, database_id>, digest> last_request_;
    std::map<digest, protocols::client_request> sent_;
    std::shared_ptr<std::map<digest, protocols::client_response>> responses_;
    std::shared_ptr<std::vector<arrived_response>> arrived_;
};

}  // namespace covenant::sim
