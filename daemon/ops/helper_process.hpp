// The master's helper processes (the metrics and control listeners) begin alike after fork.
#pragma once

#include "daemon/server/listener.hpp"

#include <chrono>
#include <csignal>

namespace saslauthd::ops {

// Names this process `name` (what ps and /proc/PID/comm show, at most 15 bytes), ties its
// life to the master's (SIGTERM when it dies) and blocks SIGTERM and SIGINT, which it then
// takes through sigwait or a signalfd. Returns those two signals.
sigset_t enter_helper_process(const char* name);

// A helper's one listener served by the workers' event loop: many clients at once, each with
// `request_timeout` for its whole request, at most 64 open. Returns the exit status once
// SIGTERM arrived.
int serve_listener(server::Listener listener, std::chrono::milliseconds request_timeout);

} // namespace saslauthd::ops
