// sql_engine: mysql, MySQL or MariaDB through Connector/C++ 1.1. Each worker keeps one
// connection and one prepared statement, and its own HostSchedule (host_schedule.hpp), which
// says which host to connect to: a failed host is skipped for sql_retry_interval, but when
// every host is skipped the one that failed longest ago is tried anyway (once a second), so a
// restarted server is used again within a second; a host that timed out is never waited for
// again until a probe (host_probe.hpp) sees it answer; and the worker moves back to an earlier
// host as soon as a probe sees that one answer. Probes run beside the requests and never make
// one wait: they are looked at, without waiting, when a request comes.
#include "backends/sql/host_probe.hpp"
#include "backends/sql/host_schedule.hpp"
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
        : m_settings(settings),
          m_schedule(settings.hosts.size(), settings.retry_interval, settings.connect_timeout),
          m_probes(settings.hosts.size()) {}

    void on_worker_start() override {
        close(m_session);
        for (auto& probe : m_probes)
            probe.stop();
        m_schedule.reset();
    }

    std::expected<Rows, std::string> lookup(const std::vector<std::string>& params) override {
        try {
            auto rows = lookup_with_failover(params);
            start_due_probes();
            return rows;
        } catch (const std::exception& error) { // not an SQLException: a bug or no memory
            close(m_session);
            return std::unexpected(std::string("mysql: ") + error.what());
        }
    }

private:
    struct QueryFailure {
        std::string message;
        bool connection_lost = false;
    };

    struct Session {
        std::unique_ptr<::sql::Connection> connection;
        std::unique_ptr<::sql::PreparedStatement> statement; // destroyed first
        std::size_t host = 0;
    };

    std::expected<Rows, std::string> lookup_with_failover(const std::vector<std::string>& params) {
        poll_probes();
        std::string errors;
        std::vector<bool> tried(m_settings.hosts.size());
        if (m_session.connection) {
            fail_back();
            const auto started = Clock::now();
            auto rows = query(params);
            if (rows || !rows.error().connection_lost)
                return rows ? std::expected<Rows, std::string>(std::move(*rows))
                            : std::unexpected(host_name(m_session.host) + ": " +
                                              rows.error().message);
            const auto host = m_session.host;
            close(m_session);
            // A timeout: the server hangs, so do not wait for it again. Anything quicker is
            // often only an idle connection the server closed: reconnect before giving up.
            if (timed_out(Clock::now() - started)) {
                m_schedule.failed(host, true, Clock::now());
                tried[host] = true;
                append(errors, host_name(host) + ": " + rows.error().message);
            }
        }
        while (const auto host = m_schedule.next_attempt(tried, Clock::now())) {
            tried[*host] = true;
            m_probes[*host].stop();
            const auto started = Clock::now();
            auto session = open(*host);
            std::string failure;
            if (session) {
                m_session = std::move(*session);
                m_schedule.connected(*host);
                auto rows = query(params);
                if (rows)
                    return std::move(*rows);
                if (!rows.error().connection_lost)
                    return std::unexpected(host_name(*host) + ": " + rows.error().message);
                close(m_session);
                failure = std::move(rows.error().message);
            } else {
                failure = std::move(session.error());
            }
            m_schedule.failed(*host, timed_out(Clock::now() - started), Clock::now());
            append(errors, host_name(*host) + ": " + failure);
        }
        for (std::size_t host = 0; host < tried.size(); ++host)
            if (!tried[host])
                append(errors, host_name(host) + ": " + std::string(m_schedule.skip_reason(host)));
        return std::unexpected("no database host answered: " + errors);
    }

    // Connected to a later host while a probe saw an earlier one answer: move there. If that
    // fails the request goes on with the connection it has.
    void fail_back() {
        const auto target = m_schedule.failback_target(m_session.host);
        if (!target)
            return;
        const auto started = Clock::now();
        auto session = open(*target);
        if (!session) {
            m_schedule.failed(*target, timed_out(Clock::now() - started), Clock::now());
            return;
        }
        close(m_session);
        m_session = std::move(*session);
        m_schedule.connected(*target);
    }

    void poll_probes() {
        const auto now = Clock::now();
        for (std::size_t host = 0; host < m_probes.size(); ++host) {
            if (!m_schedule.probing(host))
                continue;
            switch (m_probes[host].poll()) {
            case HostProbe::Status::answered:
                m_schedule.probe_answered(host);
                break;
            case HostProbe::Status::failed:
                m_schedule.probe_failed(host, now);
                break;
            case HostProbe::Status::pending:
            case HostProbe::Status::idle:
                // Replaced when not even the kernel answered: a server that accepted is kept
                // (host_probe.hpp says why).
                if (!m_probes[host].established() && m_schedule.probe_overdue(host, now)) {
                    m_probes[host].stop();
                    m_schedule.probe_expired(host, now);
                }
                break;
            }
        }
    }

    void start_due_probes() {
        const auto now = Clock::now();
        const auto current =
            m_session.connection ? std::optional(m_session.host) : std::optional<std::size_t>();
        for (const auto host : m_schedule.due_probes(current, now)) {
            if (m_probes[host].start(m_settings.hosts[host]) == HostProbe::Status::failed)
                m_schedule.probe_failed(host, now);
            else
                m_schedule.probe_started(host, now);
        }
    }

    // A failure that took half the shorter timeout or more was a timeout: the server hangs.
    // Refusals, unknown names and errors from the server come back far sooner.
    bool timed_out(Clock::duration took) const {
        const auto shorter = std::min(m_settings.connect_timeout, m_settings.read_timeout);
        return took >= std::chrono::duration_cast<Clock::duration>(shorter) / 2;
    }

    static void append(std::string& errors, const std::string& error) {
        if (!errors.empty())
            errors += "; ";
        errors += error;
    }

    std::string host_name(std::size_t host) const { return m_settings.hosts[host].to_string(); }

    static void close(Session& session) noexcept {
        session.statement.reset();
        try {
            session.connection.reset();
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
        // The connect timeout also bounds the wait for the server's greeting, which is where a
        // hung server that the kernel still accepts for keeps a client.
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

    // Connected with the statement prepared, or an error text.
    std::expected<Session, std::string> open(std::size_t host) {
        Session session;
        session.host = host;
        try {
            auto options = connect_options(m_settings.hosts[host]);
            session.connection.reset(::sql::mysql::get_driver_instance()->connect(options));
            if (m_settings.tls.enabled && !encrypted(*session.connection)) {
                close(session);
                return std::unexpected(
                    "the server did not encrypt the connection, and sql_usessl is yes");
            }
            session.statement.reset(session.connection->prepareStatement(m_settings.query.sql()));
            return session;
        } catch (const ::sql::SQLException& error) {
            close(session);
            return std::unexpected(describe(error));
        }
    }

    std::expected<Rows, QueryFailure> query(const std::vector<std::string>& params) {
        try {
            auto& statement = *m_session.statement;
            for (std::size_t i = 0; i < params.size(); ++i)
                statement.setString(static_cast<unsigned>(i + 1), params[i]);
            const std::unique_ptr<::sql::ResultSet> result(statement.executeQuery());
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
    HostSchedule m_schedule;
    std::vector<HostProbe> m_probes; // per host; open while the schedule says it probes
    Session m_session;
};

} // namespace

std::unique_ptr<SqlEngine> make_mysql_engine(const SqlSettings& settings) {
    return std::make_unique<MysqlEngine>(settings);
}

} // namespace backends::sql
