// The background WAL checkpointer: what a writer committed (with SQLite's own checkpoints
// off) reaches the database file without the writer checkpointing, while the writer goes on
// writing, and nothing committed is lost; a checkpoint that fails (an I/O error) is counted
// and named in its status, and the checkpoints after the fault succeed again; the files of a
// process share one checkpointing thread, one file leaving it does not stop the others, a
// handle leaving while its file is checkpointed is waited for, and a forked child starts a
// thread of its own.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>
#include <memory>

#include "storage/wal_checkpointer.hpp"

using namespace covenant;

namespace {
std::string temp_path(const std::string& name = "") {
    return "/tmp/covenant_checkpointer_" + std::to_string(::getpid()) + name + ".sqlite";
}
/// Threads of this process named as the checkpointing thread names itself.
int checkpoint_threads() {
    int n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        std::getline(comm, name);
        if (name == "covenant.wal") ++n;
    }
    return n;
}
void remove_files(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}
void exec(sqlite3* db, const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << (message ? message : ""));
}
/// A fresh WAL-mode file at `path` with an empty table t(k, v), and its writer.
sqlite3* open_wal_writer(const std::string& path) {
    remove_files(path);
    sqlite3* writer = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &writer) == SQLITE_OK);
    exec(writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)");
    return writer;
}
std::int64_t count_rows(sqlite3* db) {
    sqlite3_stmt* s = nullptr;
    BOOST_REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &s, nullptr) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const std::int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

// A VFS over the default one whose main database files fail every write while
// `fail_database_writes` is set: what a full or failing disk does to a checkpoint, which
// writes the database file (the writer only appends to the WAL).
std::atomic<bool> fail_database_writes{false};
sqlite3_vfs* real_vfs = nullptr;
struct faulty_file {
    sqlite3_file base;
    sqlite3_file* real;  // the real VFS's file, allocated just after this struct
    bool database;
};
sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<faulty_file*>(f)->real; }
int faulty_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
    if (reinterpret_cast<faulty_file*>(f)->database && fail_database_writes) return SQLITE_IOERR_WRITE;
    return real_of(f)->pMethods->xWrite(real_of(f), data, amount, offset);
}
sqlite3_io_methods faulty_methods() {
    sqlite3_io_methods m{};
    m.iVersion = 2;
    m.xClose = [](sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); };
    m.xRead = [](sqlite3_file* f, void* d, int n, sqlite3_int64 o) {
        return real_of(f)->pMethods->xRead(real_of(f), d, n, o);
    };
    m.xWrite = faulty_write;
    m.xTruncate = [](sqlite3_file* f, sqlite3_int64 n) { return real_of(f)->pMethods->xTruncate(real_of(f), n); };
    m.xSync = [](sqlite3_file* f, int flags) { return real_of(f)->pMethods->xSync(real_of(f), flags); };
    m.xFileSize = [](sqlite3_file* f, sqlite3_int64* n) { return real_of(f)->pMethods->xFileSize(real_of(f), n); };
    m.xLock = [](sqlite3_file* f, int l) { return real_of(f)->pMethods->xLock(real_of(f), l); };
    m.xUnlock = [](sqlite3_file* f, int l) { return real_of(f)->pMethods->xUnlock(real_of(f), l); };
    m.xCheckReservedLock = [](sqlite3_file* f, int* r) {
        return real_of(f)->pMethods->xCheckReservedLock(real_of(f), r);
    };
    m.xFileControl = [](sqlite3_file* f, int op, void* a) {
        return real_of(f)->pMethods->xFileControl(real_of(f), op, a);
    };
    m.xSectorSize = [](sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); };
    m.xDeviceCharacteristics = [](sqlite3_file* f) {
        return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
    };
    m.xShmMap = [](sqlite3_file* f, int region, int size, int extend, void volatile** p) {
        return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, p);
    };
    m.xShmLock = [](sqlite3_file* f, int offset, int n, int flags) {
        return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
    };
    m.xShmBarrier = [](sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); };
    m.xShmUnmap = [](sqlite3_file* f, int del) { return real_of(f)->pMethods->xShmUnmap(real_of(f), del); };
    return m;
}
const sqlite3_io_methods faulty_io = faulty_methods();
int faulty_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    auto* file = reinterpret_cast<faulty_file*>(f);
    file->real = reinterpret_cast<sqlite3_file*>(file + 1);
    file->database = (flags & SQLITE_OPEN_MAIN_DB) != 0;
    const int rc = real_vfs->xOpen(real_vfs, name, file->real, flags, out_flags);
    file->base.pMethods = rc == SQLITE_OK && file->real->pMethods ? &faulty_io : nullptr;
    return rc;
}
/// Registers the faulty VFS as the default one for its lifetime (the checkpointer opens its
/// connection through the default VFS).
struct faulty_default_vfs {
    sqlite3_vfs vfs{};
    faulty_default_vfs() {
        real_vfs = sqlite3_vfs_find(nullptr);
        std::memcpy(&vfs, real_vfs, sizeof vfs);
        vfs.zName = "covenant-test-faulty";
        vfs.szOsFile = static_cast<int>(sizeof(faulty_file)) + real_vfs->szOsFile;
        vfs.xOpen = faulty_open;
        vfs.pNext = nullptr;
        BOOST_REQUIRE(sqlite3_vfs_register(&vfs, 1) == SQLITE_OK);
    }
    ~faulty_default_vfs() {
        sqlite3_vfs_unregister(&vfs);
        sqlite3_vfs_register(real_vfs, 1);
    }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(wal_checkpointer)

BOOST_AUTO_TEST_CASE(committed_pages_reach_the_database_file_beside_the_writer) {
    const std::string path = temp_path();
    sqlite3* writer = open_wal_writer(path);
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
        // Nothing was written since: the latest checkpoint left no page behind.
        BOOST_TEST((*checkpointer)->current_status().pages_behind == 0u);
        // 2,000 rows of 200 bytes are in the database file itself, not only in the WAL,
        // and the writer never checkpointed.
        BOOST_TEST(file_bytes() > empty_file + 400'000);
    }
    BOOST_TEST(count_rows(writer) == 2000);
    sqlite3_close(writer);
    remove_files(path);
}

BOOST_AUTO_TEST_CASE(a_failing_checkpoint_is_counted_and_named_and_the_next_ones_succeed) {
    faulty_default_vfs faulty;
    const std::string path = temp_path();
    sqlite3* writer = open_wal_writer(path);
    {
        auto started = storage::wal_checkpointer::start(writer, path, std::chrono::milliseconds(5));
        BOOST_REQUIRE(started.ok());
        auto& checkpointer = **started;
        const auto wait_for = [&](auto done) {
            for (int i = 0; i < 500 && !done(checkpointer.current_status()); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            return checkpointer.current_status();
        };
        auto s = wait_for([](const auto& st) { return st.checkpoints >= 1; });
        BOOST_TEST(s.checkpoints >= 1u);
        BOOST_TEST(s.failures == 0u);
        BOOST_TEST(s.last_failure.empty());

        fail_database_writes = true;
        // The writer still commits (into the WAL); the checkpoints that copy it fail.
        exec(writer, "INSERT INTO t(v) VALUES('written while the disk fails')");
        s = wait_for([](const auto& st) { return st.failures >= 2; });
        BOOST_TEST(s.failures >= 2u);
        BOOST_TEST(s.failing);
        BOOST_TEST(s.last_failure.find("disk I/O error") != std::string::npos, s.last_failure);
        // ... and the extended code names the operation: SQLITE_IOERR_WRITE.
        BOOST_TEST(s.last_failure.find("(" + std::to_string(SQLITE_IOERR_WRITE) + ")") !=
                       std::string::npos,
                   s.last_failure);

        fail_database_writes = false;
        const auto checkpoints_before = s.checkpoints;
        s = wait_for([&](const auto& st) { return st.checkpoints >= checkpoints_before + 2; });
        BOOST_TEST(s.checkpoints >= checkpoints_before + 2);
        BOOST_TEST(!s.failing);
        BOOST_TEST(s.failures >= 2u);  // the count stays: an operator sees it happened
        BOOST_TEST(count_rows(writer) == 1);
    }  // the checkpointer stops before its writer closes
    sqlite3_close(writer);
    remove_files(path);
}

BOOST_AUTO_TEST_CASE(files_share_one_thread_and_one_leaving_does_not_stop_the_others) {
    std::vector<std::string> paths;
    std::vector<sqlite3*> writers;
    std::vector<std::unique_ptr<storage::wal_checkpointer>> checkpointers;
    for (int i = 0; i < 3; ++i) {
        paths.push_back(temp_path("_shared" + std::to_string(i)));
        writers.push_back(open_wal_writer(paths.back()));
        auto started =
            storage::wal_checkpointer::start(writers.back(), paths.back(), std::chrono::milliseconds(5));
        BOOST_REQUIRE(started.ok());
        checkpointers.push_back(std::move(*started));
    }
    const auto wait_for_checkpoints = [](storage::wal_checkpointer& c, std::uint64_t n) {
        for (int i = 0; i < 500 && c.checkpoints() < n; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return c.checkpoints();
    };
    for (auto& c : checkpointers) BOOST_TEST(wait_for_checkpoints(*c, 2) >= 2u);
    BOOST_TEST(checkpoint_threads() == 1);

    checkpointers.erase(checkpointers.begin());  // the first file leaves
    const auto file_bytes_before = std::filesystem::file_size(paths[1]);
    exec(writers[1], "BEGIN");
    for (int i = 0; i < 50; ++i)
        exec(writers[1], ("INSERT INTO t(v) VALUES(printf('%0200d', " + std::to_string(i) + "))").c_str());
    exec(writers[1], "COMMIT");
    for (auto& c : checkpointers) {
        const auto before = c->checkpoints();
        BOOST_TEST(wait_for_checkpoints(*c, before + 2) >= before + 2);
    }
    BOOST_TEST(checkpoint_threads() == 1);
    // The 50 rows (10,000 bytes) reached the second file itself, not only its WAL.
    BOOST_TEST(std::filesystem::file_size(paths[1]) >= file_bytes_before + 8192);
    checkpointers.clear();
    BOOST_TEST(count_rows(writers[1]) == 50);
    for (std::size_t i = 0; i < writers.size(); ++i) {
        sqlite3_close(writers[i]);
        remove_files(paths[i]);
    }
}

// A handle may leave while the thread is checkpointing its file: the destructor waits that
// checkpoint out, so the thread never uses a closed connection. Handles come and go every
// millisecond or so beside one that stays, and the one that stays goes on being served.
BOOST_AUTO_TEST_CASE(handles_leaving_while_their_file_is_checkpointed_are_waited_for) {
    const std::string staying_path = temp_path("_staying"), churned_path = temp_path("_churned");
    sqlite3* staying_writer = open_wal_writer(staying_path);
    sqlite3* churned_writer = open_wal_writer(churned_path);
    {
        auto staying = storage::wal_checkpointer::start(staying_writer, staying_path,
                                                        std::chrono::milliseconds(1));
        BOOST_REQUIRE(staying.ok());
        for (int round = 0; round < 200; ++round) {
            exec(churned_writer, "INSERT INTO t(v) VALUES(printf('%0200d', 1))");
            auto churned = storage::wal_checkpointer::start(churned_writer, churned_path,
                                                            std::chrono::milliseconds(1));
            BOOST_REQUIRE(churned.ok());
            std::this_thread::sleep_for(std::chrono::microseconds(100 * (round % 20)));
        }
        const auto before = (*staying)->checkpoints();
        for (int i = 0; i < 500 && (*staying)->checkpoints() < before + 2; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        BOOST_TEST((*staying)->checkpoints() >= before + 2);
        BOOST_TEST(!(*staying)->current_status().failing);
    }
    BOOST_TEST(count_rows(churned_writer) == 200);
    sqlite3_close(staying_writer);
    sqlite3_close(churned_writer);
    remove_files(staying_path);
    remove_files(churned_path);
}

// A child made by fork() after the parent's thread started has no such thread: it starts
// its own for the files it opens (the simulator's tests run clusters in forked children).
BOOST_AUTO_TEST_CASE(a_forked_child_checkpoints_its_files_with_a_thread_of_its_own) {
    const std::string path = temp_path("_forked");
    sqlite3* parent_writer = open_wal_writer(path);
    auto parents = storage::wal_checkpointer::start(parent_writer, path, std::chrono::milliseconds(1));
    BOOST_REQUIRE(parents.ok());  // the parent's thread runs
    const std::string child_path = temp_path("_forked_child");
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        // No Boost.Test in the child: its exit status is the verdict.
        remove_files(child_path);
        sqlite3* writer = nullptr;
        if (sqlite3_open(child_path.c_str(), &writer) != SQLITE_OK ||
            sqlite3_exec(writer, "PRAGMA journal_mode=WAL; CREATE TABLE t(v)", nullptr, nullptr,
                         nullptr) != SQLITE_OK)
            ::_exit(2);
        auto started = storage::wal_checkpointer::start(writer, child_path, std::chrono::milliseconds(1));
        if (!started.ok()) ::_exit(3);
        for (int i = 0; i < 500 && (*started)->checkpoints() < 2; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ::_exit((*started)->checkpoints() >= 2 && checkpoint_threads() == 1 ? 0 : 4);
    }
    int status = 0;
    BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);
    parents->reset();
    sqlite3_close(parent_writer);
    remove_files(path);
    remove_files(child_path);
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
