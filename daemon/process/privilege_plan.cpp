#include "daemon/process/privilege_plan.hpp"

#include <algorithm>
#include <linux/capability.h>
#include <unistd.h>

namespace saslauthd::process {

namespace {

using backends::FileUse;

Want want_of(FileUse::Access access) {
    return access == FileUse::Access::read ? Want::read : Want::write;
}

std::string verb_of(FileUse::Access access) {
    return access == FileUse::Access::read ? "read" : "connect to";
}

std::string numbers(const std::vector<gid_t>& ids) {
    std::string text;
    for (const auto id : ids)
        text.append(text.empty() ? "" : ",").append(std::to_string(id));
    return text.empty() ? "none" : text;
}

std::string describe(const config::WorkerAccount& account) {
    return std::string("user ") + account.user + " (uid " + std::to_string(account.uid) + ", gid " +
           std::to_string(account.gid) + ", groups " + numbers(account.groups) + ")";
}

Identity identity_of(const config::WorkerAccount& account) {
    return {account.uid, account.gid, account.groups};
}

config::ConfigError refusal(const config::Config& config, const std::string& what) {
    if (const auto* line = config.options.peek("worker_user"))
        return line->error(what);
    return config::ConfigError{"worker_user: " + what};
}

std::string backend_names(const std::vector<BackendNeeds>& chain) {
    std::string text;
    for (const auto& entry : chain)
        text.append(text.empty() ? "" : ", ").append(entry.backend);
    return text;
}

std::expected<PrivilegePlan, config::ConfigError>
plan_unprivileged(const config::Config& config, const std::vector<BackendNeeds>& chain,
                  const PlanEnvironment& environment) {
    const auto& account = *config.worker_account;
    for (const auto& entry : chain) {
        if (!entry.needs.root_reason.empty())
            return std::unexpected(refusal(
                config, std::string("backend ") + entry.backend +
                            " needs the workers to stay root: " + entry.needs.root_reason +
                            "; remove worker_user (the workers then keep uid 0 with only the "
                            "capabilities the chain uses)"));
        for (const auto& file : entry.needs.files) {
            const auto obstacle =
                environment.obstacle(file.path, identity_of(account), want_of(file.access));
            if (!obstacle || obstacle->missing)
                continue;
            return std::unexpected(refusal(
                config, describe(account) + " cannot " + verb_of(file.access) + " " + file.path +
                            ", which backend " + entry.backend + " opens (" + file.purpose +
                            "): " + obstacle->what +
                            "; give one of the user's groups access (worker_group, or usermod "
                            "-aG GROUP " +
                            account.user + ") or remove worker_user to keep the workers root"));
        }
    }
    constexpr auto k_switch = capabilities::bit(CAP_SETUID) | capabilities::bit(CAP_SETGID);
    if ((environment.permitted & k_switch) != k_switch)
        return std::unexpected(refusal(
            config, "the daemon lacks CAP_SETUID or CAP_SETGID to switch the workers to " +
                        account.user + " (a unit's CapabilityBoundingSet must allow both)"));
    PrivilegePlan plan;
    plan.workers.account = account;
    plan.workers.limit_bounding = (environment.permitted & capabilities::bit(CAP_SETPCAP)) != 0;
    plan.helpers = plan.workers;
    plan.summary = "workers and helpers run as " + describe(account) + " without capabilities";
    if (!plan.workers.limit_bounding)
        plan.summary += "; their bounding set stays as inherited (the daemon lacks CAP_SETPCAP)";
    return plan;
}

PrivilegePlan plan_root(const std::vector<BackendNeeds>& chain,
                        const PlanEnvironment& environment) {
    capabilities::Mask keep = 0;
    std::string reasons;
    for (const auto& entry : chain) {
        for (const auto capability : entry.needs.capabilities)
            keep |= capabilities::bit(capability);
        if (!entry.needs.root_reason.empty())
            reasons.append(reasons.empty() ? "" : "; ")
                .append("backend ")
                .append(entry.backend)
                .append(" needs uid 0: ")
                .append(entry.needs.root_reason);
        // uid 0 without CAP_DAC_* has only the mode bits, like anyone else.
        for (const auto& file : entry.needs.files) {
            const auto obstacle =
                environment.obstacle(file.path, environment.root, want_of(file.access));
            if (obstacle && !obstacle->missing)
                keep |= capabilities::bit(file.access == FileUse::Access::read ? CAP_DAC_READ_SEARCH
                                                                               : CAP_DAC_OVERRIDE);
        }
    }
    keep &= environment.permitted;
    const bool limit_bounding = (environment.permitted & capabilities::bit(CAP_SETPCAP)) != 0;
    PrivilegePlan plan;
    plan.workers.keep = keep;
    plan.workers.limit_bounding = limit_bounding;
    plan.helpers.limit_bounding = limit_bounding;
    const auto kept = "capabilities kept: " + capabilities::names(keep);
    plan.summary = reasons.empty()
                       ? "workers run as root (no worker_user set), " + kept + "; backend " +
                             backend_names(chain) +
                             " needs no root: set worker_user to run the workers unprivileged"
                       : "workers stay root: " + reasons + "; " + kept;
    plan.summary += "; helpers keep no capabilities";
    if (!limit_bounding)
        plan.summary += "; bounding sets stay as inherited (the daemon lacks CAP_SETPCAP)";
    return plan;
}

} // namespace

PlanEnvironment current_environment() {
    PlanEnvironment environment;
    if (const auto sets = capabilities::current())
        environment.permitted = sets->permitted;
    environment.root.uid = 0;
    environment.root.gid = getegid();
    std::vector<gid_t> groups(static_cast<std::size_t>(std::max(getgroups(0, nullptr), 0)));
    const int count = getgroups(static_cast<int>(groups.size()), groups.data());
    groups.resize(static_cast<std::size_t>(std::max(count, 0)));
    environment.root.groups = std::move(groups);
    return environment;
}

std::expected<PrivilegePlan, config::ConfigError>
plan_privileges(const config::Config& config, const std::vector<BackendNeeds>& chain,
                const PlanEnvironment& environment) {
    if (config.worker_account)
        return plan_unprivileged(config, chain, environment);
    return plan_root(chain, environment);
}

} // namespace saslauthd::process
