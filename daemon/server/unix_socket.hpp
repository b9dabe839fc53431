// UNIX stream sockets the daemon listens on (SOCKETDIR/mux, SOCKETDIR/control).
#pragma once

#include "daemon/util/unique_fd.hpp"

#include <expected>
#include <string>

namespace saslauthd::server {

// A non-blocking, close-on-exec socket bound to `path`, replacing a stale file there; not
// listening yet, so its owner and mode can be set before anyone can connect.
std::expected<util::UniqueFd, std::string> bind_unix_socket(const std::string& path);

} // namespace saslauthd::server
