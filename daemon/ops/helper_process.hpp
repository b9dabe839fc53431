// The master's helper processes (the metrics and control listeners) begin alike after fork.
#pragma once

#include <csignal>

namespace saslauthd::ops {

// Ties this process's life to the master's (SIGTERM when it dies) and blocks SIGTERM and
// SIGINT, which it then takes through sigwait or a signalfd. Returns those two signals.
sigset_t enter_helper_process();

} // namespace saslauthd::ops
