// The real daemon on a temporary socket directory: answers, bad input, stalled clients,
// crashes, recycling, shutdown, locking and detaching.
#include "client/client.hpp"
#include "harness.hpp"
#include "raw_client.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <doctest/doctest.h>
#include <filesystem>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace harness;

namespace {

const std::string k_shadow =
    shadow_line("alice") + shadow_line("bob", k_yescrypt_hash) + shadow_line("alice@EXAMPLE.ORG");

struct Fixture {
    TempDir dir;
    Fixture(const std::string& extra_options = {}) {
        dir.write("shadow", k_shadow);
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\n" + extra_options);
    }
    std::vector<std::string> args(std::vector<std::string> extra = {}) const {
        std::vector<std::string> result{"-a", "shadow", "-O", dir / "saslauthd.conf"};
        result.insert(result.end(), extra.begin(), extra.end());
        return result;
    }
};

bool authenticates(const std::string& socket, std::string_view login, std::string_view password,
                   std::string_view realm = "", std::optional<std::string_view> client = {}) {
    const proto::RequestView request{login, password, "imap", realm, client};
    const auto reply = client::authenticate(socket, request);
    REQUIRE_MESSAGE(reply.has_value(), (reply ? "" : reply.error().message));
    return reply->ok;
}

} // namespace

TEST_SUITE("integration::daemon") {

    TEST_CASE("answers right and wrong passwords over 4- and 5-field requests") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args({"-n", "2"}));
        REQUIRE(daemon.wait_ready());
        const auto socket = daemon.socket_path();
        CHECK(authenticates(socket, "alice", k_test_password));
        CHECK(authenticates(socket, "bob", k_test_password));
        CHECK_FALSE(authenticates(socket, "alice", "Correct horse 2"));
        CHECK_FALSE(authenticates(socket, "nobody", k_test_password));
        CHECK(authenticates(socket, "alice", k_test_password, "", "192.0.2.1;4711"));
        CHECK_FALSE(authenticates(socket, "alice", "wrong", "", "192.0.2.1;4711"));
        CHECK(authenticates(socket, "alice", k_test_password, "", ""));
        CHECK(daemon.stop() == 0);
        const auto log = daemon.log();
        CHECK(log.find("client=192.0.2.1;4711") != std::string::npos);
        CHECK(log.find("verdict=unknown_user") != std::string::npos);
        CHECK(log.find(k_test_password) == std::string::npos);
        CHECK(log.find("Correct horse 2") == std::string::npos);
        CHECK(log.find("$6$") == std::string::npos);
    }

    TEST_CASE("the reply text is the same for an unknown user and a wrong password") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        const auto unknown =
            client::authenticate(daemon.socket_path(), {"nobody", "x", "imap", "", {}});
        const auto wrong =
            client::authenticate(daemon.socket_path(), {"alice", "x", "imap", "", {}});
        REQUIRE(unknown.has_value());
        REQUIRE(wrong.has_value());
        CHECK(unknown->text == wrong->text);
        CHECK(unknown->text.starts_with("NO"));
    }

    TEST_CASE("-r hands login@realm to the backend") {
        Fixture fixture;
        fixture.dir.write("shadow",
                          std::string(k_shadow).substr(std::string(k_shadow).find("bob:")));
        Daemon plain(fixture.dir, fixture.args());
        REQUIRE(plain.wait_ready());
        CHECK_FALSE(authenticates(plain.socket_path(), "alice", k_test_password, "EXAMPLE.ORG"));
        plain.stop();

        Daemon joined(fixture.dir, fixture.args({"-r"}));
        REQUIRE(joined.wait_ready());
        CHECK(authenticates(joined.socket_path(), "alice", k_test_password, "EXAMPLE.ORG"));
        CHECK_FALSE(authenticates(joined.socket_path(), "alice", k_test_password, "OTHER.ORG"));
        CHECK(authenticates(joined.socket_path(), "bob", k_test_password, ""));
    }

    TEST_CASE("malformed and hostile requests get NO and the workers keep serving") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args({"-n", "1"}));
        REQUIRE(daemon.wait_ready());
        const auto socket = daemon.socket_path();
        const auto workers = daemon.workers();

        const std::string good = raw::request({"alice", k_test_password, "imap", ""});
        CHECK(raw::exchange(socket, good) == "OK");
        // NUL inside the login: Cyrus truncates there and accepts "alice\0junk".
        CHECK(raw::exchange(socket, raw::request({std::string("alice\0junk", 10), k_test_password,
                                                  "imap", ""})) == "NO");
        CHECK(raw::exchange(socket, raw::request({"", k_test_password, "imap", ""})) == "NO");
        CHECK(raw::exchange(socket, raw::request({"alice", "", "imap", ""})) == "NO");
        CHECK(raw::exchange(socket, raw::request({"alice", std::string(9000, 'x'), "imap", ""})) ==
              "NO");
        CHECK(raw::exchange(socket, good + "junk-after-the-fifth-field") == "NO");
        CHECK(raw::exchange(socket, good.substr(0, 9), /*close_write=*/true) == "NO");
        // A 300-byte password is legal (Cyrus refuses anything over 256 bytes).
        CHECK(raw::exchange(socket, raw::request({"alice", std::string(300, 'p'), "imap", ""})) ==
              "NO");
        CHECK(raw::exchange(socket, "\xff\xff", true) == "NO");
        CHECK(raw::exchange(socket, good) == "OK");
        CHECK(daemon.workers() == workers);
    }

    TEST_CASE("stalled clients do not stop the others") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args({"-n", "2"}));
        REQUIRE(daemon.wait_ready());
        std::vector<raw::Connection> stalled;
        for (int i = 0; i < 50; ++i) {
            stalled.emplace_back(daemon.socket_path());
            stalled.back().send(std::string("\x00\x05", 2) + "a");
        }
        const auto started = std::chrono::steady_clock::now();
        for (int i = 0; i < 10; ++i)
            CHECK(authenticates(daemon.socket_path(), "alice", k_test_password));
        CHECK(std::chrono::steady_clock::now() - started < 3s);
    }

    TEST_CASE("a stalled client is closed at its deadline") {
        Fixture fixture("request_timeout: 1\n");
        Daemon daemon(fixture.dir, fixture.args({"-n", "1"}));
        REQUIRE(daemon.wait_ready());
        raw::Connection stalled(daemon.socket_path());
        stalled.send(std::string("\x00\x05", 2) + "al");
        const auto started = std::chrono::steady_clock::now();
        CHECK(stalled.wait_closed(5s));
        CHECK(std::chrono::steady_clock::now() - started >= 900ms);
    }

    TEST_CASE("a client trickling its request a byte at a time is closed at the same deadline") {
        Fixture fixture("request_timeout: 1\n");
        Daemon daemon(fixture.dir, fixture.args({"-n", "1"}));
        REQUIRE(daemon.wait_ready());
        raw::Connection slow(daemon.socket_path());
        const auto request = raw::request({"alice", k_test_password, "imap", ""});
        const auto started = std::chrono::steady_clock::now();
        bool closed = false;
        for (std::size_t i = 0; i < request.size() - 1 && !closed; ++i) {
            try {
                slow.send(request.substr(i, 1));
            } catch (const std::exception&) {
                break; // the server closed it already
            }
            closed = slow.wait_closed(300ms);
        }
        CHECK((closed || slow.wait_closed(2s)));
        const auto took = std::chrono::steady_clock::now() - started;
        CHECK(took >= 900ms);
        CHECK(took < 2500ms);
        CHECK(authenticates(daemon.socket_path(), "alice", k_test_password));
    }

    // The probe that found it: limit 128 on -n 1 and 300 stalled clients answered nobody.
    // With so few descriptors a worker keeps 16 connections (generation.cpp).
    TEST_CASE("out of descriptors, the longest inactive connections make room for new ones") {
        Fixture fixture("request_timeout: 60\n");
        Daemon daemon(fixture.dir, fixture.args({"-n", "1"}),
                      {"/usr/bin/prlimit", "--nofile=100:128", "--"});
        REQUIRE(daemon.wait_ready());
        CHECK(daemon.log().find("descriptor limit raised from 100 to the hard limit, 128") !=
              std::string::npos);
        std::vector<raw::Connection> stalled;
        for (int i = 0; i < 300; ++i) {
            stalled.emplace_back(daemon.socket_path());
            stalled.back().send(std::string("\x00\x05", 2) + "al");
        }
        const auto started = std::chrono::steady_clock::now();
        for (int i = 0; i < 2; ++i)
            CHECK(authenticates(daemon.socket_path(), "alice", k_test_password));
        CHECK(std::chrono::steady_clock::now() - started < 3s);
        CHECK(eventually([&] {
            return daemon.log().find("at max_connections (16): closed the") != std::string::npos;
        }));
    }

    TEST_CASE("a killed worker is replaced and the others keep answering") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args({"-n", "3"}));
        REQUIRE(daemon.wait_ready());
        REQUIRE(eventually([&] { return daemon.workers().size() == 3; }));
        std::atomic<bool> done = false;
        std::atomic<int> succeeded = 0;
        std::atomic<int> failed = 0;
        std::thread load([&] {
            while (!done) {
                const auto reply = client::authenticate(daemon.socket_path(),
                                                        {"alice", k_test_password, "imap", "", {}});
                (reply && reply->ok ? succeeded : failed)++;
            }
        });
        std::this_thread::sleep_for(200ms);
        const auto victim = daemon.workers().front();
        kill(victim, SIGKILL);
        std::this_thread::sleep_for(100ms);
        const int failed_around_kill = failed.load();
        const int succeeded_before = succeeded.load();
        std::this_thread::sleep_for(500ms);
        done = true;
        load.join();
        CHECK(failed_around_kill <= 1); // at most the one request the killed worker was serving
        CHECK(failed.load() == failed_around_kill);
        CHECK(succeeded.load() > succeeded_before);
        CHECK(eventually([&] {
            const auto workers = daemon.workers();
            return workers.size() == 3 && std::ranges::find(workers, victim) == workers.end();
        }));
        CHECK(daemon.log().find("killed by signal 9") != std::string::npos);
    }

    TEST_CASE("workers are recycled after worker_max_requests") {
        Fixture fixture("worker_max_requests: 5\n");
        Daemon daemon(fixture.dir, fixture.args({"-n", "1"}));
        REQUIRE(daemon.wait_ready());
        REQUIRE(eventually([&] { return daemon.workers().size() == 1; }));
        const auto first = daemon.workers();
        for (int i = 0; i < 12; ++i)
            CHECK(authenticates(daemon.socket_path(), "alice", k_test_password));
        CHECK(
            eventually([&] { return daemon.workers().size() == 1 && daemon.workers() != first; }));
        // Clients queued behind a retiring worker's last request are served by the next one,
        // and the retiring worker does not try to accept on the listener it gave up.
        std::atomic<int> served{0};
        std::vector<std::thread> clients;
        for (int t = 0; t < 8; ++t)
            clients.emplace_back([&] {
                for (int i = 0; i < 10; ++i)
                    served += authenticates(daemon.socket_path(), "alice", k_test_password) ? 1 : 0;
            });
        for (auto& client : clients)
            client.join();
        CHECK(served == 80);
        daemon.stop();
        CHECK(daemon.log().find("accept: ") == std::string::npos);
    }

    TEST_CASE("-n 0 serves each request in a process of its own") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args({"-n", "0"}));
        REQUIRE(daemon.wait_ready());
        for (int i = 0; i < 5; ++i) {
            CHECK(authenticates(daemon.socket_path(), "alice", k_test_password));
            CHECK_FALSE(authenticates(daemon.socket_path(), "alice", "nope"));
        }
    }

    TEST_CASE("SIGTERM removes socket and pid file and spares the process group") {
        Fixture fixture;
        // A sentinel in our process group: the daemon shares it and must not signal it.
        const pid_t sentinel = fork();
        if (sentinel == 0) {
            pause();
            _exit(0);
        }
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        const auto pid_file = daemon.socket_dir() + "/saslauthd.pid";
        CHECK(std::stoi(read_file(pid_file)) == daemon.pid());
        CHECK(daemon.stop() == 0);
        CHECK_FALSE(std::filesystem::exists(daemon.socket_path()));
        CHECK_FALSE(std::filesystem::exists(pid_file));
        int status = 0;
        CHECK(waitpid(sentinel, &status, WNOHANG) == 0);
        kill(sentinel, SIGKILL);
        waitpid(sentinel, &status, 0);
    }

    TEST_CASE("a second instance on the same directory refuses to start") {
        Fixture fixture;
        Daemon first(fixture.dir, fixture.args());
        REQUIRE(first.wait_ready());
        auto argv = std::vector<std::string>{SASLAUTHD_BIN, "-d", "-m", first.socket_dir()};
        for (const auto& arg : fixture.args())
            argv.push_back(arg);
        const auto second = run_command(argv, {}, 10s);
        CHECK(second.status != 0);
        CHECK(second.err.find("already running") != std::string::npos);
        CHECK(second.err.find(std::to_string(first.pid())) != std::string::npos);
        CHECK(authenticates(first.socket_path(), "alice", k_test_password));
    }

    TEST_CASE("detached: the starter exits 0 once the daemon listens") {
        Fixture fixture;
        const auto socket_dir = fixture.dir / "run";
        auto argv = std::vector<std::string>{SASLAUTHD_BIN, "-m", socket_dir};
        for (const auto& arg : fixture.args())
            argv.push_back(arg);
        // The starter's output pipes reach end-of-file once it exits: no worker keeps them.
        const auto begin = std::chrono::steady_clock::now();
        const auto started = run_command(argv, {}, 10s);
        REQUIRE(started.status == 0);
        CHECK(std::chrono::steady_clock::now() - begin < 5s);
        const auto pid = std::stoi(read_file(socket_dir + "/saslauthd.pid"));
        CHECK(authenticates(socket_dir + "/mux", "alice", k_test_password));
        CHECK(kill(pid, SIGTERM) == 0);
        CHECK(eventually([&] { return kill(pid, 0) != 0; }));
        CHECK_FALSE(std::filesystem::exists(socket_dir + "/mux"));
    }

    TEST_CASE("detached: a start-up failure makes the starter exit non-zero") {
        Fixture fixture;
        const auto started = run_command({SASLAUTHD_BIN, "-m", fixture.dir / "missing-parent/run",
                                          "-a", "shadow", "-O", fixture.dir / "saslauthd.conf"},
                                         {}, 10s);
        CHECK(started.status != 0);
        CHECK(started.err.find("missing-parent") != std::string::npos);
    }

    TEST_CASE("a bad options file names file and line, and the daemon refuses to start") {
        Fixture fixture("request_timeout: soon\n");
        auto argv = std::vector<std::string>{SASLAUTHD_BIN, "-d", "-m", fixture.dir / "run"};
        for (const auto& arg : fixture.args())
            argv.push_back(arg);
        const auto result = run_command(argv, {}, 10s);
        CHECK(result.status != 0);
        CHECK(result.err.find(fixture.dir / "saslauthd.conf" + ":2:") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(fixture.dir / "run/mux"));
    }

    TEST_CASE("flags: -v prints the mechanisms, a bad flag prints usage and fails") {
        const auto version = run_command({SASLAUTHD_BIN, "-v"});
        CHECK(version.status == 0);
        CHECK(version.out.find("shadow") != std::string::npos);
        const auto bad = run_command({SASLAUTHD_BIN, "-Z"});
        CHECK(bad.status != 0);
        CHECK(bad.err.find("usage") != std::string::npos);
        const auto relative = run_command({SASLAUTHD_BIN, "-a", "shadow", "-m", "relative/dir"});
        CHECK(relative.status != 0);
    }

} // TEST_SUITE
