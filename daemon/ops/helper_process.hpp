// The master's helper processes (the metrics and control listeners) begin alike after fork.
#pragma once

#include <csignal>

namespace saslauthd::ops {

// Names this process `name` (what ps and /proc/PID/comm show, at most 15 bytes), ties its
// life to the master's (SIGTERM when it dies) and blocks SIGTERM and SIGINT, which it then
// takes through sigwait or a signalfd. Returns those two signals.
sigset_t enter_helper_process(const char* name);

} // namespace saslauthd::ops
