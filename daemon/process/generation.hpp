// One loaded configuration and what is made from it: the backend chain inside an
// authenticator, and the settings of the event loop and the front ends. A reload (SIGHUP)
// makes a new generation over the same shared tables; workers of the old one finish what
// they accepted.
#pragma once

#include "daemon/auth/authenticator.hpp"
#include "daemon/config/config.hpp"
#include "daemon/frontends/cyrus/session.hpp"
#include "daemon/frontends/dovecot/session.hpp"
#include "daemon/process/privilege_plan.hpp"
#include "daemon/server/event_loop.hpp"
#include "daemon/server/peer_access.hpp"

#include <expected>
#include <memory>
#include <string>
#include <vector>

namespace saslauthd::process {

struct Generation {
    config::Config config;
    std::unique_ptr<auth::Authenticator> authenticator;
    server::LoopSettings loop;
    frontends::cyrus::Settings cyrus;
    frontends::dovecot::Settings dovecot;
    server::PeerAccess mux_access; // socket_allow_users / socket_allow_groups
    PrivilegePlan privileges;      // what workers and helpers give up after fork
};

// Creates the backends (in the master, before any fork), decides who the workers run as, and
// logs the invocation's warnings and that decision.
std::expected<std::unique_ptr<Generation>, config::ConfigError>
make_generation(config::Invocation invocation, const auth::SharedTables& tables);

// Settings a running daemon cannot take over (its socket, detaching, logging), by name.
std::vector<std::string> settings_needing_restart(const config::Config& running,
                                                  const config::Config& loaded);

} // namespace saslauthd::process
