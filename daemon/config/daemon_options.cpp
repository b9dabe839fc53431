#include "daemon/config/daemon_options.hpp"

#include "daemon/config/account_lookup.hpp"
#include "daemon/config/number.hpp"

#include <charconv>
#include <string>
#include <vector>

namespace saslauthd::config {

namespace {

std::expected<void, ConfigError> read_socket_settings(const backends::Options& options,
                                                      Config& config) {
    if (const auto* mode = options.find("socket_mode")) {
        const auto value = read_mode(*mode);
        if (!value)
            return std::unexpected(value.error());
        config.socket_mode = *value;
    }
    if (const auto* owner = options.find("socket_owner")) {
        const auto value = read_user(*owner);
        if (!value)
            return std::unexpected(value.error());
        config.socket_owner = *value;
    }
    if (const auto* group = options.find("socket_group")) {
        const auto value = read_group(*group);
        if (!value)
            return std::unexpected(value.error());
        config.socket_group = *value;
    }
    return {};
}

// worker_user / worker_group: resolved now, so that a name that does not exist stops the start
// (and a reload) with the file and line.
std::expected<void, ConfigError> read_worker_account(const backends::Options& options,
                                                     Config& config) {
    const auto* user = options.find("worker_user");
    const auto* group = options.find("worker_group");
    if (user == nullptr) {
        if (group != nullptr)
            return std::unexpected(group->error(
                "worker_group needs worker_user; name the user the workers run as too"));
        return {};
    }
    const auto entry = find_passwd_entry(user->value);
    const bool numeric = parse_number(user->value, 0, 4294967294ULL).has_value();
    if (!entry && !numeric)
        return std::unexpected(user->error(
            "no user '" + user->value +
            "'; give an existing user name or a uid (useradd --system saslauthd makes one)"));
    WorkerAccount account;
    account.user = entry ? entry->name : user->value;
    account.uid = entry ? entry->uid : static_cast<uid_t>(std::stoul(user->value));
    if (account.uid == 0)
        return std::unexpected(user->error("'" + user->value +
                                           "' is uid 0; remove worker_user to keep the workers "
                                           "root, or name an unprivileged user"));
    if (group != nullptr) {
        const auto gid = read_group(*group);
        if (!gid)
            return std::unexpected(gid.error());
        account.gid = *gid;
    } else if (entry) {
        account.gid = entry->gid;
    } else {
        return std::unexpected(user->error("uid " + user->value +
                                           " has no passwd entry, so no primary group; "
                                           "set worker_group too"));
    }
    account.groups = entry ? group_list(entry->name, account.gid) : std::vector<gid_t>{account.gid};
    config.worker_account = std::move(account);
    return {};
}

// socket_allow_users / socket_allow_groups: who may talk to the socket (SO_PEERCRED).
std::expected<void, ConfigError> read_peer_access(const backends::Options& options,
                                                  Config& config) {
    if (const auto* users = options.find("socket_allow_users"))
        for (const auto& name : split_list(users->value)) {
            const auto uid = find_user_id(name);
            if (!uid)
                return std::unexpected(
                    users->error("no user '" + name + "'; list existing user names or uids"));
            config.allowed_peer_users.push_back(*uid);
        }
    if (const auto* groups = options.find("socket_allow_groups"))
        for (const auto& name : split_list(groups->value)) {
            const auto gid = find_group_id(name);
            if (!gid)
                return std::unexpected(
                    groups->error("no group '" + name + "'; list existing group names or gids"));
            config.allowed_peer_groups.push_back(*gid);
        }
    return {};
}

std::expected<void, ConfigError> read_limits(const backends::Options& options, Config& config) {
    using std::chrono::seconds;
    const auto as_seconds = [](const std::chrono::milliseconds& value) {
        return std::chrono::duration_cast<seconds>(value).count();
    };
    auto request_timeout =
        options.get_integer("request_timeout", as_seconds(config.request_timeout), 1, 3600);
    if (!request_timeout)
        return std::unexpected(request_timeout.error());
    auto shutdown_timeout =
        options.get_integer("shutdown_timeout", as_seconds(config.shutdown_timeout), 0, 3600);
    if (!shutdown_timeout)
        return std::unexpected(shutdown_timeout.error());
    auto max_field = options.get_integer("max_field_length",
                                         static_cast<long long>(config.max_field), 256, 65535);
    if (!max_field)
        return std::unexpected(max_field.error());
    auto max_requests =
        options.get_integer("worker_max_requests",
                            static_cast<long long>(config.worker_max_requests), 0, 1'000'000'000);
    if (!max_requests)
        return std::unexpected(max_requests.error());
    auto max_connections = options.get_integer("max_connections", config.max_connections, 1, 65536);
    if (!max_connections)
        return std::unexpected(max_connections.error());
    auto core_dumps = options.get_bool("core_dumps", config.core_dumps);
    if (!core_dumps)
        return std::unexpected(core_dumps.error());
    config.core_dumps = *core_dumps;
    auto log_success = options.get_bool("log_success", config.log_success);
    if (!log_success)
        return std::unexpected(log_success.error());
    config.log_success = *log_success;

    config.request_timeout = seconds(*request_timeout);
    config.shutdown_timeout = seconds(*shutdown_timeout);
    config.max_field = static_cast<std::size_t>(*max_field);
    config.worker_max_requests = static_cast<unsigned long>(*max_requests);
    config.max_connections = static_cast<unsigned>(*max_connections);
    return {};
}

// The cache's own keys; -c, -s and -t come from the command line.
std::expected<void, ConfigError> read_cache_options(const backends::Options& options,
                                                    Config& config) {
    auto negative =
        options.get_integer("cache_negative_ttl", config.cache.negative_ttl.count(), 0, 86400);
    if (!negative)
        return std::unexpected(negative.error());
    auto stale = options.get_bool("cache_serve_stale", config.cache.serve_stale);
    if (!stale)
        return std::unexpected(stale.error());
    config.cache.negative_ttl = std::chrono::seconds(*negative);
    config.cache.serve_stale = *stale;
    return {};
}

// The brute-force penalty: on by default, like Dovecot's.
std::expected<void, ConfigError> read_penalty_options(const backends::Options& options,
                                                      Config& config) {
    auto& penalty = config.penalty;
    auto enabled = options.get_bool("penalty", penalty.enabled);
    if (!enabled)
        return std::unexpected(enabled.error());
    auto initial =
        options.get_integer("penalty_initial_delay_ms", penalty.initial.count(), 1, 60'000);
    if (!initial)
        return std::unexpected(initial.error());
    auto max = options.get_integer("penalty_max_delay_ms", penalty.max.count(), 1, 300'000);
    if (!max)
        return std::unexpected(max.error());
    if (*max < *initial) {
        const auto* line = options.find("penalty_max_delay_ms");
        if (line == nullptr)
            line = options.find("penalty_initial_delay_ms");
        return std::unexpected(line->error("penalty_max_delay_ms (" + std::to_string(*max) +
                                           ") is below penalty_initial_delay_ms (" +
                                           std::to_string(*initial) +
                                           "); raise the maximum or lower the initial delay"));
    }
    auto prefix = options.get_integer("penalty_ipv6_prefix", penalty.ipv6_prefix, 1, 128);
    if (!prefix)
        return std::unexpected(prefix.error());
    auto entries = options.get_integer("penalty_table_entries",
                                       static_cast<long long>(penalty.max_entries), 64, 16'777'216);
    if (!entries)
        return std::unexpected(entries.error());
    penalty.enabled = *enabled;
    penalty.initial = std::chrono::milliseconds(*initial);
    penalty.max = std::chrono::milliseconds(*max);
    penalty.ipv6_prefix = static_cast<unsigned>(*prefix);
    penalty.max_entries = static_cast<std::size_t>(*entries);
    return {};
}

// address:port of the metrics listener; checked here so a typo stops the start.
std::expected<void, ConfigError> read_metrics(const backends::Options& options, Config& config) {
    const auto* listen = options.find("metrics_listen");
    if (listen == nullptr)
        return {};
    auto endpoint = parse_endpoint(listen->value);
    if (!endpoint)
        return std::unexpected(listen->error(endpoint.error()));
    config.metrics_listen = std::move(*endpoint);
    return {};
}

} // namespace

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::string item;
    for (const char c : text + ",") {
        if (c == ',' || c == ' ' || c == '\t') {
            if (!item.empty())
                items.push_back(std::move(item));
            item.clear();
        } else {
            item += c;
        }
    }
    return items;
}

std::expected<mode_t, ConfigError> read_mode(const backends::OptionValue& option) {
    const auto& text = option.value;
    unsigned number = 0;
    const auto* end = text.data() + text.size();
    const auto [stop, status] = std::from_chars(text.data(), end, number, 8);
    if (text.empty() || status != std::errc{} || stop != end || number > 0777)
        return std::unexpected(
            option.error("expected an octal mode from 0 to 0777 such as 0660, got '" + text + "'"));
    return static_cast<mode_t>(number);
}

std::expected<uid_t, ConfigError> read_user(const backends::OptionValue& option) {
    if (const auto uid = find_user_id(option.value))
        return *uid;
    return std::unexpected(
        option.error("no user '" + option.value + "'; give an existing user name or a uid"));
}

std::expected<gid_t, ConfigError> read_group(const backends::OptionValue& option) {
    if (const auto gid = find_group_id(option.value))
        return *gid;
    return std::unexpected(
        option.error("no group '" + option.value + "'; give an existing group name or a gid"));
}

std::expected<void, ConfigError> apply_daemon_options(const backends::Options& options,
                                                      Config& config) {
    if (auto done = read_socket_settings(options, config); !done)
        return done;
    if (auto done = read_metrics(options, config); !done)
        return done;
    if (auto done = read_worker_account(options, config); !done)
        return done;
    if (auto done = read_peer_access(options, config); !done)
        return done;
    if (auto done = read_cache_options(options, config); !done)
        return done;
    if (auto done = read_penalty_options(options, config); !done)
        return done;
    if (auto done = apply_dovecot_options(options, config); !done)
        return done;
    return read_limits(options, config);
}

} // namespace saslauthd::config
