// The background WAL checkpointer (see wal_checkpointer.hpp).
#include "storage/wal_checkpointer.hpp"

#include <sqlite3.h>

#include <string>
#include <system_error>

namespace covenant::storage {

result<std::unique_ptr<wal_checkpointer>> wal_checkpointer::start(sqlite3* writer,
                                                                  const std::string& path,
                                                                  std::chrono::milliseconds interval) {
    sqlite3* db = nullptr;
    int rc = sqlite3_wal_autocheckpoint(writer, backstop_pages);
    if (rc == SQLITE_OK)
        rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    // A checkpoint copies WAL frames to the file; it needs little page cache of its own.
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0; "
                              "PRAGMA cache_size=-256;",
                          nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return error{std::make_error_code(std::errc::io_error),
                     path + ": checkpointer: " + message};
    }
    return std::unique_ptr<wal_checkpointer>(new wal_checkpointer(db, interval));
}

wal_checkpointer::wal_checkpointer(sqlite3* db, std::chrono::milliseconds interval)
    : db_(db), interval_(interval), thread_([this] { run(); }) {}

wal_checkpointer::~wal_checkpointer() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
    sqlite3_close(db_);
}

std::uint64_t wal_checkpointer::checkpoints() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_.checkpoints;
}

wal_checkpointer::status wal_checkpointer::current_status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
}

void wal_checkpointer::run() {
    for (;;) {
        bool last = false;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait_for(lock, interval_, [this] { return stopping_; });
            last = stopping_;
        }
        // SQLITE_BUSY (another checkpoint or a WAL restart in progress) only means: later.
        // Anything else (an I/O error) is counted and kept for the status (see the header
        // on what it means for the WAL); the next interval tries again.
        const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                                 nullptr, nullptr);
        if ((rc & 0xff) != SQLITE_BUSY) {
            // The extended code names the operation that failed (SQLITE_IOERR_WRITE, ...).
            const int detailed = rc == SQLITE_OK ? rc : sqlite3_extended_errcode(db_);
            std::lock_guard<std::mutex> lock(mutex_);
            status_.failing = rc != SQLITE_OK;
            if (rc == SQLITE_OK) {
                ++status_.checkpoints;
            } else {
                ++status_.failures;
                status_.last_failure =
                    std::string(sqlite3_errstr(rc)) + " (" + std::to_string(detailed) + ")";
            }
        }
        if (last) return;
    }
}

}  // namespace covenant::storage
