// Crafted stored hashes through the real daemon: each refused before any work (a quick NO, a
// log line naming the limit), five at once on -n 5 leave every worker free and small, and the
// limits are settings of the options file.
#include "client/client.hpp"
#include "harness.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace harness;
using Clock = std::chrono::steady_clock;

namespace {

const std::string k_argon2_tail = "$c29tZXNhbHRzb21lc2FsdA$" + std::string(43, 'A');

struct Crafted {
    std::string login;
    std::string hash;
    std::string limit;
};

// The hashes: each pinned a worker for 10 s to forever, or took 4 GB.
std::vector<Crafted> crafted_shadow() {
    return {
        {"slow_sha", "$6$rounds=999999999$abcdefghijklmnop$" + std::string(86, 'x'),
         "password_max_crypt_rounds"},
        {"slow_bcrypt", "$2b$31$abcdefghijklmnopqrstuu" + std::string(31, 'x'),
         "password_max_bcrypt_cost"},
        {"huge_yescrypt", "$y$jHT$abcdefghijklmnopqrstu.$" + std::string(43, 'x'),
         "password_max_memory_kib"},
        {"huge_scrypt", "$7$IU..../....abcdefghijklmnop$" + std::string(43, 'x'),
         "password_max_memory_kib"},
        {"huge_sunmd5", "$md5,rounds=4294967295$abcdefgh$$" + std::string(22, 'x'),
         "password_max_crypt_rounds"},
    };
}

bool refused_quickly(const Daemon& daemon, const std::string& login, Clock::duration& took) {
    const auto started = Clock::now();
    const auto reply =
        client::authenticate(daemon.socket_path(), {login, k_test_password, "imap", "", {}});
    took = Clock::now() - started;
    REQUIRE_MESSAGE(reply.has_value(), reply.error().message);
    return !reply->ok;
}

bool ok(const Daemon& daemon, const std::string& login) {
    const auto reply =
        client::authenticate(daemon.socket_path(), {login, k_test_password, "imap", "", {}});
    REQUIRE(reply.has_value());
    return reply->ok;
}

// The peak resident size of a process, from /proc/PID/status.
long peak_rss_kib(pid_t pid) {
    std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("VmHWM:"))
            return std::stol(line.substr(6));
    return -1;
}

} // namespace

TEST_SUITE("integration::hash_limits") {

    TEST_CASE("shadow_file: crafted hashes get a quick NO and a log line naming the limit") {
        TempDir dir;
        std::string shadow = shadow_line("alice");
        for (const auto& entry : crafted_shadow())
            shadow += shadow_line(entry.login, entry.hash);
        dir.write("shadow", shadow);
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\npenalty: no\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "5", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());

        // One request each, one after the other.
        for (const auto& entry : crafted_shadow()) {
            CAPTURE(entry.login);
            Clock::duration took{};
            CHECK(refused_quickly(daemon, entry.login, took));
            CHECK(took < std::chrono::seconds(1));
        }
        // Five at once on five workers: every one answered, none pinned.
        const auto started = Clock::now();
        std::vector<std::thread> clients;
        std::vector<int> refused(crafted_shadow().size(), 0);
        for (std::size_t i = 0; i < refused.size(); ++i)
            clients.emplace_back([&, i] {
                const auto reply = client::authenticate(
                    daemon.socket_path(),
                    {crafted_shadow()[i].login, k_test_password, "imap", "", {}});
                refused[i] = reply.has_value() && !reply->ok ? 1 : 0;
            });
        for (auto& client : clients)
            client.join();
        CHECK(Clock::now() - started < std::chrono::seconds(2));
        for (const int answer : refused)
            CHECK(answer == 1);
        CHECK(ok(daemon, "alice")); // and the workers serve as before
        for (const pid_t worker : daemon.workers()) {
            CAPTURE(worker);
            const long peak = peak_rss_kib(worker);
            CHECK(peak > 0);
            CHECK(peak < 200 * 1024); // a decoy of sha512crypt, no gigabytes
        }
        daemon.stop();
        const auto log = daemon.log();
        for (const auto& entry : crafted_shadow()) {
            CAPTURE(entry.login);
            CHECK(log.find("login=" + entry.login) != std::string::npos);
            const auto line_start = log.find("login=" + entry.login);
            const auto line = log.substr(line_start, log.find('\n', line_start) - line_start);
            CHECK(line.find("verdict=disabled") != std::string::npos);
            CHECK(line.find("stored hash exceeds " + entry.limit) != std::string::npos);
            CHECK(log.find(entry.hash) == std::string::npos); // never the stored hash
        }
    }

    TEST_CASE("sql over SQLite: crafted argon2 and PBKDF2 rows get a quick NO naming the limit") {
        if (access("/usr/bin/sqlite3", X_OK) != 0) {
            if (in_ci())
                FAIL("this test needs /usr/bin/sqlite3 in CI");
            MESSAGE("skipped: this test needs /usr/bin/sqlite3");
            return;
        }
        TempDir dir;
        const auto database = dir / "users.sqlite";
        const std::vector<Crafted> rows{
            {"huge_argon2", "$argon2id$v=19$m=4194304,t=3,p=1" + k_argon2_tail,
             "password_max_memory_kib"},
            {"long_argon2", "{ARGON2I}$argon2i$v=19$m=64,t=4294967295,p=1" + k_argon2_tail,
             "password_max_time_cost"},
            {"slow_pbkdf2", "{PBKDF2}$1$abcdefghijklmnop$10000000$" + std::string(40, '0'),
             "password_max_pbkdf2_rounds"},
        };
        std::string setup = "CREATE TABLE users (username TEXT, password TEXT);\n";
        for (const auto& row : rows)
            setup += "INSERT INTO users VALUES ('" + row.login + "', '" + row.hash + "');\n";
        const auto made = run_command({"/usr/bin/sqlite3", database}, setup);
        REQUIRE_MESSAGE(made.status == 0, made.err);
        dir.write("saslauthd.conf",
                  "sql_engine: sqlite3\nsql_database: " + database +
                      "\nsql_select: SELECT password FROM users WHERE username = '%u'\n"
                      "penalty: no\n");
        Daemon daemon(dir, {"-a", "sql", "-n", "2", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        for (const auto& row : rows) {
            CAPTURE(row.login);
            Clock::duration took{};
            CHECK(refused_quickly(daemon, row.login, took));
            CHECK(took < std::chrono::seconds(1));
        }
        daemon.stop();
        const auto log = daemon.log();
        for (const auto& row : rows) {
            CAPTURE(row.login);
            const auto line_start = log.find("login=" + row.login);
            REQUIRE(line_start != std::string::npos);
            const auto line = log.substr(line_start, log.find('\n', line_start) - line_start);
            CHECK(line.find("stored hash exceeds " + row.limit) != std::string::npos);
        }
    }

    TEST_CASE("the limits are options-file settings, a bad one names its file and line") {
        TempDir dir;
        dir.write("shadow", shadow_line("alice") + shadow_line("yes", k_yescrypt_hash));
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") +
                                        "\npenalty: no\npassword_max_crypt_rounds: 4000\n"
                                        "password_max_memory_kib: 8192\n");
        Daemon daemon(dir, {"-a", "shadow", "-n", "1", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());
        CHECK_FALSE(ok(daemon, "alice")); // sha512crypt's 5000 rounds are beyond 4000
        CHECK_FALSE(ok(daemon, "yes"));   // yescrypt's 16 MiB are beyond 8 MiB
        daemon.stop();
        const auto log = daemon.log();
        CHECK(log.find("stored hash exceeds password_max_crypt_rounds: sha512crypt rounds 5000, "
                       "the limit is 4000") != std::string::npos);
        CHECK(log.find("stored hash exceeds password_max_memory_kib: yescrypt KiB 16384, the "
                       "limit is 8192") != std::string::npos);

        TempDir bad;
        const auto refused = start_with_options(bad, "# limits\npassword_max_bcrypt_cost: 99\n");
        CHECK(refused.status != 0);
        CHECK(refused.err.find(bad / "saslauthd.conf" + ":2: password_max_bcrypt_cost: ") !=
              std::string::npos);
    }
}
