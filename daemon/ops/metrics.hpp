// The daemon's counters as OpenMetrics text, served by a small HTTP listener in a process
// of its own (off by default; `metrics_listen: host:port` in the options file).
#pragma once

#include "daemon/auth/credential_cache.hpp"
#include "daemon/auth/penalty.hpp"
#include "daemon/auth/request_counters.hpp"

#include <functional>
#include <string>
#include <sys/types.h>

namespace saslauthd::ops::metrics {

// Everything counted in shared memory, which the listener process reads as it changes.
struct Sources {
    const auth::RequestCounters& requests;
    const auth::CredentialCache* cache = nullptr; // with -c
    const auth::Penalty* penalty = nullptr;
};

// Requests by verdict, rejected requests, worker restarts, the latency histogram, and the
// cache's and the penalty's counters.
std::string render(const Sources& sources);

// Forks the listener process (GET /metrics); `in_child` first drops what the child must
// not hold (the lock, the auth socket). It stops on SIGTERM. Returns its pid, or -1.
pid_t start_listener(const std::string& address, const Sources& sources,
                     const std::function<void()>& in_child);

} // namespace saslauthd::ops::metrics
