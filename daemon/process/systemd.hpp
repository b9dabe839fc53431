// What the daemon tells systemd and takes from it: readiness and status (sd_notify), the
// watchdog, and the listening sockets passed by socket activation (sd_listen_fds_with_names).
// Outside systemd every call here does nothing.
#pragma once

#include "daemon/util/unique_fd.hpp"

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace saslauthd::process::systemd {

// Sends `state` ("READY=1", "STATUS=...") when systemd asked for notifications.
void notify(const std::string& state);

// How often systemd wants "WATCHDOG=1", if it does.
std::optional<std::chrono::microseconds> watchdog_interval();

struct ActivatedSocket {
    util::UniqueFd fd; // listening, made non-blocking and close-on-exec
    std::string name;  // FileDescriptorName= of the socket unit ("saslauthd", "dovecot"…)
    bool unix_stream = false;
};

// Every socket systemd passed, or an error when one cannot serve (not a listening stream
// socket).
std::expected<std::vector<ActivatedSocket>, std::string> activated_sockets();

} // namespace saslauthd::process::systemd
