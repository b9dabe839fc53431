// The credential cache (-c) through the real daemon: hits, misses, TTLs, the negative TTL,
// password changes, temporary failures, stale answers, and SIGHUP flushing it.
#include "client/client.hpp"
#include "harness.hpp"

#include <csignal>
#include <doctest/doctest.h>
#include <filesystem>
#include <thread>

using namespace harness;

namespace {

struct Fixture {
    TempDir dir;
    explicit Fixture(const std::string& options = {}) {
        with_alice();
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\n" + options);
    }
    void with_alice() const { dir.write("shadow", shadow_line("alice") + "bob:x:19000::::::\n"); }
    void without_alice() const { dir.write("shadow", "bob:x:19000::::::\n"); }
    // The backend cannot read its file: a temporary failure.
    void break_backend() const {
        std::filesystem::remove(dir / "shadow");
        std::filesystem::create_directory(dir / "shadow");
    }
    void repair_backend() const {
        std::filesystem::remove(dir / "shadow");
        with_alice();
    }
    std::vector<std::string> args(std::vector<std::string> extra = {}) const {
        std::vector<std::string> result{
            "-a", "shadow", "-n", "2", "-c", "-O", dir / "saslauthd.conf"};
        result.insert(result.end(), extra.begin(), extra.end());
        return result;
    }
};

bool ok(const Daemon& daemon, std::string_view password = k_test_password) {
    const auto reply =
        client::authenticate(daemon.socket_path(), {"alice", password, "imap", "", {}});
    REQUIRE(reply.has_value());
    return reply->ok;
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

} // namespace

TEST_SUITE("integration::cache") {

    TEST_CASE("a cached success answers until its TTL, another password asks the backend") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args({"-t", "2"}));
        REQUIRE(daemon.wait_ready());
        CHECK(ok(daemon));
        fixture.without_alice();                     // the backend would now say no
        CHECK(ok(daemon));                           // hit
        CHECK_FALSE(ok(daemon, "another password")); // miss: asks the backend
        std::this_thread::sleep_for(2100ms);
        CHECK_FALSE(ok(daemon)); // expired
        daemon.stop();
        const auto log = daemon.log();
        CHECK(count(log, "backend=cache verdict=ok") == 1);
        CHECK(log.find(k_test_password) == std::string::npos);
    }

    TEST_CASE("a repeated wrong password is answered from the cache, negative TTL 0 turns it off") {
        for (const bool negative : {true, false}) {
            CAPTURE(negative);
            Fixture fixture(negative ? "" : "cache_negative_ttl: 0\n");
            Daemon daemon(fixture.dir, fixture.args());
            REQUIRE(daemon.wait_ready());
            CHECK_FALSE(ok(daemon, "wrong"));
            CHECK_FALSE(ok(daemon, "wrong"));
            CHECK(ok(daemon)); // the right password still works at once
            daemon.stop();
            CHECK(count(daemon.log(), "backend=cache verdict=bad_password") == (negative ? 1 : 0));
        }
    }

    TEST_CASE("temporary failures are not cached, stale successes answer only when enabled") {
        for (const bool stale : {false, true}) {
            CAPTURE(stale);
            Fixture fixture(stale ? "cache_serve_stale: yes\n" : "");
            Daemon daemon(fixture.dir, fixture.args({"-t", "1"}));
            REQUIRE(daemon.wait_ready());
            CHECK(ok(daemon));
            std::this_thread::sleep_for(1100ms); // the success has expired
            fixture.break_backend();
            CHECK(ok(daemon) == stale);
            fixture.repair_backend();
            CHECK(ok(daemon)); // the failure was not cached
            daemon.stop();
            const auto log = daemon.log();
            CHECK(log.find(stale ? "backend=cache verdict=ok reason=\"cached success while"
                                 : "verdict=temp_failure") != std::string::npos);
        }
    }

    TEST_CASE("SIGHUP flushes the cache") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        CHECK(ok(daemon));
        fixture.without_alice();
        CHECK(ok(daemon)); // cached
        kill(daemon.pid(), SIGHUP);
        CHECK(eventually([&] { return !ok(daemon); }));
    }
}
