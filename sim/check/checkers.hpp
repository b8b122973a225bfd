// The checkers of covenant-sim: one function per guarantee of DESIGN.md section 2, over data
// read back from the run (the miners' Kayak logs and SQLite files, the producers' stored
// chains, the responses the clients got). They only observe: each takes plain values, so
// the tests can feed them fabricated histories and see them fire (tests/simtool/checkers_test).
// Each returns the violations it found, with where and what.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "protocols/group_history.hpp"
#include "protocols/kayak_messages.hpp"
#include "protocols/main_chain_messages.hpp"
#include "protocols/sql_messages.hpp"
#include "sim/check/violation.hpp"

namespace covenant::sim {

/// One replica's committed log of one database, as read back from its file.
struct replica_log {
    std::string member;  // a name for messages ("miner 3")
    std::vector<protocols::committed_batch> batches;
};

/// Agreement (guarantee 1, Kayak): no two replicas hold different batches at one sequence
/// number; and each log is gap-free from 1 and hash-linked (a batch's parent is the batch
/// before it), so a replica cannot hold a history that is not one sequence.
violations check_log_agreement(const std::string& database, const std::vector<replica_log>& logs);

/// Agreement's premise: every committed batch carries a commit certificate of a quorum of
/// the group of its view, with valid signatures (a batch committed without a quorum could
/// be contradicted by another quorum).
violations check_commit_certificates(const std::string& database,
                                     const std::vector<replica_log>& logs,
                                     const protocols::group_history& groups);

/// Agreement (guarantee 1, main chain): no two producers stored different final blocks at
/// one height. `chains` maps a producer's name to its block hashes from height 1.
violations check_main_chain_agreement(const std::map<std::string, std::vector<digest>>& chains);

/// A write the client was told committed (strong mode): its request and where its receipt
/// put it.
struct acknowledged_write {
    digest request;
    sequence_number seq;
    digest batch_hash;
};

/// Durability (guarantee 2): every acknowledged write is in every replica's log that reached
/// its sequence, at that sequence, in that batch; `caught_up` lists the replicas that must
/// have reached every acknowledged sequence (all of them once the run healed).
violations check_durability(const std::string& database,
                            const std::vector<acknowledged_write>& acked,
                            const std::vector<replica_log>& logs,
                            const std::set<std::string>& caught_up);

/// Validity (guarantee 3): every request in every committed batch carries a valid client
/// signature, is for this database, comes from a key allowed to write (`authorized`) and is
/// one some client really sent (`sent`: a request nobody signed cannot be in a log).
violations check_validity(const database_id& database, const std::vector<replica_log>& logs,
                          const std::set<public_key>& authorized, const std::set<digest>& sent);

/// One replica's state as it reports it and as its file holds it.
struct replica_state {
    std::string member;
    std::uint64_t last_executed = 0;
    bytes state_digest;
    /// A canonical dump of the workload's tables read from the SQLite file (same state,
    /// same rows).
    std::string rows;
    /// An eventual-mode leader that executed a batch a view change then replaced (its log's
    /// speculative execution differs from the committed batch at that seq): it holds state
    /// the others do not, a known limit until snapshot resync exists (docs/kayak.md). It is
    /// left out of the comparison and counted apart.
    bool known_divergent = false;
};

/// Same state (guarantee 4): replicas that executed to the same sequence hold the same
/// digest and the same rows; `converged`: all of them must have reached one sequence (the
/// run healed and waited). A member marked known_divergent that differs from the others
/// at its seq is excused and counted in `excused` (if given), not reported.
violations check_same_state(const std::string& database, const std::vector<replica_state>& states,
                            bool converged, std::size_t* excused = nullptr);

/// The bank workload's invariant: the balances on each replica's file sum to `total` (and
/// every sum a client read through the database did).
violations check_bank_total(const std::string& database,
                            const std::map<std::string, std::int64_t>& sums, std::int64_t total);

/// Verifiable results (guarantee 5): every response a client accepted as a committed write
/// proves itself against the database's groups (kayak::write_response_fault: the commit
/// certificate of a quorum, f+1 execution signatures over the results root it is in).
struct accepted_response {
    digest request;
    protocols::client_response response;
};
violations check_verifiable(const std::string& database,
                            const std::vector<accepted_response>& accepted,
                            const protocols::group_history& groups);

/// Liveness (guarantee 6): after the faults healed, a probe write on each database committed
/// and every replica caught up within the bound. `late` names what did not, with how long
/// it waited.
violations check_liveness(const std::vector<std::string>& late, std::int64_t bound_ms);

/// Token conservation on the main chain: every producer's replayed ledger holds the
/// genesis total.
violations check_conservation(const std::map<std::string, std::uint64_t>& totals,
                              std::uint64_t genesis_total);

/// ... and the transfers the chain included moved exactly their amounts: each account's
/// balance in the replayed ledger (`actual`) is what its genesis balance, the included
/// transfers and their fees make (`expected`, computed by the caller from the blocks).
violations check_balances(const std::map<std::string, std::uint64_t>& expected,
                          const std::map<std::string, std::uint64_t>& actual);

/// Per-key linearizability of the register workload's strong-mode history.
struct register_history {
    std::string key;
    std::int64_t initial = 0;
    std::vector<struct register_op> ops;
};
violations check_registers(const std::string& database,
                           const std::vector<register_history>& histories);

}  // namespace covenant::sim
