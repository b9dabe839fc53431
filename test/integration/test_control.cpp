// The control socket (SOCKETDIR/control, with -c) and saslauthd-ctl: flushing one login's
// cache entries or all of them, who may ask, hostile bytes, the socket's mode and lifetime.
#include "client/client.hpp"
#include "harness.hpp"
#include "pam_fixture.hpp"
#include "raw_client.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace harness;

namespace {

struct Fixture {
    TempDir dir;
    Fixture() {
        dir.write("shadow", shadow_line("alice") + shadow_line("bob"));
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\n");
    }
    // The backend now refuses both: only a cached success still lets them in.
    void forget_users() const { dir.write("shadow", "carol:x:19000::::::\n"); }
    std::vector<std::string> args(bool cache = true) const {
        std::vector<std::string> result{"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"};
        if (cache)
            result.push_back("-c");
        return result;
    }
};

bool ok(const Daemon& daemon, const std::string& login) {
    const auto reply =
        client::authenticate(daemon.socket_path(), {login, k_test_password, "imap", "", {}});
    REQUIRE(reply.has_value());
    return reply->ok;
}

std::string control_path(const Daemon& daemon) {
    return daemon.socket_dir() + "/control";
}

CommandResult ctl(const Daemon& daemon, std::vector<std::string> args) {
    args.insert(args.begin(), {CTL_BIN, "-m", daemon.socket_dir()});
    return run_command(args);
}

} // namespace

TEST_SUITE("integration::control") {

    TEST_CASE("flush-cache LOGIN drops only that login, flush-cache alone drops all") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        CHECK(ok(daemon, "alice"));
        CHECK(ok(daemon, "bob"));
        fixture.forget_users();
        CHECK(ok(daemon, "alice")); // both answered from the cache
        CHECK(ok(daemon, "bob"));

        const auto one = ctl(daemon, {"flush-cache", "alice"});
        CHECK_MESSAGE(one.status == 0, one.err);
        CHECK(one.out == "OK 1 entry flushed\n");
        CHECK_FALSE(ok(daemon, "alice")); // asked the backend again
        CHECK(ok(daemon, "bob"));         // still a cache hit

        const auto none = ctl(daemon, {"flush-cache", "nobody"});
        CHECK(none.status == 0);
        CHECK(none.out == "OK 0 entries flushed\n");

        const auto all = ctl(daemon, {"flush-cache"});
        CHECK_MESSAGE(all.status == 0, all.err);
        CHECK(all.out == "OK every entry flushed\n");
        CHECK_FALSE(ok(daemon, "bob"));

        CHECK(daemon.stop() == 0);
        const auto log = daemon.log();
        CHECK(log.find("control socket: flushed 1 entry of login=alice for uid 0") !=
              std::string::npos);
        CHECK(log.find("control socket: flushed the whole credential cache") != std::string::npos);
        CHECK(log.find(k_test_password) == std::string::npos);
    }

    TEST_CASE("the control socket is mode 0600, replaces a stale file and goes at stop") {
        Fixture fixture;
        std::filesystem::create_directory(fixture.dir / "run");
        fixture.dir.write("run/control", "left over"); // as after a daemon killed with -9
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        struct stat status {};
        REQUIRE(stat(control_path(daemon).c_str(), &status) == 0);
        CHECK(S_ISSOCK(status.st_mode));
        CHECK((status.st_mode & 07777) == 0600);
        CHECK(status.st_uid == geteuid());
        CHECK(daemon.stop() == 0);
        CHECK_FALSE(std::filesystem::exists(control_path(daemon)));
    }

    TEST_CASE("without -c there is no control socket and saslauthd-ctl says so") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args(false));
        REQUIRE(daemon.wait_ready());
        CHECK_FALSE(std::filesystem::exists(control_path(daemon)));
        const auto result = ctl(daemon, {"flush-cache", "alice"});
        CHECK(result.status == 1);
        CHECK(result.err.find("is the daemon running with -c") != std::string::npos);
        CHECK(ctl(daemon, {"flush-cache", "alice", "extra"}).status == 2);
    }

    TEST_CASE("hostile bytes get NO or a close, a stalled client is dropped, serving goes on") {
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        const auto path = control_path(daemon);
        CHECK(raw::exchange(path, "\xff\xff\xff\xff") == "NO"); // a field over the limit
        CHECK(raw::exchange(path, raw::request({"frobnicate", ""})) == "NO");
        CHECK(raw::exchange(path, raw::request({"flush-cache", "alice", "extra"})) == "NO");
        CHECK(raw::exchange(path, raw::request({"flush-cache"}), true) == "NO"); // truncated
        CHECK(raw::exchange(path, std::string(20000, 'A')) == "NO");
        {
            // Half a request, then silence, from ten clients: the control process serves the
            // next client at once and drops the stalled ones after 2 s.
            std::vector<raw::Connection> stalled;
            for (int i = 0; i < 10; ++i) {
                stalled.emplace_back(path);
                stalled.back().send(std::string("\x00", 1));
            }
            const auto started = std::chrono::steady_clock::now();
            const auto result = ctl(daemon, {"flush-cache", "alice"});
            CHECK_MESSAGE(result.status == 0, result.err);
            CHECK(std::chrono::steady_clock::now() - started < 1s);
            for (auto& connection : stalled)
                CHECK(connection.wait_closed(4s));
        }
        CHECK(ok(daemon, "alice")); // the workers never noticed
        CHECK(ctl(daemon, {"flush-cache", "alice"}).out == "OK 1 entry flushed\n");
        CHECK(daemon.stop() == 0);
        const auto log = daemon.log();
        CHECK(log.find("control socket: malformed request") != std::string::npos);
        CHECK(log.find("control socket: unknown command frobnicate") != std::string::npos);
        CHECK(log.find("closed a connection that sent an incomplete request in time") !=
              std::string::npos);
    }

    TEST_CASE("a user other than root and the daemon's own is refused") {
        if (!pam_fixture::have_root())
            return;
        const pam_fixture::TestUser user("x");
        Fixture fixture;
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        CHECK(ok(daemon, "alice"));
        fixture.forget_users();
        // A copy the test user can run: the build tree may sit where other users cannot reach.
        const auto client = fixture.dir / "saslauthd-ctl";
        std::filesystem::copy_file(CTL_BIN, client);
        chmod(client.c_str(), 0755);
        auto as_user = [&] {
            return run_command({"/usr/sbin/runuser", "-u", user.name(), "--", client, "-m",
                                daemon.socket_dir(), "flush-cache", "alice"});
        };

        // The socket's mode keeps the user out.
        const auto denied = as_user();
        CHECK(denied.status == 1);
        CHECK_MESSAGE(denied.err.find("Permission denied") != std::string::npos, denied.err);
        CHECK(denied.err.find("only root and the daemon's own user") != std::string::npos);

        // With the mode opened up, the peer check still refuses.
        REQUIRE(chmod(control_path(daemon).c_str(), 0666) == 0);
        const auto refused = as_user();
        CHECK(refused.status == 1);
        CHECK_MESSAGE(refused.err.find("NO permission denied") != std::string::npos, refused.err);
        CHECK(refused.out.empty());
        CHECK(ok(daemon, "alice")); // still cached: nothing was flushed

        CHECK(ctl(daemon, {"flush-cache", "alice"}).status == 0); // root still may
        CHECK(daemon.stop() == 0);
        CHECK(daemon.log().find("control socket: refused a connection from uid") !=
              std::string::npos);
    }
}
