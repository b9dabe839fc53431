// The foreground log on one stderr shared by every worker: whole lines under concurrency.
#include "client/client.hpp"
#include "harness.hpp"

#include <atomic>
#include <doctest/doctest.h>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

using namespace harness;

TEST_SUITE("integration::logging") {

    TEST_CASE("lines of concurrent workers reach stderr whole, one record per line") {
        TempDir dir;
        dir.write("shadow", shadow_line("alice"));
        // No penalty: the wrong passwords below would otherwise be answered after a delay.
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\npenalty: no\n");
        Daemon daemon(dir, {"-a", "shadow", "-c", "-n", "4", "-O", dir / "saslauthd.conf"});
        REQUIRE(daemon.wait_ready());

        constexpr int k_threads = 8;
        constexpr int k_per_thread = 500;
        std::atomic<int> wrong_replies{0};
        std::atomic<int> errors{0};
        std::vector<std::thread> clients;
        for (int t = 0; t < k_threads; ++t)
            clients.emplace_back([&, t] {
                for (int i = 0; i < k_per_thread; ++i) {
                    // Every fourth request fails, so lines of two lengths and verdicts mix.
                    const bool right = (t + i) % 4 != 0;
                    const auto reply = client::authenticate(
                        daemon.socket_path(),
                        {"alice", right ? k_test_password : "wrong", "imap", "", {}});
                    if (!reply)
                        errors.fetch_add(1);
                    else if (reply->ok != right)
                        wrong_replies.fetch_add(1);
                }
            });
        for (auto& client : clients)
            client.join();
        CHECK(errors.load() == 0);
        CHECK(wrong_replies.load() == 0);
        CHECK(daemon.stop() == 0);

        const auto log = daemon.log();
        REQUIRE_FALSE(log.empty());
        CHECK(log.back() == '\n');
        const std::regex record(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} saslauthd\[\d+\]: )"
                                R"([A-Z][a-z]+: [^\n]*)");
        std::istringstream lines(log);
        std::string line;
        int auth_lines = 0;
        int broken_lines = 0;
        std::string first_broken;
        while (std::getline(lines, line)) {
            // A complete record, and only one: the timestamp pattern begins no other place.
            const bool whole = std::regex_match(line, record) &&
                               line.find(" saslauthd[") == line.rfind(" saslauthd[") &&
                               line.find("auth service=") == line.rfind("auth service=");
            if (!whole && broken_lines++ == 0)
                first_broken = line;
            if (line.find("auth service=") != std::string::npos)
                ++auth_lines;
        }
        INFO("first broken line: [" << first_broken << "]");
        CHECK(broken_lines == 0);
        CHECK(auth_lines == k_threads * k_per_thread);
    }

    TEST_CASE("failures are logged with their reason, successes only with log_success or -V") {
        TempDir dir;
        dir.write("shadow", shadow_line("alice"));
        const auto base = "shadow_file: " + (dir / "shadow") + "\npenalty: no\n";
        struct Case {
            const char* what;
            const char* options;
            std::vector<std::string> flags;
            bool successes_logged;
        };
        for (const auto& [what, options, flags, successes_logged] :
             {Case{"default", "", {}, false},
              Case{"log_success: yes", "log_success: yes\n", {}, true},
              Case{"-V", "", {"-V"}, true}}) {
            CAPTURE(what);
            dir.write("saslauthd.conf", base + options);
            std::vector<std::string> args{"-a", "shadow", "-n", "1", "-O", dir / "saslauthd.conf"};
            args.insert(args.end(), flags.begin(), flags.end());
            Daemon daemon(dir, args, {}, "-f");
            REQUIRE(daemon.wait_ready());
            const auto right = client::authenticate(daemon.socket_path(),
                                                    {"alice", k_test_password, "imap", "", {}});
            const auto wrong =
                client::authenticate(daemon.socket_path(), {"alice", "wrong", "imap", "", {}});
            REQUIRE(right);
            REQUIRE(wrong);
            CHECK(right->ok);
            CHECK_FALSE(wrong->ok);
            CHECK(daemon.stop() == 0);
            const auto log = daemon.log();
            CHECK(log.find("login=alice frontend=saslauthd backend=shadow verdict=bad_password "
                           "reason=\"wrong password\"") != std::string::npos);
            CHECK((log.find("verdict=ok") != std::string::npos) == successes_logged);
        }
    }
}
