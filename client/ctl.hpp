// The saslauthd-ctl command: one request to the daemon's control socket (SOCKETDIR/control),
// e.g. flushing one user's entries from the credential cache; and `pw` (client/pw_command.hpp),
// which makes and checks stored secrets without the daemon.
#pragma once

#include <expected>
#include <iosfwd>
#include <span>
#include <string>

namespace ctl {

// Exit statuses.
inline constexpr int k_ok = 0;
inline constexpr int k_failed = 1; // the daemon said NO, or could not be reached
inline constexpr int k_usage = 2;

// SASLAUTHD_DEFAULT_SOCKET_DIR, as configured at build time.
std::string default_socket_dir();

struct Options {
    std::string socket_dir = default_socket_dir();
    std::string command;  // e.g. "flush-cache"
    std::string argument; // flush-cache: the login; empty for every entry
    // pw: the arguments after the command, a view into parse_arguments' `args`.
    std::span<const std::string> command_arguments;
    bool help = false;
};

struct UsageError {
    std::string message;
};

// `args` are the arguments after the program name.
std::expected<Options, UsageError> parse_arguments(std::span<const std::string> args);

std::string usage(const std::string& program);

// `args` are argv, program name included. Prints the daemon's reply; returns k_ok when it
// said OK, k_failed when it said NO or could not be reached, k_usage on a usage error. `pw`
// returns pw::run's statuses (1 on its usage errors, 75 when -t does not verify).
int run(std::span<const std::string> args, std::ostream& out, std::ostream& err);

} // namespace ctl
