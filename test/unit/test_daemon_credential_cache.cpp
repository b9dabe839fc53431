#include "daemon/auth/credential_cache.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <doctest/doctest.h>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

using saslauthd::auth::CacheLookup;
using saslauthd::auth::CredentialCache;
using saslauthd::auth::CredentialCacheSettings;
using Verdict = backends::Verdict;
using namespace std::chrono_literals;

namespace {

const auto t0 = CredentialCache::Clock::time_point{} + 1000h;

CredentialCacheSettings settings_with(std::size_t size_kb = 64,
                                      std::chrono::seconds positive = 600s,
                                      std::chrono::seconds negative = 30s, bool stale = false) {
    return CredentialCacheSettings{size_kb, positive, negative, stale};
}

CacheLookup look(CredentialCache& cache, const std::string& login, const std::string& password,
                 CredentialCache::Clock::time_point now = t0) {
    return cache.lookup("imap", "example.org", login, password, now);
}

void put(CredentialCache& cache, const std::string& login, const std::string& password,
         Verdict verdict, CredentialCache::Clock::time_point now = t0) {
    cache.store("imap", "example.org", login, password, verdict, now);
}

// Forks a child that runs `body` and leaves with its return value, never through doctest.
template <typename Body> pid_t spawn(Body body) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 2;
        try {
            code = body();
        } catch (...) {
        }
        _exit(code);
    }
    return pid;
}

int wait_for(pid_t pid) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return status;
}

struct Control {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> violations{0};
    std::atomic<std::uint64_t> operations{0};
};

// Stores and looks up its own users on a table shared with the others; a wrong answer is a
// violation, an answer missing because another process pushed the entry out is not.
int hammer(CredentialCache& cache, Control& control, int id) {
    alarm(20);
    for (std::uint64_t i = 0; !control.stop.load(); ++i) {
        const auto login = "user" + std::to_string(id) + "-" + std::to_string(i % 40);
        put(cache, login, "right", Verdict::ok, CredentialCache::Clock::now());
        if (i % 3 == 0)
            put(cache, login, "wrong", Verdict::bad_password, CredentialCache::Clock::now());
        const auto right = look(cache, login, "right", CredentialCache::Clock::now());
        const auto wrong = look(cache, login, "wrong", CredentialCache::Clock::now());
        if (right == CacheLookup::hit_bad_password || wrong == CacheLookup::hit_ok)
            control.violations.fetch_add(1);
        if (i % 97 == 0)
            cache.flush_user(login);
        control.operations.fetch_add(1);
    }
    return 0;
}

} // namespace

TEST_SUITE("daemon::credential_cache") {

    TEST_CASE("a cached success answers only the same login and password") {
        auto cache = CredentialCache::create_shared(settings_with());
        CHECK(look(cache, "alice", "secret") == CacheLookup::miss);
        put(cache, "alice", "secret", Verdict::ok);
        CHECK(look(cache, "alice", "secret") == CacheLookup::hit_ok);
        CHECK(look(cache, "alice", "Secret") == CacheLookup::miss);
        CHECK(look(cache, "bob", "secret") == CacheLookup::miss);
        CHECK(cache.lookup("smtp", "example.org", "alice", "secret", t0) == CacheLookup::miss);
        CHECK(cache.lookup("imap", "example.net", "alice", "secret", t0) == CacheLookup::miss);
        CHECK(cache.counters().hits == 1);
        CHECK(cache.counters().misses == 5);
        CHECK(cache.counters().inserts == 1);
    }

    TEST_CASE("fields cannot run into each other") {
        auto cache = CredentialCache::create_shared(settings_with());
        cache.store("a", std::string_view("b\0c", 3), "d", "pw", Verdict::ok, t0);
        CHECK(cache.lookup("a", "b", std::string_view("c\0d", 3), "pw", t0) == CacheLookup::miss);
        CHECK(cache.lookup("a", std::string_view("b\0c", 3), "d", "pw", t0) == CacheLookup::hit_ok);
    }

    TEST_CASE("a success expires after the positive TTL") {
        auto cache = CredentialCache::create_shared(settings_with(64, 600s));
        put(cache, "alice", "secret", Verdict::ok);
        CHECK(look(cache, "alice", "secret", t0 + 599s) == CacheLookup::hit_ok);
        CHECK(look(cache, "alice", "secret", t0 + 600s) == CacheLookup::miss);
        put(cache, "alice", "secret", Verdict::ok, t0 + 600s);
        CHECK(look(cache, "alice", "secret", t0 + 1000s) == CacheLookup::hit_ok);
    }

    TEST_CASE("repeating the same wrong password is answered until the negative TTL") {
        auto cache = CredentialCache::create_shared(settings_with(64, 600s, 30s));
        put(cache, "alice", "guess", Verdict::bad_password);
        CHECK(look(cache, "alice", "guess", t0 + 29s) == CacheLookup::hit_bad_password);
        CHECK(look(cache, "alice", "other", t0 + 29s) == CacheLookup::miss);
        CHECK(look(cache, "alice", "guess", t0 + 30s) == CacheLookup::miss);
    }

    TEST_CASE("a negative TTL of 0 caches no wrong password") {
        auto cache = CredentialCache::create_shared(settings_with(64, 600s, 0s));
        put(cache, "alice", "guess", Verdict::bad_password);
        CHECK(look(cache, "alice", "guess") == CacheLookup::miss);
        CHECK(cache.counters().inserts == 0);
    }

    TEST_CASE("a wrong password after a cached success asks the backend again") {
        auto cache = CredentialCache::create_shared(settings_with());
        put(cache, "alice", "secret", Verdict::ok);
        CHECK(look(cache, "alice", "guess") == CacheLookup::miss);
        put(cache, "alice", "guess", Verdict::bad_password);
        CHECK(look(cache, "alice", "guess") == CacheLookup::hit_bad_password);
        CHECK(look(cache, "alice", "secret") == CacheLookup::hit_ok);
    }

    TEST_CASE("a new verdict for the same password replaces the opposite one") {
        auto cache = CredentialCache::create_shared(settings_with());
        put(cache, "alice", "secret", Verdict::ok);
        put(cache, "alice", "secret", Verdict::bad_password, t0 + 1s);
        CHECK(look(cache, "alice", "secret", t0 + 2s) == CacheLookup::hit_bad_password);
        put(cache, "alice", "secret", Verdict::ok, t0 + 3s);
        CHECK(look(cache, "alice", "secret", t0 + 4s) == CacheLookup::hit_ok);

        auto no_negative = CredentialCache::create_shared(settings_with(64, 600s, 0s));
        put(no_negative, "alice", "secret", Verdict::ok);
        put(no_negative, "alice", "secret", Verdict::bad_password, t0 + 1s);
        CHECK(look(no_negative, "alice", "secret", t0 + 2s) == CacheLookup::miss);
    }

    TEST_CASE("a new password replaces the cached one") {
        auto cache = CredentialCache::create_shared(settings_with());
        put(cache, "alice", "old", Verdict::ok);
        put(cache, "alice", "new", Verdict::ok, t0 + 1s);
        CHECK(look(cache, "alice", "new", t0 + 2s) == CacheLookup::hit_ok);
        CHECK(look(cache, "alice", "old", t0 + 2s) == CacheLookup::miss);
    }

    TEST_CASE("temporary failures are never stored") {
        auto cache = CredentialCache::create_shared(settings_with());
        put(cache, "alice", "secret", Verdict::temp_failure);
        CHECK(look(cache, "alice", "secret") == CacheLookup::miss);
        CHECK(cache.counters().inserts == 0);
    }

    TEST_CASE("an unknown user and a disabled account are kept like a wrong password") {
        auto cache = CredentialCache::create_shared(settings_with(64, 600s, 30s));
        put(cache, "nobody", "guess", Verdict::unknown_user);
        put(cache, "locked", "right", Verdict::disabled);
        CHECK(look(cache, "nobody", "guess", t0 + 29s) == CacheLookup::hit_unknown_user);
        CHECK(look(cache, "locked", "right", t0 + 29s) == CacheLookup::hit_disabled);
        CHECK(look(cache, "nobody", "other", t0 + 29s) == CacheLookup::miss);
        CHECK(look(cache, "nobody", "guess", t0 + 30s) == CacheLookup::miss); // negative TTL
        CHECK(look(cache, "locked", "right", t0 + 30s) == CacheLookup::miss);

        // One failure per login, whichever kind: the newer replaces the older.
        put(cache, "alice", "first", Verdict::bad_password);
        put(cache, "alice", "second", Verdict::unknown_user, t0 + 1s);
        CHECK(look(cache, "alice", "first", t0 + 2s) == CacheLookup::miss);
        CHECK(look(cache, "alice", "second", t0 + 2s) == CacheLookup::hit_unknown_user);
        // A success for that password replaces it, and the other way round.
        put(cache, "alice", "second", Verdict::ok, t0 + 3s);
        CHECK(look(cache, "alice", "second", t0 + 4s) == CacheLookup::hit_ok);
        put(cache, "alice", "second", Verdict::disabled, t0 + 5s);
        CHECK(look(cache, "alice", "second", t0 + 6s) == CacheLookup::hit_disabled);

        auto no_negative = CredentialCache::create_shared(settings_with(64, 600s, 0s));
        put(no_negative, "nobody", "guess", Verdict::unknown_user);
        put(no_negative, "locked", "right", Verdict::disabled);
        CHECK(look(no_negative, "nobody", "guess") == CacheLookup::miss);
        CHECK(no_negative.counters().inserts == 0);
    }

    TEST_CASE("an expired success answers a temporary failure only when enabled") {
        auto off = CredentialCache::create_shared(settings_with(64, 600s, 30s, false));
        put(off, "alice", "secret", Verdict::ok);
        CHECK(off.stale("imap", "example.org", "alice", "secret") == CacheLookup::miss);

        auto on = CredentialCache::create_shared(settings_with(64, 600s, 30s, true));
        put(on, "alice", "secret", Verdict::ok);
        put(on, "bob", "guess", Verdict::bad_password);
        CHECK(look(on, "alice", "secret", t0 + 5000s) == CacheLookup::miss);
        CHECK(on.stale("imap", "example.org", "alice", "secret") == CacheLookup::stale_ok);
        CHECK(on.stale("imap", "example.org", "alice", "guess") == CacheLookup::miss);
        CHECK(on.stale("imap", "example.org", "bob", "guess") == CacheLookup::miss);
        CHECK(on.stale("smtp", "example.org", "alice", "secret") == CacheLookup::miss);
        CHECK(on.counters().stale_hits == 1);
    }

    TEST_CASE("flushing everything or one user") {
        auto cache = CredentialCache::create_shared(settings_with());
        put(cache, "alice", "secret", Verdict::ok);
        cache.store("smtp", "", "alice", "secret", Verdict::ok, t0);
        put(cache, "alice", "guess", Verdict::bad_password);
        put(cache, "bob", "hunter2", Verdict::ok);
        put(cache, "carol", "pw", Verdict::ok);

        CHECK(cache.flush_user("alice") == 3);
        CHECK(look(cache, "alice", "secret") == CacheLookup::miss);
        CHECK(look(cache, "alice", "guess") == CacheLookup::miss);
        CHECK(cache.lookup("smtp", "", "alice", "secret", t0) == CacheLookup::miss);
        CHECK(look(cache, "bob", "hunter2") == CacheLookup::hit_ok);
        CHECK(cache.flush_user("nobody") == 0);

        cache.flush_all();
        CHECK(look(cache, "bob", "hunter2") == CacheLookup::miss);
        CHECK(look(cache, "carol", "pw") == CacheLookup::miss);
    }

    TEST_CASE("a full bucket evicts the least recently used entry") {
        auto cache = CredentialCache::create_shared(settings_with(1));
        REQUIRE(cache.bucket_count() == 1);
        const auto ways = CredentialCache::ways();
        for (std::size_t i = 0; i < ways; ++i)
            put(cache, "user" + std::to_string(i), "pw", Verdict::ok, t0 + std::chrono::seconds(i));
        CHECK(look(cache, "user0", "pw", t0 + 100s) == CacheLookup::hit_ok);
        CHECK(cache.counters().evictions == 0);

        put(cache, "late", "pw", Verdict::ok, t0 + 101s);
        CHECK(cache.counters().evictions == 1);
        CHECK(cache.counters().inserts == ways + 1);
        CHECK(look(cache, "user1", "pw", t0 + 102s) == CacheLookup::miss);
        CHECK(look(cache, "user0", "pw", t0 + 102s) == CacheLookup::hit_ok);
        CHECK(look(cache, "late", "pw", t0 + 102s) == CacheLookup::hit_ok);

        // Expired entries go before fresh ones, and pushing them out is no eviction.
        put(cache, "later", "pw", Verdict::ok, t0 + 2s + 600s);
        CHECK(cache.counters().evictions == 1);
        CHECK(look(cache, "late", "pw", t0 + 603s) == CacheLookup::hit_ok);
        CHECK(look(cache, "later", "pw", t0 + 603s) == CacheLookup::hit_ok);
    }

    TEST_CASE("the size sets the number of buckets") {
        CHECK(CredentialCache::create_shared(settings_with(1024)).bucket_count() > 1000);
        CHECK_THROWS_AS(CredentialCache::create_shared(settings_with(0)), std::invalid_argument);
        CHECK_THROWS_AS(CredentialCache::create_shared(settings_with(64, -1s)),
                        std::invalid_argument);
    }

    TEST_CASE("a 10 KB login is a key like any other") {
        auto cache = CredentialCache::create_shared(settings_with());
        const std::string login(10 * 1024, 'x');
        const std::string password(4096, 'p');
        put(cache, login, password, Verdict::ok);
        CHECK(look(cache, login, password) == CacheLookup::hit_ok);
        CHECK(look(cache, login + "x", password) == CacheLookup::miss);
        CHECK(cache.flush_user(login) == 1);
    }

    TEST_CASE("a process that dies holding a bucket leaves it cleared and usable") {
        auto cache = CredentialCache::create_shared(settings_with(1));
        put(cache, "alice", "secret", Verdict::ok);
        const pid_t child = spawn([&] {
            cache.lock_bucket_for_testing(0);
            raise(SIGKILL);
            return 0;
        });
        const int status = wait_for(child);
        REQUIRE(WIFSIGNALED(status));
        alarm(10);
        CHECK(look(cache, "alice", "secret") == CacheLookup::miss);
        CHECK(cache.recovered_buckets() == 1);
        put(cache, "alice", "secret", Verdict::ok);
        CHECK(look(cache, "alice", "secret") == CacheLookup::hit_ok);
        alarm(0);
    }

    TEST_CASE("processes killed at any instant leave the shared table working") {
        auto cache = CredentialCache::create_shared(settings_with(4, 600s, 30s));
        void* memory = mmap(nullptr, sizeof(Control), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        REQUIRE(memory != MAP_FAILED);
        auto& control = *new (memory) Control();

        std::array<pid_t, 4> children{};
        for (int id = 0; id < 4; ++id)
            children[id] = spawn([&, id] { return hammer(cache, control, id); });

        alarm(30);
        // At least a second and 40 kills, each after the victim has done some work.
        int kills = 0;
        const auto end = std::chrono::steady_clock::now() + 1s;
        while (kills < 40 || std::chrono::steady_clock::now() < end) {
            const auto busy = control.operations.load() + 50;
            for (int wait = 0; wait < 100 && control.operations.load() < busy; ++wait)
                usleep(1000);
            const int victim = kills % 2; // children 2 and 3 run to the end
            kill(children[victim], SIGKILL);
            CHECK(WIFSIGNALED(wait_for(children[victim])));
            children[victim] = spawn([&, victim] { return hammer(cache, control, victim); });
            ++kills;
            look(cache, "user3-1", "right", CredentialCache::Clock::now());
        }
        control.stop = true;
        for (const pid_t child : children) {
            const int status = wait_for(child);
            CHECK(WIFEXITED(status));
            CHECK(WEXITSTATUS(status) == 0);
        }
        alarm(0);
        MESSAGE(kills << " kills, " << control.operations.load() << " operations, "
                      << cache.recovered_buckets() << " recovered buckets");
        CHECK(control.operations > 1000);
        CHECK(control.violations == 0);

        const auto now = CredentialCache::Clock::now();
        const auto fixed = CredentialCache::ways(); // fits even if all land in one bucket
        for (std::size_t i = 0; i < fixed; ++i)
            put(cache, "fixed" + std::to_string(i), "pw" + std::to_string(i), Verdict::ok, now);
        const pid_t checker = spawn([&] {
            alarm(10);
            for (std::size_t i = 0; i < fixed; ++i) {
                const auto login = "fixed" + std::to_string(i);
                if (look(cache, login, "pw" + std::to_string(i), now) != CacheLookup::hit_ok ||
                    look(cache, login, "nope", now) != CacheLookup::miss)
                    return 1;
            }
            return 0;
        });
        const int status = wait_for(checker);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        for (std::size_t i = 0; i < fixed; ++i)
            CHECK(look(cache, "fixed" + std::to_string(i), "pw" + std::to_string(i), now) ==
                  CacheLookup::hit_ok);
        munmap(memory, sizeof(Control));
    }
}
