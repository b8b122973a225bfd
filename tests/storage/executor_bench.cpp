// Throughput of the SQL executor's write path on this machine: batches of single-row
// INSERT requests (1 and 100 requests per batch, each batch one durable transaction), a
// bare SQLite baseline of durable single-row transactions in the same run, and reads.
// Not part of ctest: run build/tests/storage/storage_bench by hand on an idle machine.
#define BOOST_TEST_MODULE storage_bench
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "executor_support.hpp"

using namespace covenant;
using namespace covenant::test;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/// Batches per second applying `batches` batches of `per_batch` single-row inserts.
double insert_batches_per_second(const std::string& path, int batches, int per_batch) {
    auto executor = open_executor(path);
    apply_batch(*executor, {write("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)")});
    std::vector<std::vector<protocols::client_request>> prepared;
    int row = 0;
    for (int b = 0; b < batches; ++b) {
        std::vector<protocols::client_request> requests;
        for (int i = 0; i < per_batch; ++i, ++row)
            requests.push_back(write(
                "INSERT INTO t(v, n) VALUES (?, ?)",
                {positional(text("value " + std::to_string(row))), positional(integer(row))}));
        prepared.push_back(std::move(requests));
    }
    const auto start = clock_type::now();
    for (const auto& requests : prepared) apply_batch(*executor, requests);
    return batches / seconds_since(start);
}

double bare_sqlite_transactions_per_second(const std::string& path, int transactions) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                 "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO t(v, n) VALUES (?, ?)", -1, &insert, nullptr);
    const auto start = clock_type::now();
    for (int i = 0; i < transactions; ++i) {
        const std::string v = "value " + std::to_string(i);
        sqlite3_bind_text(insert, 1, v.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(insert, 2, i);
        sqlite3_step(insert);
        sqlite3_reset(insert);
    }
    const double rate = transactions / seconds_since(start);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return rate;
}

}  // namespace

BOOST_AUTO_TEST_CASE(write_path_throughput) {
    temp_dir dir;
    constexpr int runs = 5;
    std::vector<double> bare, single, hundred, reads;
    for (int run = 0; run < runs; ++run) {
        const std::string tag = std::to_string(run);
        bare.push_back(bare_sqlite_transactions_per_second(dir.file("bare" + tag), 3000));
        single.push_back(insert_batches_per_second(dir.file("one" + tag), 3000, 1));
        hundred.push_back(insert_batches_per_second(dir.file("hundred" + tag), 100, 100));
        {
            auto executor = open_executor(dir.file("one" + tag));
            const auto request = read("SELECT v, n FROM t WHERE id = ?", {positional(integer(77))});
            const auto start = clock_type::now();
            constexpr int count = 20000;
            for (int i = 0; i < count; ++i) (void)executor->execute_read(request, context());
            reads.push_back(count / seconds_since(start));
        }
    }
    std::printf("bare SQLite, durable single-row transactions: %8.0f /s (median of %d)\n",
                median(bare), runs);
    std::printf(
        "executor, batches of 1 insert request:        %8.0f batches/s = %8.0f requests/s\n",
        median(single), median(single));
    std::printf(
        "executor, batches of 100 insert requests:     %8.0f batches/s = %8.0f requests/s\n",
        median(hundred), median(hundred) * 100);
    std::printf("executor, point reads (execute_read):         %8.0f /s\n", median(reads));
}
