// The background WAL checkpointer (see wal_checkpointer.hpp).
#include "storage/wal_checkpointer.hpp"

#include <sqlite3.h>

#include <pthread.h>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace covenant::storage {
namespace detail {

/// The process's one checkpointing thread (see the header): the files registered with it,
/// each checkpointed when its interval is up, the earliest first.
///
/// Never destroyed: a handle may be destroyed during the process's exit, after any static
/// object, and the thread, blocked in a checkpoint or waiting, ends with the process (an
/// interrupted checkpoint loses nothing). A child process made by fork() has none of the
/// parent's threads, and may have copied the mutex locked: it starts over with one of its
/// own (the simulator's tests run clusters in forked children).
class checkpoint_thread {
  public:
    static checkpoint_thread& instance() {
        static const bool made = [] {
            current_.store(new checkpoint_thread());
            pthread_atfork(nullptr, nullptr, [] { current_.store(new checkpoint_thread()); });
            return true;
        }();
        (void)made;
        return *current_.load();
    }

    void add(wal_checkpointer* file) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
        files_.push_back({file, clock::now() + file->interval_});
        wake_.notify_one();
    }

    /// Once this returns the thread does not touch `file` again.
    void remove(wal_checkpointer* file) {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [&] { return running_ != file; });
        files_.erase(std::remove_if(files_.begin(), files_.end(),
                                    [&](const entry& e) { return e.file == file; }),
                     files_.end());
    }

  private:
    using clock = std::chrono::steady_clock;
    struct entry {
        wal_checkpointer* file;
        clock::time_point due;
    };

    checkpoint_thread() = default;

    [[noreturn]] void run() {
        lower_this_threads_priority();
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            if (files_.empty()) {
                wake_.wait(lock, [&] { return !files_.empty(); });
                continue;
            }
            auto next = std::min_element(files_.begin(), files_.end(),
                                         [](const entry& a, const entry& b) { return a.due < b.due; });
            if (clock::now() < next->due) {
                // A file added wakes it early; it looks again.
                wake_.wait_until(lock, next->due);
                continue;
            }
            wal_checkpointer* file = next->file;
            running_ = file;
            lock.unlock();
            file->checkpoint_once();
            lock.lock();
            running_ = nullptr;
            // Looked up again: files may have come and gone while the lock was free.
            for (auto& e : files_)
                if (e.file == file) e.due = clock::now() + file->interval_;
            done_.notify_all();
        }
    }

    static void lower_this_threads_priority() {
#ifdef __linux__
        pthread_setname_np(pthread_self(), "covenant.wal");
        // Linux keeps a nice value per thread: five above the process's own (at most 19).
        // Failing to lower it changes nothing else.
        const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
        errno = 0;
        const int current = getpriority(PRIO_PROCESS, tid);
        if (errno == 0) (void)setpriority(PRIO_PROCESS, tid, std::min(current + 5, 19));
#endif
    }

    static inline std::atomic<checkpoint_thread*> current_{nullptr};

    std::mutex mutex_;
    std::condition_variable wake_;  // a file added
    std::condition_variable done_;  // a checkpoint finished
    std::vector<entry> files_;
    wal_checkpointer* running_ = nullptr;
    std::thread thread_;
};

}  // namespace detail

using detail::checkpoint_thread;

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
    : db_(db), interval_(interval) {
    checkpoint_thread::instance().add(this);
}

wal_checkpointer::~wal_checkpointer() {
    checkpoint_thread::instance().remove(this);
    checkpoint_once();
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

void wal_checkpointer::checkpoint_once() {
    // SQLITE_BUSY (another checkpoint or a WAL restart in progress) only means: later.
    // Anything else (an I/O error) is counted and kept for the status (see the header on
    // what it means for the WAL); the next interval tries again.
    int wal_pages = -1, copied_pages = -1;
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages,
                                             &copied_pages);
    if ((rc & 0xff) == SQLITE_BUSY) return;
    // The extended code names the operation that failed (SQLITE_IOERR_WRITE, ...).
    const int detailed = rc == SQLITE_OK ? rc : sqlite3_extended_errcode(db_);
    std::lock_guard<std::mutex> lock(mutex_);
    status_.failing = rc != SQLITE_OK;
    if (rc == SQLITE_OK) {
        ++status_.checkpoints;
        if (wal_pages >= copied_pages && copied_pages >= 0)
            status_.pages_behind = static_cast<std::uint64_t>(wal_pages - copied_pages);
    } else {
        ++status_.failures;
        status_.last_failure = std::string(sqlite3_errstr(rc)) + " (" + std::to_string(detailed) + ")";
    }
}

}  // namespace covenant::storage
