// A whole Kayak group in one process: n miners, each with its router, Kayak replica actor,
// SQLite database, shard chain and log (in a temporary directory); a client node; the
// simulated network between them; all under CAF's deterministic scheduler with virtual
// time. Tests and benchmarks drive it (writes, faults, crashes, view changes) and read the
// replicas' real state back (rows, digests, committed sequence numbers). Keys come from
// sim::simulated_key, so a run is the same every time.
#pragma once

#include <caf/all.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/miner/replica_actor.hpp"
#include "protocols/kayak/memory_log_store.hpp"
#include "protocols/main_chain_messages.hpp"
#include "sim/byzantine.hpp"
#include "sim/network.hpp"
#include "sim/simulation.hpp"
#include "storage/sql_batch_executor.hpp"

namespace covenant::sim {

/// A deterministic key for simulated participant `index`.
crypto::key_pair simulated_key(std::uint32_t index);

struct cluster_options {
    std::size_t members = 4;
    protocols::consistency_mode mode = protocols::consistency_mode::strong;
    std::uint64_t seed = 1;
    network_faults faults{0, 0, 1, 3};
    std::size_t pipeline_depth = 4;
    std::size_t batch_requests_max = 64;
    std::size_t clients = 4;  // client 0 admin, 1 writer, 2 reader, 3 no role; more are writers
    std::int64_t progress_timeout_ms = 2000;
    /// The leader's longest wait between re-sends of an unanswered batch (the replica's
    /// default when 0). A sweep that wants re-sent PREPAREs racing view changes often sets
    /// it to the first wait (200 ms): no backoff.
    std::int64_t retransmit_max_ms = 0;
    /// Keep each member's Kayak log in a SQLite file (reopened on restart, as in
    /// production) instead of in memory.
    bool sqlite_logs = false;
    /// Byzantine members by index (sim/byzantine.hpp); member i draws from
    /// byzantine_seed + i (byzantine_seed 0: derived from seed).
    std::map<std::size_t, byzantine_behaviors> byzantine;
    std::uint64_t byzantine_seed = 0;
    std::uint32_t byzantine_per_million = 300'000;
    /// Deliberate bugs in every member's replica (protocols/kayak/injected_bugs.hpp).
    injected_bugs bugs;
    /// Milliseconds added to member i's clock (clock skew).
    std::map<std::size_t, std::int64_t> clock_skew_ms;
};

class cluster : public simulation {
public:
    explicit cluster(cluster_options options = {});
    ~cluster();

    // ---- clients ----
    /// Signs and sends a write (its statements in one request) to member `to`; returns
    /// its request hash. `client` picks one of several client keys.
    digest write(std::size_t to, std::vector<protocols::sql_statement> statements,
                 std::size_t client = 0);
    digest read(std::size_t to, std::vector<protocols::sql_statement> statements,
                std::size_t client = 0);
    /// Sends an already built (maybe forged) request.
    void send_request(std::size_t to, const protocols::client_request& request);
    /// What a client does on a timeout: sends every request that got no answer (or was
    /// told to wait its turn) again, unchanged, in client-sequence order.
    void resend_unanswered(std::size_t to);
    /// Sends an earlier request again, unchanged, to member `to` (a client that gets no
    /// answer from the leader tells every member).
    void send_again(const digest& request, std::size_t to);
    /// Responses received so far, by request hash (the last one for each).
    const std::map<digest, protocols::client_response>& responses() const { return *responses_; }
    std::optional<protocols::client_response> response(const digest& request) const;
    const crypto::key_pair& client_key(std::size_t client) const { return clients_.at(client); }
    std::uint64_t& client_sequence(std::size_t client) { return client_sequences_[client]; }

    // ---- members ----
    std::size_t size() const { return members_.size(); }
    const protocols::group& group() const { return group_; }
    /// The database the group serves; its id is the channel of the group's envelopes.
    const database_id& database() const { return database_; }
    bytes channel() const { return database_.view().to_bytes(); }
    const crypto::key_pair& member_key(std::size_t i) const { return members_.at(i).key; }
    actors::replica_status status(std::size_t i);
    bool alive(std::size_t i) const { return static_cast<bool>(members_.at(i).replica); }
    /// Rows of a query run directly on member i's SQLite database.
    std::vector<std::vector<protocols::sql_value>> rows(std::size_t i, const std::string& sql);
    /// Member i's stored shard chain, read from its file.
    std::vector<protocols::shard_block> shard_chain(std::size_t i);
    /// Stops member i's replica (its database file and log survive, as after a crash).
    void crash(std::size_t i);
    /// Starts member i again on the same database file and log.
    void restart(std::size_t i);
    /// The main chain's decision, delivered to every running replica.
    void change_view(std::uint64_t view);
    /// The decision delivered to member i only (members follow the chain each at its pace).
    void change_view_at(std::size_t i, std::uint64_t view);
    /// What Byzantine member i did (all zero for an honest member).
    const byzantine_stats& byzantine_activity(std::size_t i) const { return *members_.at(i).byzantine; }
    bool is_byzantine(std::size_t i) const { return options_.byzantine.count(i) != 0; }
    /// Suspicions the view-change authority received, as (member, view).
    std::vector<std::pair<public_key, std::uint64_t>> suspicions() const { return *suspicions_; }
    std::size_t evidence_count() const { return *evidence_; }
    /// Shard checkpoints signed by a quorum that the members handed to the authority.
    std::size_t checkpoint_count() const { return *checkpoints_; }
    /// Member i's in-memory log (only without sqlite_logs).
    kayak::memory_log_store& log(std::size_t i) { return *members_.at(i).log; }

    // ---- network ----
    void cut(std::size_t from, std::size_t to, bool cut = true);
    void isolate(std::size_t i, bool cut = true);
    void set_faults(const network_faults& faults);
    /// Raw bytes injected into member i's router as if from the network.
    void inject_wire(std::size_t i, const bytes& wire);
    caf::actor router(std::size_t i) const { return members_.at(i).router; }
    const node_id& node(std::size_t i) const { return members_.at(i).node; }

private:
    struct member {
        crypto::key_pair key;
        node_id node;
        caf::actor router;
        caf::actor replica;
        std::shared_ptr<kayak::memory_log_store> log;
        std::string database_path;
        std::shared_ptr<byzantine_stats> byzantine = std::make_shared<byzantine_stats>();
        std::uint64_t starts = 0;  // a restarted Byzantine member draws anew
    };
    void start_replica(std::size_t i);

    cluster_options options_;
    caf::actor network_;
    caf::actor authority_;
    std::vector<member> members_;
    protocols::group group_;
    database_id database_;
    std::vector<crypto::key_pair> clients_;
    std::map<std::size_t, std::uint64_t> client_sequences_;
    node_id client_node_;
    caf::actor client_router_;
    std::shared_ptr<std::map<digest, protocols::client_response>> responses_;
    std::map<digest, protocols::client_request> sent_;
    std::shared_ptr<std::vector<std::pair<public_key, std::uint64_t>>> suspicions_;
    std::shared_ptr<std::size_t> evidence_;
    std::shared_ptr<std::size_t> checkpoints_;
    std::shared_ptr<kayak::permission_source> permissions_;
};

/// One statement with positional parameters.
protocols::sql_statement statement(std::string sql, std::vector<protocols::sql_value> values = {});

}  // namespace covenant::sim
