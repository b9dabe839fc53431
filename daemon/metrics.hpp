// The daemon's counters as OpenMetrics text, served by a small HTTP listener in a process
// of its own (off by default; `metrics_listen: host:port` in the options file).
#pragma once

#include "daemon/request_counters.hpp"

#include <functional>
#include <string>
#include <sys/types.h>

namespace saslauthd::metrics {

// Requests by verdict, rejected requests, worker restarts and the latency histogram.
std::string render(const RequestCounters& counters);

// Forks the listener process (GET /metrics); `in_child` first drops what the child must
// not hold (the lock, the auth socket). It stops on SIGTERM. Returns its pid, or -1.
pid_t start_listener(const std::string& address, const RequestCounters& counters,
                     const std::function<void()>& in_child);

} // namespace saslauthd::metrics
