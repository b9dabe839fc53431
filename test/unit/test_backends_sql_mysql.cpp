// The mysql engine without a server: failures are temporary, a failed host is skipped until
// sql_retry_interval has passed (or, when every host is skipped, for a second), and a listener
// that never answers (a hung server) costs one connect timeout. The MariaDB integration tests
// cover a real server.
#include "backends/options.hpp"
#include "backends/sql/sql_backend.hpp"
#include "test/common/sql_backend.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace backends;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<Backend> make_backend(std::string_view extra,
                                      std::string_view hosts = "127.0.0.1:1, "
                                                               "/nonexistent/mysqld.sock") {
    return test_sql::started_backend(std::string("sql_hostnames: ") + std::string(hosts) +
                                     "\nsql_database: mail\nsql_user: mail\nsql_passwd: Db pw 9\n"
                                     "sql_select: SELECT password FROM users WHERE name = '%u'\n" +
                                     std::string(extra));
}

// A listening socket on 127.0.0.1 that nobody accepts from: the kernel completes every
// connection and no greeting ever comes, as with a stopped server.
class SilentListener {
public:
    SilentListener() : m_fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(m_fd >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        socklen_t length = sizeof address;
        REQUIRE(getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        REQUIRE(listen(m_fd, 64) == 0);
        m_port = ntohs(address.sin_port);
    }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    ~SilentListener() { close(m_fd); }
    std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }

private:
    int m_fd;
    unsigned m_port = 0;
};

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

    TEST_CASE("every host skipped: the oldest failure is tried again after a second") {
        auto backend = make_backend("sql_retry_interval: 60\n");
        CHECK(verify(*backend).reason.find("skipped") == std::string::npos);
        const auto failed = Clock::now();
        CHECK(verify(*backend).reason.find("skipped") != std::string::npos);
        // Polled until a request tries a host again: one second on, not sixty.
        std::string reason;
        while (Clock::now() - failed < 5s) {
            reason = verify(*backend).reason;
            if (reason.find("127.0.0.1:1: skipped") == std::string::npos)
                break;
            std::this_thread::sleep_for(20ms);
        }
        const auto took = Clock::now() - failed;
        CAPTURE(reason);
        CHECK(took >= 900ms);
        CHECK(took < 3s);
        // One host per try: the other one still waits its turn.
        CHECK(reason.find("/nonexistent/mysqld.sock: skipped after a recent failure") !=
              std::string::npos);
    }

    TEST_CASE("a server that never answers costs one connect timeout, then fails fast") {
        const SilentListener hung;
        auto backend = make_backend("sql_connect_timeout: 1\nsql_read_timeout: 1\n"
                                    "sql_retry_interval: 0\n",
                                    hung.host());
        auto started = Clock::now();
        auto first = verify(*backend);
        const auto first_took = Clock::now() - started;
        CHECK(first.verdict == Verdict::temp_failure);
        CHECK(first_took >= 900ms);
        CHECK(first_took < 4s);
        // Even with sql_retry_interval 0 no request waits for it again, while it stays silent.
        for (int i = 0; i < 5; ++i) {
            started = Clock::now();
            const auto again = verify(*backend);
            CHECK(Clock::now() - started < 500ms);
            CHECK(again.verdict == Verdict::temp_failure);
            CHECK(again.reason.find("timed out") != std::string::npos);
            CHECK(again.reason.find("Db pw 9") == std::string::npos);
            std::this_thread::sleep_for(100ms);
        }
    }

} // TEST_SUITE
