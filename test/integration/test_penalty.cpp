// The brute-force penalty through the real daemon: failure replies wait longer the more
// failures came before them, per login and per client address, and the wait decays; nobody
// else's replies, and no success, wait.
#include "client/client.hpp"
#include "harness.hpp"

#include <atomic>
#include <doctest/doctest.h>
#include <optional>
#include <thread>

using namespace harness;
using Clock = std::chrono::steady_clock;

namespace {

// Short delays keep the test short: 500, 1000, 2000, 2000 … ms, forgotten after 3.5 s.
constexpr auto k_initial = 500ms;
constexpr auto k_max = 2000ms;
constexpr auto k_forget = 500ms + 1000ms + 2000ms;
// Scheduling slack above a delay; below it there is none, the reply is a timer.
constexpr auto k_slack = 400ms;

struct Fixture {
    TempDir dir;
    explicit Fixture(const std::string& options = {}) {
        dir.write("shadow", shadow_line("alice") + shadow_line("bob"));
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") +
                                        "\npenalty_initial_delay_ms: 500"
                                        "\npenalty_max_delay_ms: 2000\n" +
                                        options);
    }
    std::vector<std::string> args() const {
        return {"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"};
    }
};

struct Answer {
    bool ok = false;
    Clock::duration took{};
};

Answer ask(const Daemon& daemon, std::string_view login, std::string_view password,
           std::optional<std::string> client_addr = std::nullopt) {
    const auto asked = Clock::now();
    std::optional<std::string_view> address;
    if (client_addr)
        address = *client_addr;
    const auto reply =
        client::authenticate(daemon.socket_path(), {login, password, "smtp", "", address});
    REQUIRE(reply.has_value());
    return {reply->ok, Clock::now() - asked};
}

// The reply waited `delay`, give or take the slack above it.
void check_waited(const Answer& answer, std::chrono::milliseconds delay) {
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(answer.took);
    CAPTURE(took.count());
    CAPTURE(delay.count());
    CHECK(took >= delay);
    CHECK(took < delay + k_slack);
}

} // namespace

TEST_SUITE("integration::penalty") {

    TEST_CASE("without client addresses a login's failures wait longer each time, up to the cap") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        const std::chrono::milliseconds ladder[] = {0ms, k_initial, 2 * k_initial, k_max, k_max};
        for (std::size_t i = 0; i < std::size(ladder); ++i) {
            CAPTURE(i);
            const auto answer = ask(daemon, "alice", "wrong " + std::to_string(i));
            CHECK_FALSE(answer.ok);
            check_waited(answer, ladder[i]);
        }
        // Repeating the last wrong password keeps the count where it is.
        const auto repeated = ask(daemon, "alice", "wrong 4");
        check_waited(repeated, k_max);
        // Other logins are not slowed by alice's count.
        check_waited(ask(daemon, "bob", "wrong"), 0ms);
        // A success is never delayed, and it clears the login's count.
        check_waited(ask(daemon, "alice", k_test_password), 0ms);
        check_waited(ask(daemon, "alice", "wrong again"), 0ms);
        daemon.stop();
        CHECK(daemon.log().find("reply_delay_ms=2000") != std::string::npos);
    }

    TEST_CASE("a wrong password sent again keeps its login at the same delay") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        check_waited(ask(daemon, "alice", "guess"), 0ms);
        for (int i = 0; i < 3; ++i)
            check_waited(ask(daemon, "alice", "guess"), k_initial);
        check_waited(ask(daemon, "alice", "another guess"), k_initial);
        check_waited(ask(daemon, "alice", "a third guess"), 2 * k_initial);
    }

    TEST_CASE("counts decay: after a quiet spell failures are answered at once again") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        const std::string address = "192.0.2.7;40000";
        for (int i = 0; i < 4; ++i)
            CHECK_FALSE(ask(daemon, "alice", "wrong " + std::to_string(i), address).ok);
        check_waited(ask(daemon, "alice", "wrong 4", address), k_max);
        std::this_thread::sleep_for(k_forget + 100ms);
        check_waited(ask(daemon, "alice", "wrong 5", address), 0ms);
        check_waited(ask(daemon, "alice", "wrong 6", address), k_initial);
    }

    TEST_CASE("with client addresses failures count per address, IPv6 per /64 by default") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        // One address trying many logins: its count rises though each login fails once.
        const std::string attacker = "192.0.2.7;40000";
        check_waited(ask(daemon, "user1", "x", attacker), 0ms);
        check_waited(ask(daemon, "user2", "x", "192.0.2.7;40001"), k_initial);
        check_waited(ask(daemon, "user3", "x", attacker), 2 * k_initial);
        // Another IPv4 address is a host of its own.
        check_waited(ask(daemon, "user4", "x", "192.0.2.8;40000"), 0ms);

        // IPv6: hosts in one /64 share a count, another /64 does not.
        check_waited(ask(daemon, "user5", "x", "2001:db8:0:1::1;50000"), 0ms);
        check_waited(ask(daemon, "user6", "x", "2001:db8:0:1::2;50000"), k_initial);
        check_waited(ask(daemon, "user7", "x", "2001:db8:0:2::1;50000"), 0ms);

        // A correct password from the attacking address is not delayed.
        check_waited(ask(daemon, "bob", k_test_password, attacker), 0ms);
    }

    TEST_CASE("penalty_ipv6_prefix: 128 counts every IPv6 host alone") {
        Fixture fixture("penalty_ipv6_prefix: 128\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        check_waited(ask(daemon, "user1", "x", "2001:db8:0:1::1;50000"), 0ms);
        check_waited(ask(daemon, "user2", "x", "2001:db8:0:1::2;50000"), 0ms);
        check_waited(ask(daemon, "user3", "x", "2001:db8:0:1::1;50001"), k_initial);
    }

    TEST_CASE("a correct-password user is not slowed by a concurrent attack on another account") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        // Eight attackers keep alice's failures at the cap for the whole test.
        std::atomic<bool> stop{false};
        std::atomic<int> attacks{0};
        std::vector<std::thread> attackers;
        for (int t = 0; t < 8; ++t)
            attackers.emplace_back([&, t] {
                for (int i = 0; !stop; ++i) {
                    const auto address = "198.51.100." + std::to_string(t) + ";1000";
                    const auto reply = client::authenticate(
                        daemon.socket_path(),
                        {"alice", "guess " + std::to_string(t) + "." + std::to_string(i), "smtp",
                         "", address});
                    if (reply && !reply->ok)
                        ++attacks;
                }
            });
        CHECK(eventually([&] { return attacks >= 8; }, 10s));
        for (int i = 0; i < 20; ++i) {
            const auto answer = ask(daemon, "bob", k_test_password, "203.0.113.5;2000");
            CHECK(answer.ok);
            CHECK(answer.took < k_slack);
        }
        // The attack itself was slowed: alice's failures wait the cap.
        check_waited(ask(daemon, "alice", "one more guess"), k_max);
        stop = true;
        for (auto& attacker : attackers)
            attacker.join();
    }

    TEST_CASE("penalty: no answers every failure at once") {
        Fixture fixture("penalty: no\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        for (int i = 0; i < 5; ++i)
            check_waited(ask(daemon, "alice", "wrong " + std::to_string(i), "192.0.2.7;1"), 0ms);
    }

    TEST_CASE("a maximum delay below the initial one stops the start with file and line") {
        TempDir dir;
        const auto result = start_with_options(dir, "penalty_initial_delay_ms: 3000\n"
                                                    "penalty_max_delay_ms: 1000\n");
        CHECK(result.status != 0);
        CHECK(result.err.find("saslauthd.conf:2") != std::string::npos);
        CHECK(result.err.find("penalty_max_delay_ms") != std::string::npos);
    }
}
