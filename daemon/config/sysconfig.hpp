// The sysconfig file (/etc/sysconfig/saslauthd, or Debian's /etc/default/saslauthd): shell
// variable assignments read without a shell. Quotes, '#' comments, `export` and backslash
// escapes work as in sh; anything a shell would expand or execute is refused, because a
// value that means one thing to systemd or an init script must not mean another here.
#pragma once

#include "daemon/config/flags.hpp"

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace saslauthd::config {

struct Assignment {
    std::string key;
    std::string value; // quotes removed, escapes resolved
    std::string file;
    int line = 0;

    std::string where() const; // "file:line: KEY: "
};

std::expected<std::vector<Assignment>, ConfigError> parse_sysconfig(std::string_view text,
                                                                    const std::string& origin);

// A missing file is an error; the caller decides whether to look for it.
std::expected<std::vector<Assignment>, ConfigError> read_sysconfig(const std::string& path);

// Turns the keys saslauthd knows into flags, as the Fedora unit and the Debian init script
// do: MECH/MECHANISMS → -a, SOCKETDIR → -m, THREADS → -n, MECH_OPTIONS → -O, then the words
// of FLAGS/OPTIONS. Unknown keys become warnings.
std::expected<Flags, ConfigError> sysconfig_flags(const std::vector<Assignment>& assignments,
                                                  std::vector<std::string>& warnings);

} // namespace saslauthd::config
