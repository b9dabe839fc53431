// SIGHUP: the daemon reads its configuration again and replaces its workers without
// failing a request; a broken configuration leaves the running one in place.
#include "client/client.hpp"
#include "harness.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <doctest/doctest.h>
#include <thread>
#include <vector>

using namespace harness;

namespace {

struct Fixture {
    TempDir dir;
    Fixture() {
        dir.write("first", shadow_line("alice"));
        dir.write("second", shadow_line("bob"));
        use_shadow("first");
    }
    void use_shadow(const std::string& name, const std::string& extra = {}) const {
        dir.write("saslauthd.conf", "shadow_file: " + (dir / name) + "\n" + extra);
    }
    std::vector<std::string> args() const {
        return {"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"};
    }
};

bool authenticates(const Daemon& daemon, std::string_view login) {
    const auto reply =
        client::authenticate(daemon.socket_path(), {login, k_test_password, "imap", "", {}});
    return reply && reply->ok;
}

} // namespace

TEST_SUITE("integration::reload") {

    TEST_CASE("SIGHUP under load replaces every worker and fails no request") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        const auto before = daemon.workers();
        REQUIRE(before.size() == 2);

        std::atomic<bool> done{false};
        std::atomic<int> answered{0};
        std::atomic<int> failed{0};
        std::vector<std::jthread> clients;
        for (int i = 0; i < 4; ++i)
            clients.emplace_back([&] {
                while (!done)
                    (authenticates(daemon, "alice") ? answered : failed)++;
            });
        for (int i = 0; i < 3; ++i) {
            std::this_thread::sleep_for(300ms);
            kill(daemon.pid(), SIGHUP);
        }
        std::this_thread::sleep_for(300ms);
        done = true;
        clients.clear();

        CHECK(answered > 0);
        CHECK(failed == 0);
        // A replaced worker finishes the connections it holds before it exits (within
        // shutdown_timeout), so the old ones may still be there for a moment.
        std::vector<pid_t> after;
        CHECK(eventually([&] {
            after = daemon.workers();
            return after.size() == 2 && std::ranges::none_of(before, [&](pid_t pid) {
                       return std::ranges::find(after, pid) != after.end();
                   });
        }));
        CAPTURE(after.size());
        CHECK(daemon.log().find("reloaded: 2 new workers") != std::string::npos);
    }

    TEST_CASE("a reload takes the new options file") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        CHECK(authenticates(daemon, "alice"));
        CHECK_FALSE(authenticates(daemon, "bob"));
        fixture.use_shadow("second");
        kill(daemon.pid(), SIGHUP);
        CHECK(eventually([&] { return authenticates(daemon, "bob"); }));
        CHECK_FALSE(authenticates(daemon, "alice"));
    }

    TEST_CASE("a broken configuration on reload keeps the running one") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        const auto before = daemon.workers();
        fixture.use_shadow("second", "request_timeout: soon\n");
        kill(daemon.pid(), SIGHUP);
        CHECK(eventually([&] {
            return daemon.log().find("reload failed, keeping the running configuration") !=
                   std::string::npos;
        }));
        CHECK(daemon.log().find("saslauthd.conf:2: request_timeout") != std::string::npos);
        CHECK(daemon.workers() == before);
        CHECK(authenticates(daemon, "alice"));
        CHECK_FALSE(authenticates(daemon, "bob"));
        CHECK(daemon.running());
    }
}
