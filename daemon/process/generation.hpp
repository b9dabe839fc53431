// One loaded configuration and what is made from it: the backend chain inside a request
// handler, and the workers' settings. A reload (SIGHUP) makes a new generation; workers of
// the old one finish what they accepted.
#pragma once

#include "daemon/config/config.hpp"
#include "daemon/auth/request_handler.hpp"
#include "daemon/server/worker.hpp"

#include <expected>
#include <memory>
#include <string>
#include <vector>

namespace saslauthd {

struct Generation {
    Config config;
    std::unique_ptr<RequestHandler> handler;
    WorkerSettings settings;
};

// Creates the backends (in the master, before any fork) and logs the invocation's warnings.
std::expected<std::unique_ptr<Generation>, ConfigError> make_generation(Invocation invocation);

// Settings a running daemon cannot take over (its socket, detaching, logging), by name.
std::vector<std::string> settings_needing_restart(const Config& running, const Config& loaded);

} // namespace saslauthd
