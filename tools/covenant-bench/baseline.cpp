// The machine's limits without Covenant (see bench.hpp): Ed25519 through crypto/ on one
// core, and bare SQLite with the statements the benchmark sends to the miners and the
// miners' durability settings (storage/sql_executor.cpp: WAL, synchronous=FULL, one
// transaction per request here, where a miner has one per batch).
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "crypto/signing.hpp"
#include "tools/covenant-bench/bench.hpp"

namespace covenant::bench {

process_usage usage_of(int pid) {
    process_usage u;
    const std::string base = pid == 0 ? "/proc/self" : "/proc/" + std::to_string(pid);
    {
        std::ifstream stat(base + "/stat");
        std::string text;
        std::getline(stat, text);
        // Fields after the command (which may hold spaces) start after the last ')'.
        const auto close = text.rfind(')');
        if (close != std::string::npos) {
            std::istringstream rest(text.substr(close + 2));
            std::vector<std::string> fields;
            std::string f;
            while (rest >> f) fields.push_back(f);
            // utime and stime are fields 14 and 15 of stat; here 0-based from field 3.
            if (fields.size() > 12)
                u.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) /
                                static_cast<double>(sysconf(_SC_CLK_TCK));
        }
    }
    std::ifstream status(base + "/status");
    std::string line;
    while (std::getline(status, line)) {
        auto value_mb = [&] { return std::stod(line.substr(line.find(':') + 1)) / 1024.0; };
        if (line.rfind("VmRSS:", 0) == 0) u.rss_mb = value_mb();
        if (line.rfind("VmHWM:", 0) == 0) u.peak_rss_mb = value_mb();
    }
    return u;
}

namespace {

struct sqlite_db {
    sqlite3* db = nullptr;
    explicit sqlite_db(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db) != SQLITE_OK)
            throw std::runtime_error("sqlite open " + path);
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=FULL");
        exec("PRAGMA foreign_keys=ON");
    }
    ~sqlite_db() { sqlite3_close(db); }
    void exec(const char* sql) {
        char* message = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
            std::string m = message ? message : "?";
            sqlite3_free(message);
            throw std::runtime_error(std::string("sqlite: ") + sql + ": " + m);
        }
    }
    sqlite3_stmt* prepare(const char* sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("sqlite prepare: ") + sql);
        return s;
    }
};

// The value every benchmark row carries: 100 bytes, as in kayak_bench.
const std::string row_value(100, 'v');

void step_insert(sqlite3_stmt* s, std::int64_t key) {
    sqlite3_bind_int64(s, 1, key);
    sqlite3_bind_text(s, 2, row_value.data(), static_cast<int>(row_value.size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error("sqlite insert");
    sqlite3_reset(s);
}

}  // namespace

json measure_baseline(const baseline_options& options, std::size_t members) {
    json out;
    // ---- Ed25519 through crypto/, one core: what every miner pays per client request ----
    {
        const auto key = crypto::key_pair::from_seed(crypto::secret_seed::random());
        // About the size of a signed single-row insert's signing bytes.
        const bytes payload(220, 0x5a);
        const auto sig = key.sign(crypto::sign_domain::client_request, payload);
        std::size_t verified = 0;
        const auto start = bench_clock::now();
        while (seconds_since(start) < options.seconds_per_figure / 2) {
            for (int i = 0; i < 64; ++i)
                verified += crypto::verify_uncached(key.public_key(), crypto::sign_domain::client_request,
                                                    payload, sig)
                                ? 1
                                : 0;
        }
        const double verify_rate = static_cast<double>(verified) / seconds_since(start);
        std::size_t signed_count = 0;
        const auto sign_start = bench_clock::now();
        while (seconds_since(sign_start) < options.seconds_per_figure / 4) {
            for (int i = 0; i < 64; ++i, ++signed_count)
                (void)key.sign(crypto::sign_domain::client_response, payload);
        }
        const double sign_rate = static_cast<double>(signed_count) / seconds_since(sign_start);
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        out["ed25519_verify_per_s_one_core"] = verify_rate;
        out["ed25519_sign_per_s_one_core"] = sign_rate;
        out["cores"] = cores;
        out["members"] = members;
        // Every miner verifies every request's client signature once: with all miners on
        // this machine's cores, no more requests than this can be checked per second.
        out["crypto_limit_rps"] = verify_rate * cores / static_cast<double>(members);
    }

    // ---- the disk: what one durable step costs (every vote and execution waits for one) ----
    const std::string path = options.directory + "/bare.sqlite";
    {
        const std::string file = path + ".fsync";
        const int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
        if (fd >= 0) {
            const std::string block(4096, 'x');
            std::size_t syncs = 0;
            const auto start = bench_clock::now();
            while (seconds_since(start) < options.seconds_per_figure / 4) {
                if (::pwrite(fd, block.data(), block.size(), 0) !=
                        static_cast<ssize_t>(block.size()) ||
                    ::fdatasync(fd) != 0)
                    break;
                ++syncs;
            }
            out["fdatasync_4k_ms"] =
                syncs > 0 ? seconds_since(start) * 1000 / static_cast<double>(syncs) : 0.0;
            ::close(fd);
            ::unlink(file.c_str());
        }
    }

    // ---- bare SQLite: same statements, same durability, no network ----
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
    {
        sqlite_db db(path);
        db.exec("CREATE TABLE bench(k INTEGER PRIMARY KEY, v TEXT)");
        auto* insert = db.prepare("INSERT INTO bench(k, v) VALUES(?, ?)");
        auto* begin = db.prepare("BEGIN IMMEDIATE");
        auto* commit = db.prepare("COMMIT");
        auto run = [&](sqlite3_stmt* s) {
            sqlite3_step(s);
            sqlite3_reset(s);
        };
        std::int64_t key = 0;
        // One durable transaction per single-row insert.
        std::size_t singles = 0;
        auto start = bench_clock::now();
        while (seconds_since(start) < options.seconds_per_figure) {
            run(begin);
            step_insert(insert, ++key);
            run(commit);
            ++singles;
        }
        out["sqlite_single_insert_rps"] = static_cast<double>(singles) / seconds_since(start);
        // One durable transaction per multi-row request.
        std::size_t rows = 0;
        start = bench_clock::now();
        while (seconds_since(start) < options.seconds_per_figure) {
            run(begin);
            for (std::size_t r = 0; r < options.rows_per_request; ++r) step_insert(insert, ++key);
            run(commit);
            rows += options.rows_per_request;
        }
        out["sqlite_multirow_rows_per_s"] = static_cast<double>(rows) / seconds_since(start);
        out["sqlite_multirow_requests_per_s"] =
            static_cast<double>(rows / options.rows_per_request) / seconds_since(start);
        // Fill the table to the point-read size (in big transactions, not measured).
        while (static_cast<std::size_t>(key) < options.table_rows) {
            run(begin);
            for (int r = 0; r < 10000 && static_cast<std::size_t>(key) < options.table_rows; ++r)
                step_insert(insert, ++key);
            run(commit);
        }
        // Point reads by primary key, each its own read transaction, as a miner serves one.
        auto* select = db.prepare("SELECT v FROM bench WHERE k = ?");
        auto* begin_read = db.prepare("BEGIN DEFERRED");
        std::size_t reads = 0;
        std::uint64_t state = 88172645463325252ull;
        start = bench_clock::now();
        while (seconds_since(start) < options.seconds_per_figure) {
            for (int i = 0; i < 256; ++i) {
                state ^= state << 13, state ^= state >> 7, state ^= state << 17;
                run(begin_read);
                sqlite3_bind_int64(
                    select, 1,
                    static_cast<std::int64_t>(state % static_cast<std::uint64_t>(key)) + 1);
                if (sqlite3_step(select) != SQLITE_ROW)
                    throw std::runtime_error("sqlite point read");
                sqlite3_reset(select);
                run(commit);
                ++reads;
            }
        }
        out["sqlite_point_reads_per_s"] = static_cast<double>(reads) / seconds_since(start);
        out["sqlite_table_rows"] = key;
        for (auto* s : {insert, begin, commit, select, begin_read}) sqlite3_finalize(s);
    }
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
    return out;
}

}  // namespace covenant::bench
