// The subprocess runner of the cql tests: fork, setsid, execve, and collect stdout and
// stderr through pipes with poll() so that neither can fill up and block the child.
#include "run_cql.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace cql_test {
namespace {

constexpr const char* cql_binary = CQL_BINARY;

std::vector<std::string> child_environment(const std::map<std::string, std::string>& env) {
    std::vector<std::string> out;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string item = *entry;
        const std::string name = item.substr(0, item.find('='));
        if (name == "CQL_PASSPHRASE" || name == "CQL_CONFIG" || env.count(name) != 0) continue;
        out.push_back(item);
    }
    for (const auto& [name, value] : env) out.push_back(name + "=" + value);
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

std::vector<std::string> run_result::err_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

run_result run_cql(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const std::string& directory,
                   int timeout_seconds, const std::string& input) {
    // Everything the child needs is built before fork().
    std::vector<std::string> argv_strings = {cql_binary};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<std::string> env_strings = child_environment(env);
    std::vector<char*> argv_pointers = pointers(argv_strings);
    std::vector<char*> env_pointers = pointers(env_strings);

    int out_pipe[2];
    int err_pipe[2];
    BOOST_REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
    BOOST_REQUIRE(::pipe2(err_pipe, O_CLOEXEC) == 0);
    // stdin: /dev/null, or a pipe holding `input` (small enough for the pipe's buffer).
    int in_pipe[2] = {-1, -1};
    int stdin_fd = -1;
    if (input.empty()) {
        stdin_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    } else {
        BOOST_REQUIRE(input.size() < 60'000);
        BOOST_REQUIRE(::pipe2(in_pipe, O_CLOEXEC) == 0);
        BOOST_REQUIRE(::write(in_pipe[1], input.data(), input.size()) ==
                      static_cast<ssize_t>(input.size()));
        ::close(in_pipe[1]);
        stdin_fd = in_pipe[0];
    }
    BOOST_REQUIRE(stdin_fd >= 0);

    const pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        // Child: a new session has no controlling terminal, so /dev/tty cannot be opened.
        if (::setsid() < 0 || ::chdir(directory.c_str()) != 0 || ::dup2(stdin_fd, 0) < 0 ||
            ::dup2(out_pipe[1], 1) < 0 || ::dup2(err_pipe[1], 2) < 0) {
            ::_exit(126);
        }
        ::execve(cql_binary, argv_pointers.data(), env_pointers.data());
        ::_exit(127);
    }
    ::close(stdin_fd);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);

    run_result result;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_pipes = 2;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    bool timed_out = false;
    while (open_pipes > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        BOOST_REQUIRE(ready >= 0);
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buffer[4096];
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_pipes;
            } else {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            }
        }
    }
    if (timed_out) ::kill(pid, SIGKILL);
    for (auto& fd : fds)
        if (fd.fd >= 0) ::close(fd.fd);

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        BOOST_REQUIRE(errno == EINTR);
    }
    BOOST_REQUIRE_MESSAGE(!timed_out, "cql did not finish within " << timeout_seconds << " s");
    BOOST_REQUIRE_MESSAGE(!(WIFEXITED(status) && WEXITSTATUS(status) >= 126),
                          "could not start " << cql_binary);
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

temp_dir::temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cql_cli_test_XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
}

temp_dir::~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void write_text_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    BOOST_REQUIRE_MESSAGE(out, "cannot write " << path);
}

std::string read_whole_file(const std::string& path) {
    std::string content;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return content;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
}

std::vector<std::string> cheap_kdf_flags() {
    return {"--kdf-memory-kib", "64", "--kdf-iterations", "1"};
}

}  // namespace cql_test
