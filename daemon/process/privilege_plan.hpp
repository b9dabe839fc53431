// Who the workers and helpers run as once their sockets and files are open, decided in the
// master from worker_user / worker_group and what each backend of the chain needs:
//   worker_user set, the chain needs no root: workers and helpers switch to that account,
//     without capabilities;
//   worker_user set, the chain needs root (pam, or a file the account cannot read): the start
//     (or reload) is refused, naming the worker_user line and the reason;
//   worker_user not set: workers stay uid 0 but keep only the capabilities the chain uses,
//     helpers keep none.
#pragma once

#include "backends/backend.hpp"
#include "daemon/config/config.hpp"
#include "daemon/process/capabilities.hpp"
#include "daemon/process/file_access.hpp"

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace saslauthd::process {

// What one kind of process gives up after fork (privilege_drop.hpp applies it).
struct Privileges {
    std::optional<config::WorkerAccount> account; // switch to it; nullopt: keep uid 0
    capabilities::Mask keep = 0;                  // with uid 0: what stays of the sets
    bool limit_bounding = true; // the master holds CAP_SETPCAP, so the bounding set shrinks too
};

struct PrivilegePlan {
    Privileges workers;
    Privileges helpers;  // the control socket and the metrics listener: no backend
    std::string summary; // the one start-up line saying who the workers run as, and why
};

struct BackendNeeds {
    std::string backend; // its name, for messages
    backends::ProcessNeeds needs;
};

// What the plan may look at besides the configuration (the real process and files by default;
// tests give their own).
struct PlanEnvironment {
    capabilities::Mask permitted = 0; // the master's permitted set
    Identity root;                    // the workers' identity when they stay uid 0
    std::function<std::optional<Obstacle>(const std::string&, const Identity&, Want)> obstacle =
        access_obstacle;
};
PlanEnvironment current_environment();

std::expected<PrivilegePlan, config::ConfigError>
plan_privileges(const config::Config& config, const std::vector<BackendNeeds>& chain,
                const PlanEnvironment& environment);

} // namespace saslauthd::process
