#include "backends/sql/sql_backend.hpp"

#include "backends/passwords/decoy.hpp"
#include "backends/passwords/stored_password.hpp"
#include "backends/secret.hpp"
#include "backends/sql/sql_engine.hpp"
#include "backends/sql/sql_settings.hpp"

namespace backends::sql {

namespace {

using passwords::EqualCost;
using passwords::Match;

// SECRET: the fetched values are stored passwords.
class WipedRows {
public:
    explicit WipedRows(Rows& rows) : m_rows(rows) {}
    WipedRows(const WipedRows&) = delete;
    WipedRows& operator=(const WipedRows&) = delete;
    ~WipedRows() {
        for (auto& value : m_rows)
            if (value)
                wipe(*value);
    }

private:
    Rows& m_rows;
};

class SqlBackend final : public Backend {
public:
    // No query lists every row, so each worker learns the rows' class from the ones it
    // verifies, starting from the usual class of mail databases.
    explicit SqlBackend(SqlSettings settings)
        : m_settings(std::move(settings)),
          m_engine(m_settings.engine == EngineKind::mysql ? make_mysql_engine(m_settings)
                                                          : make_sqlite_engine(m_settings)),
          m_cost(passwords::sha512crypt_default_cost(), EqualCost::Learning::last_verified,
                 m_settings.cost_limits) {}

    std::string_view name() const override { return "sql"; }

    void on_worker_start() override { m_engine->on_worker_start(); }

    // Opened (again) whenever a worker (re)connects: the SQLite file, the server's UNIX
    // socket, the TLS files.
    ProcessNeeds process_needs() const override {
        ProcessNeeds needs;
        if (m_settings.engine == EngineKind::sqlite3) {
            needs.files.push_back({m_settings.database, FileUse::Access::read, "sql_database"});
            return needs;
        }
        for (const auto& host : m_settings.hosts)
            if (!host.socket_path.empty())
                needs.files.push_back(
                    {host.socket_path, FileUse::Access::connect, "the socket in sql_hostnames"});
        const auto& tls = m_settings.tls;
        for (const auto& [path, key] :
             {std::pair{&tls.ca_file, "sql_ssl_ca"}, std::pair{&tls.cert_file, "sql_ssl_cert"},
              std::pair{&tls.key_file, "sql_ssl_key"}})
            if (tls.enabled && !path->empty())
                needs.files.push_back({*path, FileUse::Access::read, key});
        return needs;
    }

    Result verify(const Credentials& credentials) noexcept override {
        try {
            return check(credentials);
        } catch (const std::exception& error) {
            return {Verdict::temp_failure, std::string("sql: internal error: ") + error.what()};
        } catch (...) {
            return {Verdict::temp_failure, "sql: internal error"};
        }
    }

    bool can_look_up() const noexcept override { return true; }

    // The same query as verify; the mechanism does the equal-cost work, not the backend.
    Lookup look_up(const Credentials& credentials) noexcept override {
        try {
            auto rows = fetch(credentials);
            if (!rows)
                return {Verdict::temp_failure, rows.error(), {}, {}};
            const WipedRows wiped(*rows);
            if (auto refusal = ambiguous(*rows))
                return {Verdict::temp_failure, std::move(*refusal), {}, {}};
            if (rows->empty())
                return {Verdict::unknown_user, "no such user", {}, {}};
            if (!rows->front() || rows->front()->empty())
                return {Verdict::disabled, "no password stored", {}, {}};
            return {Verdict::ok, {}, Secret(*rows->front()), m_settings.password_scheme};
        } catch (const std::exception& error) {
            return {
                Verdict::temp_failure, std::string("sql: internal error: ") + error.what(), {}, {}};
        } catch (...) {
            return {Verdict::temp_failure, "sql: internal error", {}, {}};
        }
    }

private:
    std::expected<Rows, std::string> fetch(const Credentials& credentials) {
        const auto values =
            macro_values(credentials.login, credentials.realm, m_settings.default_realm,
                         credentials.service, credentials.client_addr);
        auto rows = m_engine->lookup(m_settings.query.bind(values));
        if (!rows)
            return std::unexpected("sql: " + rows.error());
        return std::move(*rows);
    }

    // Refused rather than guessed: which row's password counts is the template's bug.
    static std::optional<std::string> ambiguous(const Rows& rows) {
        if (rows.size() <= 1)
            return std::nullopt;
        return "ambiguous: " + std::to_string(rows.size()) + " rows for this user";
    }

    Result check(const Credentials& credentials) {
        auto rows = fetch(credentials);
        if (!rows)
            return {Verdict::temp_failure, rows.error()};
        const WipedRows wiped(*rows);
        if (auto refusal = ambiguous(*rows))
            return {Verdict::temp_failure, std::move(*refusal)};
        // Every other answer costs one verification at the rows' cost: the row's value, or
        // the decoy when there is no row, no value, or one that may not be verified.
        std::optional<std::string_view> stored;
        if (!rows->empty() && rows->front() && !rows->front()->empty())
            stored = *rows->front();
        const auto verification = m_cost.verify_stored(
            credentials.password, stored, m_settings.password_scheme, credentials.login);
        if (rows->empty())
            return {Verdict::unknown_user, "no such user"};
        if (!stored)
            return {Verdict::disabled, "no password stored"};
        switch (verification.match) {
        case Match::yes:
            return {Verdict::ok, {}};
        case Match::no:
            return {Verdict::bad_password, "wrong password"};
        case Match::unusable:
            break;
        }
        if (!verification.problem.empty())
            return {Verdict::disabled, verification.problem};
        return {Verdict::disabled, "stored password has an unknown or broken scheme"};
    }

    SqlSettings m_settings; // before m_engine, which keeps a reference to it
    std::unique_ptr<SqlEngine> m_engine;
    EqualCost m_cost;
};

} // namespace

std::expected<std::unique_ptr<Backend>, ConfigError> create(const Options& options) {
    auto settings = read_sql_settings(options);
    if (!settings)
        return std::unexpected(std::move(settings.error()));
    return std::make_unique<SqlBackend>(std::move(*settings));
}

} // namespace backends::sql
