// The testsaslauthd command: sends one request per try to a saslauthd socket and prints
// the result the way Cyrus testsaslauthd does.
#pragma once

#include <chrono>
#include <expected>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>

namespace testsaslauthd {

// SASLAUTHD_DEFAULT_SOCKET_DIR + "/mux", as configured at build time.
std::string default_socket_path();

struct Options {
    std::string user;
    // SECRET. nullopt: prompt on the terminal (or read standard input); "-": read standard input.
    std::optional<std::string> password;
    std::string realm;
    std::string service = "imap";
    std::string socket_path = default_socket_path();
    std::optional<std::string> client_addr; // sent as the fifth field only when given
    unsigned repeat = 1;
    std::chrono::seconds reply_timeout{30};
};

struct UsageError {
    std::string message;
};

// `args` are the arguments after the program name.
std::expected<Options, UsageError> parse_arguments(std::span<const std::string> args);

// One line of output for try `number` (counted from 0), without the newline.
std::string format_try(unsigned number, bool ok);

// Reads one line, without its newline. nullopt at end of input before any byte.
// SECRET: the result holds the password.
std::optional<std::string> read_password_line(std::istream& in);

// `args` are argv, program name included. Returns the exit status: 0 when the last try
// succeeded, 255 when it failed or the server could not be reached, 1 on a usage error.
int run(std::span<const std::string> args, std::istream& in, std::ostream& out, std::ostream& err);

} // namespace testsaslauthd
