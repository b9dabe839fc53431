// sql_engine: mysql, MySQL or MariaDB through Connector/C++ 1.1. Each worker keeps one
// connection and one prepared statement. A host that fails is skipped for
// sql_retry_interval, then tried again, so a restarted server is found without a restart here.
#include "backends/sql/sql_engine.hpp"

#include <algorithm>
#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

namespace backends::sql {

namespace {

using Clock = std::chrono::steady_clock;

// Client errors (CR_*, 2000-2999) and the server's "going away" errors mean the connection
// is gone; anything else (a syntax error, a missing table) is the query's own fault.
bool lost_connection(const ::sql::SQLException& error) {
    const int code = error.getErrorCode();
    constexpr int k_server_shutdown = 1053;
    constexpr int k_connection_killed = 1927;
    constexpr int k_idle_timeout = 4031;
    return (code >= 2000 && code < 3000) || code == k_server_shutdown ||
           code == k_connection_killed || code == k_idle_timeout;
}

std::string describe(const ::sql::SQLException& error) {
    return std::string(error.what()) + " (error " + std::to_string(error.getErrorCode()) + ")";
}

// SECRET: takes a stored password out of the connector's string and wipes that copy.
std::string take_text(::sql::SQLString&& value) {
    std::string result = value.asStdString();
    wipe(*value.operator->());
    return result;
}

// Connector/C++ on libmariadb enforces TLS only together with a CA to verify, so ask the
// server whether this session is encrypted.
bool encrypted(::sql::Connection& connection) {
    const std::unique_ptr<::sql::Statement> statement(connection.createStatement());
    const std::unique_ptr<::sql::ResultSet> status(
        statement->executeQuery("SHOW SESSION STATUS LIKE 'Ssl_cipher'"));
    return status->next() && !status->getString(2).asStdString().empty();
}

class MysqlEngine final : public SqlEngine {
public:
    explicit MysqlEngine(const SqlSettings& settings)
        : m_settings(settings), m_down_until(settings.hosts.size()) {}

    void on_worker_start() override {
        m_statement.reset();
        m_connection.reset();
        std::ranges::fill(m_down_until, Clock::time_point{});
    }

    std::expected<Rows, std::string> lookup(const std::vector<std::string>& params) override {
        try {
            return lookup_with_failover(params);
        } catch (const std::exception& error) { // not an SQLException: a bug or no memory
            disconnect();
            return std::unexpected(std::string("mysql: ") + error.what());
        }
    }

private:
    struct QueryFailure {
        std::string message;
        bool connection_lost = false;
    };

    std::expected<Rows, std::string> lookup_with_failover(const std::vector<std::string>& params) {
        std::string errors;
        if (m_connection) {
            auto rows = query(params);
            if (rows || !rows.error().connection_lost)
                return rows ? std::expected<Rows, std::string>(std::move(*rows))
                            : std::unexpected(host_name(m_host) + ": " + rows.error().message);
            // Often only an idle connection the server closed: reconnect before giving up.
            disconnect();
        }
        const auto now = Clock::now();
        for (std::size_t host = 0; host < m_settings.hosts.size(); ++host) {
            if (m_down_until[host] > now) {
                append(errors, host_name(host) + ": skipped after a recent failure");
                continue;
            }
            if (auto failure = connect(host)) {
                mark_down(host);
                append(errors, host_name(host) + ": " + *failure);
                continue;
            }
            auto rows = query(params);
            if (rows)
                return std::move(*rows);
            if (!rows.error().connection_lost)
                return std::unexpected(host_name(host) + ": " + rows.error().message);
            disconnect();
            mark_down(host);
            append(errors, host_name(host) + ": " + rows.error().message);
        }
        return std::unexpected("no database host answered: " + errors);
    }

    static void append(std::string& errors, const std::string& error) {
        errors += errors.empty() ? error : "; " + error;
    }

    std::string host_name(std::size_t host) const { return m_settings.hosts[host].to_string(); }

    void mark_down(std::size_t host) {
        m_down_until[host] = Clock::now() + m_settings.retry_interval;
    }

    void disconnect() noexcept {
        m_statement.reset();
        try {
            m_connection.reset();
        } catch (...) { // closing a broken connection may complain; it is gone anyway
        }
    }

    ::sql::ConnectOptionsMap connect_options(const DatabaseHost& host) const {
        ::sql::ConnectOptionsMap options;
        if (!host.socket_path.empty()) {
            options["hostName"] = std::string("localhost");
            options["socket"] = host.socket_path;
        } else {
            options["hostName"] = "tcp://" + host.to_string();
        }
        options["userName"] = m_settings.user;
        options["password"] = std::string(m_settings.password.view()); // SECRET
        options["schema"] = m_settings.database;
        options["OPT_CONNECT_TIMEOUT"] = static_cast<int>(m_settings.connect_timeout.count());
        options["OPT_READ_TIMEOUT"] = static_cast<int>(m_settings.read_timeout.count());
        options["OPT_WRITE_TIMEOUT"] = static_cast<int>(m_settings.read_timeout.count());
        options["OPT_RECONNECT"] = false; // a silent reconnect would lose the prepared statement
        options["OPT_CHARSET_NAME"] = std::string("utf8mb4");
        const auto& tls = m_settings.tls;
        if (tls.enabled) {
            options["sslEnforce"] = true;
            if (!tls.ca_file.empty()) {
                options["sslCA"] = tls.ca_file;
                options["sslVerify"] = true;
            }
            if (!tls.cert_file.empty()) {
                options["sslCert"] = tls.cert_file;
                options["sslKey"] = tls.key_file;
            }
        }
        return options;
    }

    // An error text, or nullopt once connected with the statement prepared.
    std::optional<std::string> connect(std::size_t host) {
        try {
            auto options = connect_options(m_settings.hosts[host]);
            m_connection.reset(::sql::mysql::get_driver_instance()->connect(options));
            if (m_settings.tls.enabled && !encrypted(*m_connection)) {
                disconnect();
                return "the server did not encrypt the connection, and sql_usessl is yes";
            }
            m_statement.reset(m_connection->prepareStatement(m_settings.query.sql()));
            m_host = host;
            return std::nullopt;
        } catch (const ::sql::SQLException& error) {
            disconnect();
            return describe(error);
        }
    }

    std::expected<Rows, QueryFailure> query(const std::vector<std::string>& params) {
        try {
            for (std::size_t i = 0; i < params.size(); ++i)
                m_statement->setString(static_cast<unsigned>(i + 1), params[i]);
            const std::unique_ptr<::sql::ResultSet> result(m_statement->executeQuery());
            Rows rows;
            rows.reserve(result->rowsCount()); // no reallocation leaves a stray copy behind
            while (result->next())
                rows.push_back(result->isNull(1) ? std::nullopt
                                                 : std::optional(take_text(result->getString(1))));
            return rows;
        } catch (const ::sql::SQLException& error) {
            return std::unexpected(QueryFailure{describe(error), lost_connection(error)});
        }
    }

    const SqlSettings& m_settings;
    std::vector<Clock::time_point> m_down_until; // per host; in the past: worth a try
    std::unique_ptr<::sql::Connection> m_connection;
    std::unique_ptr<::sql::PreparedStatement> m_statement;
    std::size_t m_host = 0; // the host m_connection talks to
};

} // namespace

std::unique_ptr<SqlEngine> make_mysql_engine(const SqlSettings& settings) {
    return std::make_unique<MysqlEngine>(settings);
}

} // namespace backends::sql
