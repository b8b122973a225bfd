// Running the built cql binary as a subprocess for the tests: given arguments and extra
// environment variables, in a given directory, with stdin from /dev/null and no
// controlling terminal; returns its exit status, stdout and stderr separately.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cql_test {

struct run_result {
    int exit_status = -1;  // -1 if the process did not exit normally (killed, timed out)
    std::string out;
    std::string err;

    /// The lines of stderr (without their '\n').
    std::vector<std::string> err_lines() const;
};

/// Runs CQL_BINARY with `args`. The child gets the parent's environment without
/// CQL_PASSPHRASE and CQL_CONFIG, plus `env`; runs in `directory`; calls setsid() so /dev/tty
/// cannot be opened; reads `input` on stdin (a pipe; /dev/null when empty). Killed after
/// `timeout_seconds`.
run_result run_cql(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const std::string& directory,
                   int timeout_seconds = 120, const std::string& input = {});

/// A fresh temporary directory, removed with its contents on destruction.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::string& path() const { return path_; }
    /// path() + "/" + name.
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// Writes `content` to `path` (replacing it); fails the test if it cannot.
void write_text_file(const std::string& path, const std::string& content);

/// The whole content of `path` as bytes in a string; empty if it does not exist.
std::string read_whole_file(const std::string& path);

/// Cheap Argon2id flags for `cql generate`, so each test opens keys in milliseconds.
std::vector<std::string> cheap_kdf_flags();

}  // namespace cql_test
