// The daemon's counters as OpenMetrics text, served over HTTP by a helper process of its own
// (off by default; `metrics_listen: address:port` in the options file) with the workers'
// event loop, so that slow clients hold a descriptor each and a deadline, never the
// listener; the master restarts it if it dies.
#pragma once

#include "daemon/auth/credential_cache.hpp"
#include "daemon/auth/penalty.hpp"
#include "daemon/auth/request_counters.hpp"

#include <string>

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

// The helper process's whole life: answers GET /metrics on the listening TCP `socket` (bound
// by the master) until SIGTERM; returns the exit status.
int serve(int socket, const Sources& sources);

} // namespace saslauthd::ops::metrics
