// The in-process part of covenant-bench (see bench.hpp): a Kayak group over the real
// actors (routers, replica actors, SQLite executors, logs, shard chains; every request,
// envelope, vote and result signed and checked) on sim/kayak_cluster, under CAF's
// deterministic scheduler, so the whole group and its clients share ONE thread. Clients
// keep a window of requests in flight (closed loop); latency is wall time from sending a
// request to its first answer, throughput counts answers per wall second.
#include <deque>
#include <functional>
#include <map>

#include "sim/kayak_cluster.hpp"
#include "tools/covenant-bench/bench.hpp"

namespace covenant::bench {

using namespace covenant::protocols;

namespace {

const std::string row_value(100, 'v');

sql_statement insert_row(std::int64_t key) {
    return sim::statement("INSERT INTO bench(k, v) VALUES(?, ?)",
                          {sql_value::integer(key), sql_value::text(row_value)});
}

enum class op { insert, multirow, read };

struct workload {
    std::string name;
    std::function<op(std::uint64_t)> pick;  // which operation the i-th request is
    double seconds = 5;
    double rate_rps = 0;  // 0: closed loop; else paced sends per second
};

class driver {
  public:
    driver(sim::cluster& c, const inprocess_options& o, std::int64_t first_key)
        : c_(c), o_(o), next_key_(first_key) {}

    std::int64_t next_key() const { return next_key_; }

    json run(const workload& w, std::int64_t readable_keys) {
        struct flight {
            std::size_t client;
            op kind;
            bench_clock::time_point sent;
        };
        std::map<digest, flight> pending;
        std::vector<std::size_t> in_flight(o_.clients, 0);
        latencies write_latency, read_latency;
        std::size_t writes_ok = 0, reads_ok = 0, rows = 0, rejected = 0, failed = 0, sent = 0;
        std::map<std::string, std::size_t> rejections;
        std::uint64_t counter = 0,
                      rng = 0x9e3779b97f4a7c15ull ^ static_cast<std::uint64_t>(next_key_);
        const auto start = bench_clock::now();
        const auto deadline = start + std::chrono::duration_cast<bench_clock::duration>(
                                          std::chrono::duration<double>(w.seconds));
        auto send_one = [&](std::size_t client) {
            const op kind = w.pick(counter++);
            digest h;
            if (kind == op::read) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                // Each read names a distinct (client, key, nonce): equal reads would share a
                // request hash, and so an answer.
                const auto key =
                    static_cast<std::int64_t>(rng % static_cast<std::uint64_t>(readable_keys)) + 1;
                h = c_.read(reads_to_++ % c_.size(),
                            {sim::statement(
                                "SELECT v FROM bench WHERE k = ? AND ? > 0",
                                {sql_value::integer(key),
                                 sql_value::integer(static_cast<std::int64_t>(++read_nonce_))})},
                            4 + client);
            } else {
                // A multi-row request: the INSERT once, with a parameter set per row.
                sql_statement insert = insert_row(++next_key_);
                if (kind == op::multirow) {
                    insert.parameter_sets.push_back(std::move(insert.parameters));
                    insert.parameters.clear();
                    for (std::size_t r = 1; r < o_.rows_per_request; ++r)
                        insert.parameter_sets.push_back(std::move(insert_row(++next_key_).parameters));
                }
                h = c_.write(0, {std::move(insert)}, 4 + client);
            }
            pending[h] = flight{client, kind, bench_clock::now()};
            ++in_flight[client];
            ++sent;
        };
        std::size_t client_turn = 0;
        while (bench_clock::now() < deadline) {
            if (w.rate_rps <= 0) {
                for (std::size_t k = 0; k < o_.clients; ++k)
                    while (in_flight[k] < o_.window) send_one(k);
            } else {
                const auto due = static_cast<std::size_t>(seconds_since(start) * w.rate_rps);
                for (std::size_t tries = 0; sent < due && tries < o_.clients; ++tries) {
                    const std::size_t k = client_turn++ % o_.clients;
                    if (in_flight[k] < o_.window) send_one(k);
                }
            }
            c_.run_for(1);
            const auto now = bench_clock::now();
            for (auto it = pending.begin(); it != pending.end();) {
                auto answer = c_.responses().find(it->first);
                if (answer == c_.responses().end()) {
                    ++it;
                    continue;
                }
                const double ms =
                    std::chrono::duration<double, std::milli>(now - it->second.sent).count();
                if (const auto* r = std::get_if<rejection>(&answer->second.body)) {
                    ++rejected;
                    ++rejections[r->message.substr(0, 60)];
                } else if (std::holds_alternative<sql_failure>(
                               std::get<request_outcome>(answer->second.body).body)) {
                    ++failed;
                } else if (it->second.kind == op::read) {
                    ++reads_ok;
                    read_latency.add(ms);
                } else {
                    ++writes_ok;
                    rows += it->second.kind == op::multirow ? o_.rows_per_request : 1;
                    write_latency.add(ms);
                }
                --in_flight[it->second.client];
                it = pending.erase(it);
            }
        }
        const double elapsed = seconds_since(start);
        // Answers still owed are awaited (not counted), so the next workload starts clean.
        for (int step = 0; step < 20000 && !pending.empty(); ++step) {
            c_.run_for(1);
            for (auto it = pending.begin(); it != pending.end();)
                it = c_.responses().count(it->first) ? pending.erase(it) : std::next(it);
        }
        json out{{"workload", w.name},
                 {"seconds", elapsed},
                 {"sent", sent},
                 {"writes_ok", writes_ok},
                 {"reads_ok", reads_ok},
                 {"rows_written", rows},
                 {"rejected", rejected},
                 {"sql_failures", failed},
                 {"unanswered_at_end", pending.size()},
                 {"requests_per_s", static_cast<double>(writes_ok + reads_ok) / elapsed},
                 {"writes_per_s", static_cast<double>(writes_ok) / elapsed},
                 {"reads_per_s", static_cast<double>(reads_ok) / elapsed},
                 {"rows_per_s", static_cast<double>(rows) / elapsed},
                 {"write_latency", write_latency.summary()},
                 {"read_latency", read_latency.summary()}};
        if (w.rate_rps > 0) out["offered_rps"] = w.rate_rps;
        if (!rejections.empty()) out["rejections"] = rejections;
        return out;
    }

  private:
    sim::cluster& c_;
    const inprocess_options& o_;
    std::int64_t next_key_;
    std::size_t reads_to_ = 0;
    std::uint64_t read_nonce_ = 0;
};

sim::cluster_options cluster_for(const inprocess_options& o, consistency_mode mode) {
    sim::cluster_options options;
    options.members = o.members;
    options.clients = o.clients + 4;  // clients 4.. are the benchmark's writers
    options.batch_requests_max = o.batch_requests_max;
    options.mode = mode;
    // No fault is injected: the group must not suspect its leader when one thread is slow.
    options.progress_timeout_ms = 1'000'000;
    options.faults = sim::network_faults{0, 0, 1, 1};
    return options;
}

void create_table(sim::cluster& c) {
    const auto create =
        c.write(0, {sim::statement("CREATE TABLE bench(k INTEGER PRIMARY KEY, v TEXT)")});
    COVENANT_ASSERT(c.run_until([&] { return c.response(create).has_value(); }, 10000),
                    "the benchmark table was not created");
}

// Loads `rows` rows in multi-row requests (not measured): the table point reads hit.
std::int64_t fill(sim::cluster& c, driver& d, const inprocess_options& o, std::size_t rows) {
    workload w{"fill", [](std::uint64_t) { return op::multirow; }, 0.0, 0};
    while (static_cast<std::size_t>(d.next_key()) < rows) {
        w.seconds = 0.5;
        (void)d.run(w, 1);
    }
    (void)c;
    (void)o;
    return d.next_key();
}

}  // namespace

json measure_inprocess(const inprocess_options& o) {
    json out{{"members", o.members},
             {"clients", o.clients},
             {"window_per_client", o.window},
             {"rows_per_request", o.rows_per_request},
             {"threads", 1}};
    auto single = [](std::uint64_t) { return op::insert; };
    auto multi = [](std::uint64_t) { return op::multirow; };
    auto read = [](std::uint64_t) { return op::read; };
    // The mix: 80% point reads, 20% single-row inserts.
    auto mix = [](std::uint64_t i) { return i % 5 == 0 ? op::insert : op::read; };
    const double t = o.seconds_per_workload;
    {
        sim::cluster c(cluster_for(o, consistency_mode::strong));
        create_table(c);
        driver d(c, o, 0);
        json strong;
        strong["single_insert"] = d.run({"single_insert", single, t, 0}, 1);
        const double full = strong["single_insert"]["writes_per_s"].get<double>();
        strong["single_insert_half_load"] =
            d.run({"single_insert_half_load", single, t * 0.75, full / 2}, 1);
        strong["multirow"] = d.run({"multirow", multi, t, 0}, 1);
        const auto keys = fill(c, d, o, o.read_table_rows);
        strong["point_read"] = d.run({"point_read", read, t, 0}, keys);
        strong["mix"] = d.run({"mix_80_read_20_insert", mix, t, 0}, keys);
        const auto usage = usage_of(0);
        strong["process_peak_rss_mb"] = usage.peak_rss_mb;
        strong["table_rows"] = d.next_key();
        out["strong"] = strong;
    }
    {
        sim::cluster c(cluster_for(o, consistency_mode::eventual));
        create_table(c);
        driver d(c, o, 0);
        json eventual;
        eventual["single_insert"] = d.run({"single_insert", single, t, 0}, 1);
        eventual["multirow"] = d.run({"multirow", multi, t * 0.75, 0}, 1);
        // Followers catch up from the leader's batches: wall time until every member has
        // executed what the leader has.
        const auto start = bench_clock::now();
        const auto leader = c.status(0).last_executed;
        bool caught_up = false;
        for (int step = 0; step < 600 && !caught_up; ++step) {
            caught_up = true;
            for (std::size_t i = 1; i < c.size(); ++i)
                caught_up = caught_up && c.status(i).last_executed >= leader;
            if (!caught_up) c.run_for(100);
        }
        const auto digest0 = c.status(0).state_digest;
        bool same_state = caught_up;
        for (std::size_t i = 1; i < c.size() && same_state; ++i)
            same_state = c.status(i).state_digest == digest0 || c.status(i).last_executed != leader;
        eventual["followers_caught_up"] = caught_up;
        eventual["catch_up_seconds"] = seconds_since(start);
        eventual["leader_last_executed"] = leader;
        eventual["followers_same_digest"] = same_state;
        out["eventual"] = eventual;
    }
    return out;
}

}  // namespace covenant::bench
