// What the daemon tells systemd and takes from it: readiness and status (sd_notify), the
// watchdog, and a listening socket passed by socket activation (sd_listen_fds). Outside
// systemd every call here does nothing.
#pragma once

#include "daemon/util/unique_fd.hpp"

#include <chrono>
#include <expected>
#include <optional>
#include <string>

namespace saslauthd::systemd {

// Sends `state` ("READY=1", "STATUS=...") when systemd asked for notifications.
void notify(const std::string& state);

// How often systemd wants "WATCHDOG=1", if it does.
std::optional<std::chrono::microseconds> watchdog_interval();

// The socket systemd passed (one listening UNIX stream socket), nullopt when none was
// passed, or an error when what was passed cannot serve.
std::expected<std::optional<UniqueFd>, std::string> activated_socket();

} // namespace saslauthd::systemd
