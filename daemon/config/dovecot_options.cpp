// dovecot_* keys: the Dovecot-protocol listeners.
#include "daemon/config/daemon_options.hpp"

#include <algorithm>
#include <cctype>

namespace saslauthd::config {

namespace {

std::expected<void, ConfigError> read_listen(const backends::Options& options,
                                             DovecotSettings& dovecot) {
    const auto* listen = options.find("dovecot_listen");
    if (listen == nullptr)
        return {};
    for (const auto& entry : split_list(listen->value)) {
        if (entry.starts_with('/')) {
            dovecot.unix_paths.push_back(entry);
            continue;
        }
        auto endpoint = parse_endpoint(entry);
        if (!endpoint)
            return std::unexpected(
                listen->error(endpoint.error() + ", or an absolute path for a UNIX socket"));
        dovecot.tcp.push_back(std::move(*endpoint));
    }
    if (!dovecot.enabled())
        return std::unexpected(listen->error(
            "no listener given; write e.g. /var/spool/postfix/private/auth, 127.0.0.1:3659"));
    return {};
}

std::expected<void, ConfigError> read_socket(const backends::Options& options,
                                             DovecotSettings& dovecot) {
    if (const auto* mode = options.find("dovecot_socket_mode")) {
        const auto value = read_mode(*mode);
        if (!value)
            return std::unexpected(value.error());
        dovecot.socket_mode = *value;
    }
    if (const auto* owner = options.find("dovecot_socket_owner")) {
        const auto value = read_user(*owner);
        if (!value)
            return std::unexpected(value.error());
        dovecot.socket_owner = *value;
    }
    if (const auto* group = options.find("dovecot_socket_group")) {
        const auto value = read_group(*group);
        if (!value)
            return std::unexpected(value.error());
        dovecot.socket_group = *value;
    }
    return {};
}

std::expected<void, ConfigError> read_allow(const backends::Options& options,
                                            DovecotSettings& dovecot) {
    const auto* allow = options.find("dovecot_allow");
    if (allow == nullptr)
        return {};
    dovecot.allow.clear();
    for (const auto& entry : split_list(allow->value)) {
        auto network = Network::parse(entry);
        if (!network)
            return std::unexpected(allow->error(network.error()));
        dovecot.allow.push_back(*network);
    }
    if (dovecot.allow.empty())
        return std::unexpected(
            allow->error("empty; list the MTAs' addresses or networks, e.g. 127.0.0.1, 10.0.0.80"));
    return {};
}

std::expected<void, ConfigError> read_mechanisms(const backends::Options& options,
                                                 DovecotSettings& dovecot) {
    const auto* mechanisms = options.find("dovecot_mechanisms");
    if (mechanisms == nullptr)
        return {};
    dovecot.mechanisms.clear();
    for (auto name : split_list(mechanisms->value)) {
        std::ranges::transform(name, name.begin(),
                               [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (std::ranges::find(dovecot.mechanisms, name) == dovecot.mechanisms.end())
            dovecot.mechanisms.push_back(std::move(name));
    }
    if (dovecot.mechanisms.empty())
        return std::unexpected(mechanisms->error("empty; list mechanisms, e.g. PLAIN LOGIN"));
    return {};
}

} // namespace

std::expected<void, ConfigError> apply_dovecot_options(const backends::Options& options,
                                                       Config& config) {
    auto& dovecot = config.dovecot;
    for (const auto& read : {read_listen, read_socket, read_allow, read_mechanisms})
        if (auto done = read(options, dovecot); !done)
            return done;
    auto delay = options.get_integer("dovecot_max_reply_delay_ms", dovecot.max_reply_delay.count(),
                                     0, 9'500);
    if (!delay)
        return std::unexpected(delay.error());
    dovecot.max_reply_delay = std::chrono::milliseconds(*delay);
    if (const auto* realm = options.find("dovecot_realm")) {
        if (realm->value.find_first_of("\",") != std::string::npos)
            return std::unexpected(realm->error("a realm holds no '\"' or ','; e.g. example.org"));
        dovecot.realm = realm->value;
    }
    return {};
}

} // namespace saslauthd::config
