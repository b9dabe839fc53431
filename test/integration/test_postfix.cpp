// Postfix 3.7 with smtpd_sasl_type = dovecot in front of this daemon, driven by swaks: the
// same scenarios the reference Dovecot passes (test_postfix_dovecot_reference.cpp), over the
// UNIX socket and TCP, against the shadow, pam and sql backends; the challenge-response
// mechanisms with swaks and msmtp; and what Postfix sees of a reload, a restart and the penalty.
#include "backends/passwords/challenge_secrets.hpp"
#include "harness.hpp"
#include "mariadb_fixture.hpp"
#include "pam_fixture.hpp"
#include "postfix_fixture.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <doctest/doctest.h>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

using namespace harness;
using postfix_fixture::AuthScenario;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* k_reader_password = "Sasl-reader-pw-7f3e9a";

// The daemon with a Dovecot-protocol UNIX socket owned by postfix (as in Debian's chrooted
// set-up, mode 0660) and a TCP listener on 127.0.0.1.
struct Auth {
    TempDir dir;
    int port = free_port();
    std::optional<Daemon> daemon;

    // `shadow`: the lines of a shadow_file for -a shadow (empty for other backends).
    Auth(const std::vector<std::string>& mechanism_args, std::string options,
         const std::string& shadow = {}) {
        if (!shadow.empty()) {
            dir.write("shadow", shadow);
            options += "\nshadow_file: " + (dir / "shadow");
        }
        dir.write("saslauthd.conf", options + "\ndovecot_listen: " + socket() +
                                        ", 127.0.0.1:" + std::to_string(port) +
                                        "\ndovecot_socket_owner: postfix\n"
                                        "dovecot_socket_group: postfix\n");
        args = mechanism_args;
        args.insert(args.end(), {"-n", "2", "-O", dir / "saslauthd.conf"});
        start();
    }
    void start() {
        daemon.emplace(dir, args);
        REQUIRE(daemon->wait_ready());
    }
    std::string socket() const { return dir / "auth"; }
    std::string unix_path() const { return socket(); }
    std::string inet_path() const { return "inet:127.0.0.1:" + std::to_string(port); }

    std::vector<std::string> args;
};

AuthScenario scenario_for(const std::string& user, const std::string& password) {
    AuthScenario scenario;
    scenario.user = user;
    scenario.password = password;
    scenario.advertised = "PLAIN LOGIN";
    return scenario;
}

postfix_fixture::Options one_long_lived_smtpd() {
    postfix_fixture::Options options;
    options.smtpd_process_limit = 1;
    options.smtpd_overrides = {"max_idle=3600s", "max_use=1000"};
    return options;
}

// Both transports in turn, each with a Postfix instance of its own.
void for_each_transport(Auth& auth,
                        const std::function<void(postfix_fixture::Instance&, bool tcp)>& check) {
    for (const bool tcp : {false, true}) {
        CAPTURE(tcp);
        postfix_fixture::Instance postfix(auth.dir, tcp ? auth.inet_path() : auth.unix_path(), {},
                                          tcp ? "postfix-tcp" : "postfix-unix");
        postfix.start();
        check(postfix, tcp);
        postfix.stop();
    }
}

// One smtpd serves an AUTH, `drop` happens to the daemon, and the same smtpd serves two
// more, over UNIX and TCP: the first of those gets first_after(tcp), the second 235.
void across_drop(Auth& auth, const std::string& name,
                 const std::function<int(bool tcp)>& first_after,
                 const std::function<void()>& drop) {
    for (const bool tcp : {false, true}) {
        CAPTURE(tcp);
        postfix_fixture::Instance postfix(auth.dir, tcp ? auth.inet_path() : auth.unix_path(),
                                          one_long_lived_smtpd(), name + (tcp ? "-tcp" : "-unix"));
        postfix.start();
        const auto result = postfix_fixture::auth_across_drop(
            postfix, scenario_for("alice", k_test_password), drop);
        INFO("first after:\n" << result.first_after.transcript);
        CHECK(result.same_smtpd);
        CHECK(result.before.auth_code == 235);
        CHECK(result.first_after.auth_code == first_after(tcp));
        CHECK(result.second_after.auth_code == 235);
        postfix.stop();
    }
}

constexpr const char* k_msmtp = "/usr/bin/msmtp";

std::string upper(std::string text) {
    for (auto& c : text)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

// One message through msmtp (libgsasl's client mechanisms) with `mechanism` (msmtp's
// lower-case name), no TLS, the password from --passwordeval so that it is in no argv.
harness::CommandResult msmtp(int port, const std::string& mechanism, const std::string& user,
                             const std::string& password) {
    TempDir dir;
    dir.write("password", password + "\n");
    return run_command({k_msmtp, "--host=127.0.0.1", "--port=" + std::to_string(port), "--tls=off",
                        "--auth=" + mechanism, "--user=" + user,
                        "--passwordeval=cat " + (dir / "password"), "--from=sender@client.example",
                        "rcpt@example.org"},
                       "Subject: test\n\nhello\n", 30s);
}

} // namespace

TEST_SUITE("integration::postfix") {

    TEST_CASE("Postfix over UNIX and TCP to -a shadow: PLAIN and LOGIN, 235 and 535") {
        if (!postfix_fixture::available())
            return;
        Auth auth({"-a", "shadow"}, "", shadow_line("alice") + shadow_line("bob", k_yescrypt_hash));
        for_each_transport(auth, [&](postfix_fixture::Instance& postfix, bool) {
            CHECK(postfix_fixture::ehlo_auth_line(postfix.port()) == "250-AUTH PLAIN LOGIN");
            postfix_fixture::check_smtp_auth(postfix, scenario_for("alice", k_test_password));
            postfix_fixture::check_smtp_auth(postfix, scenario_for("bob", k_test_password));
            CHECK(postfix.wait_for_log("sasl_method=LOGIN, sasl_username=bob"));
        });
        auth.daemon->stop();
        const auto log = auth.daemon->log();
        CHECK(log.find("frontend=dovecot mech=PLAIN backend=shadow verdict=ok") !=
              std::string::npos);
        CHECK(log.find("frontend=dovecot mech=LOGIN backend=shadow verdict=bad_password") !=
              std::string::npos);
        CHECK(log.find(k_test_password) == std::string::npos);
    }

    TEST_CASE("Postfix to -a pam with pam_unix and a local user") {
        if (!postfix_fixture::available() || !pam_fixture::have_root())
            return;
        const std::string password = "Pam horse 5";
        const pam_fixture::TestUser user(password);
        const pam_fixture::PamService service("auth required pam_unix.so nodelay\n"
                                              "account required pam_unix.so\n");
        Auth auth({"-a", "pam"}, "pam_service: " + service.name() + "\npenalty: no");
        for_each_transport(auth, [&](postfix_fixture::Instance& postfix, bool) {
            postfix_fixture::check_smtp_auth(postfix, scenario_for(user.name(), password));
        });
        auth.daemon->stop();
        CHECK(auth.daemon->log().find("frontend=dovecot mech=PLAIN backend=pam verdict=ok") !=
              std::string::npos);
    }

    TEST_CASE("Postfix to -a sql on MariaDB's postfixadmin mailbox table") {
        if (!postfix_fixture::available() || !mariadb_fixture::available())
            return;
        const std::string password = "Alice's horse 9";
        TempDir data;
        mariadb_fixture::Server server(data, "db");
        server.start();
        server.execute(mariadb_fixture::postfixadmin_setup(
            {{"alice", "example.org", "{SHA512-CRYPT}" + pam_fixture::sha512_hash(password)},
             {"bob", "example.org", std::string("{PLAIN}") + password, false}},
            k_reader_password));
        Auth auth({"-a", "sql"},
                  "sql_engine: mysql\nsql_hostnames: 127.0.0.1:" + std::to_string(server.port()) +
                      "\nsql_database: postfix\nsql_user: sasl\nsql_passwd: " + k_reader_password +
                      "\nsql_select: " + mariadb_fixture::k_postfixadmin_select);
        for_each_transport(auth, [&](postfix_fixture::Instance& postfix, bool) {
            auto scenario = scenario_for("alice@example.org", password);
            scenario.unknown_user = "nobody@example.org";
            postfix_fixture::check_smtp_auth(postfix, scenario);
            // An inactive row is no login, with the same 535 as a wrong password.
            const auto inactive =
                postfix_fixture::swaks(postfix.port(), {"PLAIN", "bob@example.org", password});
            CHECK(inactive.auth_code == 535);
        });
        auth.daemon->stop();
        CHECK(auth.daemon->log().find("login=alice@example.org client=127.") != std::string::npos);
    }

    TEST_CASE("Postfix to -a sql on MariaDB: CRAM-MD5 and DIGEST-MD5 (swaks), SCRAM (msmtp)") {
        if (!postfix_fixture::available() || !mariadb_fixture::available())
            return;
        if (access(k_msmtp, X_OK) != 0) {
            if (in_ci())
                FAIL("this test needs msmtp (package msmtp) in CI");
            MESSAGE("skipped: this test needs msmtp (package msmtp)");
            return;
        }
        namespace pw = backends::passwords;
        const std::string password = "Alice's horse 9";
        const auto scram = [&](pw::ScramHash hash) {
            return pw::format_scram(hash, pw::scram_keys(hash, password, "a salt of bytes!", 4096));
        };
        TempDir data;
        mariadb_fixture::Server server(data, "db");
        server.start();
        // Plaintext rows (what a site offering CRAM-MD5 and DIGEST-MD5 stores), and rows in
        // the mechanisms' own forms.
        server.execute(mariadb_fixture::postfixadmin_setup(
            {{"alice", "example.org", password},
             {"carol", "example.org", scram(pw::ScramHash::sha256)},
             {"erin", "example.org", scram(pw::ScramHash::sha1)},
             {"dave", "example.org",
              "{CRAM-MD5}" + pw::to_hex(pw::cram_md5_state(password).view())}},
            k_reader_password));
        Auth auth({"-a", "sql"},
                  "sql_engine: mysql\nsql_hostnames: 127.0.0.1:" + std::to_string(server.port()) +
                      "\nsql_database: postfix\nsql_user: sasl\nsql_passwd: " + k_reader_password +
                      "\nsql_select: " + mariadb_fixture::k_postfixadmin_select +
                      "\nsql_password_scheme: PLAIN\npenalty: no\n"
                      "dovecot_mechanisms: PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-256 "
                      "SCRAM-SHA-1");
        postfix_fixture::Instance postfix(auth.dir, auth.unix_path());
        postfix.start();
        auto scenario = scenario_for("alice@example.org", password);
        scenario.unknown_user = "nobody@example.org";
        scenario.mechanisms = {"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5"};
        scenario.advertised = "PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-256 SCRAM-SHA-1";
        postfix_fixture::check_smtp_auth(postfix, scenario);
        CHECK(postfix_fixture::swaks(postfix.port(), {"CRAM-MD5", "dave@example.org", password})
                  .auth_code == 235);
        CHECK(postfix_fixture::swaks(postfix.port(), {"PLAIN", "carol@example.org", password})
                  .auth_code == 235);

        for (const auto& [mechanism, user, secret, code] :
             std::vector<std::tuple<std::string, std::string, std::string, int>>{
                 {"scram-sha-256", "alice@example.org", password, 235},
                 {"scram-sha-256", "carol@example.org", password, 235},
                 {"scram-sha-1", "erin@example.org", password, 235},
                 {"scram-sha-1", "alice@example.org", password, 235},
                 {"scram-sha-256", "carol@example.org", "Wrong battery 0", 535},
                 {"scram-sha-256", "nobody@example.org", password, 535},
                 {"scram-sha-256", "erin@example.org", password, 535}}) {
            CAPTURE(mechanism);
            CAPTURE(user);
            const auto mark = postfix.log_mark();
            const auto sent = msmtp(postfix.port(), mechanism, user, secret);
            INFO(sent.out, sent.err);
            if (code == 235) {
                CHECK(sent.status == 0);
                CHECK(postfix.wait_for_log("sasl_method=" + upper(mechanism) +
                                               ", sasl_username=" + user + "\n",
                                           10s, mark));
            } else {
                CHECK(sent.status != 0);
                CHECK(sent.err.find("535 5.7.8 Error: authentication failed") != std::string::npos);
                CHECK(postfix.wait_for_log("SASL " + upper(mechanism) + " authentication failed",
                                           10s, mark));
            }
        }
        postfix.stop();
        auth.daemon->stop();
        const auto log = auth.daemon->log();
        CHECK(log.find("login=nobody@example.org client=127.") != std::string::npos);
        CHECK(log.find("mech=SCRAM-SHA-256 backend=sql verdict=disabled reason=\"row holds "
                       "SCRAM-SHA-1; SCRAM-SHA-256 needs plaintext or {SCRAM-SHA-256}\"") !=
              std::string::npos);
        CHECK(log.find(password) == std::string::npos);
    }

    TEST_CASE("a reload costs Postfix nothing: idle connections move to the new workers") {
        if (!postfix_fixture::available())
            return;
        Auth auth({"-a", "shadow"}, "", shadow_line("alice"));
        across_drop(
            auth, "reload", [](bool) { return 235; },
            [&] {
                const auto before = auth.daemon->workers();
                kill(auth.daemon->pid(), SIGHUP);
                CHECK(eventually([&] {
                    const auto now = auth.daemon->workers();
                    return now.size() == 2 && std::ranges::none_of(before, [&](pid_t pid) {
                               return std::ranges::find(now, pid) != now.end();
                           });
                }));
            });
    }

    TEST_CASE("a restart over TCP costs each smtpd one 454, as with Dovecot, over UNIX nothing") {
        if (!postfix_fixture::available())
            return;
        Auth auth({"-a", "shadow"}, "", shadow_line("alice"));
        across_drop(
            auth, "restart", [](bool tcp) { return tcp ? 454 : 235; },
            [&] {
                auth.daemon.reset(); // stops it
                auth.start();
            });
    }

    TEST_CASE("rip= counts the penalty per SMTP client: one address slows, another does not") {
        if (!postfix_fixture::available())
            return;
        Auth auth({"-a", "shadow"}, "penalty_initial_delay_ms: 1500", shadow_line("alice"));
        postfix_fixture::Instance postfix(auth.dir, auth.unix_path());
        postfix.start();
        const auto attacker = postfix_fixture::next_client_address();
        // Guesses at two logins from one address: the second waits for the first.
        const auto first =
            postfix_fixture::swaks(postfix.port(), {"PLAIN", "user1", "guess", "AUTH", attacker});
        CHECK(first.auth_code == 535);
        const auto second =
            postfix_fixture::swaks(postfix.port(), {"PLAIN", "user2", "guess", "AUTH", attacker});
        CHECK(second.auth_code == 535);
        CHECK(second.elapsed >= 1500ms);
        // Another client is not slowed, and neither is alice with her right password.
        const auto other = postfix_fixture::swaks(postfix.port(), {"PLAIN", "user3", "guess"});
        CHECK(other.auth_code == 535);
        CHECK(other.elapsed < 1500ms);
        const auto right = postfix_fixture::swaks(
            postfix.port(), {"PLAIN", "alice", k_test_password, "AUTH", attacker});
        CHECK(right.auth_code == 235);
        CHECK(right.elapsed < 1500ms);
        auth.daemon->stop();
        CHECK(auth.daemon->log().find("client=" + attacker + " frontend=dovecot") !=
              std::string::npos);
    }
}
