// The control socket SOCKETDIR/control (made when the cache is on): saslauthd-ctl asks it to
// flush one login's entries, or all of them, from the credential cache. A small process of
// its own serves it, one connection at a time, to root and the daemon's own user only.
#pragma once

#include "client/proto/control.hpp"
#include "daemon/auth/credential_cache.hpp"

#include <chrono>
#include <expected>
#include <functional>
#include <string>
#include <sys/types.h>

namespace saslauthd::ops::control {

// A client has this long to send its whole request.
inline constexpr std::chrono::milliseconds k_request_timeout{2000};

// Carries out one decoded request and returns the reply text ("OK ..." or "NO ...").
// `peer` names the caller in the log line.
std::string answer(const proto::control::Request& request, auth::CredentialCache& cache,
                   const std::string& peer);

// The socket and the process serving it.
class Listener {
public:
    // Binds SOCKETDIR/control with mode 0600 (replacing a stale socket) and forks the
    // process serving it; `in_child` first drops what the child must not hold (the lock,
    // the auth socket, stdio). The master keeps no descriptor of the socket, so workers
    // forked later never hold one.
    static std::expected<Listener, std::string> start(const std::string& socket_dir,
                                                      auth::CredentialCache& cache,
                                                      const std::function<void()>& in_child);

    Listener(Listener&& other) noexcept;
    Listener& operator=(Listener&&) = delete;
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener() { stop(); }

    // SIGTERM to the process, wait for it, remove the socket. Idempotent.
    void stop();

    pid_t pid() const { return m_pid; }
    const std::string& path() const { return m_path; }

private:
    Listener(pid_t pid, std::string path) : m_pid(pid), m_path(std::move(path)) {}

    pid_t m_pid = -1;
    std::string m_path;
};

} // namespace saslauthd::ops::control
