// Backend "sql": the password of a user read with a prepared statement made from the
// `sql_select` template of the options file, from MySQL/MariaDB (Connector/C++) or SQLite
// (Poco::Data), verified with any stored-password scheme.
#pragma once

#include "backends/backend.hpp"

namespace backends::sql {

std::expected<std::unique_ptr<Backend>, ConfigError> create(const Options& options);

} // namespace backends::sql
