// The clock every SQLite time function of an executor's database reads.
//
// SQLite takes 'now' (datetime('now'), date/time/julianday/unixepoch/strftime with 'now',
// CURRENT_TIMESTAMP/CURRENT_DATE/CURRENT_TIME) from the connection's VFS:
// sqlite3StmtCurrentTime -> sqlite3OsCurrentTimeInt64 -> vfs->xCurrentTimeInt64. Each
// executor opens its database through its own shim VFS, registered under a unique Covenant
// name, that delegates everything to the default VFS (files are the default VFS's own
// file objects, untouched) except the clock, which answers the time set before each batch:
// the batch's agreed timestamp, the same on every replica. Extension loading through the
// VFS is refused as well.
//
// 'localtime' and 'utc' modifiers read the process's time zone, which replicas need not
// share: pin_sqlite_localtime_to_utc() makes SQLite treat local time as UTC.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "common/result.hpp"

namespace covenant::storage {

namespace detail {
/// What the shim's callbacks reach through sqlite3_vfs::pAppData.
struct shim_vfs_state {
    sqlite3_vfs* real = nullptr;  // the default VFS everything is delegated to
    std::int64_t unix_ms = 0;     // what 'now' is
};
}  // namespace detail

class deterministic_vfs {
  public:
    /// Registers a new shim (not as the default VFS). Fails only if SQLite has no default VFS.
    static result<std::unique_ptr<deterministic_vfs>> create();
    /// Unregisters the shim: close every connection opened through it first.
    ~deterministic_vfs();
    deterministic_vfs(const deterministic_vfs&) = delete;
    deterministic_vfs& operator=(const deterministic_vfs&) = delete;

    /// The name to pass to sqlite3_open_v2.
    const char* name() const { return name_.c_str(); }

    /// What 'now' is from here on, in Unix milliseconds.
    void set_time_ms(std::int64_t unix_ms) { state_.unix_ms = unix_ms; }
    std::int64_t time_ms() const { return state_.unix_ms; }

  private:
    deterministic_vfs() = default;

    detail::shim_vfs_state state_;
    sqlite3_vfs shim_{};
    std::string name_;
};

/// Julian day number in milliseconds (SQLite's internal time) of a Unix time in ms,
/// saturated at the ends of 64 bits (SQLite answers NULL for times out of its range).
inline constexpr std::int64_t julian_ms_from_unix_ms(std::int64_t unix_ms) {
    constexpr std::int64_t unix_epoch_julian_ms = 210'866'760'000'000;  // 2440587.5 days
    if (unix_ms > std::numeric_limits<std::int64_t>::max() - unix_epoch_julian_ms)
        return std::numeric_limits<std::int64_t>::max();
    return unix_ms + unix_epoch_julian_ms;
}

/// Makes SQLite compute 'localtime' and 'utc' as if the process ran in UTC, through
/// SQLite's own hook for replacing localtime() (SQLITE_TESTCTRL_LOCALTIME_FAULT, mode 2).
/// Process-wide and idempotent; nothing in a Covenant node depends on the host time zone.
void pin_sqlite_localtime_to_utc();

}  // namespace covenant::storage
