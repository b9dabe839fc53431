// The daemon's own keys in the options file (socket_mode, request_timeout, ...). Backends
// read theirs from the same Options later.
#pragma once

#include "daemon/config/config.hpp"

#include <expected>

namespace saslauthd {

std::expected<void, ConfigError> apply_daemon_options(const backends::Options& options,
                                                      Config& config);

} // namespace saslauthd
