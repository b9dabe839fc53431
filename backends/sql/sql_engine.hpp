// A database that answers the compiled sql_select with bound values: MySQL/MariaDB through
// Connector/C++, or an SQLite file through Poco::Data. Engines catch their libraries'
// exceptions and turn them into error texts, which name no password and no stored value.
#pragma once

#include "backends/sql/sql_settings.hpp"

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace backends::sql {

// The first column of every row; nullopt for NULL. SECRET: the values are stored passwords.
using Rows = std::vector<std::optional<std::string>>;

class SqlEngine {
public:
    virtual ~SqlEngine() = default;
    // Runs in each worker after fork: forget anything a parent process opened.
    virtual void on_worker_start() = 0;
    virtual std::expected<Rows, std::string> lookup(const std::vector<std::string>& params) = 0;
};

// Both open nothing until the first lookup, so the master never holds a connection. The
// settings must outlive the engine.
std::unique_ptr<SqlEngine> make_mysql_engine(const SqlSettings& settings);
std::unique_ptr<SqlEngine> make_sqlite_engine(const SqlSettings& settings);

} // namespace backends::sql
