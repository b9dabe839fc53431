// sql_engine: sqlite3, an SQLite file opened read-only by each worker through Poco::Data.
#include "backends/sql/sql_engine.hpp"

#include <Poco/Data/LOB.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <filesystem>
#include <stdexcept>

namespace backends::sql {

namespace {

// A URI filename (Poco opens with SQLITE_OPEN_URI) so that mode=ro stops SQLite from
// creating a missing file or writing to it.
std::string read_only_uri(const std::string& path) {
    std::string encoded;
    Poco::URI::encode(path, "?#%", encoded);
    return "file:" + encoded + "?mode=ro";
}

std::optional<std::string> text_of(const Poco::Data::RecordSet& rows, std::size_t row) {
    if (rows.isNull(0, row))
        return std::nullopt;
    const auto value = rows.value(0, row);
    if (value.type() == typeid(Poco::Data::BLOB)) {
        const auto& blob = value.extract<Poco::Data::BLOB>();
        return std::string(blob.begin(), blob.end());
    }
    return value.convert<std::string>();
}

class SqliteEngine final : public SqlEngine {
public:
    explicit SqliteEngine(const SqlSettings& settings) : m_settings(settings) {}

    void on_worker_start() override { m_session.reset(); }

    std::expected<Rows, std::string> lookup(const std::vector<std::string>& params) override {
        try {
            return run(params);
        } catch (const Poco::Exception& error) {
            m_session.reset(); // the next request opens the file again
            return std::unexpected(m_settings.database + ": " + error.displayText());
        } catch (const std::exception& error) {
            m_session.reset();
            return std::unexpected(m_settings.database + ": " + error.what());
        }
    }

private:
    Poco::Data::Session& session() {
        if (!m_session) {
            // Poco keeps retrying a failed open until its login timeout: fail fast instead
            if (!std::filesystem::exists(m_settings.database))
                throw std::runtime_error("the file does not exist");
            Poco::Data::SQLite::Connector connector;
            m_session.emplace(connector.createSession(
                read_only_uri(m_settings.database),
                static_cast<std::size_t>(m_settings.connect_timeout.count())));
            // waits this long for a writer's lock before giving up
            m_session->setConnectionTimeout(
                static_cast<std::size_t>(m_settings.read_timeout.count()));
        }
        return *m_session;
    }

    Rows run(const std::vector<std::string>& params) {
        Poco::Data::Statement statement(session());
        statement << m_settings.query.sql();
        for (const auto& param : params)
            statement, Poco::Data::Keywords::useRef(param);
        statement.execute();
        const Poco::Data::RecordSet rows(statement);
        Rows result;
        result.reserve(rows.rowCount());
        for (std::size_t row = 0; row < rows.rowCount(); ++row)
            result.push_back(text_of(rows, row));
        return result;
    }

    const SqlSettings& m_settings;
    std::optional<Poco::Data::Session> m_session;
};

} // namespace

std::unique_ptr<SqlEngine> make_sqlite_engine(const SqlSettings& settings) {
    return std::make_unique<SqliteEngine>(settings);
}

} // namespace backends::sql
