// The listening sockets the daemon makes: UNIX stream sockets (SOCKETDIR/mux, the control
// socket, Dovecot-protocol paths) and TCP ones. All non-blocking and close-on-exec.
#pragma once

#include "daemon/util/unique_fd.hpp"

#include <expected>
#include <optional>
#include <string>
#include <sys/types.h>

namespace saslauthd::server {

// Bound to `path`, replacing a stale file there; not listening yet, so its owner and mode
// can be set before anyone can connect.
std::expected<util::UniqueFd, std::string> bind_unix_socket(const std::string& path);

struct UnixSocketSettings {
    mode_t mode = 0777;
    std::optional<uid_t> owner;
    std::optional<gid_t> group;
};

// Listening at `path`. It is made as path.new, given its owner and mode, then renamed, so
// that it appears under its final name only once nobody else may connect.
std::expected<util::UniqueFd, std::string> listen_unix(const std::string& path,
                                                       const UnixSocketSettings& settings);

// Listening on a numeric address and port (an IPv6 socket takes IPv6 only).
std::expected<util::UniqueFd, std::string> listen_tcp(const std::string& address, unsigned port,
                                                      bool ipv6);

} // namespace saslauthd::server
