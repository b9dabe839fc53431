// The sql backend end to end against an SQLite file the test makes with Poco::Data.
#include "backends/options.hpp"
#include "backends/sql/sql_backend.hpp"
#include "test/common/sql_backend.hpp"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <chrono>
#include <crypt.h>
#include <doctest/doctest.h>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <unistd.h>

using namespace backends;
using namespace Poco::Data::Keywords;

namespace {

constexpr std::string_view k_realm = "example.com";

std::string sha512_crypt(const char* password) {
    const char* hash = ::crypt(password, "$6$P8mKzQ2x$");
    REQUIRE(hash != nullptr);
    REQUIRE(hash[0] == '$');
    return hash;
}

// A users table in a fresh directory under /tmp, removed with it.
class UserDatabase {
public:
    UserDatabase() {
        std::string pattern = (std::filesystem::temp_directory_path() / "sql-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        m_dir = pattern;
        Poco::Data::SQLite::Connector connector;
        Poco::Data::Session session(connector.createSession(path()));
        session << "CREATE TABLE users (username TEXT NOT NULL, password TEXT, active INTEGER)",
            now;
        add(session, "alice", "Alice's pw 1");
        add(session, "carol", sha512_crypt("Carol pw 2"));
        add(session, "nullpw", std::nullopt);
        add(session, "emptypw", "");
        add(session, "dup", "Dup pw");
        add(session, "dup", "Dup pw");
        add(session, "broken", "{NO-SUCH-SCHEME}abc");
        add(session, "inactive", "Inactive pw", 0);
        add(session, "slow_sha", "{SHA512-CRYPT}$6$rounds=999999999$abcdefghijklmnop$x");
        add(session, "huge_argon2",
            "$argon2id$v=19$m=4194304,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$" + std::string(43, 'A'));
    }
    UserDatabase(const UserDatabase&) = delete;
    UserDatabase& operator=(const UserDatabase&) = delete;
    ~UserDatabase() {
        std::error_code ignored;
        std::filesystem::remove_all(m_dir, ignored);
    }
    std::string path() const { return (m_dir / "users.sqlite").string(); }

private:
    static void add(Poco::Data::Session& session, std::string user,
                    std::optional<std::string> password, int active = 1) {
        user += "@";
        user += k_realm;
        if (password) {
            session << "INSERT INTO users VALUES (?, ?, ?)", use(user), use(*password), use(active),
                now;
        } else {
            session << "INSERT INTO users VALUES (?, NULL, ?)", use(user), use(active), now;
        }
    }

    std::filesystem::path m_dir;
};

std::unique_ptr<Backend>
make_backend(const UserDatabase& database,
             std::string_view select = "SELECT password FROM users WHERE username='%u@%r' "
                                       "AND active = '1'") {
    return test_sql::started_backend("sql_engine: sqlite3\nsql_database: " + database.path() +
                                     "\nsql_select: " + std::string(select) + "\n");
}

Result verify(Backend& backend, std::string_view login, std::string_view password,
              std::string_view realm = k_realm) {
    return backend.verify(Credentials{login, password, "imap", realm, "192.0.2.1;1234"});
}

} // namespace

TEST_SUITE("sql::sqlite") {

    TEST_CASE("verdicts from the users table") {
        const UserDatabase database;
        auto backend = make_backend(database);
        CHECK(backend->name() == "sql");
        struct Case {
            std::string_view login;
            std::string_view password;
            Verdict verdict;
            std::string_view reason;
        };
        const Case cases[] = {
            {"alice", "Alice's pw 1", Verdict::ok, ""},
            {"alice", "Alice's pw 2", Verdict::bad_password, "wrong password"},
            {"carol", "Carol pw 2", Verdict::ok, ""},
            {"carol", "carol pw 2", Verdict::bad_password, "wrong password"},
            {"nobody", "x", Verdict::unknown_user, "no such user"},
            {"inactive", "Inactive pw", Verdict::unknown_user, "no such user"},
            {"nullpw", "", Verdict::disabled, "no password stored"},
            {"emptypw", "", Verdict::disabled, "no password stored"},
            {"dup", "Dup pw", Verdict::temp_failure, "ambiguous: 2 rows for this user"},
            {"broken", "abc", Verdict::disabled, "stored password has an unknown or broken scheme"},
            {"x' OR '1'='1", "Alice's pw 1", Verdict::unknown_user, "no such user"},
            {"x' OR 1=1 --", "Alice's pw 1", Verdict::unknown_user, "no such user"},
        };
        for (const auto& test : cases) {
            CAPTURE(test.login);
            const auto result = verify(*backend, test.login, test.password);
            CHECK(result.verdict == test.verdict);
            CHECK(result.reason == test.reason);
        }
    }

    TEST_CASE("crafted rows are refused at once, naming the limit") {
        const UserDatabase database;
        auto backend = make_backend(database);
        for (const auto& [login, setting] : {std::pair{"slow_sha", "password_max_crypt_rounds"},
                                             std::pair{"huge_argon2", "password_max_memory_kib"}}) {
            CAPTURE(login);
            const auto started = std::chrono::steady_clock::now();
            const auto result = verify(*backend, login, "Correct horse 1");
            CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(500));
            CHECK(result.verdict == Verdict::disabled);
            CHECK(result.reason.starts_with(std::string("stored hash exceeds ") + setting));
        }
        auto options = parse_options("sql_engine: sqlite3\nsql_database: " + database.path() +
                                         "\nsql_select: SELECT password FROM users WHERE "
                                         "username = '%u@%r'\npassword_max_time_cost: x\n",
                                     "test.conf");
        REQUIRE(options.has_value());
        const auto refused = sql::create(*options);
        REQUIRE_FALSE(refused.has_value());
        CHECK(refused.error().message.starts_with("test.conf:4: password_max_time_cost: "));
    }

    TEST_CASE("the realm comes from the login, the request or sql_default_realm") {
        const UserDatabase database;
        auto backend = make_backend(database);
        CHECK(verify(*backend, "alice@example.com", "Alice's pw 1", "").verdict == Verdict::ok);
        CHECK(verify(*backend, "alice@example.com", "Alice's pw 1", "example.com").verdict ==
              Verdict::ok);
        CHECK(verify(*backend, "alice", "Alice's pw 1", "").verdict == Verdict::unknown_user);

        auto options = parse_options("sql_engine: sqlite3\nsql_database: " + database.path() +
                                         "\nsql_select: SELECT password FROM users WHERE "
                                         "username = '%u@%r'\nsql_default_realm: example.com\n",
                                     "test.conf");
        REQUIRE(options.has_value());
        auto with_default = sql::create(*options);
        REQUIRE(with_default.has_value());
        CHECK(verify(**with_default, "alice", "Alice's pw 1", "").verdict == Verdict::ok);
    }

    TEST_CASE("sql_password_scheme reads values without a prefix") {
        const UserDatabase database;
        auto options = parse_options("sql_engine: sqlite3\nsql_database: " + database.path() +
                                         "\nsql_select: SELECT password FROM users WHERE "
                                         "username = '%u@%r'\nsql_password_scheme: PLAIN-MD5\n",
                                     "test.conf");
        REQUIRE(options.has_value());
        auto backend = sql::create(*options);
        REQUIRE(backend.has_value());
        // the plaintext is no MD5 hex digest any more
        CHECK(verify(**backend, "alice", "Alice's pw 1").verdict != Verdict::ok);
    }

    TEST_CASE("database errors are temporary failures that name no password") {
        const UserDatabase database;
        SUBCASE("a missing table") {
            auto backend = make_backend(database, "SELECT pw FROM nowhere WHERE n = '%u'");
            const auto result = verify(*backend, "alice", "Alice's pw 1");
            CHECK(result.verdict == Verdict::temp_failure);
            CHECK(result.reason.starts_with("sql: " + database.path()));
            CHECK(result.reason.find("Alice's pw") == std::string::npos);
        }
        SUBCASE("the file is read-only: a vanished file is not created again") {
            auto backend = make_backend(database);
            std::filesystem::remove(database.path());
            CHECK(verify(*backend, "alice", "Alice's pw 1").verdict == Verdict::temp_failure);
            CHECK_FALSE(std::filesystem::exists(database.path()));
        }
    }

    TEST_CASE("on_worker_start drops the session and the next request opens one") {
        const UserDatabase database;
        auto backend = make_backend(database);
        CHECK(verify(*backend, "alice", "Alice's pw 1").verdict == Verdict::ok);
        backend->on_worker_start();
        CHECK(verify(*backend, "carol", "Carol pw 2").verdict == Verdict::ok);
    }

} // TEST_SUITE
