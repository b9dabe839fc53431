// The pam backend through the real daemon and the real Linux-PAM stack: pam_pwdfile,
// pam_unix with a local user, pam_deny, pam_exec; service routing, fail delays as timers,
// and worker recycling after pam_max_transactions.
#include "client/client.hpp"
#include "harness.hpp"
#include "pam_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <doctest/doctest.h>
#include <thread>
#include <vector>

using namespace harness;
using namespace pam_fixture;

namespace {

constexpr const char* k_password = "Pam horse 7 \\!";
constexpr const char* k_wrong_password = "Pam horse 8";

// A pam_pwdfile service over `dir`/passwd holding `user` with k_password.
std::string pwdfile_stack(const TempDir& dir, const std::string& user) {
    dir.write("passwd", user + ":" + sha512_hash(k_password) + "\n");
    return "auth required pam_pwdfile.so pwdfile=" + (dir / "passwd") +
           "\naccount required pam_permit.so\n";
}

constexpr const char* k_unix_stack = "auth required pam_unix.so\n"
                                     "account required pam_unix.so\n";

// The daemon with backend pam and the options in `options` (may be empty).
std::vector<std::string> pam_args(const TempDir& dir, const std::string& options,
                                  std::vector<std::string> extra = {}) {
    dir.write("saslauthd.conf", options);
    std::vector<std::string> args{"-a", "pam", "-O", dir / "saslauthd.conf"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

bool authenticates(const Daemon& daemon, std::string_view login, std::string_view password,
                   std::string_view service,
                   std::optional<std::string_view> client_addr = std::nullopt) {
    const auto reply =
        client::authenticate(daemon.socket_path(), {login, password, service, "", client_addr});
    REQUIRE_MESSAGE(reply.has_value(), (reply ? "" : reply.error().message));
    return reply->ok;
}

void check_no_password_in(const std::string& text) {
    CHECK(text.find(k_password) == std::string::npos);
    CHECK(text.find(k_wrong_password) == std::string::npos);
}

} // namespace

TEST_SUITE("integration::pam") {

    TEST_CASE("pam_pwdfile: right password OK, wrong password and unknown user NO") {
        if (!have_root())
            return;
        TempDir dir;
        const PamService service(pwdfile_stack(dir, "carol"));
        Daemon daemon(dir, pam_args(dir, ""));
        REQUIRE(daemon.wait_ready());
        CHECK(authenticates(daemon, "carol", k_password, service.name()));
        CHECK_FALSE(authenticates(daemon, "carol", k_wrong_password, service.name()));
        CHECK_FALSE(authenticates(daemon, "nobody", k_password, service.name()));
        daemon.stop();
        const auto log = daemon.log();
        CHECK(log.find("backend=pam verdict=ok") != std::string::npos);
        CHECK(
            log.find("verdict=bad_password reason=\"pam_authenticate: Authentication failure\"") !=
            std::string::npos);
        CHECK(log.find("login=nobody frontend=saslauthd backend=pam verdict=unknown_user") !=
              std::string::npos);
        check_no_password_in(log);
    }

    TEST_CASE("pam_unix with a local user: right and wrong password, expired account") {
        if (!have_root())
            return;
        TempDir dir;
        const PamService service(k_unix_stack);
        const TestUser user(k_password);
        Daemon daemon(dir, pam_args(dir, ""));
        REQUIRE(daemon.wait_ready());
        CHECK(authenticates(daemon, user.name(), k_password, service.name()));
        CHECK_FALSE(authenticates(daemon, user.name(), k_wrong_password, service.name()));
        user.expire();
        CHECK_FALSE(authenticates(daemon, user.name(), k_password, service.name()));
        daemon.stop();
        const auto log = daemon.log();
        CHECK(log.find("login=" + user.name() + " frontend=saslauthd backend=pam verdict=ok") !=
              std::string::npos);
        CHECK(log.find("verdict=bad_password") != std::string::npos);
        CHECK(log.find("verdict=disabled reason=\"pam_acct_mgmt: User account has expired\"") !=
              std::string::npos);
        check_no_password_in(log);
    }

    TEST_CASE("pam_deny: NO") {
        if (!have_root())
            return;
        TempDir dir;
        const PamService service("auth required pam_deny.so\naccount required pam_deny.so\n");
        Daemon daemon(dir, pam_args(dir, ""));
        REQUIRE(daemon.wait_ready());
        CHECK_FALSE(authenticates(daemon, "carol", k_password, service.name()));
        daemon.stop();
        CHECK(daemon.log().find("verdict=bad_password") != std::string::npos);
    }

    TEST_CASE("the request's service picks the PAM service, unless pam_service fixes it") {
        if (!have_root())
            return;
        TempDir dir;
        const PamService accepting(pwdfile_stack(dir, "carol"));
        const PamService denying("auth required pam_deny.so\naccount required pam_deny.so\n");

        Daemon routed(dir, pam_args(dir, ""));
        REQUIRE(routed.wait_ready());
        CHECK(authenticates(routed, "carol", k_password, accepting.name()));
        CHECK_FALSE(authenticates(routed, "carol", k_password, denying.name()));
        CHECK_FALSE(authenticates(routed, "carol", k_password, "../" + accepting.name()));
        routed.stop();
        CHECK(routed.log().find("verdict=temp_failure") != std::string::npos);

        Daemon fixed(dir, pam_args(dir, "pam_service: " + accepting.name() + "\n"));
        REQUIRE(fixed.wait_ready());
        CHECK(authenticates(fixed, "carol", k_password, denying.name()));
        CHECK(authenticates(fixed, "carol", k_password, "smtp"));
    }

    TEST_CASE("PAM_RHOST, PAM_RUSER and PAM_TTY reach the modules, the password does not") {
        if (!have_root())
            return;
        TempDir dir;
        dir.write("record.sh", "#!/bin/sh\nenv > " + (dir / "exec.out") + "\n", 0755);
        const PamService service("auth optional pam_exec.so " + (dir / "record.sh") + "\n" +
                                 pwdfile_stack(dir, "carol"));
        Daemon daemon(dir, pam_args(dir, ""));
        REQUIRE(daemon.wait_ready());
        CHECK(authenticates(daemon, "carol", k_password, service.name(), "192.0.2.9;4321"));
        const auto recorded = read_file(dir / "exec.out");
        CHECK(recorded.find("PAM_RHOST=192.0.2.9\n") != std::string::npos);
        CHECK(recorded.find("PAM_RUSER=carol\n") != std::string::npos);
        CHECK(recorded.find("PAM_TTY=" + service.name() + "\n") != std::string::npos);
        CHECK(recorded.find("PAM_USER=carol\n") != std::string::npos);
        check_no_password_in(recorded);
    }

    // pam_unix's own delay (2 s, randomised) is replaced by an explicit, shorter one:
    // `nodelay` silences pam_unix and pam_faildelay asks for exactly 1 s.
    TEST_CASE("PAM's fail delay holds replies on timers, not in sleeping workers") {
        if (!have_root())
            return;
        using Clock = std::chrono::steady_clock;
        constexpr auto k_delay = 1000ms;
        TempDir dir;
        const PamService service("auth optional pam_faildelay.so delay=1000000\n"
                                 "auth required pam_unix.so nodelay\n"
                                 "account required pam_unix.so\n");
        const TestUser user(k_password);
        Daemon daemon(dir, pam_args(dir, "", {"-n", "2"}));
        REQUIRE(daemon.wait_ready());

        constexpr int k_failures = 20;
        std::vector<Clock::duration> failure_times(k_failures);
        std::atomic<int> unexpected{0};
        const auto started = Clock::now();
        std::vector<std::thread> clients;
        for (int i = 0; i < k_failures; ++i)
            clients.emplace_back([&, i] {
                const auto begin = Clock::now();
                const auto reply = client::authenticate(
                    daemon.socket_path(), {user.name(), k_wrong_password, service.name(), "", {}});
                failure_times[static_cast<std::size_t>(i)] = Clock::now() - begin;
                if (!reply || reply->ok)
                    ++unexpected;
            });
        std::this_thread::sleep_for(100ms); // the failures are in flight now
        const auto correct_begin = Clock::now();
        CHECK(authenticates(daemon, user.name(), k_password, service.name()));
        const auto correct_time = Clock::now() - correct_begin;
        for (auto& client : clients)
            client.join();
        const auto all_failures = Clock::now() - started;

        CHECK(unexpected == 0);
        CHECK(correct_time < 1s);
        // PAM randomises the delay around the requested value.
        for (const auto time : failure_times)
            CHECK(time >= k_delay / 2);
        // Serialised on two sleeping workers this would take 10 s.
        CHECK(all_failures < k_delay * 5 / 2);
        daemon.stop();
        check_no_password_in(daemon.log());
    }

    TEST_CASE("pam_max_transactions replaces the worker and requests keep succeeding") {
        if (!have_root())
            return;
        TempDir dir;
        const PamService service(pwdfile_stack(dir, "carol"));
        Daemon daemon(dir, pam_args(dir, "pam_max_transactions: 3\n", {"-n", "1"}));
        REQUIRE(daemon.wait_ready());
        const auto first = daemon.workers();
        REQUIRE(first.size() == 1);
        for (int i = 0; i < 3; ++i)
            CHECK(authenticates(daemon, "carol", k_password, service.name()));
        CHECK(eventually([&] {
            const auto now = daemon.workers();
            return now.size() == 1 && now != first;
        }));
        for (int i = 0; i < 4; ++i)
            CHECK(authenticates(daemon, "carol", k_password, service.name()));
    }

    TEST_CASE("a module that crashes its worker costs only that request") {
        if (!have_root())
            return;
        TempDir dir;
        // pam_exec's child is the worker's child: for user "crashme" it kills the worker
        // with SIGSEGV, as a crashing module would.
        dir.write("crash.sh",
                  "#!/bin/sh\n[ \"$PAM_USER\" = crashme ] && kill -SEGV $PPID\nexit 0\n", 0755);
        const PamService service("auth requisite pam_exec.so quiet " + (dir / "crash.sh") + "\n" +
                                 pwdfile_stack(dir, "carol"));
        Daemon daemon(dir, pam_args(dir, "", {"-n", "2"}));
        REQUIRE(daemon.wait_ready());
        const auto before = daemon.workers();

        std::atomic<bool> done{false};
        std::atomic<int> answered{0};
        std::atomic<int> failed{0};
        std::thread steady([&] {
            while (!done) {
                const auto reply = client::authenticate(
                    daemon.socket_path(), {"carol", k_password, service.name(), "", {}});
                (reply && reply->ok ? answered : failed)++;
            }
        });
        for (int i = 0; i < 3; ++i) {
            const auto reply = client::authenticate(
                daemon.socket_path(), {"crashme", k_password, service.name(), "", {}});
            CHECK_FALSE((reply && reply->ok));
            std::this_thread::sleep_for(100ms);
        }
        std::this_thread::sleep_for(300ms);
        done = true;
        steady.join();
        CHECK(answered > 0);
        // The one steady client has at most one request in flight. It is lost only when the
        // crashing worker had already accepted its connection before the bytes arrived (a
        // window of microseconds), so each crash costs at most one request besides its own.
        CHECK(failed <= 3);
        CHECK(daemon.running());
        CHECK(eventually([&] {
            const auto now = daemon.workers();
            return now.size() == 2 && now != before;
        }));
        CHECK(authenticates(daemon, "carol", k_password, service.name()));
    }

    TEST_CASE("bad pam settings stop the daemon with file:line") {
        TempDir dir;
        for (const std::string options :
             {"pam_service:\n", "pam_service: ../etc/passwd\n", "pam_max_transactions: -1\n",
              "pam_max_transactions: many\n"}) {
            const auto args = pam_args(dir, "# pam settings\n" + options);
            std::vector<std::string> argv{SASLAUTHD_BIN, "-d", "-m", dir / "run"};
            argv.insert(argv.end(), args.begin(), args.end());
            const auto result = run_command(argv);
            CHECK(result.status != 0);
            CHECK_MESSAGE(result.err.find(dir / "saslauthd.conf:2: pam_") != std::string::npos,
                          result.err);
        }
    }
}
