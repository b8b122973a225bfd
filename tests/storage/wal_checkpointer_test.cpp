// The background WAL checkpointer: what a writer committed (with SQLite's own checkpoints
// off) reaches the database file without the writer checkpointing, while the writer goes on
// writing, and nothing committed is lost.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "storage/wal_checkpointer.hpp"

using namespace covenant;

namespace {
std::string temp_path() {
    return "/tmp/covenant_checkpointer_" + std::to_string(::getpid()) + ".sqlite";
}
void remove_files(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}
void exec(sqlite3* db, const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << (message ? message : ""));
}
std::int64_t count_rows(sqlite3* db) {
    sqlite3_stmt* s = nullptr;
    BOOST_REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &s, nullptr) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const std::int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(wal_checkpointer)

BOOST_AUTO_TEST_CASE(committed_pages_reach_the_database_file_beside_the_writer) {
    const std::string path = temp_path();
    remove_files(path);
    sqlite3* writer = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &writer) == SQLITE_OK);
    exec(writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)");
    const auto file_bytes = [&] { return std::filesystem::file_size(path); };
    const auto empty_file = file_bytes();
    {
        auto checkpointer =
            storage::wal_checkpointer::start(writer, path, std::chrono::milliseconds(5));
        BOOST_REQUIRE(checkpointer.ok());
        // The writer goes on committing while the checkpointer works.
        for (int batch = 0; batch < 20; ++batch) {
            exec(writer, "BEGIN");
            for (int i = 0; i < 100; ++i)
                exec(writer, ("INSERT INTO t(v) VALUES(printf('%0200d', " + std::to_string(i) + "))").c_str());
            exec(writer, "COMMIT");
        }
        // Waits (bounded) for a checkpoint after the last commit to copy it all.
        const auto before = (*checkpointer)->checkpoints();
        for (int i = 0; i < 500 && (*checkpointer)->checkpoints() < before + 2; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        BOOST_TEST((*checkpointer)->checkpoints() >= before + 2);
        // 2,000 rows of 200 bytes are in the database file itself, not only in the WAL,
        // and the writer never checkpointed.
        BOOST_TEST(file_bytes() > empty_file + 400'000);
    }
    BOOST_TEST(count_rows(writer) == 2000);
    sqlite3_close(writer);
    remove_files(path);
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_opened_is_an_error) {
    sqlite3* writer = nullptr;
    BOOST_REQUIRE(sqlite3_open(":memory:", &writer) == SQLITE_OK);
    auto checkpointer = storage::wal_checkpointer::start(writer, "/nonexistent-dir/x.sqlite",
                                                         std::chrono::milliseconds(5));
    BOOST_TEST(!checkpointer.ok());
    sqlite3_close(writer);
}

BOOST_AUTO_TEST_SUITE_END()
