// The control socket SOCKETDIR/control (made when the cache is on): saslauthd-ctl asks it to
// flush one login's entries, or all of them, from the credential cache. A helper process of
// its own serves it, with the workers' event loop (many clients at once, each with a
// deadline), to root and the daemon's own user only; the master restarts it if it dies.
#pragma once

#include "client/proto/control.hpp"
#include "daemon/auth/credential_cache.hpp"
#include "daemon/util/unique_fd.hpp"

#include <chrono>
#include <expected>
#include <string>
#include <sys/types.h>

namespace saslauthd::ops::control {

// A client has this long to send its whole request.
inline constexpr std::chrono::milliseconds k_request_timeout{2000};

// Carries out one decoded request and returns the reply text ("OK ..." or "NO ...").
// `peer` names the caller in the log line.
std::string answer(const proto::control::Request& request, auth::CredentialCache& cache,
                   const std::string& peer);

// SOCKETDIR/control, mode 0600, listening (a stale socket there is replaced). The master
// binds it before forking and keeps it for a restarted helper.
std::expected<util::UniqueFd, std::string> bind(const std::string& socket_dir);
std::string socket_path(const std::string& socket_dir);

// The helper process's whole life: serves `socket` until SIGTERM; returns the exit status.
// Root and `owner` (the master's user, which the helper may no longer be) are answered.
int serve(int socket, auth::CredentialCache& cache, uid_t owner);

} // namespace saslauthd::ops::control
