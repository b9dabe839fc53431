#include "daemon/process/generation.hpp"

#include "daemon/logging/logging.hpp"
#include "daemon/sasl/mechanism.hpp"

#include <algorithm>
#include <sys/resource.h>
#include <tuple>

namespace saslauthd::process {

namespace {

std::expected<std::vector<std::unique_ptr<backends::Backend>>, config::ConfigError>
make_chain(const config::Config& config) {
    std::vector<std::unique_ptr<backends::Backend>> chain;
    for (const auto& mechanism : config.mechanisms) {
        const auto* entry = backends::find_backend(mechanism);
        if (entry == nullptr)
            return std::unexpected(
                config::ConfigError{"unknown authentication mechanism " + mechanism});
        auto backend = entry->create(config.options);
        if (!backend)
            return std::unexpected(backend.error());
        chain.push_back(std::move(*backend));
    }
    return chain;
}

// Enough descriptors for the configured connections, leaving some for backends, listeners
// and the log (run() raised the soft limit to the hard one first).
unsigned connection_limit(unsigned wanted) {
    constexpr rlim_t k_reserved = 64;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return wanted;
    if (limit.rlim_cur <= k_reserved * 2)
        return std::min<unsigned>(wanted, 16);
    return static_cast<unsigned>(std::min<rlim_t>(wanted, limit.rlim_cur - k_reserved));
}

server::LoopSettings loop_settings(const config::Config& config) {
    server::LoopSettings settings;
    settings.request_timeout = config.request_timeout;
    settings.shutdown_timeout = config.shutdown_timeout;
    settings.max_connections = connection_limit(config.max_connections);
    return settings;
}

auth::AuthSettings auth_settings(const config::Config& config) {
    return {.realm_join = config.realm_join, .log_success = config.log_success || config.verbose};
}

frontends::cyrus::Settings cyrus_settings(const config::Config& config) {
    frontends::cyrus::Settings settings;
    settings.limits.max_field = config.max_field;
    settings.fork_per_request = config.workers == 0;
    settings.request_timeout = config.request_timeout;
    return settings;
}

bool chain_looks_up(const std::vector<std::unique_ptr<backends::Backend>>& chain) {
    return std::ranges::any_of(chain, [](const auto& backend) { return backend->can_look_up(); });
}

// dovecot_mechanisms, each with its MECH flags; a name this build cannot serve, or a
// challenge-response mechanism over a chain that cannot look up credentials, stops the start
// with the file and line, as Dovecot refuses to start.
std::expected<frontends::dovecot::Settings, config::ConfigError>
dovecot_settings(const config::Config& config, bool looks_up) {
    frontends::dovecot::Settings settings;
    settings.max_reply_delay = config.dovecot.max_reply_delay;
    settings.realm = config.dovecot.realm;
    const auto refuse = [&](const std::string& what) {
        const auto* line = config.options.find("dovecot_mechanisms");
        return std::unexpected(line != nullptr ? line->error(what) : config::ConfigError{what});
    };
    for (const auto& name : config.dovecot.mechanisms) {
        const auto* registration = sasl::find(name);
        if (registration == nullptr) {
            std::string known;
            for (const auto& entry : sasl::mechanisms())
                known.append(known.empty() ? "" : " ").append(entry.name);
            return refuse("unknown mechanism " + name + "; this build serves " + known);
        }
        if (registration->needs_lookup && !looks_up && config.dovecot.enabled()) {
            std::string chain;
            for (const auto& backend : config.mechanisms)
                chain.append(chain.empty() ? "" : ",").append(backend);
            return refuse(name + " needs a backend that looks up stored credentials (sql); -a " +
                          chain + " can only check a password: offer PLAIN LOGIN");
        }
        settings.mechanisms.push_back({std::string(registration->name), registration->flags});
    }
    return settings;
}

} // namespace

std::expected<std::unique_ptr<Generation>, config::ConfigError>
make_generation(config::Invocation invocation, const auth::SharedTables& tables) {
    auto chain = make_chain(invocation.config);
    if (!chain)
        return std::unexpected(chain.error());
    auto dovecot = dovecot_settings(invocation.config, chain_looks_up(*chain));
    if (!dovecot)
        return std::unexpected(dovecot.error());
    std::vector<BackendNeeds> needs;
    for (const auto& backend : *chain)
        needs.push_back({std::string(backend->name()), backend->process_needs()});
    auto privileges = plan_privileges(invocation.config, needs, current_environment());
    if (!privileges)
        return std::unexpected(privileges.error());
    for (const auto& warning : invocation.warnings)
        logging::log().warning(warning);
    const auto& options = invocation.config.options;
    for (const auto* unused : options.unused())
        logging::log().warning(unused->file + ":" + std::to_string(unused->line) + ": " +
                               unused->key + " is not used by the configured mechanisms (ignored)");
    logging::log().information(privileges->summary);
    auto generation = std::make_unique<Generation>();
    const auto& config = invocation.config;
    generation->privileges = std::move(*privileges);
    generation->loop = loop_settings(config);
    generation->loop.evictions = &tables.counters.connections_evicted;
    generation->cyrus = cyrus_settings(config);
    generation->dovecot = std::move(*dovecot);
    generation->mux_access =
        server::PeerAccess(config.allowed_peer_users, config.allowed_peer_groups);
    generation->authenticator =
        std::make_unique<auth::Authenticator>(std::move(*chain), auth_settings(config), tables);
    generation->config = std::move(invocation.config);
    return generation;
}

std::vector<std::string> settings_needing_restart(const config::Config& running,
                                                  const config::Config& loaded) {
    std::vector<std::string> changed;
    if (loaded.socket_dir != running.socket_dir)
        changed.push_back("the socket directory (-m)");
    if (loaded.socket_mode != running.socket_mode || loaded.socket_owner != running.socket_owner ||
        loaded.socket_group != running.socket_group)
        changed.push_back("socket_mode, socket_owner or socket_group");
    if (loaded.foreground != running.foreground || loaded.debug != running.debug ||
        loaded.verbose != running.verbose)
        changed.push_back("-d, -f or -V");
    if (loaded.cache.enabled != running.cache.enabled ||
        loaded.cache.size_kb != running.cache.size_kb || loaded.cache.ttl != running.cache.ttl ||
        loaded.cache.negative_ttl != running.cache.negative_ttl ||
        loaded.cache.serve_stale != running.cache.serve_stale)
        changed.push_back("the cache (-c, -s, -t, cache_negative_ttl, cache_serve_stale)");
    const auto& penalty = loaded.penalty;
    if (penalty.enabled != running.penalty.enabled || penalty.initial != running.penalty.initial ||
        penalty.max != running.penalty.max || penalty.ipv6_prefix != running.penalty.ipv6_prefix ||
        penalty.max_entries != running.penalty.max_entries)
        changed.push_back("the penalty (penalty, penalty_*)");
    const auto endpoints = [](const config::DovecotSettings& dovecot) {
        std::vector<std::string> texts;
        for (const auto& endpoint : dovecot.tcp)
            texts.push_back(endpoint.text());
        return texts;
    };
    const auto& dovecot = loaded.dovecot;
    if (dovecot.unix_paths != running.dovecot.unix_paths ||
        endpoints(dovecot) != endpoints(running.dovecot) ||
        dovecot.socket_mode != running.dovecot.socket_mode ||
        dovecot.socket_owner != running.dovecot.socket_owner ||
        dovecot.socket_group != running.dovecot.socket_group)
        changed.push_back("the Dovecot-protocol listeners (dovecot_listen, dovecot_socket_*)");
    const auto account_of = [](const config::Config& config) {
        const auto& account = config.worker_account;
        return account ? std::tuple(account->uid, account->gid, account->groups)
                       : std::tuple(uid_t{0}, gid_t{0}, std::vector<gid_t>{});
    };
    if (account_of(loaded) != account_of(running))
        changed.push_back("worker_user or worker_group for the running control and metrics "
                          "helpers (new workers take it at once)");
    return changed;
}

} // namespace saslauthd::process
