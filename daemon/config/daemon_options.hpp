// The daemon's own keys in the options file (socket_mode, request_timeout, ...). Backends
// read theirs from the same Options later.
#pragma once

#include "daemon/config/config.hpp"

#include <expected>
#include <string>
#include <sys/types.h>
#include <vector>

namespace saslauthd::config {

std::expected<void, ConfigError> apply_daemon_options(const backends::Options& options,
                                                      Config& config);

// Readers both files use. "a, b c": items separated by commas or blanks.
std::vector<std::string> split_list(const std::string& text);
// An octal mode from 0 to 0777; a user or group name or number.
std::expected<mode_t, ConfigError> read_mode(const backends::OptionValue& option);
std::expected<uid_t, ConfigError> read_user(const backends::OptionValue& option);
std::expected<gid_t, ConfigError> read_group(const backends::OptionValue& option);

// dovecot_*: the Dovecot-protocol listeners (dovecot_options.cpp).
std::expected<void, ConfigError> apply_dovecot_options(const backends::Options& options,
                                                       Config& config);

} // namespace saslauthd::config
