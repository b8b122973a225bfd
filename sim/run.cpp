// One covenant-sim run (see run.hpp): set-up, workloads, fault schedule, healing, checks.
#include "sim/run.hpp"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <variant>
#include <vector>

#include "crypto/hash.hpp"
#include "protocols/main_chain/miner_assignments.hpp"
#include "protocols/kayak/injected_bugs.hpp"
#include "sim/byzantine.hpp"
#include "sim/chain_cluster.hpp"
#include "sim/check/checkers.hpp"
#include "sim/check/linearizability.hpp"
#include "storage/main_chain_store.hpp"

namespace covenant::sim {
namespace {

using namespace protocols;

// Bounds of the set-up phase (virtual time), before any fault is on.
constexpr std::int64_t setup_step_limit_ms = 20'000;
constexpr std::int64_t step_ms = 10;  // the workload looks at the network this often
constexpr std::int64_t leader_refresh_ms = 1000;
constexpr std::int64_t transfer_every_ms = 1000;
constexpr std::int64_t transfer_check_ms = 2000;
constexpr std::int64_t convergence_check_ms = 250;
constexpr std::int64_t intruder_every_ms = 3000;
constexpr std::uint64_t user_balance = 100'000;
constexpr std::size_t eventual_resend_max = 8;
constexpr std::int64_t stale_patience_ms = 6000;  // f+1 stale answers, then this long: ambiguous //
                                                  // answered requests an eventual client re-sends

sql_statement sql(std::string text) {
    sql_statement s;
    s.sql = std::move(text);
    return s;
}

enum class op_kind {
    setup,
    transfer,
    bank_sum,
    register_write,
    register_read,
    note,
    note_count,
    schema,
    probe,
    intruder
};

struct operation {
    op_kind kind = op_kind::setup;
    std::size_t stream = 0;
    digest request;
    std::int64_t invoke_ms = 0;
    std::int64_t last_send_ms = 0;
    std::optional<std::int64_t> complete_ms;
    bool refused = false;
    std::int64_t key = 0;                     // register key
    std::int64_t value = 0;                   // register value written
    std::optional<client_response> accepted;  // the first response taken as its outcome
    std::string last_rejection;               // for the report when it never finishes
    // Members that said its sequence is used (a request committed whose answer was lost):
    // from f+1 of them the client gives up on learning the outcome and moves on, as the
    // production client does (protocols/client/sql_call.cpp).
    std::set<public_key> said_stale;
    std::uint64_t expected_sequence = 0;
    std::optional<std::int64_t> stale_since_ms;
    bool ambiguous = false;  // finished without an outcome: it may or may not have executed
};

struct stream {
    std::size_t client = 0;
    std::size_t db = 0;
    std::optional<std::size_t> outstanding;  // index into ops
    std::int64_t next_at_ms = 0;
    // Eventual mode: the leader answers a write before it commits, and a view change can
    // drop it; the next request then waits forever on the gap in the client's sequence.
    // So the client sends its previous requests again with each resend of the next one (a
    // committed one is refused as stale, harmlessly): its last eventual_resend_max ones. In
    // strong mode the same for requests given up on as ambiguous (see operation).
    std::deque<digest> previous_requests;
    // The client sequence of its next request, kept here rather than guessed from the last
    // answer (a late refusal of a resend must not make a committed sequence look free).
    std::uint64_t next_sequence = 1;
};

struct database {
    database_id id;
    consistency_mode mode = consistency_mode::strong;
    std::vector<std::size_t> members;  // miner indexes, in the chain's order
    std::size_t leader = 0;            // miner index, as last learned from a member
    std::string name;
};

struct pending_transfer {
    transaction tx;
    std::int64_t last_send_ms = 0;
};

struct down_node {
    bool producer = false;
    std::size_t index = 0;
    std::int64_t until_ms = 0;
};

class seed_run {
  public:
    seed_run(const scenario& s, std::uint64_t seed, std::ostream* log)
        : s_(s),
          seed_(seed),
          log_(log),
          random_(seed * 0x9E3779B97F4A7C15ULL + 0x5EED),
          trace_(std::make_shared<trace_sink>()) {}

    run_result run() {
        result_.seed = seed_;
        build();
        if (setup()) {
            workload_phase();
            heal();
            liveness_phase();
        }
        check();
        result_.sim_ms = net_->now_ms();
        result_.trace_hash = trace_->current();
        result_.trace_events = trace_->events();
        return result_;
    }

  private:
    // ---- random choices (one stream, from the seed)
    std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
        if (hi <= lo) return lo;
        return lo + static_cast<std::int64_t>(random_() % static_cast<std::uint64_t>(hi - lo + 1));
    }
    bool chance(double p) { return p > 0 && static_cast<double>(random_() % 1'000'000) < p * 1e6; }

    void say(const std::string& line) {
        if (log_) *log_ << "[seed " << seed_ << " t=" << net_->now_ms() << "ms] " << line << "\n";
    }
    void fault(const std::string& kind, const std::string& detail) {
        ++result_.faults[kind];
        trace_->record(static_cast<std::uint8_t>(trace_event::fault), net_->now_ms(), 0, 0,
                       byte_view(kind + " " + detail));
        say("fault " + kind + " " + detail);
    }
    void fail(std::string checker, std::string where, std::string what) {
        result_.found.push_back({std::move(checker), std::move(where), std::move(what)});
    }

    // ---- building the network
    void build() {
        chain_cluster_options o;
        o.producers = s_.producers;
        o.miners = s_.miners;
        o.seed = seed_;
        o.faults = network_faults{0, 0, 1, 3, false};
        o.trace = trace_;
        // 1..clients-1 granted; `clients` is the intruder, never granted; `clients + 1` the
        // forger, granted write, whose every request carries a spoiled signature.
        o.users = s_.clients + 1;
        o.user_balance = user_balance;
        o.directory_base = s_.directory;
        if (s_.faults.clock_skew) {
            for (std::size_t i = 0; i < s_.miners; ++i)
                o.miner_clock_skew_ms.push_back(
                    uniform(-s_.faults.clock_skew_ms_max, s_.faults.clock_skew_ms_max));
            for (std::size_t i = 0; i < s_.producers; ++i)
                o.producer_clock_skew_ms.push_back(
                    uniform(-s_.faults.clock_skew_ms_max, s_.faults.clock_skew_ms_max));
        }
        // Byzantine members, picked by the seed: miners (byzantine_per_group in all, so no
        // group holds more) and producers. The checkers look only at the honest ones.
        std::vector<std::size_t> miners(s_.miners), producers(s_.producers);
        for (std::size_t i = 0; i < miners.size(); ++i) miners[i] = i;
        for (std::size_t i = 0; i < producers.size(); ++i) producers[i] = i;
        std::shuffle(miners.begin(), miners.end(), random_);
        std::shuffle(producers.begin(), producers.end(), random_);
        byzantine_miners_.insert(
            miners.begin(), miners.begin() + static_cast<std::ptrdiff_t>(s_.byzantine_per_group));
        byzantine_producers_.insert(
            producers.begin(),
            producers.begin() + static_cast<std::ptrdiff_t>(s_.byzantine_producers));
        // The same behaviours for every Byzantine member (none named: all of them), each
        // firing with byzantine_per_million; their draws come from the run's seed.
        byzantine_behaviors behaviors;
        if (s_.byzantine_behaviors.empty()) behaviors = byzantine_behaviors::all();
        for (const auto& name : s_.byzantine_behaviors) {
            if (name == "all") {
                behaviors = byzantine_behaviors::all();
                continue;
            }
            auto b = parse_byzantine_behavior(name);
            COVENANT_ASSERT(b.has_value(), "scenario names an unknown Byzantine behaviour");
            behaviors.add(*b);
        }
        for (std::size_t m : byzantine_miners_) o.byzantine_miners[m] = behaviors;
        for (std::size_t p : byzantine_producers_) o.byzantine_producers[p] = behaviors;
        for (const auto& name : s_.inject_bugs) {
            auto bug = kayak::parse_injected_bug(name);
            COVENANT_ASSERT(bug.has_value(), "scenario names an unknown injected bug");
            o.bugs.add(*bug);
        }
        net_ = std::make_unique<chain_cluster>(o);
        genesis_total_ = storage::replay(net_->genesis(), {}).value().total_tokens();
    }

    // The first honest producer: whose stored chain the run reads as the main chain.
    std::size_t reference_producer() const {
        for (std::size_t i = 0; i < s_.producers; ++i)
            if (!byzantine_producers_.count(i)) return i;
        return 0;
    }

    std::optional<std::size_t> alive_producer() const {
        for (std::size_t i = 0; i < net_->producer_count(); ++i)
            if (net_->producer_alive(i)) return i;
        return std::nullopt;
    }

    // Runs the workload's step loop until `done` or `limit_ms` of virtual time.
    template <class Done>
    bool step_until(Done done, std::int64_t limit_ms) {
        const std::int64_t end = net_->now_ms() + limit_ms;
        while (net_->now_ms() < end) {
            if (done()) return true;
            step();
        }
        return done();
    }

    bool setup() {
        // As few databases per miner as fit: with miners enough, groups are disjoint.
        const std::size_t slots = s_.databases * s_.members;
        net_->register_miners(10'000,
                              static_cast<std::uint32_t>((slots + s_.miners - 1) / s_.miners));
        if (!step_until([&] { return net_->chain_height() >= 2; }, setup_step_limit_ms))
            return setup_failed("the main chain made no blocks");
        // One database at a time, each once the last is assigned: the chain then picks
        // members by the capacity the earlier ones left, and groups differ.
        std::optional<main_chain::ledger> ledger;
        for (std::size_t d = 0; d < s_.databases; ++d) {
            database db;
            db.mode = d % 2 == 0 ? consistency_mode::strong : consistency_mode::eventual;
            db.id = net_->create_database(s_.members, db.mode);
            db.name = "db" + std::to_string(d) +
                      (db.mode == consistency_mode::strong ? "(strong)" : "(eventual)");
            databases_.push_back(db);
            auto assigned = [&] {
                ledger = net_->chain_state(reference_producer());
                const auto* record = ledger->database(db.id);
                return record != nullptr && record->members.size() == s_.members;
            };
            if (!step_until_every(assigned, 200, setup_step_limit_ms))
                return setup_failed("database " + db.name + " not assigned");
        }
        for (auto& db : databases_) {
            for (const auto& m : ledger->database(db.id)->members)
                db.members.push_back(net_->miner_index(m));
            db.leader = db.members.front();
            say(db.name + " " + db.id.hex().substr(0, 12) + " members " + list(db.members));
        }
        for (auto& db : databases_)
            for (std::size_t c : granted_users())
                net_->submit(
                    net_->owner(),
                    tx::grant_role{db.id, crypto::address_of(net_->client_key(c).public_key()),
                                   role::write});
        auto granted = [&] {
            ledger = net_->chain_state(reference_producer());
            for (const auto& db : databases_)
                for (std::size_t c : granted_users())
                    if (!ledger->database(db.id)->roles.count(
                            crypto::address_of(net_->client_key(c).public_key())))
                        return false;
            return true;
        };
        if (!step_until_every(granted, 200, setup_step_limit_ms))
            return setup_failed("grants not final");
        const std::uint64_t height = net_->chain_height();
        auto followed = [&] {
            for (std::size_t i = 0; i < net_->miner_count(); ++i)
                if (net_->miner_status(i).chain_height < height) return false;
            return true;
        };
        if (!step_until_every(followed, 200, setup_step_limit_ms))
            return setup_failed("miners did not follow the grants");

        // Every client's streams exist from here; the set-up request is client 0's first.
        for (std::size_t c = 0; c < s_.clients; ++c)
            for (std::size_t d = 0; d < databases_.size(); ++d)
                streams_.push_back({c, d, std::nullopt, 0, {}, 1});
        intruder_stream_ = streams_.size();
        streams_.push_back({s_.clients, 0, std::nullopt, 0, {}, 1});
        std::vector<std::size_t> setups;
        for (std::size_t d = 0; d < databases_.size(); ++d) {
            std::vector<sql_statement> tables{
                sql("CREATE TABLE bank(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)"),
                sql("CREATE TABLE reg(k INTEGER PRIMARY KEY, v INTEGER NOT NULL)"),
                sql("CREATE TABLE notes(id INTEGER PRIMARY KEY, v INTEGER)")};
            for (std::size_t a = 0; a < s_.accounts; ++a)
                tables.push_back(sql("INSERT INTO bank VALUES(" + std::to_string(a) + ", " +
                                     std::to_string(s_.initial_balance) + ")"));
            for (std::size_t k = 0; k < s_.registers; ++k)
                tables.push_back(sql("INSERT INTO reg VALUES(" + std::to_string(k) + ", 0)"));
            setups.push_back(issue(stream_of(0, d), op_kind::setup, std::move(tables)));
        }
        auto made = [&] {
            for (auto i : setups)
                if (!ops_[i].complete_ms || !succeeded(ops_[i])) return false;
            return true;
        };
        if (!step_until(made, setup_step_limit_ms)) return setup_failed("tables not created");
        say("set up");
        return true;
    }

    template <class Done>
    bool step_until_every(Done done, std::int64_t every_ms, std::int64_t limit_ms) {
        const std::int64_t end = net_->now_ms() + limit_ms;
        while (net_->now_ms() < end) {
            if (done()) return true;
            const std::int64_t next = net_->now_ms() + every_ms;
            while (net_->now_ms() < next) step();
        }
        return done();
    }

    bool setup_failed(const std::string& what) {
        fail("liveness", "set-up (no faults yet)", what);
        return false;
    }

    static std::string list(const std::vector<std::size_t>& v) {
        std::string out;
        for (auto x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
        return out;
    }

    std::size_t stream_of(std::size_t client, std::size_t db) const {
        return client * databases_.size() + db;
    }

    // ---- operations
    std::size_t issue(std::size_t stream_index, op_kind kind, std::vector<sql_statement> statements,
                      std::int64_t key = 0, std::int64_t value = 0) {
        auto& st = streams_[stream_index];
        const auto& db = databases_[st.db];
        operation op;
        op.kind = kind;
        op.stream = stream_index;
        op.key = key;
        op.value = value;
        op.invoke_ms = op.last_send_ms = net_->now_ms();
        // To the leader as last learned, then to every other member: each forwards it to the
        // leader (or suspects it) and answers once it executed, so one lost answer does not
        // leave the client without any (a committed request is refused as stale after).
        net_->set_next_sequence(db.id, st.client, st.next_sequence);
        op.request = net_->write(db.id, db.leader, std::move(statements), st.client);
        for (auto m : db.members)
            if (m != db.leader) net_->send_again(op.request, m);
        const std::size_t index = ops_.size();
        ops_.push_back(std::move(op));
        op_of_request_[ops_.back().request] = index;
        st.outstanding = index;
        if (kind != op_kind::setup && kind != op_kind::probe) ++result_.ops_sent;
        return index;
    }

    bool strong(const operation& op) const {
        return databases_[streams_[op.stream].db].mode == consistency_mode::strong;
    }

    static bool succeeded(const operation& op) {
        return op.accepted && std::holds_alternative<request_outcome>(op.accepted->body) &&
               std::holds_alternative<std::vector<statement_result>>(
                   std::get<request_outcome>(op.accepted->body).body);
    }

    static std::optional<std::int64_t> first_integer(const operation& op) {
        if (!succeeded(op)) return std::nullopt;
        const auto& results = std::get<std::vector<statement_result>>(
            std::get<request_outcome>(op.accepted->body).body);
        if (results.empty() || results[0].rows.empty() || results[0].rows[0].empty())
            return std::nullopt;
        const auto& v = results[0].rows[0][0].value;
        if (!std::holds_alternative<std::int64_t>(v)) return std::nullopt;
        return std::get<std::int64_t>(v);
    }

    void take_arrivals() {
        const auto& arrived = net_->arrived();
        for (; arrivals_seen_ < arrived.size(); ++arrivals_seen_) {
            const auto& a = arrived[arrivals_seen_];
            auto found = op_of_request_.find(a.response.request_hash);
            if (found == op_of_request_.end()) continue;
            auto& op = ops_[found->second];
            if (op.complete_ms || op.refused || op.ambiguous) continue;
            if (auto* outcome = std::get_if<request_outcome>(&a.response.body)) {
                (void)outcome;
                // Strong mode: an answer is a commit only with its receipt (certificate and
                // execution signatures); eventual mode: the leader's answer is the outcome.
                if (strong(op) && !a.response.receipt) continue;
                op.complete_ms = a.time_ms;
                op.accepted = a.response;
                if (op.kind != op_kind::setup && op.kind != op_kind::probe) ++result_.ops_committed;
                const digest seen = crypto::hash(a.response.signing_bytes());
                trace_->record(static_cast<std::uint8_t>(trace_event::workload), a.time_ms,
                               found->second, 1, seen.view());
                on_outcome(op);
            } else {
                const auto reason = std::get<rejection>(a.response.body).reason;
                const bool final = reason == rejection_reason::not_permitted ||
                                   reason == rejection_reason::bad_signature ||
                                   reason == rejection_reason::malformed ||
                                   reason == rejection_reason::nondeterministic ||
                                   reason == rejection_reason::unknown_database ||
                                   reason == rejection_reason::out_of_funds;
                op.last_rejection = std::get<rejection>(a.response.body).message;
                if (reason == rejection_reason::stale_sequence) {
                    const auto& message = op.last_rejection;
                    const std::string prefix = "expected client sequence ";
                    const auto at = message.find(prefix);
                    const auto* sent = net_->sent_request(op.request);
                    if (at != std::string::npos && sent != nullptr) {
                        const auto expected =
                            std::strtoull(message.c_str() + at + prefix.size(), nullptr, 10);
                        if (expected > sent->sequence.value) {
                            op.said_stale.insert(a.response.responder);
                            op.expected_sequence =
                                std::max<std::uint64_t>(op.expected_sequence, expected);
                        }
                    }
                    const auto& db = databases_[streams_[op.stream].db];
                    // Members that only accepted a batch (not committed) also count its client
                    // sequence as used, and a view change may drop that batch: so the client
                    // waits stale_patience_ms after the first f+1 before it gives up.
                    if (op.said_stale.size() >= f_of(db.members.size()) + 1 && !op.stale_since_ms)
                        op.stale_since_ms = a.time_ms;
                    if (op.stale_since_ms && a.time_ms - *op.stale_since_ms >= stale_patience_ms) {
                        op.ambiguous = true;

                        trace_->record(static_cast<std::uint8_t>(trace_event::workload), a.time_ms,
                                       found->second, 3, byte_view{});
                    }
                    continue;
                }
                if (!final) continue;  // not the leader, overloaded: the client retries
                op.refused = true;
                ++result_.ops_refused;
                trace_->record(static_cast<std::uint8_t>(trace_event::workload), a.time_ms,
                               found->second, 2,
                               byte_view(std::string(1, static_cast<char>(reason))));
                if (op.kind != op_kind::intruder && op.kind != op_kind::setup)
                    say("op " + std::to_string(found->second) +
                        " refused: " + std::get<rejection>(a.response.body).message);
            }
        }
    }

    // What a committed answer tells the workloads' own invariants.
    void on_outcome(const operation& op) {
        const auto& db = databases_[streams_[op.stream].db];
        if (op.kind == op_kind::intruder && succeeded(op))
            fail("validity", db.name + " client " + std::to_string(streams_[op.stream].client),
                 "a write by a key with no role was answered as executed");
        if (op.kind == op_kind::bank_sum) {
            const auto sum = first_integer(op);
            const std::int64_t total = s_.initial_balance * static_cast<std::int64_t>(s_.accounts);
            if (!sum || *sum != total)
                fail("bank",
                     db.name + " read by client " + std::to_string(streams_[op.stream].client),
                     "a read of the total gave " +
                         (sum ? std::to_string(*sum) : std::string("no number")) + ", not " +
                         std::to_string(total));
        }
    }

    void next_operation(std::size_t stream_index) {
        auto& st = streams_[stream_index];
        const auto& db = databases_[st.db];
        const bool is_strong = db.mode == consistency_mode::strong;
        const auto roll = uniform(0, 99);
        auto amount = [&] { return std::to_string(uniform(1, 50)); };
        if (s_.bank && roll < 50) {
            const auto from = uniform(0, static_cast<std::int64_t>(s_.accounts) - 1);
            auto to = uniform(0, static_cast<std::int64_t>(s_.accounts) - 2);
            if (to >= from) ++to;
            const auto x = amount();
            issue(stream_index, op_kind::transfer,
                  {sql("UPDATE bank SET balance = balance - " + x +
                       " WHERE id = " + std::to_string(from)),
                   sql("UPDATE bank SET balance = balance + " + x +
                       " WHERE id = " + std::to_string(to))});
            return;
        }
        if (s_.bank && roll < 60) {
            issue(stream_index, op_kind::bank_sum, {sql("SELECT sum(balance) FROM bank")});
            return;
        }
        if (is_strong && s_.registers_workload) {
            const auto key = uniform(0, static_cast<std::int64_t>(s_.registers) - 1);
            if (roll < 80 && register_ops_[{st.db, key}] + 1 < register_history_max) {
                const std::int64_t value = next_value_++;
                ++register_ops_[{st.db, key}];
                issue(stream_index, op_kind::register_write,
                      {sql("UPDATE reg SET v = " + std::to_string(value) +
                           " WHERE k = " + std::to_string(key))},
                      key, value);
                return;
            }
            if (register_ops_[{st.db, key}] + 1 < register_history_max) {
                ++register_ops_[{st.db, key}];
                issue(stream_index, op_kind::register_read,
                      {sql("SELECT v FROM reg WHERE k = " + std::to_string(key))}, key);
                return;
            }
        }
        if (!is_strong && s_.mix && roll >= 90 && st.client == 0) {
            // Schema changes (the owner is the database's admin).
            const auto n = std::to_string(schema_changes_++ % 8);
            static const char* shapes[] = {
                "CREATE TABLE IF NOT EXISTS extra_%(x INTEGER, y TEXT)",
                "CREATE INDEX IF NOT EXISTS notes_v_% ON notes(v)",
                "INSERT INTO notes(v) SELECT count(*) FROM sqlite_master",
                "DROP TABLE IF EXISTS extra_%"};
            std::string text = shapes[uniform(0, 3)];
            for (auto at = text.find('%'); at != std::string::npos; at = text.find('%'))
                text.replace(at, 1, n);
            issue(stream_index, op_kind::schema, {sql(text)});
            return;
        }
        if (s_.mix && roll % 5 == 0) {
            // SQL's clock is the batch's agreed time (DESIGN.md section 5): every member
            // must write the same milliseconds here.
            issue(stream_index, op_kind::note,
                  {sql("INSERT INTO notes(v) VALUES(CAST((julianday('now') - 2440587.5) * "
                       "86400000 AS INTEGER))")});
            return;
        }
        if (roll < 85 || !s_.mix) {
            issue(stream_index, op_kind::note,
                  {sql("INSERT INTO notes(v) VALUES(" + std::to_string(uniform(0, 1'000'000)) +
                       ")")});
            return;
        }
        issue(stream_index, op_kind::note_count, {sql("SELECT count(*) FROM notes")});
    }

    void drive_streams(bool new_operations) {
        const std::int64_t now = net_->now_ms();
        for (std::size_t i = 0; i < streams_.size(); ++i) {
            auto& st = streams_[i];
            if (st.outstanding) {
                auto& op = ops_[*st.outstanding];
                if (op.complete_ms || op.refused || op.ambiguous) {
                    // Refused before it was ordered: the replicas still expect its sequence.
                    const auto used = net_->sent_request(op.request)->sequence.value;
                    if (!op.refused) st.next_sequence = std::max(used + 1, op.expected_sequence);
                    // Strong mode: only a request whose outcome the client never learned can
                    // still be missing below the next one.
                    const bool eventual = databases_[st.db].mode == consistency_mode::eventual;
                    if ((eventual && !op.refused) || op.ambiguous) {
                        st.previous_requests.push_back(op.request);
                        if (st.previous_requests.size() > eventual_resend_max)
                            st.previous_requests.pop_front();
                    }
                    st.outstanding.reset();
                    st.next_at_ms = now + (i == intruder_stream_ ? intruder_every_ms
                                                                 : uniform(0, s_.think_ms_max));
                } else if (now - op.last_send_ms >= s_.resend_ms) {
                    for (auto m : databases_[st.db].members) {
                        for (const auto& previous : st.previous_requests)
                            net_->send_again(previous, m);
                        net_->send_again(op.request, m);
                    }
                    op.last_send_ms = now;
                }
                continue;
            }
            if (!new_operations || now < st.next_at_ms) continue;
            if (i == intruder_stream_) {
                st.db = static_cast<std::size_t>(
                    uniform(0, static_cast<std::int64_t>(databases_.size()) - 1));
                issue(i, op_kind::intruder, {sql("INSERT INTO notes(v) VALUES(666)")});
                --result_.ops_sent;  // not the workload's
                continue;
            }
            if (result_.ops_sent >= s_.operations) continue;
            next_operation(i);
        }
    }

    // The forger: now and then a write in its name whose signature was spoiled after
    // signing, to every member of a database. Honest members drop it unanswered, so it is
    // never waited for; a log that holds one fails the validity check.
    void drive_forger(bool new_operations) {
        const std::int64_t now = net_->now_ms();
        if (!new_operations || now - last_forgery_ms_ < intruder_every_ms) return;
        last_forgery_ms_ = now;
        const auto& db = databases_[static_cast<std::size_t>(
            uniform(0, static_cast<std::int64_t>(databases_.size()) - 1))];
        const auto forged = net_->write_forged(db.id, db.leader, {sql("INSERT INTO notes(v) VALUES(667)")},
                                               forger());
        for (auto m : db.members)
            if (m != db.leader) net_->send_again(forged, m);
        forged_.push_back(forged);
    }
    std::size_t forger() const { return s_.clients + 1; }
    std::vector<std::size_t> granted_users() const {
        std::vector<std::size_t> users;
        for (std::size_t c = 1; c < s_.clients; ++c) users.push_back(c);
        users.push_back(forger());
        return users;
    }

    // ---- main-chain transfers between the clients 1.. (the owner keeps to its set-up)
    void drive_transfers(bool new_transfers) {
        if (!s_.chain_transfers || s_.clients < 3) return;
        const std::int64_t now = net_->now_ms();
        if (now - last_transfer_check_ms_ >= transfer_check_ms && !pending_transfers_.empty()) {
            last_transfer_check_ms_ = now;
            if (auto p = alive_producer()) {
                std::set<digest> included;
                for (const auto& b : net_->main_blocks(*p))
                    for (const auto& t : b.transactions) included.insert(t.hash());
                for (auto it = pending_transfers_.begin(); it != pending_transfers_.end();) {
                    if (included.count(it->second.tx.hash())) {
                        ++result_.transfers_included;
                        it = pending_transfers_.erase(it);
                        continue;
                    }
                    if (now - it->second.last_send_ms >= transfer_check_ms) {
                        net_->resubmit(it->second.tx);
                        it->second.last_send_ms = now;
                    }
                    ++it;
                }
            }
        }
        if (!new_transfers || now - last_transfer_ms_ < transfer_every_ms) return;
        last_transfer_ms_ = now;
        const auto from =
            static_cast<std::size_t>(uniform(1, static_cast<std::int64_t>(s_.clients) - 1));
        if (pending_transfers_.count(from)) return;  // one at a time per account: nonces in order
        auto to = static_cast<std::size_t>(uniform(1, static_cast<std::int64_t>(s_.clients) - 2));
        if (to >= from) ++to;
        auto tx = net_->submit(net_->client_key(from),
                               tx::transfer{crypto::address_of(net_->client_key(to).public_key()),
                                            static_cast<std::uint64_t>(uniform(1, 100))});
        pending_transfers_[from] = {tx, now};
        ++result_.transfers_sent;
    }

    void refresh_leaders() {
        const std::int64_t now = net_->now_ms();
        if (now - last_leader_refresh_ms_ < leader_refresh_ms) return;
        last_leader_refresh_ms_ = now;
        for (auto& db : databases_)
            for (auto m : db.members) {
                if (!net_->miner_alive(m)) continue;
                for (const auto& served : net_->miner_status(m).databases) {
                    if (served.id != db.id.view().to_bytes() || served.members.empty()) continue;
                    auto leader_key =
                        public_key::from_view(served.members[served.view % served.members.size()]);
                    if (leader_key) db.leader = net_->miner_index(*leader_key);
                }
                break;
            }
    }

    void step() {
        net_->run_for(step_ms);
        take_arrivals();
        drive_streams(phase_ == phase::workload);
        drive_forger(phase_ == phase::workload);
        drive_transfers(phase_ == phase::workload);
        refresh_leaders();
        if (phase_ == phase::workload) fault_tick();
    }

    // ---- the fault schedule
    std::size_t f_of(std::size_t n) const { return n == 0 ? 0 : (n - 1) / 3; }

    bool may_crash_miner(std::size_t m) const {
        if (!net_->miner_alive(m)) return false;
        for (const auto& db : databases_) {
            if (std::find(db.members.begin(), db.members.end(), m) == db.members.end()) continue;
            std::size_t down = 0;
            for (auto x : db.members) down += net_->miner_alive(x) ? 0 : 1;
            // Crashed members count against the group's f, with the Byzantine ones.
            if (down + 1 + s_.byzantine_per_group > f_of(db.members.size())) return false;
        }
        return true;
    }

    std::vector<std::uint64_t> all_nodes() const {
        std::vector<std::uint64_t> out;
        for (std::uint64_t n = 0; n < net_->node_count(); ++n) out.push_back(n);
        return out;
    }

    void start_partition() {
        std::vector<int> kinds;
        if (s_.faults.partition_halves) kinds.push_back(0);
        if (s_.faults.partition_isolate_leader) kinds.push_back(1);
        if (s_.faults.partition_one_way) kinds.push_back(2);
        if (kinds.empty()) return;
        const int kind = kinds[static_cast<std::size_t>(
            uniform(0, static_cast<std::int64_t>(kinds.size()) - 1))];
        auto nodes = all_nodes();
        std::vector<std::pair<std::uint64_t, std::uint64_t>> cuts;
        std::string detail;
        if (kind == 1) {
            const auto& db = databases_[static_cast<std::size_t>(
                uniform(0, static_cast<std::int64_t>(databases_.size()) - 1))];
            const auto leader = net_->miner_node(db.leader);
            for (auto n : nodes)
                if (n != leader) {
                    cuts.emplace_back(leader, n);
                    cuts.emplace_back(n, leader);
                }
            detail = "isolate leader miner " + std::to_string(db.leader) + " of " + db.name;
        } else {
            std::shuffle(nodes.begin(), nodes.end(), random_);
            const auto half =
                static_cast<std::size_t>(uniform(1, static_cast<std::int64_t>(nodes.size()) - 1));
            for (std::size_t a = 0; a < half; ++a)
                for (std::size_t b = half; b < nodes.size(); ++b) {
                    cuts.emplace_back(nodes[a], nodes[b]);
                    if (kind == 0) cuts.emplace_back(nodes[b], nodes[a]);
                }
            detail = std::string(kind == 0 ? "halves" : "one-way") + " " + std::to_string(half) +
                     "|" + std::to_string(nodes.size() - half);
        }
        for (const auto& [a, b] : cuts) net_->cut(a, b, true);
        partition_ = cuts;
        partition_until_ms_ = net_->now_ms() + uniform(200, s_.faults.partition_ms_max);
        fault("partition", detail);
    }

    void end_partition() {
        for (const auto& [a, b] : partition_) net_->cut(a, b, false);
        partition_.clear();
        say("partition healed");
    }

    void crash(bool producer, std::size_t i, const std::string& why) {
        if (producer)
            net_->crash_producer(i);
        else
            net_->crash_miner(i);
        down_.push_back({producer, i, net_->now_ms() + uniform(300, s_.faults.down_ms_max)});
        fault(why, std::string(producer ? "producer " : "miner ") + std::to_string(i));
    }

    void restart(const down_node& d) {
        if (d.producer)
            net_->restart_producer(d.index);
        else
            net_->restart_miner(d.index);
        say(std::string("restart ") + (d.producer ? "producer " : "miner ") +
            std::to_string(d.index));
    }

    void fault_tick() {
        const std::int64_t now = net_->now_ms();
        check_views_after_stale_decisions();
        for (auto it = down_.begin(); it != down_.end();) {
            if (now >= it->until_ms) {
                restart(*it);
                it = down_.erase(it);
            } else {
                ++it;
            }
        }
        if (!partition_.empty() && now >= partition_until_ms_) end_partition();
        if (now < next_fault_tick_ms_) return;
        next_fault_tick_ms_ = now + s_.faults.tick_ms;
        const auto& f = s_.faults;
        if (f.partitions && partition_.empty() && chance(f.partition)) start_partition();
        if (f.clogging && chance(f.clog)) {
            const auto node = static_cast<std::uint64_t>(
                uniform(0, static_cast<std::int64_t>(net_->node_count()) - 2));
            const auto ms = uniform(100, f.clog_ms_max);
            net_->clog(node, ms);
            fault("clog", "node " + std::to_string(node) + " for " + std::to_string(ms) + "ms");
        }
        if (f.crashes && chance(f.crash)) {
            if (uniform(0, 1) == 0) {
                const auto p = static_cast<std::size_t>(
                    uniform(0, static_cast<std::int64_t>(net_->producer_count()) - 1));
                std::size_t down = 0;
                for (std::size_t i = 0; i < net_->producer_count(); ++i)
                    down += net_->producer_alive(i) ? 0 : 1;
                if (net_->producer_alive(p) && down + 1 <= f_of(net_->producer_count()))
                    crash(true, p, "crash");
            } else {
                const auto m = static_cast<std::size_t>(
                    uniform(0, static_cast<std::int64_t>(net_->miner_count()) - 1));
                if (may_crash_miner(m)) crash(false, m, "crash");
            }
        }
        if (f.crashes && chance(f.crash_group)) {
            // The whole group of one database at once (and so beyond f): every member comes
            // back at the same time, on its files.
            const auto& db = databases_[static_cast<std::size_t>(
                uniform(0, static_cast<std::int64_t>(databases_.size()) - 1))];
            const std::int64_t until = net_->now_ms() + uniform(300, f.down_ms_max);
            std::string who;
            for (auto m : db.members)
                if (net_->miner_alive(m)) {
                    net_->crash_miner(m);
                    down_.push_back({false, m, until});
                    who += " " + std::to_string(m);
                }
            if (!who.empty()) fault("crash-group", db.name + " miners" + who);
        }
        if (f.stale_views && chance(f.stale_view)) {
            // An older view decision again, to one running member of a database that has
            // moved past view 0 (as a miner following a lagging producer would hand it on).
            const auto& db = databases_[static_cast<std::size_t>(
                uniform(0, static_cast<std::int64_t>(databases_.size()) - 1))];
            const auto m = db.members[static_cast<std::size_t>(
                uniform(0, static_cast<std::int64_t>(db.members.size()) - 1))];
            if (net_->miner_alive(m))
                if (auto st = net_->replica_status(m, db.id); st && st->view > 0) {
                    const auto view = static_cast<std::uint64_t>(
                        uniform(0, static_cast<std::int64_t>(st->view) - 1));
                    net_->deliver_view_decision(m, db.id, view);
                    view_checks_.push_back({&db - databases_.data(), m, st->view});
                    fault("stale-view", db.name + " miner " + std::to_string(m) + " view " +
                                            std::to_string(view) + " (at " +
                                            std::to_string(st->view) + ")");
                }
        }
        if (f.leader_loss && chance(f.leader_loss_chance)) {
            const auto& db = databases_[static_cast<std::size_t>(
                uniform(0, static_cast<std::int64_t>(databases_.size()) - 1))];
            if (may_crash_miner(db.leader)) crash(false, db.leader, "leader-loss");
        }
    }

    // A replica's view only moves forward: one that went back to an older view (after a
    // stale decision was handed to it) could vote again in a view it already voted in, and
    // follows a leader the group left. Looked at one fault tick after each stale decision.
    struct view_check {
        std::ptrdiff_t db;
        std::size_t miner;
        std::uint64_t view_before;
    };
    void check_views_after_stale_decisions() {
        for (const auto& c : view_checks_) {
            const auto& db = databases_[static_cast<std::size_t>(c.db)];
            if (byzantine_miners_.count(c.miner) || !net_->miner_alive(c.miner)) continue;
            if (auto st = net_->replica_status(c.miner, db.id); st && st->view < c.view_before)
                fail("agreement", db.name + " miner " + std::to_string(c.miner),
                     "its view went back from " + std::to_string(c.view_before) + " to " +
                         std::to_string(st->view) + " after an older view decision");
        }
        view_checks_.clear();
    }
    std::vector<view_check> view_checks_;

    // ---- phases
    enum class phase { setup, workload, heal };

    void workload_phase() {
        phase_ = phase::workload;
        if (s_.faults.network) {
            network_faults nf;
            nf.drop_per_million = static_cast<std::uint32_t>(s_.faults.drop * 1e6);
            nf.duplicate_per_million = static_cast<std::uint32_t>(s_.faults.duplicate * 1e6);
            nf.delay_min_ms = s_.faults.delay_min_ms;
            nf.delay_max_ms = s_.faults.delay_max_ms;
            nf.reorder = s_.faults.reorder;
            net_->set_faults(nf);
            fault("network", "loss, duplication, delay and reordering on");
        }
        const std::int64_t end = net_->now_ms() + s_.duration_ms;
        while (net_->now_ms() < end) step();
    }

    void heal() {
        phase_ = phase::heal;
        net_->set_faults(network_faults{0, 0, 1, 3, false});
        if (!partition_.empty()) end_partition();
        for (const auto& d : down_) restart(d);
        down_.clear();
        say("healed");
    }

    void liveness_phase() {
        heal_ms_ = net_->now_ms();
        // A probe write per database, from the owner, once its stream is free.
        std::vector<std::size_t> probes;
        std::set<std::size_t> waiting;
        for (std::size_t d = 0; d < databases_.size(); ++d) waiting.insert(d);
        auto probes_done = [&] {
            for (auto it = waiting.begin(); it != waiting.end();) {
                if (!streams_[stream_of(0, *it)].outstanding) {
                    probes.push_back(issue(stream_of(0, *it), op_kind::probe,
                                           {sql("INSERT INTO notes(v) VALUES(-1)")}));
                    it = waiting.erase(it);
                } else {
                    ++it;
                }
            }
            if (!waiting.empty()) return false;
            for (auto i : probes)
                if (!ops_[i].complete_ms) return false;
            return true;
        };
        const bool committed = step_until(probes_done, s_.liveness_ms);
        if (!committed) {
            for (auto d : waiting) {
                const auto& op = ops_[*streams_[stream_of(0, d)].outstanding];
                diagnose(op, d);
                late_.push_back(
                    databases_[d].name + ": the owner's write sent at " +
                    std::to_string(op.invoke_ms) + "ms never finished (last refusal: " +
                    (op.last_rejection.empty() ? std::string("none") : op.last_rejection) + ")");
            }
            for (auto i : probes)
                if (!ops_[i].complete_ms && committed_by_quorum(ops_[i])) {
                    // The system did its part; only the answer was lost on the way.
                    say("probe " + ops_[i].request.hex().substr(0, 12) +
                        " committed; its answers were lost");
                } else if (!ops_[i].complete_ms) {
                    diagnose(ops_[i], streams_[ops_[i].stream].db);
                    late_.push_back(databases_[streams_[ops_[i].stream].db].name +
                                    ": probe write (last refusal: " +
                                    (ops_[i].last_rejection.empty() ? std::string("none")
                                                                    : ops_[i].last_rejection) +
                                    ")");
                }
        }
        // Every member of every database catches up to one state.
        const std::int64_t left =
            std::max<std::int64_t>(1000, s_.liveness_ms - (net_->now_ms() - heal_ms_));
        converged_ = step_until_every([&] { return all_converged(); }, convergence_check_ms, left);
        if (!converged_) {
            late_.push_back("replicas converging to one state");
            for (const auto& db : databases_)
                for (auto m : db.members) {
                    auto st = net_->replica_status(m, db.id);
                    if (!st) {
                        say(db.name + " miner " + std::to_string(m) + ": no replica");
                        continue;
                    }
                    say(db.name + " miner " + std::to_string(m) + ": view " +
                        std::to_string(st->view) + " committed " +
                        std::to_string(st->last_committed) + " executed " +
                        std::to_string(st->last_executed) + " digest " +
                        to_hex(st->state_digest).substr(0, 12) + " divergent " +
                        std::to_string(st->divergent_executions) + " refused " +
                        std::to_string(st->batches_refused) + "/" +
                        std::to_string(st->messages_refused) + " last: " + st->last_refusal);
                }
        }
        say("liveness phase done after " + std::to_string(net_->now_ms() - heal_ms_) + "ms");
    }

    // Every member executed to one sequence with one digest; in eventual mode a member may
    // hold another digest at that sequence (a replaced speculative execution, which the
    // same-state checker looks at on its own).
    // Whether a quorum of the database's members hold the op's request in their committed
    // logs (read from their files).
    bool committed_by_quorum(const operation& op) {
        const auto& db = databases_[streams_[op.stream].db];
        const std::size_t n = db.members.size();
        const std::size_t quorum = (n + f_of(n)) / 2 + 1;
        std::size_t holding = 0;
        for (auto m : db.members) {
            bool found = false;
            for (const auto& c : net_->committed_log(m, db.id))
                for (const auto& r : c.batch.requests) found = found || r.hash() == op.request;
            holding += found ? 1 : 0;
        }
        return holding >= quorum;
    }

    // For the -v log of a liveness violation: where the stuck request is, member by member.
    void diagnose(const operation& op, std::size_t d) {
        const auto* sent = net_->sent_request(op.request);
        say("stuck request " + op.request.hex().substr(0, 12) + " seq " +
            std::to_string(sent ? sent->sequence.value : 0) + ", leader miner " +
            std::to_string(databases_[d].leader));
        for (auto m : databases_[d].members) {
            std::uint64_t in_log = 0;
            for (const auto& c : net_->committed_log(m, databases_[d].id))
                for (const auto& r : c.batch.requests)
                    if (r.client == net_->owner().public_key())
                        in_log = std::max(in_log, r.sequence.value);
            auto st = net_->replica_status(m, databases_[d].id);
            say("  miner " + std::to_string(m) + " owner's last committed seq " +
                std::to_string(in_log) +
                (st ? " view " + std::to_string(st->view) + " committed " +
                          std::to_string(st->last_committed) + " executed " +
                          std::to_string(st->last_executed) + " last: " + st->last_refusal
                    : std::string(" down")));
        }
    }

    bool all_converged() {
        for (const auto& db : databases_) {
            std::map<std::uint64_t, std::set<bytes>> digests;
            for (auto m : db.members) {
                if (byzantine_miners_.count(m)) continue;
                auto st = net_->replica_status(m, db.id);
                if (!st) return false;
                // Eventual mode: a leader may have executed past the agreed log (a batch a
                // view change dropped): one agreed sequence is what converging means there.
                if (db.mode == consistency_mode::eventual)
                    digests[st->last_committed].insert(bytes{});
                else
                    digests[st->last_executed].insert(st->state_digest);
            }
            if (digests.size() != 1) return false;
            if (db.mode == consistency_mode::strong && digests.begin()->second.size() != 1)
                return false;
        }
        return true;
    }

    // ---- the checkers, on what the nodes stored
    std::string table_dump(std::size_t m, const database_id& id) {
        std::string out;
        for (const char* q : {"SELECT id || ':' || balance FROM bank ORDER BY id",
                              "SELECT k || ':' || v FROM reg ORDER BY k",
                              "SELECT count(*) || ':' || ifnull(sum(v), 0) FROM notes"})
            for (const auto& row : net_->rows(m, id, q))
                if (!row.empty() && std::holds_alternative<std::string>(row[0].value))
                    out += std::get<std::string>(row[0].value) + " ";
        return out;
    }

    void add(violations v) {
        for (auto& x : v) result_.found.push_back(std::move(x));
    }

    void check() {
        if (databases_.empty() || databases_.front().members.empty())
            return;  // set-up failed early
        // Main chain: stored chains agree; every replayed ledger holds the genesis total.
        std::map<std::string, std::vector<digest>> chains;
        std::map<std::string, std::uint64_t> totals;
        for (std::size_t p = 0; p < net_->producer_count(); ++p) {
            if (byzantine_producers_.count(p)) continue;  // honest producers only
            const std::string name = "producer " + std::to_string(p);
            auto& hashes = chains[name];
            for (const auto& b : net_->main_blocks(p)) hashes.push_back(b.hash());
            totals[name] = net_->chain_state(p).total_tokens();
        }
        add(check_main_chain_agreement(chains));
        add(check_conservation(totals, genesis_total_));
        result_.main_height = chains.begin()->second.size();
        const auto ledger = net_->chain_state(reference_producer());

        // The clients 1.. (and the intruder) only ever send transfers on the chain: their
        // balances follow from the genesis and the transfers producer 0's chain included.
        {
            std::map<public_key, std::string> names;
            for (std::size_t c = 1; c <= s_.clients; ++c)
                names[net_->client_key(c).public_key()] = "client " + std::to_string(c);
            std::map<account_address, std::string> by_address;
            std::map<std::string, std::uint64_t> expected, actual;
            for (const auto& [key, name] : names) {
                by_address[crypto::address_of(key)] = name;
                expected[name] = user_balance;
                actual[name] = ledger.balance_of(crypto::address_of(key));
            }
            for (const auto& b : net_->main_blocks(reference_producer()))
                for (const auto& t : b.transactions) {
                    auto from = names.find(t.sender);
                    if (from == names.end()) continue;
                    const auto* move = std::get_if<tx::transfer>(&t.body);
                    if (move == nullptr) {
                        fail("validity",
                             "main chain height " + std::to_string(b.header.height.value),
                             from->second +
                                 " sent only transfers, the chain holds another transaction of it");
                        continue;
                    }
                    expected[from->second] -= move->amount + t.fee;
                    auto to = by_address.find(move->to);
                    if (to != by_address.end()) expected[to->second] += move->amount;
                }
            add(check_balances(expected, actual));
        }

        // An honest member never signs two conflicting messages for one slot, so valid
        // evidence on the chain may only ever slash a Byzantine one (agreement: an honest
        // replica that equivocated could help two quorums commit different batches).
        for (std::size_t m = 0; m < net_->miner_count(); ++m) {
            if (byzantine_miners_.count(m)) continue;
            const auto* record = ledger.miner(net_->miner_key(m).public_key());
            if (record != nullptr && record->slashed)
                fail("agreement", "miner " + std::to_string(m),
                     "an honest member was slashed: the chain holds evidence of two conflicting "
                     "messages it signed");
        }

        std::set<public_key> authorized{net_->owner().public_key()};
        for (std::size_t c : granted_users()) authorized.insert(net_->client_key(c).public_key());
        std::set<digest> sent;
        for (const auto& op : ops_) sent.insert(op.request);
        sent.insert(forged_.begin(), forged_.end());  // sent, but never validly signed

        for (std::size_t d = 0; d < databases_.size(); ++d) {
            const auto& db = databases_[d];
            const auto* record = ledger.database(db.id);
            if (record == nullptr) {
                fail("agreement", db.name, "the replayed main chain does not hold the database");
                continue;
            }
            const auto groups = main_chain::groups_of(record->membership);
            std::set<std::size_t> members;
            for (const auto& [view, group] : record->membership)
                for (const auto& k : group) members.insert(net_->miner_index(k));
            std::vector<replica_log> logs;
            std::set<std::string> caught_up;
            std::vector<replica_state> states;
            std::map<std::string, std::int64_t> sums;
            for (auto m : members) {
                if (byzantine_miners_.count(m)) continue;  // honest replicas only
                const std::string name = "miner " + std::to_string(m);
                logs.push_back({name, net_->committed_log(m, db.id)});
                if (converged_) caught_up.insert(name);
                if (auto st = net_->replica_status(m, db.id)) {
                    bool divergent = false;
                    if (db.mode == consistency_mode::eventual) {
                        const auto& log = logs.back().batches;
                        for (const auto& [seq, hash] : net_->speculative_executions(m, db.id))
                            // Replaced by another batch, or past the log's end after healing
                            // (its batch was dropped by a view change and nothing since took
                            // its seq): either way executed but never agreed.
                            if (seq > log.size() || log[seq - 1].batch.hash() != hash)
                                divergent = true;
                        if (divergent)
                            say(db.name + " " + name + ": executed a batch a view change replaced");
                    }
                    states.push_back({name, st->last_executed, st->state_digest,
                                      table_dump(m, db.id), divergent});
                    if (s_.bank) {
                        auto rows = net_->rows(m, db.id, "SELECT sum(balance) FROM bank");
                        if (!rows.empty() && std::holds_alternative<std::int64_t>(rows[0][0].value))
                            sums[name] = std::get<std::int64_t>(rows[0][0].value);
                    }
                }
            }
            add(check_log_agreement(db.name, logs));
            add(check_commit_certificates(db.name, logs, groups));
            add(check_validity(db.id, logs, authorized, sent));
            std::size_t excused = 0;
            add(check_same_state(db.name, states, converged_, &excused));
            result_.known_divergent += excused;
            if (s_.bank)
                add(check_bank_total(db.name, sums,
                                     s_.initial_balance * static_cast<std::int64_t>(s_.accounts)));
            if (db.mode != consistency_mode::strong) continue;
            std::vector<acknowledged_write> acked;
            std::vector<accepted_response> accepted;
            std::map<std::int64_t, register_history> registers;
            for (const auto& op : ops_) {
                if (streams_[op.stream].db != d) continue;
                if (op.accepted && op.accepted->receipt) {
                    acked.push_back(
                        {op.request, op.accepted->receipt->seq, op.accepted->receipt->batch_hash});
                    accepted.push_back({op.request, *op.accepted});
                }
                if (op.kind == op_kind::register_write || op.kind == op_kind::register_read) {
                    auto& h = registers[op.key];
                    h.key = std::to_string(op.key);
                    register_op r;
                    r.invoke_ms = op.invoke_ms;
                    if (op.kind == op_kind::register_write) {
                        r.type = register_op::kind::write;
                        r.value = op.value;
                        // A write that failed as SQL changed nothing: leave it out.
                        if (op.accepted && !succeeded(op)) continue;
                        if (op.complete_ms) r.complete_ms = op.complete_ms;
                    } else {
                        const auto v = first_integer(op);
                        if (!v) continue;  // pending or failed: a read that says nothing
                        r.type = register_op::kind::read;
                        r.value = *v;
                        r.complete_ms = op.complete_ms;
                    }
                    h.ops.push_back(r);
                }
            }
            add(check_durability(db.name, acked, logs, caught_up));
            add(check_verifiable(db.name, accepted, groups));
            std::vector<register_history> histories;
            for (auto& [k, h] : registers) {
                result_.register_ops_checked += h.ops.size();
                histories.push_back(std::move(h));
            }
            add(check_registers(db.name, histories));
        }
        add(check_liveness(late_, s_.liveness_ms));
    }

    const scenario& s_;
    std::uint64_t seed_;
    std::ostream* log_;
    std::mt19937_64 random_;
    std::shared_ptr<trace_sink> trace_;
    std::unique_ptr<chain_cluster> net_;
    std::uint64_t genesis_total_ = 0;
    run_result result_;
    phase phase_ = phase::setup;

    std::set<std::size_t> byzantine_miners_;
    std::set<std::size_t> byzantine_producers_;
    std::vector<database> databases_;
    std::vector<stream> streams_;
    std::size_t intruder_stream_ = 0;
    std::int64_t last_forgery_ms_ = 0;
    std::vector<digest> forged_;
    std::vector<operation> ops_;
    std::map<digest, std::size_t> op_of_request_;
    std::size_t arrivals_seen_ = 0;
    std::map<std::pair<std::size_t, std::int64_t>, std::size_t> register_ops_;
    std::int64_t next_value_ = 1;
    std::size_t schema_changes_ = 0;

    std::map<std::size_t, pending_transfer> pending_transfers_;
    std::int64_t last_transfer_ms_ = 0;
    std::int64_t last_transfer_check_ms_ = 0;
    std::int64_t last_leader_refresh_ms_ = 0;

    std::vector<std::pair<std::uint64_t, std::uint64_t>> partition_;
    std::int64_t partition_until_ms_ = 0;
    std::vector<down_node> down_;
    std::int64_t next_fault_tick_ms_ = 0;

    std::int64_t heal_ms_ = 0;
    bool converged_ = false;
    std::vector<std::string> late_;
};

}  // namespace

run_result run_seed(const scenario& s, std::uint64_t seed, std::ostream* log) {
    seed_run run(s, seed, log);
    return run.run();
}

}  // namespace covenant::sim
