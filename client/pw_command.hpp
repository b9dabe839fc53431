// saslauthd-ctl pw: makes the stored secrets the backends read ("{SCHEME}value", as
// Dovecot's `doveadm pw -s` prints them), and with -t checks a password against one, printing
// and exiting as `doveadm pw -t` does. Needs no daemon. Every buffer that held the password
// is wiped; the password is never printed (except as a {PLAIN} value, which is the password).
#pragma once

#include "backends/passwords/make_stored.hpp"
#include "backends/secret.hpp"

#include <cstdint>
#include <expected>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>

namespace ctl::pw {

// Exit statuses.
inline constexpr int k_ok = 0;
inline constexpr int k_error = 1; // bad arguments, unknown scheme, empty or mistyped password
// -t: the password does not match, or the stored value cannot be checked: doveadm pw -t's
// status (EX_TEMPFAIL) in both cases.
inline constexpr int k_not_verified = 75;

// The longest password read from standard input or the terminal: what the saslauthd
// protocol carries.
inline constexpr std::size_t k_max_password = 65535;

struct Options {
    const backends::passwords::MakeScheme* scheme = &backends::passwords::make_schemes().front();
    std::optional<backends::Secret> password; // -p
    std::optional<std::uint32_t> rounds;      // -r
    std::string user;                         // -u
    std::optional<std::string> test;          // -t STORED
    bool list = false;                        // -l
    bool help = false;                        // -h
};

struct ArgumentError {
    std::string message;
};

// `args` are the arguments after "pw".
std::expected<Options, ArgumentError> parse_arguments(std::span<const std::string> args);

std::string usage(const std::string& program);

enum class Prompt {
    new_password, // asked twice on a terminal
    verify,       // -t: asked once
};
// Where the password comes from without -p; an error is a message for the user.
using PasswordReader = std::function<std::expected<backends::Secret, std::string>(Prompt)>;

// From `fd`: one line (its newline removed) when it is not a terminal; on a terminal, asked
// with echo off ("Enter new password: ", "Retype new password: ") on `err`, an error when
// the two differ.
std::expected<backends::Secret, std::string> read_password(int fd, Prompt prompt,
                                                           std::ostream& err);

// `args` are the arguments after "pw"; `program` prefixes messages. Prints the stored value
// (or "STORED (verified)") and returns one of the statuses above.
int run(const std::string& program, std::span<const std::string> args, std::ostream& out,
        std::ostream& err, const PasswordReader& reader);

} // namespace ctl::pw
