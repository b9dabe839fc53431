// The sql backend's settings (Cyrus's sql_* keys plus a few of ours), read and checked once in
// the master; every problem names the file and line of the setting.
#pragma once

#include "backends/options.hpp"
#include "backends/passwords/cost_limits.hpp"
#include "backends/secret.hpp"
#include "backends/sql/query_template.hpp"

#include <chrono>
#include <expected>
#include <string>
#include <vector>

namespace backends::sql {

enum class EngineKind { mysql, sqlite3 };

struct DatabaseHost {
    std::string name; // host name or address; empty for a UNIX socket
    unsigned port = 3306;
    std::string socket_path;

    std::string to_string() const; // for the log: "db1:3306" or "/run/mysqld/mysqld.sock"
};

struct TlsSettings {
    bool enabled = false;
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
};

struct SqlSettings {
    EngineKind engine = EngineKind::mysql;
    std::vector<DatabaseHost> hosts; // tried in order; mysql only
    std::string database;            // schema, or the SQLite file
    std::string user;
    Secret password;
    QueryTemplate query;
    TlsSettings tls;
    std::chrono::seconds connect_timeout{3};
    std::chrono::seconds read_timeout{5};
    std::chrono::seconds retry_interval{10};
    std::string default_realm;
    std::string password_scheme;       // canonical name, or empty: guess from the value
    passwords::CostLimits cost_limits; // password_max_*
};

std::expected<SqlSettings, ConfigError> read_sql_settings(const Options& options);

// "host", "host:port", "[v6]:port" or "/socket/path", comma separated.
std::expected<std::vector<DatabaseHost>, std::string> parse_host_list(std::string_view text);

} // namespace backends::sql
