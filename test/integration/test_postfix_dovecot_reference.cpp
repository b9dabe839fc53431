// The reference setup the Dovecot-protocol front end must match: a private Postfix 3.7 with
// smtpd_sasl_type = dovecot in front of Debian 12's Dovecot 2.3.19.1 auth service, over the
// UNIX socket and over TCP on 127.0.0.1, driven by swaks. The scenarios live in
// postfix_fixture (check_smtp_auth, auth_across_drop) so the same checks can run against
// the daemon.
//
// Observed here (Postfix 3.7.11, Dovecot 2.3.19.1):
// - Dovecot's handshake: VERSION 1 2, one MECH per auth_mechanisms entry with its flags, SPID,
//   CUID, COOKIE (32 hex digits), DONE; all before the client writes anything.
// - 235 2.7.0 Authentication successful; 535 5.7.8 Error: authentication failed: (reason
//   unavailable) for a wrong password and for an unknown user alike (Dovecot's FAIL carries
//   user= but no reason=).
// - When the auth server closes smtpd's idle connection (its auth process killed, or the
//   whole server restarted) the next AUTH of the same smtpd process behaves differently by
//   transport. UNIX socket: writing the request fails at once (EPIPE), smtpd reconnects and
//   retries, the client sees 235. TCP: the write succeeds, the read gets EOF, the client gets
//   454 4.7.0 Temporary authentication failure: Connection lost to authentication server;
//   the session after that reconnects and gets 235.
#include "dovecot_client.hpp"
#include "dovecot_fixture.hpp"
#include "harness.hpp"
#include "postfix_fixture.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <regex>
#include <string>
#include <vector>

using namespace harness;
using postfix_fixture::AuthScenario;

namespace {

constexpr const char* k_wrong_password = "Wrong battery 0";

bool environment_ready() {
    // Both report their own skip (a failure in CI).
    const bool postfix = postfix_fixture::available();
    const bool dovecot = dovecot_fixture::available();
    return postfix && dovecot;
}

std::vector<std::string> passwd_lines() {
    return {"alice:{PLAIN}" + std::string(k_test_password),
            std::string("carol:") + k_test_password};
}

AuthScenario alice_scenario(std::string advertised = "PLAIN LOGIN") {
    AuthScenario scenario;
    scenario.user = "alice";
    scenario.password = k_test_password;
    scenario.wrong_password = k_wrong_password;
    scenario.advertised = std::move(advertised);
    return scenario;
}

// A tiny auth-client: the handshake, then one AUTH PLAIN with an initial response; returns
// the server's reply line (without LF), or "" when none came within 5 s.
std::string auth_plain(const std::string& socket_path, const std::string& user,
                       const std::string& password) {
    try {
        auto connection = dovecot_client::Connection::unix_socket(socket_path);
        connection.read_handshake();
        connection.send("VERSION\t1\t2\nCPID\t1\nAUTH\t1\tPLAIN\tservice=smtp\tno-penalty\tresp=" +
                        dovecot_client::plain_response(user, password) + "\n");
        return connection.line().value_or("");
    } catch (const std::exception&) {
        return {};
    }
}

postfix_fixture::Options one_long_lived_smtpd() {
    postfix_fixture::Options options;
    options.smtpd_process_limit = 1;
    options.smtpd_overrides = {"max_idle=3600s", "max_use=1000"};
    return options;
}

} // namespace

TEST_SUITE("integration::postfix_reference") {

    TEST_CASE("the reference Dovecot: handshake on both listeners, passwd-file, doveadm pw") {
        if (!environment_ready())
            return;
        TempDir dir;
        dovecot_fixture::Server dovecot(dir, passwd_lines());
        dovecot.start();

        const std::regex handshake("VERSION\t1\t2\n"
                                   "MECH\tPLAIN\tplaintext\n"
                                   "MECH\tLOGIN\tplaintext\n"
                                   "SPID\t[0-9]+\n"
                                   "CUID\t[0-9]+\n"
                                   "COOKIE\t[0-9a-f]{32}\n"
                                   "DONE\n");
        CHECK(std::regex_match(dovecot.handshake(), handshake));
        const auto over_tcp = dovecot_fixture::read_handshake(dovecot.sasl_path_inet());
        CHECK(std::regex_match(over_tcp, handshake));
        // One auth process, so one SPID; a connection counter per connection.
        CHECK(over_tcp.substr(0, over_tcp.find("CUID")) ==
              dovecot.handshake().substr(0, dovecot.handshake().find("CUID")));

        CHECK(auth_plain(dovecot.unix_socket(), "alice", k_test_password) == "OK\t1\tuser=alice");
        // carol's entry has no {SCHEME}: the passdb's scheme=PLAIN applies.
        CHECK(auth_plain(dovecot.unix_socket(), "carol", k_test_password) == "OK\t1\tuser=carol");
        CHECK(auth_plain(dovecot.unix_socket(), "alice", k_wrong_password) ==
              "FAIL\t1\tuser=alice");
        CHECK(auth_plain(dovecot.unix_socket(), "nosuchuser", k_test_password) ==
              "FAIL\t1\tuser=nosuchuser");

        const auto hash = dovecot.password_hash("SHA512-CRYPT", k_test_password);
        CHECK(hash.starts_with("{SHA512-CRYPT}$6$"));
        CHECK(dovecot.password_matches(hash, k_test_password));
        CHECK_FALSE(dovecot.password_matches(hash, k_wrong_password));
        const auto scram = dovecot.password_hash("SCRAM-SHA-256", k_test_password);
        CHECK(std::regex_match(scram, std::regex(R"(\{SCRAM-SHA-256\}4096,[A-Za-z0-9+/=]+,)"
                                                 R"([A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+)")));
        CHECK(dovecot.password_matches(scram, k_test_password));
        CHECK_FALSE(dovecot.password_matches(scram, k_wrong_password));

        // A stored hash in the passwd-file, picked up without a restart.
        auto lines = passwd_lines();
        lines.push_back("bob:" + hash);
        dovecot.write_passwd(lines);
        CHECK(auth_plain(dovecot.unix_socket(), "bob", k_test_password) == "OK\t1\tuser=bob");
        CHECK(auth_plain(dovecot.unix_socket(), "bob", k_wrong_password) == "FAIL\t1\tuser=bob");

        dovecot.stop();
        CHECK_FALSE(dovecot.running());
        CHECK(dovecot_fixture::read_handshake(dovecot.unix_socket(), 1s).empty());
        CHECK(dovecot.log().find(k_test_password) == std::string::npos);
    }

    TEST_CASE("Postfix through the reference Dovecot over the UNIX socket: PLAIN and LOGIN") {
        if (!environment_ready())
            return;
        TempDir dir;
        dovecot_fixture::Server dovecot(dir, passwd_lines());
        dovecot.start();
        const auto hash = dovecot.password_hash("SHA512-CRYPT", k_test_password);
        auto lines = passwd_lines();
        lines.push_back("bob:" + hash);
        dovecot.write_passwd(lines);

        postfix_fixture::Instance postfix(dir, dovecot.sasl_path_unix());
        postfix.start();
        CHECK(postfix.wait_for_log("daemon started -- version 3.7"));
        postfix_fixture::check_smtp_auth(postfix, alice_scenario());

        auto bob = alice_scenario();
        bob.user = "bob";
        postfix_fixture::check_smtp_auth(postfix, bob);

        postfix.stop();
        CHECK_FALSE(postfix.running());
        CHECK(postfix.wait_for_log("stopping the Postfix mail system"));
    }

    TEST_CASE("Postfix through the reference Dovecot over TCP on 127.0.0.1: PLAIN and LOGIN") {
        if (!environment_ready())
            return;
        TempDir dir;
        dovecot_fixture::Server dovecot(dir, passwd_lines());
        dovecot.start();
        postfix_fixture::Instance postfix(dir, dovecot.sasl_path_inet());
        postfix.start();
        postfix_fixture::check_smtp_auth(postfix, alice_scenario());
    }

    TEST_CASE("EHLO lists Dovecot's mechanisms in order, less those Postfix's policy drops") {
        if (!environment_ready())
            return;
        TempDir dir;
        dovecot_fixture::Options options;
        options.mechanisms = "cram-md5 plain anonymous login";
        dovecot_fixture::Server dovecot(dir, passwd_lines(), options);
        dovecot.start();
        CHECK(dovecot.handshake().find("MECH\tCRAM-MD5\tdictionary\tactive\n"
                                       "MECH\tPLAIN\tplaintext\n"
                                       "MECH\tANONYMOUS\tanonymous\n"
                                       "MECH\tLOGIN\tplaintext\n") != std::string::npos);

        // smtpd_sasl_security_options = noanonymous drops ANONYMOUS.
        postfix_fixture::Instance postfix(dir, dovecot.sasl_path_unix());
        postfix.start();
        auto scenario = alice_scenario("CRAM-MD5 PLAIN LOGIN");
        scenario.mechanisms = {"CRAM-MD5", "PLAIN", "LOGIN"};
        postfix_fixture::check_smtp_auth(postfix, scenario);
        postfix.stop();

        // noplaintext drops PLAIN and LOGIN as well.
        postfix_fixture::Options strict;
        strict.main_cf = {"smtpd_sasl_security_options = noanonymous, noplaintext"};
        postfix_fixture::Instance no_plaintext(dir, dovecot.sasl_path_unix(), strict, "strict");
        no_plaintext.start();
        CHECK(postfix_fixture::ehlo_auth_line(no_plaintext.port()) == "250-AUTH CRAM-MD5");
        const auto refused =
            postfix_fixture::swaks(no_plaintext.port(), {"PLAIN", "alice", k_test_password});
        INFO(refused.transcript);
        CHECK(refused.auth_code == 0); // swaks does not even try: PLAIN is not offered
        CHECK(refused.status != 0);
    }

    TEST_CASE("the auth server drops smtpd's idle connection: UNIX reconnects, TCP gives 454") {
        if (!environment_ready())
            return;
        TempDir dir;
        dovecot_fixture::Server dovecot(dir, passwd_lines());
        dovecot.start();
        const auto scenario = alice_scenario();

        struct Variant {
            const char* transport;
            bool tcp;
            const char* drop;
            bool restart;
        };
        for (const auto& variant : {Variant{"unix", false, "auth process killed", false},
                                    Variant{"unix", false, "server restarted", true},
                                    Variant{"tcp", true, "auth process killed", false},
                                    Variant{"tcp", true, "server restarted", true}}) {
            CAPTURE(variant.transport);
            CAPTURE(variant.drop);
            postfix_fixture::Instance postfix(
                dir, variant.tcp ? dovecot.sasl_path_inet() : dovecot.sasl_path_unix(),
                one_long_lived_smtpd(),
                std::string("postfix-") + variant.transport +
                    (variant.restart ? "-restart" : "-kill"));
            postfix.start();
            const auto mark = postfix.log_mark();
            const auto result = postfix_fixture::auth_across_drop(postfix, scenario, [&] {
                if (variant.restart) {
                    dovecot.stop();
                    dovecot.start();
                } else {
                    CHECK(dovecot.kill_auth_processes() == 1);
                }
            });
            INFO("before:\n" << result.before.transcript);
            INFO("first after:\n" << result.first_after.transcript);
            INFO("maillog:\n" << postfix.maillog());
            CHECK(result.same_smtpd);
            CHECK(result.before.auth_code == 235);
            if (variant.tcp) {
                CHECK(result.first_after.auth_code == 454);
                CHECK(result.first_after.auth_reply == "454 4.7.0 Temporary authentication "
                                                       "failure: Connection lost to "
                                                       "authentication server");
                CHECK(postfix.wait_for_log("SASL PLAIN authentication failed: Connection lost "
                                           "to authentication server, "
                                           "sasl_username=(unavailable)\n",
                                           10s, mark));
            } else {
                CHECK(result.first_after.auth_code == 235);
            }
            CHECK(result.second_after.auth_code == 235);
            postfix.stop();
        }
    }

    TEST_CASE("with the auth server gone smtpd answers 454 until it exits with a fatal error") {
        if (!environment_ready())
            return;
        TempDir dir;
        dovecot_fixture::Server dovecot(dir, passwd_lines());
        const auto scenario = alice_scenario();
        for (const bool tcp : {false, true}) {
            CAPTURE(tcp);
            dovecot.start();
            postfix_fixture::Instance postfix(
                dir, tcp ? dovecot.sasl_path_inet() : dovecot.sasl_path_unix(),
                one_long_lived_smtpd(), tcp ? "postfix-tcp" : "postfix-unix");
            postfix.start();
            const auto mark = postfix.log_mark();
            const postfix_fixture::Attempt attempt{"PLAIN", "alice", k_test_password};
            CHECK(postfix_fixture::swaks(postfix.port(), attempt).auth_code == 235);
            dovecot.stop();

            // The smtpd keeps its mechanism list and offers AUTH while it still has a
            // connection object. Over UNIX the write fails, the reconnect is refused: 454.
            // Over TCP the write succeeds and the read finds EOF (454, connection lost); the
            // next AUTH's write fails and the reconnect is refused (454 again).
            std::vector<std::string> expected{
                "454 4.7.0 Temporary authentication failure: (reason unavailable)"};
            if (tcp)
                expected.insert(expected.begin(), "454 4.7.0 Temporary authentication failure: "
                                                  "Connection lost to authentication server");
            for (const auto& reply : expected) {
                const auto gone = postfix_fixture::swaks(postfix.port(), attempt);
                INFO(gone.transcript);
                CHECK(gone.auth_reply == reply);
            }
            // Then the next session starts without a connection, cannot make one, and smtpd
            // exits before its banner (the master then throttles the service).
            const auto refused = postfix_fixture::swaks(postfix.port(), attempt);
            INFO(refused.transcript);
            INFO("maillog:\n" << postfix.maillog());
            CHECK(refused.auth_code == 0);
            CHECK(refused.status == 6);
            CHECK(refused.transcript.find("Remote host closed connection unexpectedly") !=
                  std::string::npos);
            CHECK(refused.transcript.find("<-  220 ") == std::string::npos);
            CHECK(postfix.wait_for_log("fatal: no SASL authentication mechanisms", 10s, mark));
            CHECK(postfix.wait_for_log("failed: Connection refused", 10s, mark));
            postfix.stop();
        }
    }
}
