// Checkpoints a WAL-mode SQLite file from a thread of its own, over a connection of its own,
// so that the thread that writes the file never copies the WAL back into it and fsyncs it
// inline.
//
// Why: SQLite checkpoints by default in the COMMIT that takes the WAL past 1,000 pages. For
// the Kayak log that was a few milliseconds of the replica's thread every few hundred
// milliseconds (copying about 4 MB and an fsync of the database file), during which a
// leader's whole group waited: one of the things behind the strong-mode latency tail.
//
// How: the writer's connection keeps SQLite's automatic checkpoint only as a backstop, at
// `backstop_pages` (should checkpoints fall behind, the WAL cannot grow without bound). A
// PASSIVE checkpoint runs every `interval` (it never blocks the writer, and the writer never
// blocks it; it copies what was committed when it began) over a connection of its own, with
// synchronous=FULL, so the database file is fsynced before the WAL may be reused. A
// checkpoint loses nothing whenever it is interrupted: the WAL stays until copied.
//
// One thread per process runs the checkpoints of every file, one after the other, each when
// its interval is up: a miner with many databases (two files each, the log and the
// database) would otherwise keep two threads per database, each waking ten times a second.
// The thread runs at a lower CPU priority than the node's other threads (nice +5 on Linux,
// where the priority is per thread): a checkpoint is background work, and on a machine
// short of CPU the replica's thread, which a whole group waits for, should win it. Were a
// disk so slow that a round of the files' checkpoints took longer than the interval, each
// file would be checkpointed less often, its WAL longer (the writer's backstop still bounds
// it; status::pages_behind shows it).
//
// A checkpoint that fails for any reason but BUSY (an I/O error, a full disk) is counted and
// its error kept (current_status()), and the miner's status shows it (replica
// "storage_problem") instead of hiding it. The writer goes on appending to the WAL; while the
// fault lasts its backstop checkpoint fails too (SQLite ignores that failure), so the WAL
// grows until the disk works again or the writer itself fails: the status is how an
// operator learns of it in time.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.hpp"

struct sqlite3;

namespace covenant::storage {

namespace detail {
class checkpoint_thread;
}

class wal_checkpointer {
  public:
    /// The writer's automatic checkpoint, left on as a backstop (64 MiB of 4 KiB pages).
    static constexpr int backstop_pages = 16384;
    static constexpr std::chrono::milliseconds default_interval{100};

    /// Starts checkpointing the WAL-mode database at `path` every `interval`, and turns the
    /// automatic checkpoint of `writer` (the connection that writes it) into the backstop.
    /// Opens its own connection through the default VFS (a shim VFS whose files are the
    /// default VFS's own shares their locks).
    static result<std::unique_ptr<wal_checkpointer>> start(
        sqlite3* writer, const std::string& path,
        std::chrono::milliseconds interval = default_interval);
    /// Leaves the shared thread (waiting for a checkpoint of this file it is running) and
    /// runs one last checkpoint itself.
    ~wal_checkpointer();
    wal_checkpointer(const wal_checkpointer&) = delete;
    wal_checkpointer& operator=(const wal_checkpointer&) = delete;

    /// Checkpoints completed so far (for tests and status).
    std::uint64_t checkpoints() const;

    struct status {
        std::uint64_t checkpoints = 0;  // completed
        std::uint64_t failures = 0;     // failed for a reason other than SQLITE_BUSY
        std::string last_failure;       // the latest failure's SQLite error; empty if none
        bool failing = false;           // the latest attempt failed (not BUSY)
        /// WAL pages the latest completed checkpoint left uncopied (committed while it ran,
        /// or held by a reader): a figure that keeps growing says checkpoints fall behind.
        std::uint64_t pages_behind = 0;
    };
    status current_status() const;

  private:
    friend class detail::checkpoint_thread;  // the shared thread (wal_checkpointer.cpp)
    wal_checkpointer(sqlite3* db, std::chrono::milliseconds interval);
    /// One PASSIVE checkpoint now, its outcome kept for current_status(): the shared thread
    /// calls it, and the destructor once the thread has let go of the file.
    void checkpoint_once();

    sqlite3* db_;
    const std::chrono::milliseconds interval_;
    mutable std::mutex mutex_;  // guards status_
    status status_;
};

}  // namespace covenant::storage
