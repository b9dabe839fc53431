#include "backends/sql/sql_settings.hpp"

#include "backends/passwords/stored_password.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>

namespace backends::sql {

namespace {

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// 'text', for messages; built by appending (GCC 12's -Wrestrict misreads "'" + std::string).
std::string quoted(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    return out.append(1, '\'').append(text).append(1, '\'');
}

std::expected<unsigned, std::string> parse_port(std::string_view text, std::string_view entry) {
    unsigned port = 0;
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (status != std::errc{} || end != text.data() + text.size() || port == 0 || port > 65535)
        return std::unexpected(quoted(entry) + ": the port must be 1 to 65535");
    return port;
}

std::expected<DatabaseHost, std::string> parse_host(std::string_view entry) {
    DatabaseHost host;
    if (entry.front() == '/') {
        host.socket_path = entry;
        return host;
    }
    std::string_view port_text;
    if (entry.front() == '[') { // [v6]:port
        const auto close = entry.find(']');
        if (close == std::string_view::npos || close == 1)
            return std::unexpected(quoted(entry) + ": expected [address]:port");
        host.name = entry.substr(1, close - 1);
        const auto rest = entry.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return std::unexpected(quoted(entry) + ": expected ':' after ']'");
        port_text = rest.empty() ? rest : rest.substr(1);
    } else if (const auto colon = entry.find(':');
               colon != std::string_view::npos && entry.find(':', colon + 1) == entry.npos) {
        host.name = entry.substr(0, colon);
        port_text = entry.substr(colon + 1);
    } else { // a name, or a bare IPv6 address without a port
        host.name = entry;
    }
    if (host.name.empty())
        return std::unexpected(quoted(entry) + ": the host name is empty");
    if (!port_text.empty() || entry.back() == ':') {
        auto port = parse_port(port_text, entry);
        if (!port)
            return std::unexpected(std::move(port.error()));
        host.port = *port;
    }
    return host;
}

std::expected<EngineKind, ConfigError> read_engine(const Options& options) {
    const auto* setting = options.find("sql_engine");
    if (setting == nullptr || setting->value == "mysql" || setting->value == "mariadb")
        return EngineKind::mysql;
    if (setting->value == "sqlite3")
        return EngineKind::sqlite3;
    return std::unexpected(
        setting->error("'" + setting->value + "' is not supported; use mysql or sqlite3"));
}

std::expected<const OptionValue*, ConfigError>
required(const Options& options, std::string_view key, std::string_view example) {
    const auto* setting = options.find(key);
    if (setting == nullptr || setting->value.empty())
        return std::unexpected(ConfigError{"the sql backend needs " + std::string(key) +
                                           " in the options file, e.g. '" + std::string(key) +
                                           ": " + std::string(example) + "'"});
    return setting;
}

std::optional<ConfigError> check_readable_file(const OptionValue& setting) {
    const std::filesystem::path path(setting.value);
    if (!path.is_absolute())
        return setting.error("'" + setting.value + "' is not an absolute path; write it from /");
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error) || !std::ifstream(path))
        return setting.error("cannot read '" + setting.value + "': check it and its permissions");
    return std::nullopt;
}

std::optional<ConfigError> read_tls(const Options& options, TlsSettings& tls) {
    auto enabled = options.get_bool("sql_usessl", false);
    if (!enabled)
        return std::move(enabled.error());
    tls.enabled = *enabled;
    const std::pair<std::string_view, std::string*> files[] = {{"sql_ssl_ca", &tls.ca_file},
                                                               {"sql_ssl_cert", &tls.cert_file},
                                                               {"sql_ssl_key", &tls.key_file}};
    for (const auto& [key, target] : files) {
        const auto* setting = options.find(key);
        if (setting == nullptr)
            continue;
        if (!tls.enabled)
            return setting->error("has no effect without 'sql_usessl: yes'");
        if (auto problem = check_readable_file(*setting))
            return problem;
        *target = setting->value;
    }
    if (tls.cert_file.empty() != tls.key_file.empty())
        return options.find(tls.cert_file.empty() ? "sql_ssl_key" : "sql_ssl_cert")
            ->error("sql_ssl_cert and sql_ssl_key go together: set both or neither");
    return std::nullopt;
}

std::optional<ConfigError> read_timeouts(const Options& options, SqlSettings& settings) {
    const struct {
        std::string_view key;
        std::chrono::seconds* target;
        long long min, max;
    } timeouts[] = {
        {"sql_connect_timeout", &settings.connect_timeout, 1, 300},
        {"sql_read_timeout", &settings.read_timeout, 1, 3600},
        {"sql_retry_interval", &settings.retry_interval, 0, 86400},
    };
    for (const auto& timeout : timeouts) {
        auto value =
            options.get_integer(timeout.key, timeout.target->count(), timeout.min, timeout.max);
        if (!value)
            return std::move(value.error());
        *timeout.target = std::chrono::seconds(*value);
    }
    return std::nullopt;
}

std::optional<ConfigError> read_query(const Options& options, SqlSettings& settings) {
    auto setting =
        required(options, "sql_select", "SELECT password FROM users WHERE username = '%u@%r'");
    if (!setting)
        return std::move(setting.error());
    const auto dialect = settings.engine == EngineKind::mysql ? Dialect::mysql : Dialect::sqlite;
    auto query = compile_query_template((*setting)->value, dialect);
    if (!query)
        return (*setting)->error(query.error());
    if (!query->binds('u'))
        return (*setting)->error("does not use %u, so every user would get the same row");
    settings.query = std::move(*query);
    return std::nullopt;
}

std::optional<ConfigError> read_scheme(const Options& options, SqlSettings& settings) {
    const auto* setting = options.find("sql_password_scheme");
    if (setting == nullptr || setting->value.empty())
        return std::nullopt;
    auto scheme = passwords::canonical_scheme(setting->value);
    if (!scheme)
        return setting->error("unknown password scheme '" + setting->value + "'");
    settings.password_scheme = std::move(*scheme);
    return std::nullopt;
}

std::optional<ConfigError> read_location(const Options& options, SqlSettings& settings) {
    if (settings.engine == EngineKind::sqlite3) {
        auto file = required(options, "sql_database", "/var/lib/mail/users.sqlite");
        if (!file)
            return std::move(file.error());
        if (auto problem = check_readable_file(**file))
            return problem;
        settings.database = (*file)->value;
        return std::nullopt;
    }
    auto hosts = required(options, "sql_hostnames", "127.0.0.1, db2.example.com:3306");
    if (!hosts)
        return std::move(hosts.error());
    auto parsed = parse_host_list((*hosts)->value);
    if (!parsed)
        return (*hosts)->error(parsed.error());
    settings.hosts = std::move(*parsed);
    auto database = required(options, "sql_database", "mail");
    if (!database)
        return std::move(database.error());
    settings.database = (*database)->value;
    settings.user = options.get_or("sql_user", "");
    settings.password = Secret(options.get_or("sql_passwd", "")); // SECRET
    return read_tls(options, settings.tls);
}

} // namespace

std::string DatabaseHost::to_string() const {
    if (!socket_path.empty())
        return socket_path;
    const bool v6 = name.find(':') != std::string::npos;
    return (v6 ? "[" + name + "]" : name) + ":" + std::to_string(port);
}

std::expected<std::vector<DatabaseHost>, std::string> parse_host_list(std::string_view text) {
    std::vector<DatabaseHost> hosts;
    while (true) {
        const auto comma = text.find(',');
        const auto entry = trim(text.substr(0, comma));
        if (entry.empty())
            return std::unexpected(std::string("an empty entry in the host list"));
        auto host = parse_host(entry);
        if (!host)
            return std::unexpected(std::move(host.error()));
        hosts.push_back(std::move(*host));
        if (comma == std::string_view::npos)
            return hosts;
        text.remove_prefix(comma + 1);
    }
}

std::expected<SqlSettings, ConfigError> read_sql_settings(const Options& options) {
    SqlSettings settings;
    auto engine = read_engine(options);
    if (!engine)
        return std::unexpected(std::move(engine.error()));
    settings.engine = *engine;
    settings.default_realm = options.get_or("sql_default_realm", "");
    for (auto* step : {&read_location, &read_query, &read_timeouts, &read_scheme})
        if (auto problem = step(options, settings))
            return std::unexpected(std::move(*problem));
    auto limits = passwords::read_cost_limits(options);
    if (!limits)
        return std::unexpected(std::move(limits.error()));
    settings.cost_limits = *limits;
    return settings;
}

} // namespace backends::sql
