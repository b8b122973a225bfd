// Reading a passphrase: from a file, from CQL_PASSPHRASE, or from /dev/tty with echo turned
// off (and turned back on even if the user interrupts the prompt).
#include "passphrase.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "failure.hpp"

namespace cql {
namespace {

constexpr const char* environment_variable = "CQL_PASSPHRASE";
// Far above any sensible passphrase; keeps a wrong file (a disk image, /dev/zero) from
// being read whole.
constexpr std::size_t max_passphrase_length = 4096;

// Removes a trailing "\r" left by a "\r\n" line end.
void strip_carriage_return(std::string& line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
}

std::string from_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw failure("cannot read passphrase file " + path + ": " + std::strerror(errno));
    }
    std::string line;
    line.reserve(max_passphrase_length + 1);
    int read_errno = 0;
    bool too_long = false;
    for (;;) {
        char c = 0;  // one byte at a time: nothing past the first line is read
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) read_errno = errno;
        if (n <= 0 || c == '\n') break;
        if (line.size() == max_passphrase_length) {
            too_long = true;
            break;
        }
        line.push_back(c);
    }
    ::close(fd);
    if (read_errno != 0 || too_long) {
        wipe(line);
        if (too_long)
            throw failure("passphrase file " + path + ": the first line is longer than " +
                          std::to_string(max_passphrase_length) + " bytes");
        throw failure("cannot read passphrase file " + path + ": " + std::strerror(read_errno));
    }
    strip_carriage_return(line);
    if (line.empty()) throw failure("passphrase file " + path + ": the first line is empty");
    return line;
}

// ---- terminal ------------------------------------------------------------------------
// While echo is off, a signal that ends the process must first restore the terminal, or
// the user's shell is left without echo. These are read by the signal handler.
volatile std::sig_atomic_t tty_fd_for_signal = -1;
termios saved_termios_for_signal{};

extern "C" void restore_terminal_and_reraise(int signal_number) {
    if (tty_fd_for_signal >= 0)
        ::tcsetattr(tty_fd_for_signal, TCSAFLUSH, &saved_termios_for_signal);
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

// (Not SIGTSTP: the shell restores the terminal of a stopped job itself.)
constexpr int restored_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

class terminal {
public:
    terminal() {
        fd_ = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd_ < 0) {
            throw failure(
                "no passphrase given and no terminal to ask on: use --passphrase-file FILE or "
                "set CQL_PASSPHRASE");
        }
    }
    ~terminal() { ::close(fd_); }
    terminal(const terminal&) = delete;
    terminal& operator=(const terminal&) = delete;

    /// Shows `prompt` and reads one line without echo.
    std::string ask(const char* prompt) {
        write_all(prompt);
        termios saved{};
        const bool is_terminal = ::tcgetattr(fd_, &saved) == 0;
        if (is_terminal) {
            saved_termios_for_signal = saved;
            tty_fd_for_signal = fd_;
            for (std::size_t i = 0; i < std::size(restored_signals); ++i) {
                struct sigaction action{};
                action.sa_handler = restore_terminal_and_reraise;
                sigemptyset(&action.sa_mask);
                ::sigaction(restored_signals[i], &action, &previous_[i]);
            }
            termios quiet = saved;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            quiet.c_lflag |= ICANON;
            ::tcsetattr(fd_, TCSAFLUSH, &quiet);
        }
        std::string line;
        line.reserve(max_passphrase_length + 1);
        bool too_long = false;
        bool ended = false;
        for (;;) {
            char c = 0;
            const ssize_t n = ::read(fd_, &c, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            if (c == '\n') {
                ended = true;
                break;
            }
            if (line.size() == max_passphrase_length) too_long = true;
            if (!too_long) line.push_back(c);
        }
        if (is_terminal) {
            ::tcsetattr(fd_, TCSAFLUSH, &saved);
            tty_fd_for_signal = -1;
            for (std::size_t i = 0; i < std::size(restored_signals); ++i)
                ::sigaction(restored_signals[i], &previous_[i], nullptr);
        }
        write_all("\n");  // the user's Enter was not echoed
        if (too_long) {
            wipe(line);
            throw failure("the passphrase is longer than " + std::to_string(max_passphrase_length) +
                          " bytes");
        }
        if (!ended && line.empty()) throw failure("no passphrase entered");
        strip_carriage_return(line);
        if (line.empty()) throw failure("the passphrase must not be empty");
        return line;
    }

private:
    void write_all(const char* text) {
        std::size_t left = std::strlen(text);
        while (left > 0) {
            const ssize_t n = ::write(fd_, text, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // the prompt is a courtesy; reading will still fail or work
            text += n;
            left -= static_cast<std::size_t>(n);
        }
    }

    int fd_ = -1;
    struct sigaction previous_[std::size(restored_signals)]{};
};

}  // namespace

void add_passphrase_options(CLI::App& command, passphrase_options& options) {
    command.add_option("--passphrase-file", options.file,
                       "Read the passphrase from the first line of this file (default: the "
                       "CQL_PASSPHRASE environment variable, else ask on the terminal)");
}

std::string read_passphrase(const passphrase_options& options, passphrase_use use) {
    if (!options.file.empty()) return from_file(options.file);
    if (const char* value = std::getenv(environment_variable)) {
        std::string passphrase = value;
        if (passphrase.empty())
            throw failure(std::string(environment_variable) + " is set but empty");
        return passphrase;
    }
    terminal tty;
    if (use == passphrase_use::open_key) return tty.ask("Passphrase: ");
    std::string first = tty.ask("Passphrase for the new key: ");
    std::string second = tty.ask("The same passphrase again: ");
    const bool same = first == second;
    wipe(second);
    if (!same) {
        wipe(first);
        throw failure("the two passphrases differ");
    }
    return first;
}

void wipe(std::string& secret) {
    volatile char* p = secret.data();
    for (std::size_t i = 0; i < secret.size(); ++i) p[i] = 0;
    secret.clear();
}

}  // namespace cql
