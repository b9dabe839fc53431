// Test support: temporary directories, child processes, and a real saslauthd started on a
// temporary socket directory.
#pragma once

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace harness {

using namespace std::chrono_literals;

// The test users' password, its hash made with `mkpasswd -m sha512crypt`, and one made with
// `mkpasswd -m yescrypt` (whois 5.5.17).
inline constexpr const char* k_test_password = "Correct horse 1";
inline constexpr const char* k_sha512_hash =
    "$6$2N7mnVIyl7N6U5v/$CgJbNBYezEw3yyB6Vf9SQK6H6yHENpoKKs2kIaHCWNHmGGzKHFF2n55O3NpWp9S062H/"
    "buYHNWF431oIrz7cx.";
inline constexpr const char* k_yescrypt_hash =
    "$y$j9T$2g6eozKeZZgLivSh6exGK1$pYjTIFcKntVfOkRDIwR4yVuQhSdoxzmLylOk/Yn.2N4";

// A shadow(5) line for `user` with `hash`, last changed on day 19000, no aging.
inline std::string shadow_line(const std::string& user, const std::string& hash = k_sha512_hash) {
    return user + ":" + hash + ":19000::::::\n";
}

// CI has root and every package: there a test that would skip must fail instead.
bool in_ci();

class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const { return m_path; }
    std::string operator/(const std::string& name) const { return (m_path / name).string(); }
    void write(const std::string& name, const std::string& content, unsigned mode = 0600) const;

private:
    std::filesystem::path m_path;
};

struct CommandResult {
    int status = -1; // exit status, or 128 + signal
    std::string out;
    std::string err;
};

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = 30s);

std::string read_file(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed
// out before (bind(0) may hand out a port again once it is closed).
int free_port();

// Starts saslauthd -d -a shadow with `options` as its options file and returns how it ended:
// for settings that must stop the start-up.
CommandResult start_with_options(const TempDir& dir, const std::string& options);

// saslauthd in the foreground (-d) on `dir`/run, logging to `dir`/daemon.log.
class Daemon {
public:
    // `launcher` runs first and execs the daemon (e.g. systemd-socket-activate -l PATH);
    // `foreground` is -d (debug: verbose) or -f (the log an admin gets by default).
    Daemon(const TempDir& dir, std::vector<std::string> args,
           std::vector<std::string> launcher = {}, std::string foreground = "-d");
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;
    ~Daemon();

    // Waits until the socket accepts connections and the workers run; false if the daemon
    // exited or timed out.
    bool wait_ready(std::chrono::milliseconds timeout = 10s);
    // SIGTERM, then the exit status (or -1 on timeout, after SIGKILL).
    int stop(std::chrono::milliseconds timeout = 10s);
    bool running();

    pid_t pid() const { return m_pid; }
    // The master's children that are workers (helpers such as sasl-control are not).
    std::vector<pid_t> workers() const;
    std::string socket_dir() const { return m_socket_dir; }
    std::string socket_path() const { return m_socket_dir + "/mux"; }
    std::string log() const;

private:
    std::string m_socket_dir;
    std::string m_log_path;
    pid_t m_pid = -1;
    int m_status = -1;
};

// Environment variables set for the object's life, then put back as they were.
class ScopedEnvironment {
public:
    ScopedEnvironment(std::initializer_list<std::pair<const char*, std::string>> variables);
    ScopedEnvironment(const ScopedEnvironment&) = delete;
    ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;
    ~ScopedEnvironment();

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

// Waits until `predicate` holds, polling; false after `timeout`.
template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 10s) {
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < give_up) {
        if (predicate())
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return predicate();
}

} // namespace harness
