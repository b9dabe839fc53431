#include "daemon/auth/penalty.hpp"

#include <atomic>
#include <csignal>
#include <cstdint>
#include <doctest/doctest.h>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using saslauthd::auth::Penalty;
using saslauthd::auth::penalty_address;
using saslauthd::config::PenaltySettings;
using namespace std::chrono_literals;

namespace {

Penalty::Clock::time_point at(std::chrono::milliseconds ms) {
    return Penalty::Clock::time_point{} + 1000s + ms;
}

Penalty table(PenaltySettings settings = {}) {
    settings.max_entries = 1024;
    return Penalty::create_shared(settings);
}

std::string nth(std::string_view prefix, int n) {
    return std::string(prefix) + std::to_string(n);
}

} // namespace

TEST_SUITE("daemon::penalty") {

    TEST_CASE("no delay before a failure, then 2 s doubling up to the 15 s cap") {
        auto penalty = table();
        CHECK(penalty.delay_for("192.0.2.1;25", "alice", at(0ms)) == 0ms);
        const std::vector<std::chrono::milliseconds> expected{0ms,    2000ms,  4000ms,
                                                              8000ms, 15000ms, 15000ms};
        for (int i = 0; i < static_cast<int>(expected.size()); ++i)
            CHECK(penalty.on_failure("192.0.2.1;25", "alice", nth("wrong", i), at(i * 1ms)) ==
                  expected[i]);
        CHECK(penalty.delayed_replies() == 5);
        CHECK(penalty.delay_ms_total() == 2000 + 4000 + 8000 + 15000 + 15000);
    }

    TEST_CASE("a count is forgotten forget_after (2+4+8+15 s) after its last failure") {
        auto penalty = table();
        CHECK(penalty.forget_after() == 29000ms);
        penalty.record_failure("192.0.2.1;25", "alice", "a", at(0ms));
        penalty.record_failure("192.0.2.1;25", "alice", "b", at(10000ms));
        CHECK(penalty.delay_for("192.0.2.1;25", "alice", at(38999ms)) == 4000ms);
        CHECK(penalty.delay_for("192.0.2.1;25", "alice", at(39000ms)) == 0ms);
        penalty.record_failure("192.0.2.1;25", "alice", "c", at(40000ms));
        CHECK(penalty.delay_for("192.0.2.1;25", "alice", at(40000ms)) == 2000ms);
    }

    TEST_CASE("the ladder and the decay follow the settings") {
        auto penalty = table({.initial = 100ms, .max = 1000ms});
        CHECK(penalty.forget_after() == 100ms + 200ms + 400ms + 800ms + 1000ms);
        for (int i = 0; i < 6; ++i)
            penalty.record_failure("", "bob", nth("pw", i), at(0ms));
        CHECK(penalty.delay_for("", "bob", at(0ms)) == 1000ms);
    }

    TEST_CASE("address and login count apart, a request waits the larger delay") {
        auto penalty = table();
        for (int i = 0; i < 3; ++i) // one address trying three logins
            penalty.record_failure("192.0.2.1;25", nth("user", i), "guess", at(0ms));
        CHECK(penalty.delay_for("192.0.2.1;25", "someone", at(0ms)) == 8000ms);
        CHECK(penalty.delay_for("192.0.2.9;25", "user0", at(0ms)) == 2000ms);
        CHECK(penalty.delay_for("192.0.2.9;25", "someone", at(0ms)) == 0ms);
        CHECK(penalty.delay_for("", "someone", at(0ms)) == 0ms);

        for (int i = 0; i < 4; ++i) // one login tried from four addresses
            penalty.record_failure(nth("198.51.100.", i) + ";25", "carol", nth("pw", i), at(0ms));
        CHECK(penalty.delay_for("203.0.113.1;25", "carol", at(0ms)) == 15000ms);
        CHECK(penalty.delay_for("", "carol", at(0ms)) == 15000ms);
    }

    TEST_CASE("addresses: IPv4 /32, IPv6 masked to its prefix, ports ignored") {
        CHECK(penalty_address("192.0.2.1;25", 64) == penalty_address("192.0.2.1;587", 64));
        CHECK(penalty_address("192.0.2.1", 64) == penalty_address("192.0.2.1;1", 64));
        CHECK(penalty_address("192.0.2.1;25", 64) != penalty_address("192.0.2.2;25", 64));
        CHECK(penalty_address("::ffff:192.0.2.1;25", 64) == penalty_address("192.0.2.1;25", 64));
        CHECK(penalty_address("2001:db8::1;25", 64) == penalty_address("2001:db8::ff:2;25", 64));
        CHECK(penalty_address("2001:db8::1;25", 64) != penalty_address("2001:db8:0:1::1;25", 64));
        CHECK(penalty_address("2001:db8::1;25", 48) == penalty_address("2001:db8:0:1::1;25", 48));
        CHECK(penalty_address("2001:db8::1;25", 128) != penalty_address("2001:db8::2;25", 128));
        CHECK(penalty_address("2001:db8::1;25", 500) != penalty_address("2001:db8::2;25", 500));
        CHECK_FALSE(penalty_address("", 64));
        CHECK_FALSE(penalty_address(";25", 64));
        CHECK_FALSE(penalty_address("mail.example.org;25", 64));
        CHECK_FALSE(penalty_address("192.0.2.1:25", 64));
        CHECK_FALSE(penalty_address("fe80::1%eth0;25", 64));
        CHECK_FALSE(penalty_address(std::string(100, '1'), 64));
    }

    TEST_CASE("two IPv6 addresses in one /64 share a count") {
        auto penalty = table();
        penalty.record_failure("2001:db8::1;25", "u1", "x", at(0ms));
        penalty.record_failure("2001:db8::abcd:2;25", "u2", "x", at(0ms));
        CHECK(penalty.delay_for("2001:db8::3;25", "u3", at(0ms)) == 4000ms);
        CHECK(penalty.delay_for("2001:db8:0:1::3;25", "u3", at(0ms)) == 0ms);

        auto wide = table({.ipv6_prefix = 48});
        wide.record_failure("2001:db8::1;25", "u1", "x", at(0ms));
        CHECK(wide.delay_for("2001:db8:0:1::3;25", "u3", at(0ms)) == 2000ms);
    }

    TEST_CASE("an unparsable address is ignored, the login still counts") {
        auto penalty = table();
        for (int i = 0; i < 3; ++i)
            penalty.record_failure("not-an-address;25", nth("user", i), "x", at(0ms));
        CHECK(penalty.delay_for("not-an-address;25", "other", at(0ms)) == 0ms);
        CHECK(penalty.delay_for("not-an-address;25", "user1", at(0ms)) == 2000ms);
    }

    TEST_CASE("a success resets its login, not its address") {
        auto penalty = table();
        penalty.record_failure("192.0.2.1;25", "alice", "a", at(0ms));
        penalty.record_failure("192.0.2.1;25", "alice", "b", at(0ms));
        penalty.record_failure("192.0.2.1;25", "alice", "c", at(0ms));
        penalty.record_success("alice");
        CHECK(penalty.delay_for("", "alice", at(0ms)) == 0ms);
        CHECK(penalty.delay_for("192.0.2.1;25", "alice", at(0ms)) == 8000ms);
        CHECK(penalty.delay_for("192.0.2.1;25", "bob", at(0ms)) == 8000ms);
        penalty.record_success("never-failed");
        CHECK(penalty.live_entries(at(0ms)) == 1);
    }

    TEST_CASE("the same wrong password repeated counts once") {
        auto penalty = table();
        for (int i = 0; i < 5; ++i)
            penalty.record_failure("192.0.2.1;25", "alice", "stale", at(i * 20000ms));
        // Each repeat also kept the entry alive past forget_after.
        CHECK(penalty.delay_for("192.0.2.1;25", "alice", at(80000ms)) == 2000ms);
        penalty.record_failure("192.0.2.1;25", "alice", "other", at(80000ms));
        penalty.record_failure("192.0.2.1;25", "alice", "stale", at(80000ms));
        CHECK(penalty.delay_for("192.0.2.1;25", "alice", at(80000ms)) == 8000ms);
        // The same password for another login is another guess for the address.
        penalty.record_failure("192.0.2.1;25", "bob", "stale", at(80000ms));
        CHECK(penalty.delay_for("192.0.2.1;25", "carol", at(80000ms)) == 15000ms);
        CHECK(penalty.delay_for("", "bob", at(80000ms)) == 2000ms);
    }

    TEST_CASE("disabled: never a delay") {
        for (const auto& settings :
             {PenaltySettings{.enabled = false}, PenaltySettings{.initial = 0ms}}) {
            auto penalty = Penalty::create_shared(settings);
            for (int i = 0; i < 10; ++i)
                CHECK(penalty.on_failure("192.0.2.1;25", "alice", nth("pw", i), at(0ms)) == 0ms);
            CHECK(penalty.delay_for("192.0.2.1;25", "alice", at(0ms)) == 0ms);
            CHECK(penalty.live_entries(at(0ms)) == 0);
            CHECK(penalty.delayed_replies() == 0);
        }
    }

    TEST_CASE("memory is bounded by max_entries, the oldest entries make room") {
        auto penalty = Penalty::create_shared({.max_entries = 16});
        CHECK(penalty.capacity() == 16);
        for (int i = 0; i < 5000; ++i)
            penalty.record_failure(nth("10.0.", i / 250) + "." + std::to_string(i % 250) + ";25",
                                   nth("user", i), "x", at(i * 1ms));
        CHECK(penalty.live_entries(at(5000ms)) <= 16);
        CHECK(penalty.delay_for("", "user4999", at(5000ms)) == 2000ms);
        CHECK(penalty.delay_for("", "user0", at(5000ms)) == 0ms);
        CHECK(Penalty::create_shared({.max_entries = 3}).capacity() == 8);
    }

    TEST_CASE("processes share the table and survive one killed at any instant") {
        alarm(120);
        // One bucket, so every process fights over one lock and kills often land inside it.
        auto penalty = Penalty::create_shared({.max_entries = 8});
        struct Shared {
            std::atomic<bool> stop{false};
            std::atomic<std::uint64_t> operations{0};
        };
        auto* shared = new (mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0)) Shared;
        const auto spawn = [&](int id) {
            const pid_t pid = fork();
            REQUIRE(pid >= 0);
            if (pid > 0)
                return pid;
            alarm(120);
            for (int i = 0; !shared->stop.load(); ++i) {
                penalty.on_failure(nth("192.0.2.", i % 200) + ";25", nth("user", id * 100 + i % 13),
                                   nth("pw", i), Penalty::Clock::now());
                shared->operations.fetch_add(1);
            }
            _exit(0);
        };

        std::vector<pid_t> steady;
        for (int id = 0; id < 3; ++id)
            steady.push_back(spawn(id));
        int rounds = 0;
        for (; rounds < 500 && penalty.recovered_buckets() == 0; ++rounds) {
            std::vector<pid_t> victims;
            for (int id = 3; id < 7; ++id)
                victims.push_back(spawn(id));
            usleep(static_cast<useconds_t>(500 + rounds * 397 % 3000));
            for (const pid_t pid : victims) {
                kill(pid, SIGKILL);
                int status = 0;
                waitpid(pid, &status, 0);
                CHECK(WIFSIGNALED(status));
            }
        }
        MESSAGE("rounds of 4 kills until a bucket was recovered: " << rounds);
        CHECK(penalty.recovered_buckets() > 0);
        // The survivors keep going after the recovery (a hang trips the alarm).
        const auto before = shared->operations.load();
        while (shared->operations.load() < before + 1000)
            usleep(1000);
        shared->stop.store(true);
        for (const pid_t pid : steady) {
            int status = 0;
            REQUIRE(waitpid(pid, &status, 0) == pid);
            CHECK(WIFEXITED(status));
            CHECK(WEXITSTATUS(status) == 0);
        }

        const auto now = Penalty::Clock::now();
        penalty.record_failure("203.0.113.5;25", "fresh", "x", now);
        CHECK(penalty.delay_for("", "fresh", now) == 2000ms);
        CHECK(penalty.live_entries(now) <= 8);
        alarm(0);
    }
}
