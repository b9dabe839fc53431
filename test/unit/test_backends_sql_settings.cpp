#include "backends/options.hpp"
#include "backends/sql/sql_backend.hpp"
#include "backends/sql/sql_settings.hpp"

#include <doctest/doctest.h>
#include <string>

using namespace backends;
using namespace backends::sql;

namespace {

constexpr std::string_view k_select = "sql_select: SELECT pw FROM users WHERE name = '%u'\n";

SqlSettings settings_of(const std::string& text) {
    auto options = parse_options(text, "test.conf");
    REQUIRE(options.has_value());
    auto settings = read_sql_settings(*options);
    if (!settings)
        FAIL(settings.error().message);
    return std::move(*settings);
}

std::string error_of(const std::string& text) {
    auto options = parse_options(text, "test.conf");
    REQUIRE(options.has_value());
    auto backend = create(*options);
    REQUIRE_FALSE(backend.has_value());
    return backend.error().message;
}

} // namespace

TEST_SUITE("sql::settings") {

    TEST_CASE("a Cyrus mysql configuration and the defaults") {
        const auto settings = settings_of("sql_engine: mysql\n"
                                          "sql_hostnames: db1.example.com, 10.0.0.2:3307, "
                                          "/run/mysqld/mysqld.sock, [::1]:3308\n"
                                          "sql_user: mail\n"
                                          "sql_passwd: s3cr\\et!\n"
                                          "sql_database: mailserver\n"
                                          "sql_select: SELECT password FROM mailbox WHERE "
                                          "username='%u@%r' AND active = '1'\n");
        CHECK(settings.engine == EngineKind::mysql);
        REQUIRE(settings.hosts.size() == 4);
        CHECK(settings.hosts[0].to_string() == "db1.example.com:3306");
        CHECK(settings.hosts[1].to_string() == "10.0.0.2:3307");
        CHECK(settings.hosts[2].socket_path == "/run/mysqld/mysqld.sock");
        CHECK(settings.hosts[3].name == "::1");
        CHECK(settings.hosts[3].port == 3308);
        CHECK(settings.user == "mail");
        CHECK(settings.password.view() == "s3cr\\et!");
        CHECK(settings.database == "mailserver");
        CHECK(settings.query.sql() ==
              "SELECT password FROM mailbox WHERE username=? AND active = '1'");
        CHECK(settings.connect_timeout.count() == 3);
        CHECK(settings.read_timeout.count() == 5);
        CHECK(settings.retry_interval.count() == 10);
        CHECK_FALSE(settings.tls.enabled);
        CHECK(settings.password_scheme.empty());
        CHECK(settings.default_realm.empty());
    }

    TEST_CASE("our keys") {
        const auto settings = settings_of(std::string(k_select) +
                                          "sql_hostnames: localhost\nsql_database: mail\n"
                                          "sql_connect_timeout: 1\nsql_read_timeout: 30\n"
                                          "sql_retry_interval: 0\nsql_default_realm: example.com\n"
                                          "sql_password_scheme: md5raw\nsql_usessl: yes\n"
                                          "sql_ssl_ca: /etc/hostname\n");
        CHECK(settings.connect_timeout.count() == 1);
        CHECK(settings.read_timeout.count() == 30);
        CHECK(settings.retry_interval.count() == 0);
        CHECK(settings.default_realm == "example.com");
        CHECK(settings.password_scheme == "PLAIN-MD5");
        CHECK(settings.tls.enabled);
        CHECK(settings.tls.ca_file == "/etc/hostname");
    }

    TEST_CASE("host lists") {
        CHECK(parse_host_list("a,b:1,/s").value().size() == 3);
        CHECK(parse_host_list("fe80::1").value().front().name == "fe80::1");
        for (const auto* bad :
             {"a,,b", "", "a:0", "a:65536", "a:x", "a:", ":3306", "[::1", "[::1]x"}) {
            CAPTURE(bad);
            CHECK_FALSE(parse_host_list(bad).has_value());
        }
    }

    TEST_CASE("mistakes name the file and line") {
        const std::string mysql = "sql_hostnames: localhost\nsql_database: mail\n";
        struct Case {
            std::string text;
            std::string error;
        };
        const Case cases[] = {
            {"sql_engine: pgsql\n" + std::string(k_select),
             "test.conf:1: sql_engine: 'pgsql' is not"},
            {mysql, "needs sql_select"},
            {std::string(k_select) + "sql_database: mail\n", "needs sql_hostnames"},
            {std::string(k_select) + "sql_hostnames: a\n", "needs sql_database"},
            {mysql + "sql_select: SELECT pw FROM u WHERE n = '%u\n",
             "test.conf:3: sql_select: unterminated ' literal"},
            {mysql + "sql_select: SELECT pw FROM u WHERE n = ?\n",
             "test.conf:3: sql_select: a '?'"},
            {mysql + "sql_select: SELECT pw FROM u WHERE realm = '%r'\n",
             "test.conf:3: sql_select: does not use %u"},
            {"sql_hostnames: a,,b\nsql_database: m\n" + std::string(k_select),
             "test.conf:1: sql_hostnames: an empty entry"},
            {mysql + std::string(k_select) + "sql_connect_timeout: 0\n",
             "test.conf:4: sql_connect_timeout: expected a whole number from 1 to 300"},
            {mysql + std::string(k_select) + "sql_read_timeout: soon\n",
             "test.conf:4: sql_read_timeout: expected"},
            {mysql + std::string(k_select) + "sql_retry_interval: -1\n",
             "test.conf:4: sql_retry_interval: expected"},
            {mysql + std::string(k_select) + "sql_password_scheme: rot13\n",
             "test.conf:4: sql_password_scheme: unknown password scheme 'rot13'"},
            {mysql + std::string(k_select) + "sql_usessl: maybe\n", "test.conf:4: sql_usessl:"},
            {mysql + std::string(k_select) + "sql_ssl_ca: /etc/hostname\n",
             "test.conf:4: sql_ssl_ca: has no effect without 'sql_usessl: yes'"},
            {mysql + std::string(k_select) + "sql_usessl: yes\nsql_ssl_ca: /nonexistent/ca.pem\n",
             "test.conf:5: sql_ssl_ca: cannot read '/nonexistent/ca.pem'"},
            {mysql + std::string(k_select) + "sql_usessl: yes\nsql_ssl_cert: /etc/hostname\n",
             "test.conf:5: sql_ssl_cert: sql_ssl_cert and sql_ssl_key go together"},
            {"sql_engine: sqlite3\nsql_database: users.db\n" + std::string(k_select),
             "test.conf:2: sql_database: 'users.db' is not an absolute path"},
            {"sql_engine: sqlite3\nsql_database: /nonexistent/users.db\n" + std::string(k_select),
             "test.conf:2: sql_database: cannot read '/nonexistent/users.db'"},
        };
        for (const auto& test : cases) {
            CAPTURE(test.text);
            const auto message = error_of(test.text);
            CAPTURE(message);
            CHECK(message.find(test.error) != std::string::npos);
        }
    }

    TEST_CASE("the sql backend is in the registry") {
        CHECK(find_backend("sql") != nullptr);
    }

} // TEST_SUITE
