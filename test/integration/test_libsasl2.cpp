// Postfix's path to the daemon: libsasl2 with pwcheck_method: saslauthd, driven by sasl_check
// through sasl_checkpass, PLAIN and LOGIN, against the real daemon on the shadow and pam
// backends.
#include "harness.hpp"
#include "pam_fixture.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <optional>
#include <string>
#include <vector>

using namespace harness;

namespace {

constexpr const char* k_wrong_password = "Correct horse 2";

const std::string k_alice = shadow_line("alice");
const std::string k_bob = shadow_line("bob", k_yescrypt_hash);
const std::string k_alice_at_example = shadow_line("alice@EXAMPLE.ORG");

enum class Mode { checkpass, plain, login };
constexpr Mode k_modes[] = {Mode::checkpass, Mode::plain, Mode::login};

const char* name(Mode mode) {
    switch (mode) {
    case Mode::checkpass:
        return "checkpass";
    case Mode::plain:
        return "plain";
    case Mode::login:
        return "login";
    }
    return "?";
}

// The private libsasl2 config a mail server would read as smtpd.conf; here <confdir>/smtp.conf.
void write_sasl_conf(const TempDir& dir, const std::string& socket) {
    dir.write("smtp.conf", "pwcheck_method: saslauthd\nsaslauthd_path: " + socket +
                               "\nmech_list: PLAIN LOGIN\n");
}

struct Answer {
    int status = -1; // 0 OK, 1 NO, 2 setup error
    std::string line;
    std::string err;
    bool ok() const { return status == 0 && line == "OK"; }
    bool refused() const { return status == 1 && line.starts_with("NO "); }
};

// One login through libsasl2 as service "smtp"; the password goes over stdin, never argv.
Answer sasl_check(const std::string& confdir, Mode mode, const std::string& user,
                  const std::string& password, std::optional<std::string> realm = {}) {
    std::vector<std::string> argv{SASL_CHECK_BIN, "--confdir",       confdir,    "--service",
                                  "smtp",         "--mode",          name(mode), "--user",
                                  user,           "--password-stdin"};
    if (realm) {
        argv.push_back("--realm");
        argv.push_back(*realm);
    }
    const auto result = run_command(argv, password + "\n", 15s);
    Answer answer{result.status, result.out, result.err};
    if (answer.line.ends_with('\n'))
        answer.line.pop_back();
    INFO("sasl_check ", name(mode), " ", user, ": status ", answer.status, " out '", answer.line,
         "' err '", answer.err, "'");
    CHECK(answer.line.find('\n') == std::string::npos);
    CHECK(answer.line.find(password) == std::string::npos);
    CHECK(answer.err.find(password) == std::string::npos);
    CHECK((answer.ok() || answer.refused()));
    return answer;
}

struct Fixture {
    TempDir dir;
    explicit Fixture(const std::string& shadow) {
        dir.write("shadow", shadow);
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\n");
    }
    std::vector<std::string> args(std::vector<std::string> extra = {}) const {
        std::vector<std::string> result{"-a", "shadow", "-n", "2", "-O", dir / "saslauthd.conf"};
        result.insert(result.end(), extra.begin(), extra.end());
        return result;
    }
};

void check_log_is_clean(const std::string& log) {
    CHECK(log.find(k_test_password) == std::string::npos);
    CHECK(log.find(k_wrong_password) == std::string::npos);
    CHECK(log.find("$6$") == std::string::npos);
}

} // namespace

TEST_SUITE("integration::libsasl2") {

    TEST_CASE(
        "libsasl2 checkpass, PLAIN and LOGIN accept the right password and refuse wrong ones") {
        Fixture fixture(std::string(k_alice) + k_bob);
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        write_sasl_conf(fixture.dir, daemon.socket_path());
        const auto confdir = fixture.dir.path().string();
        for (const auto mode : k_modes) {
            CAPTURE(name(mode));
            CHECK(sasl_check(confdir, mode, "alice", k_test_password).ok());
            CHECK(sasl_check(confdir, mode, "bob", k_test_password).ok());
            const auto wrong = sasl_check(confdir, mode, "alice", k_wrong_password);
            CHECK(wrong.refused());
            CHECK(wrong.line.starts_with("NO SASL(-13): authentication failure"));
            CHECK(sasl_check(confdir, mode, "nobody", k_test_password).refused());
        }
        CHECK(daemon.stop() == 0);
        const auto log = daemon.log();
        CHECK(log.find("service=smtp realm=\"\" login=alice") != std::string::npos);
        CHECK(log.find("login=bob frontend=saslauthd backend=shadow verdict=ok") !=
              std::string::npos);
        check_log_is_clean(log);
    }

    TEST_CASE("without -r libsasl2 splits user@realm at the last @ and the daemon sees both") {
        Fixture fixture(std::string(k_alice) + k_bob);
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        write_sasl_conf(fixture.dir, daemon.socket_path());
        const auto confdir = fixture.dir.path().string();
        for (const auto mode : k_modes) {
            CAPTURE(name(mode));
            CHECK(sasl_check(confdir, mode, "alice@EXAMPLE.ORG", k_test_password).ok());
            CHECK(sasl_check(confdir, mode, "alice@EXAMPLE.ORG", k_wrong_password).refused());
            CHECK(sasl_check(confdir, mode, "alice@corp@EXAMPLE.ORG", k_test_password).refused());
            // The server's user realm (Postfix's smtpd_sasl_local_domain) joins a bare login.
            CHECK(sasl_check(confdir, mode, "bob", k_test_password, "EXAMPLE.ORG").ok());
        }
        CHECK(daemon.stop() == 0);
        const auto log = daemon.log();
        CHECK(log.find(
                  "realm=EXAMPLE.ORG login=alice frontend=saslauthd backend=shadow verdict=ok") !=
              std::string::npos);
        CHECK(log.find("realm=EXAMPLE.ORG login=alice@corp ") != std::string::npos);
        CHECK(
            log.find("realm=EXAMPLE.ORG login=bob frontend=saslauthd backend=shadow verdict=ok") !=
            std::string::npos);
        CHECK(log.find("login=alice@EXAMPLE.ORG") == std::string::npos);
        check_log_is_clean(log);
    }

    TEST_CASE("libsasl2 with -r: the backend gets user@realm and needs a user of that name") {
        Fixture fixture(std::string(k_alice) + k_bob);
        const auto confdir = fixture.dir.path().string();
        {
            Daemon joined(fixture.dir, fixture.args({"-r"}));
            REQUIRE(joined.wait_ready());
            write_sasl_conf(fixture.dir, joined.socket_path());
            for (const auto mode : k_modes) {
                CAPTURE(name(mode));
                CHECK(sasl_check(confdir, mode, "alice@EXAMPLE.ORG", k_test_password).refused());
                CHECK(sasl_check(confdir, mode, "alice", k_test_password).ok());
            }
            CHECK(joined.stop() == 0);
            check_log_is_clean(joined.log());
        }

        fixture.dir.write("shadow", std::string(k_bob) + k_alice_at_example);
        Daemon joined(fixture.dir, fixture.args({"-r"}));
        REQUIRE(joined.wait_ready());
        write_sasl_conf(fixture.dir, joined.socket_path());
        for (const auto mode : k_modes) {
            CAPTURE(name(mode));
            CHECK(sasl_check(confdir, mode, "alice@EXAMPLE.ORG", k_test_password).ok());
            CHECK(sasl_check(confdir, mode, "alice@EXAMPLE.ORG", k_wrong_password).refused());
            CHECK(sasl_check(confdir, mode, "alice@OTHER.ORG", k_test_password).refused());
            CHECK(sasl_check(confdir, mode, "alice", k_test_password).refused());
            CHECK(sasl_check(confdir, mode, "alice", k_test_password, "EXAMPLE.ORG").ok());
        }
        CHECK(joined.stop() == 0);
        check_log_is_clean(joined.log());
    }

    TEST_CASE("libsasl2 gets NO at once, not a hang, when no daemon is behind the socket path") {
        Fixture fixture(k_alice);
        const auto confdir = fixture.dir.path().string();
        {
            Daemon stopped(fixture.dir, fixture.args());
            REQUIRE(stopped.wait_ready());
            write_sasl_conf(fixture.dir, stopped.socket_path());
            CHECK(sasl_check(confdir, Mode::checkpass, "alice", k_test_password).ok());
            CHECK(stopped.stop() == 0);
        }
        for (const auto mode : k_modes) {
            CAPTURE(name(mode));
            const auto started = std::chrono::steady_clock::now();
            const auto answer = sasl_check(confdir, mode, "alice", k_test_password);
            CHECK(answer.refused());
            // SASL_FAIL, where a refused password is SASL_BADAUTH (-13).
            CHECK(answer.line.starts_with("NO SASL(-1): generic failure"));
            CHECK(std::chrono::steady_clock::now() - started < 5s);
        }
    }

    TEST_CASE("libsasl2 through the pam backend, with and without -r") {
        if (!pam_fixture::have_root())
            return;
        TempDir dir;
        const auto hash = pam_fixture::sha512_hash(k_test_password);
        dir.write("passwd", "alice:" + hash + "\nalice@EXAMPLE.ORG:" + hash + "\n");
        const pam_fixture::PamService service(
            "auth required pam_pwdfile.so nodelay pwdfile=" + (dir / "passwd") +
            "\naccount required pam_permit.so\n");
        dir.write("saslauthd.conf", "pam_service: " + service.name() + "\n");
        const auto confdir = dir.path().string();
        for (const bool join_realm : {false, true}) {
            CAPTURE(join_realm);
            std::vector<std::string> args{"-a", "pam", "-n", "2", "-O", dir / "saslauthd.conf"};
            if (join_realm)
                args.push_back("-r");
            Daemon daemon(dir, args);
            REQUIRE(daemon.wait_ready());
            write_sasl_conf(dir, daemon.socket_path());
            for (const auto mode : k_modes) {
                CAPTURE(name(mode));
                CHECK(sasl_check(confdir, mode, "alice", k_test_password).ok());
                CHECK(sasl_check(confdir, mode, "alice@EXAMPLE.ORG", k_test_password).ok());
                CHECK(sasl_check(confdir, mode, "alice", k_wrong_password).refused());
                CHECK(sasl_check(confdir, mode, "nobody", k_test_password).refused());
                // Only with -r does the backend see the realm: OTHER.ORG has no such user.
                CHECK(sasl_check(confdir, mode, "alice@OTHER.ORG", k_test_password).ok() !=
                      join_realm);
            }
            CHECK(daemon.stop() == 0);
            const auto log = daemon.log();
            CHECK(log.find("backend=pam verdict=ok") != std::string::npos);
            check_log_is_clean(log);
        }
    }
}
