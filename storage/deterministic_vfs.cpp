// The shim VFS with an agreed clock, and the UTC pin for 'localtime' (see
// deterministic_vfs.hpp).
#include "storage/deterministic_vfs.hpp"

#include <cstdio>
#include <ctime>
#include <mutex>
#include <system_error>
#include <utility>

namespace covenant::storage {
namespace {

detail::shim_vfs_state& state_of(sqlite3_vfs* shim) {
    return *static_cast<detail::shim_vfs_state*>(shim->pAppData);
}
sqlite3_vfs* real_of(sqlite3_vfs* shim) {
    return state_of(shim).real;
}

int shim_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    // The default VFS fills in its own file object (szOsFile is the default's): from here
    // on SQLite calls that file's methods directly.
    sqlite3_vfs* real = real_of(vfs);
    return real->xOpen(real, name, file, flags, out_flags);
}
int shim_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
    sqlite3_vfs* real = real_of(vfs);
    return real->xDelete(real, name, sync_dir);
}
int shim_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
    sqlite3_vfs* real = real_of(vfs);
    return real->xAccess(real, name, flags, out);
}
int shim_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
    sqlite3_vfs* real = real_of(vfs);
    return real->xFullPathname(real, name, size, out);
}
void* shim_dl_open(sqlite3_vfs*, const char*) {
    return nullptr;
}
void shim_dl_error(sqlite3_vfs*, int size, char* out) {
    if (size > 0)
        std::snprintf(out, static_cast<std::size_t>(size), "%s", "extensions are disabled");
}
void (*shim_dl_sym(sqlite3_vfs*, void*, const char*))(void) {
    return nullptr;
}
void shim_dl_close(sqlite3_vfs*, void*) {}
int shim_randomness(sqlite3_vfs* vfs, int size, char* out) {
    sqlite3_vfs* real = real_of(vfs);
    return real->xRandomness(real, size, out);
}
int shim_sleep(sqlite3_vfs* vfs, int microseconds) {
    sqlite3_vfs* real = real_of(vfs);
    return real->xSleep(real, microseconds);
}
int shim_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
    sqlite3_vfs* real = real_of(vfs);
    return real->xGetLastError != nullptr ? real->xGetLastError(real, size, out) : 0;
}
int shim_set_system_call(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
    sqlite3_vfs* real = real_of(vfs);
    return real->xSetSystemCall(real, name, call);
}
sqlite3_syscall_ptr shim_get_system_call(sqlite3_vfs* vfs, const char* name) {
    sqlite3_vfs* real = real_of(vfs);
    return real->xGetSystemCall(real, name);
}
const char* shim_next_system_call(sqlite3_vfs* vfs, const char* name) {
    sqlite3_vfs* real = real_of(vfs);
    return real->xNextSystemCall(real, name);
}

int current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* julian_ms) {
    *julian_ms = julian_ms_from_unix_ms(state_of(vfs).unix_ms);
    return SQLITE_OK;
}
int current_time(sqlite3_vfs* vfs, double* julian_days) {
    *julian_days =
        static_cast<double>(julian_ms_from_unix_ms(state_of(vfs).unix_ms)) / 86'400'000.0;
    return SQLITE_OK;
}

int utc_localtime(const void* time, void* tm) {
    // SQLite's contract: 0 on success, the struct tm filled in.
    return gmtime_r(static_cast<const time_t*>(time), static_cast<struct tm*>(tm)) == nullptr;
}

}  // namespace

result<std::unique_ptr<deterministic_vfs>> deterministic_vfs::create() {
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    if (real == nullptr)
        return error{std::make_error_code(std::errc::not_supported), "SQLite has no default VFS"};
    std::unique_ptr<deterministic_vfs> vfs(new deterministic_vfs());
    vfs->state_.real = real;
    char name[64];
    std::snprintf(name, sizeof name, "covenant-deterministic-%p", static_cast<void*>(vfs.get()));
    vfs->name_ = name;

    sqlite3_vfs& shim = vfs->shim_;
    shim.iVersion = real->iVersion < 3 ? real->iVersion : 3;
    shim.szOsFile = real->szOsFile;
    shim.mxPathname = real->mxPathname;
    shim.zName = vfs->name_.c_str();
    shim.pAppData = &vfs->state_;
    shim.xOpen = shim_open;
    shim.xDelete = shim_delete;
    shim.xAccess = shim_access;
    shim.xFullPathname = shim_full_pathname;
    shim.xDlOpen = shim_dl_open;
    shim.xDlError = shim_dl_error;
    shim.xDlSym = shim_dl_sym;
    shim.xDlClose = shim_dl_close;
    shim.xRandomness = shim_randomness;
    shim.xSleep = shim_sleep;
    shim.xCurrentTime = current_time;
    shim.xGetLastError = shim_get_last_error;
    if (shim.iVersion >= 2) shim.xCurrentTimeInt64 = current_time_int64;
    if (shim.iVersion >= 3) {
        shim.xSetSystemCall = shim_set_system_call;
        shim.xGetSystemCall = shim_get_system_call;
        shim.xNextSystemCall = shim_next_system_call;
    }
    const int rc = sqlite3_vfs_register(&shim, /*makeDflt=*/0);
    if (rc != SQLITE_OK)
        return error{std::make_error_code(std::errc::not_supported),
                     std::string("cannot register the deterministic VFS: ") + sqlite3_errstr(rc)};
    return vfs;
}

deterministic_vfs::~deterministic_vfs() {
    sqlite3_vfs_unregister(&shim_);
}

void pin_sqlite_localtime_to_utc() {
    static std::once_flag once;
    std::call_once(once,
                   [] { sqlite3_test_control(SQLITE_TESTCTRL_LOCALTIME_FAULT, 2, utc_localtime); });
}

}  // namespace covenant::storage
