// The mysql engine without a server: failures are temporary, and a failed host is skipped
// until sql_retry_interval has passed. The MariaDB integration tests cover a real server.
#include "backends/options.hpp"
#include "backends/sql/sql_backend.hpp"
#include "test/common/sql_backend.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <string>
#include <thread>

using namespace backends;

namespace {

std::unique_ptr<Backend> make_backend(std::string_view extra) {
    return test_sql::started_backend("sql_hostnames: 127.0.0.1:1, /nonexistent/mysqld.sock\n"
                                     "sql_database: mail\nsql_user: mail\nsql_passwd: Db pw 9\n"
                                     "sql_select: SELECT password FROM users WHERE name = '%u'\n" +
                                     std::string(extra));
}

Result verify(Backend& backend) {
    return backend.verify(Credentials{"bob", "User pw 3", "imap", "", ""});
}

} // namespace

TEST_SUITE("sql::mysql") {

    TEST_CASE("no reachable host is a temporary failure naming each host, never a secret") {
        auto backend = make_backend("sql_retry_interval: 60\n");
        const auto first = verify(*backend);
        CHECK(first.verdict == Verdict::temp_failure);
        CAPTURE(first.reason);
        CHECK(first.reason.starts_with("sql: no database host answered: 127.0.0.1:1: "));
        CHECK(first.reason.find("/nonexistent/mysqld.sock: ") != std::string::npos);
        CHECK(first.reason.find("User pw 3") == std::string::npos);
        CHECK(first.reason.find("Db pw 9") == std::string::npos);

        const auto second = verify(*backend);
        CHECK(second.verdict == Verdict::temp_failure);
        CHECK(second.reason == "sql: no database host answered: 127.0.0.1:1: skipped after a "
                               "recent failure; /nonexistent/mysqld.sock: skipped after a recent "
                               "failure");
    }

    TEST_CASE("a failed host is tried again after sql_retry_interval") {
        auto backend = make_backend("sql_retry_interval: 1\n");
        CHECK(verify(*backend).verdict == Verdict::temp_failure);
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        const auto again = verify(*backend);
        CHECK(again.verdict == Verdict::temp_failure);
        CHECK(again.reason.find("skipped") == std::string::npos);
    }

} // TEST_SUITE
