// Cyrus saslauthd's flags, parsed without getopt's global state. The same parser reads the
// command line and the flags written in the sysconfig file, so each source gives a layer
// of settings and a later layer overrides an earlier one.
#pragma once

#include "daemon/config/config.hpp"

#include <chrono>
#include <cstddef>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace saslauthd::config {

struct Flags {
    std::optional<std::vector<std::string>> mechanisms; // -a; the last -a wins, as in Cyrus
    std::optional<std::string> socket_dir;              // -m
    std::optional<std::string> options_file;            // -O
    std::optional<unsigned> workers;                    // -n
    std::optional<std::size_t> cache_size_kb;           // -s
    std::optional<std::chrono::seconds> cache_ttl;      // -t
    bool cache = false;                                 // -c
    bool debug = false;                                 // -d
    bool foreground = false;                            // -f
    bool verbose = false;                               // -V
    bool realm_join = false;                            // -r
    bool no_accept_lock = false;                        // -l
    bool help = false;                                  // -h, --help
    bool version = false;                               // -v, --version
    std::optional<std::string> sysconfig;               // --sysconfig FILE
    bool no_sysconfig = false;                          // --no-sysconfig
};

// `args` excludes the program name. Errors start with `context` (empty for the command
// line, "file:line: KEY: " for the sysconfig file) and ask for the usage text.
std::expected<Flags, ConfigError> parse_flags(std::span<const std::string> args,
                                              std::string_view context = {});

// `top`'s settings replace `base`'s; switches that are on in either stay on.
Flags overlay(Flags base, const Flags& top);

void apply_flags(const Flags& flags, Config& config);

} // namespace saslauthd::config
