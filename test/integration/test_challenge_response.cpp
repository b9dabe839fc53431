// CRAM-MD5 and SCRAM through the real daemon's Dovecot front end, spoken by GNU SASL's client
// mechanisms, against the sql backend on a SQLite file made with the sqlite3 CLI: plaintext
// rows, the mechanisms' own stored forms, rows that cannot serve a mechanism, missing users,
// and broken or hostile exchanges.
#include "backends/passwords/challenge_secrets.hpp"
#include "backends/passwords/encoding.hpp"
#include "dovecot_client.hpp"
#include "gsasl_client.hpp"
#include "harness.hpp"
#include "mariadb_fixture.hpp"
#include "pam_fixture.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <map>
#include <openssl/evp.h>
#include <set>
#include <unistd.h>

using namespace harness;
using dovecot_client::Connection;

namespace {

constexpr const char* k_failed = "reason=Authentication failed";
constexpr const char* k_password = "Correct horse 1";

std::string fail_line(std::uint32_t id, const std::string& login) {
    return "FAIL\t" + std::to_string(id) + "\tuser=" + login + "\t" + k_failed;
}

std::string ok_line(std::uint32_t id, const std::string& login) {
    return "OK\t" + std::to_string(id) + "\tuser=" + login;
}

namespace pw = backends::passwords;

// {SCRAM-…} of k_password with a fixed salt, made by the library the tests check against
// RFC 7677's vector (test_backends_challenge_secrets.cpp) and doveadm (password-schemes.txt).
std::string scram_row(pw::ScramHash hash, unsigned iterations = 4096) {
    return pw::format_scram(hash, pw::scram_keys(hash, k_password, "sixteen byte slt", iterations));
}

struct Fixture {
    TempDir dir;

    explicit Fixture(const std::string& mechanisms, const std::string& extra = "penalty: no\n") {
        REQUIRE_MESSAGE(access("/usr/bin/sqlite3", X_OK) == 0,
                        "these tests need /usr/bin/sqlite3 (package sqlite3)");
        const std::vector<mariadb_fixture::MailboxRow> rows{
            {"plain", "example.org", k_password},
            {"prefixed", "example.org", std::string("{PLAIN}") + k_password},
            {"cram", "example.org",
             "{CRAM-MD5}" + pw::to_hex(pw::cram_md5_state(k_password).view())},
            {"scram256", "example.org", scram_row(pw::ScramHash::sha256)},
            {"scram1", "example.org", scram_row(pw::ScramHash::sha1)},
            {"slow", "example.org", scram_row(pw::ScramHash::sha256, 8192)},
            {"crypt", "example.org", "{SHA512-CRYPT}" + pam_fixture::sha512_hash(k_password)},
            {"nullpw", "example.org", std::nullopt},
            {"inactive", "example.org", k_password, false},
            {"dmd5", "example.org",
             "{DIGEST-MD5}" +
                 pw::to_hex(
                     pw::digest_md5_secret("dmd5@example.org", "example.org", k_password).view())},
        };
        const auto made =
            run_command({"/usr/bin/sqlite3", dir / "mail.sqlite"},
                        "CREATE TABLE mailbox (username TEXT PRIMARY KEY, password TEXT, "
                        "name TEXT NOT NULL DEFAULT '', local_part TEXT NOT NULL, "
                        "domain TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1);\n" +
                            mariadb_fixture::insert_mailbox_rows(rows));
        REQUIRE_MESSAGE(made.status == 0, made.err);
        dir.write("saslauthd.conf", "sql_engine: sqlite3\nsql_database: " + (dir / "mail.sqlite") +
                                        "\nsql_select: " + mariadb_fixture::k_postfixadmin_select +
                                        "\nsql_password_scheme: PLAIN\ndovecot_listen: " +
                                        auth_path() + "\ndovecot_socket_mode: 0666\n" +
                                        "dovecot_mechanisms: " + mechanisms + "\n" + extra);
    }
    std::string auth_path() const { return dir / "auth"; }
    std::vector<std::string> args() const {
        return {"-a", "sql", "-n", "2", "-O", dir / "saslauthd.conf"};
    }
    Connection connect() const {
        auto connection = Connection::unix_socket(auth_path());
        connection.hello();
        return connection;
    }
};

std::string login(const std::string& local_part) {
    return local_part + "@example.org";
}

bool logged(const std::string& log, const std::string& text) {
    return log.find(text) != std::string::npos;
}

// A SCRAM-SHA-256 client written here from RFC 5802 §3 (libgsasl's client cannot send the
// "y" gs2 flag): the final reply line, after checking the server's signature.
std::string scram_by_hand(Connection& connection, std::uint32_t id, const std::string& gs2,
                          const std::string& login, const std::string& password) {
    const auto hash = pw::ScramHash::sha256;
    const auto bare = "n=" + login + ",r=clientnonce" + std::to_string(id);
    const auto cont = "CONT\t" + std::to_string(id) + "\t";
    connection.send("AUTH\t" + std::to_string(id) + "\tSCRAM-SHA-256\tservice=smtp\tresp=" +
                    dovecot_client::base64(gs2 + bare) + "\n");
    const auto first = connection.line();
    if (!first || !first->starts_with(cont))
        return first.value_or("");
    std::string server_first;
    REQUIRE(pw::decode_base64(first->substr(cont.size()), server_first));
    const auto field = [&](char name) {
        const auto at = server_first.find(std::string(1, name) + "=");
        REQUIRE(at != std::string::npos);
        const auto end = server_first.find(',', at);
        return server_first.substr(at + 2, end == std::string::npos ? end : end - at - 2);
    };
    std::string salt;
    REQUIRE(pw::decode_base64(field('s'), salt));
    std::string salted(32, '\0');
    REQUIRE(PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                              reinterpret_cast<const unsigned char*>(salt.data()),
                              static_cast<int>(salt.size()), std::stoi(field('i')), EVP_sha256(),
                              32, reinterpret_cast<unsigned char*>(salted.data())) == 1);
    const auto without_proof = "c=" + dovecot_client::base64(gs2) + ",r=" + field('r');
    const auto auth_message = bare + "," + server_first + "," + without_proof;
    const auto client_key = pw::scram_hmac(hash, salted, "Client Key");
    const auto signature =
        pw::scram_hmac(hash, pw::scram_digest(hash, client_key.view()).view(), auth_message);
    std::string proof(client_key.view());
    for (std::size_t i = 0; i < proof.size(); ++i)
        proof[i] = static_cast<char>(proof[i] ^ signature.view()[i]);
    connection.send(
        cont + dovecot_client::base64(without_proof + ",p=" + pw::encode_base64(proof)) + "\n");
    const auto last = connection.line();
    if (!last || !last->starts_with(cont))
        return last.value_or("");
    const auto server_key = pw::scram_hmac(hash, salted, "Server Key");
    const auto expected =
        "v=" + pw::encode_base64(pw::scram_hmac(hash, server_key.view(), auth_message).view());
    CHECK(last->substr(cont.size()) == dovecot_client::base64(expected));
    connection.send(cont + "\n");
    return connection.line().value_or("");
}

// The "s=…,i=…" of a SCRAM server-first message.
std::string salt_and_count(const std::string& server_first) {
    const auto at = server_first.find(",s=");
    return at == std::string::npos ? std::string() : server_first.substr(at + 1);
}

} // namespace

TEST_SUITE("integration::challenge-response") {
    TEST_CASE(
        "CRAM-MD5: plaintext and {CRAM-MD5} rows, and wrong, missing and unusable fail alike") {
        Fixture fixture("PLAIN CRAM-MD5");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        std::uint32_t id = 0;
        for (const auto* user : {"plain", "prefixed", "cram"}) {
            INFO(user);
            const auto result =
                gsasl_client::authenticate(connection, ++id, "CRAM-MD5", login(user), k_password);
            CHECK(result.reply == ok_line(id, login(user)));
            REQUIRE(result.challenges.size() == 1);
            // RFC 2195's msg-id form: <digits.unixtime@host>
            const auto& challenge = result.challenges[0];
            CHECK(challenge.front() == '<');
            CHECK(challenge.back() == '>');
            CHECK(challenge.find('@') != std::string::npos);
            CHECK(challenge.find('.') == 17);
        }
        for (const auto& [user, password] :
             std::vector<std::pair<std::string, std::string>>{{"plain", "wrong password"},
                                                              {"cram", "Correct horse 2"},
                                                              {"nosuch", k_password},
                                                              {"crypt", k_password},
                                                              {"nullpw", k_password},
                                                              {"inactive", k_password},
                                                              {"scram256", k_password}}) {
            INFO(user);
            const auto result =
                gsasl_client::authenticate(connection, ++id, "CRAM-MD5", login(user), password);
            CHECK(result.reply == fail_line(id, login(user)));
        }
        // Two challenges are never the same.
        const auto first = gsasl_client::authenticate(connection, ++id, "CRAM-MD5", "a", "b");
        const auto second = gsasl_client::authenticate(connection, ++id, "CRAM-MD5", "a", "b");
        CHECK(first.challenges != second.challenges);
        daemon.stop();
        const auto log = daemon.log();
        CHECK(logged(log, "login=cram@example.org client=192.0.2.7 frontend=dovecot mech=CRAM-MD5 "
                          "backend=sql verdict=bad_password reason=\"wrong password\""));
        CHECK(logged(log, "login=nosuch@example.org client=192.0.2.7 frontend=dovecot "
                          "mech=CRAM-MD5 backend=sql verdict=unknown_user"));
        CHECK(logged(log, "login=crypt@example.org client=192.0.2.7 frontend=dovecot "
                          "mech=CRAM-MD5 backend=sql verdict=disabled reason=\"row holds "
                          "SHA512-CRYPT; CRAM-MD5 needs plaintext or {CRAM-MD5}\""));
        CHECK(logged(log, "reason=\"row holds SCRAM-SHA-256; CRAM-MD5 needs plaintext or "
                          "{CRAM-MD5}\""));
        CHECK_FALSE(logged(log, k_password));
    }

    TEST_CASE(
        "SCRAM-SHA-256 and SCRAM-SHA-1: plaintext and stored keys, and the client checks v=") {
        Fixture fixture("PLAIN SCRAM-SHA-1 SCRAM-SHA-256");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        std::uint32_t id = 0;
        const std::vector<std::pair<std::string, std::string>> good{
            {"SCRAM-SHA-256", "plain"},    {"SCRAM-SHA-256", "prefixed"},
            {"SCRAM-SHA-256", "scram256"}, {"SCRAM-SHA-256", "slow"},
            {"SCRAM-SHA-1", "plain"},      {"SCRAM-SHA-1", "scram1"}};
        for (const auto& [mechanism, user] : good) {
            INFO(mechanism, " ", user);
            const auto result =
                gsasl_client::authenticate(connection, ++id, mechanism, login(user), k_password);
            CHECK(result.reply == ok_line(id, login(user)));
            CHECK(result.client_ok); // libgsasl verified the server's signature
            REQUIRE(result.challenges.size() == 2);
            CHECK(result.challenges[1].starts_with("v="));
        }
        // PLAIN verifies against the SCRAM rows too.
        ++id;
        CHECK(connection.plain(id, login("scram256"), k_password) ==
              ok_line(id, login("scram256")));
        ++id;
        CHECK(connection.plain(id, login("scram1"), "wrong") == fail_line(id, login("scram1")));

        for (const auto& [user, password] : std::vector<std::pair<std::string, std::string>>{
                 {"plain", "wrong"},
                 {"scram256", "Correct horse 2"},
                 {"nosuch", k_password},
                 {"crypt", k_password},
                 {"cram", k_password},
                 {"scram1", k_password}, // a SHA-1 row cannot serve SCRAM-SHA-256
                 {"nullpw", k_password}}) {
            INFO(user);
            const auto result = gsasl_client::authenticate(connection, ++id, "SCRAM-SHA-256",
                                                           login(user), password);
            CHECK(result.reply == fail_line(id, login(user)));
            CHECK(result.challenges.size() == 1); // server-first only: no signature for a failure
        }
        daemon.stop();
        const auto log = daemon.log();
        CHECK(logged(log, "login=scram256@example.org client=192.0.2.7 frontend=dovecot "
                          "mech=SCRAM-SHA-256 backend=sql verdict=bad_password"));
        CHECK(logged(log, "mech=SCRAM-SHA-256 backend=sql verdict=unknown_user"));
        CHECK(logged(log, "reason=\"row holds SCRAM-SHA-1; SCRAM-SHA-256 needs plaintext or "
                          "{SCRAM-SHA-256}\""));
        CHECK_FALSE(logged(log, k_password));
    }

    TEST_CASE("SCRAM: a missing login's salt and count are as stable as a real one's") {
        Fixture fixture("SCRAM-SHA-256");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        std::uint32_t id = 0;
        std::map<std::string, std::set<std::string>> seen;
        // New connections, so that both workers answer.
        for (int round = 0; round < 6; ++round) {
            auto connection = fixture.connect();
            for (const auto* user : {"plain", "scram256", "nosuch", "other"}) {
                const auto result =
                    gsasl_client::authenticate(connection, ++id, "SCRAM-SHA-256", login(user), "x");
                REQUIRE_FALSE(result.challenges.empty());
                seen[user].insert(salt_and_count(result.challenges[0]));
            }
        }
        for (const auto& [user, values] : seen) {
            INFO(user);
            CHECK(values.size() == 1);
            CHECK(values.begin()->find(",i=4096") != std::string::npos);
        }
        CHECK(*seen["nosuch"].begin() != *seen["other"].begin());
        CHECK(*seen["nosuch"].begin() != *seen["plain"].begin());
    }

    TEST_CASE("broken and hostile exchanges fail cleanly, and the connection and worker go on") {
        Fixture fixture("PLAIN CRAM-MD5 SCRAM-SHA-256");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        std::uint32_t id = 0;
        const auto user = login("scram256");
        const auto tamper_final = [](auto change) {
            return [change](int index, std::string message) {
                return index == 1 ? change(std::move(message)) : message;
            };
        };
        // A wrong proof: the first character of p= changed (all six of its bits count; the
        // last one before '=' carries padding bits a decoder may ignore).
        auto result = gsasl_client::authenticate(connection, ++id, "SCRAM-SHA-256", user,
                                                 k_password, tamper_final([](std::string m) {
                                                     const auto p = m.find(",p=") + 3;
                                                     m[p] = m[p] == 'A' ? 'B' : 'A';
                                                     return m;
                                                 }));
        CHECK(result.reply == fail_line(id, user));
        // Another nonce than the server's (a replayed client-final).
        result = gsasl_client::authenticate(connection, ++id, "SCRAM-SHA-256", user, k_password,
                                            tamper_final([](std::string m) {
                                                const auto r = m.find(",r=");
                                                m[r + 4] = m[r + 4] == 'x' ? 'y' : 'x';
                                                return m;
                                            }));
        CHECK(result.reply == fail_line(id, user));
        // A tampered gs2 header in c= ("biws" is base64 of "n,,").
        result = gsasl_client::authenticate(connection, ++id, "SCRAM-SHA-256", user, k_password,
                                            tamper_final([](std::string m) {
                                                m.replace(m.find("c=biws"), 6, "c=eSws");
                                                return m;
                                            }));
        CHECK(result.reply == fail_line(id, user));
        // A channel binding request.
        connection.send("AUTH\t" + std::to_string(++id) + "\tSCRAM-SHA-256\tservice=smtp\tresp=" +
                        dovecot_client::base64("p=tls-unique,,n=" + user + ",r=abcdefgh") + "\n");
        CHECK(connection.line() == "FAIL\t" + std::to_string(id) + "\t" + k_failed);
        // Garbage as client-first.
        connection.send("AUTH\t" + std::to_string(++id) + "\tSCRAM-SHA-256\tservice=smtp\tresp=" +
                        dovecot_client::base64("n,,garbage") + "\n");
        CHECK(connection.line() == "FAIL\t" + std::to_string(id) + "\t" + k_failed);
        // Client-first, then silence: the request waits; others on the connection go on.
        const auto silent = ++id;
        connection.send("AUTH\t" + std::to_string(silent) + "\tSCRAM-SHA-256\tservice=smtp\tresp=" +
                        dovecot_client::base64("n,,n=" + user + ",r=abcdefgh") + "\n");
        const auto server_first = connection.line();
        REQUIRE(server_first.has_value());
        CHECK(server_first->starts_with("CONT\t" + std::to_string(silent) + "\t"));
        // CRAM-MD5 answers without a space, or with a short digest.
        for (const std::string& answer :
             {std::string("nospace"), user + " 1234", user + " " + std::string(32, 'z')}) {
            connection.send("AUTH\t" + std::to_string(++id) + "\tCRAM-MD5\tservice=smtp\n");
            const auto challenge = connection.line();
            REQUIRE(challenge.has_value());
            CHECK(challenge->starts_with("CONT\t" + std::to_string(id) + "\t"));
            connection.send("CONT\t" + std::to_string(id) + "\t" + dovecot_client::base64(answer) +
                            "\n");
            CHECK(connection.line()->starts_with("FAIL\t" + std::to_string(id) + "\t"));
        }
        // A message after the exchange's end: the final CONT of a finished SCRAM with data.
        result = gsasl_client::authenticate(connection, ++id, "SCRAM-SHA-256", user, k_password,
                                            [](int index, std::string message) {
                                                return index == 2 ? std::string("extra") : message;
                                            });
        CHECK(result.reply == "FAIL\t" + std::to_string(id) + "\tuser=" + user + "\t" + k_failed);
        // The same connection still serves every mechanism.
        const auto serves = [&](const std::string& mechanism, const std::string& who) {
            const auto reply =
                mechanism == "PLAIN"
                    ? connection.plain(++id, who, k_password)
                    : gsasl_client::authenticate(connection, ++id, mechanism, who, k_password)
                          .reply;
            return reply == ok_line(id, who);
        };
        CHECK(serves("SCRAM-SHA-256", user));
        CHECK(serves("CRAM-MD5", login("plain")));
        CHECK(serves("PLAIN", login("plain")));
        const auto workers = daemon.workers();
        CHECK(workers.size() == 2);
        daemon.stop();
        const auto log = daemon.log();
        CHECK(logged(log, "SCRAM-SHA-256: a channel binding request"));
        CHECK(logged(log, "CRAM-MD5: a response without"));
        CHECK(logged(log, "CRAM-MD5: a digest that is not 32 hex digits"));
        CHECK_FALSE(logged(log, k_password));
    }

    TEST_CASE("DIGEST-MD5: plaintext and {DIGEST-MD5} rows, the realm from dovecot_realm") {
        Fixture fixture("PLAIN DIGEST-MD5", "penalty: no\ndovecot_realm: example.org\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        std::uint32_t id = 0;
        for (const auto* user : {"plain", "prefixed", "dmd5"}) {
            INFO(user);
            const auto result =
                gsasl_client::authenticate(connection, ++id, "DIGEST-MD5", login(user), k_password);
            CHECK(result.reply == ok_line(id, login(user)));
            CHECK(result.client_ok); // libgsasl checked rspauth=
            REQUIRE(result.challenges.size() == 2);
            CHECK(result.challenges[0].find("realm=\"example.org\"") != std::string::npos);
            CHECK(result.challenges[1].starts_with("rspauth="));
        }
        for (const auto& [user, password] :
             std::vector<std::pair<std::string, std::string>>{{"plain", "wrong"},
                                                              {"dmd5", "Correct horse 2"},
                                                              {"nosuch", k_password},
                                                              {"crypt", k_password},
                                                              {"scram256", k_password}}) {
            INFO(user);
            const auto result =
                gsasl_client::authenticate(connection, ++id, "DIGEST-MD5", login(user), password);
            CHECK(result.reply == fail_line(id, login(user)));
        }
        daemon.stop();
        const auto log = daemon.log();
        CHECK(logged(log, "login=dmd5@example.org client=192.0.2.7 frontend=dovecot "
                          "mech=DIGEST-MD5 backend=sql verdict=bad_password"));
        CHECK(logged(log, "login=nosuch@example.org client=192.0.2.7 frontend=dovecot "
                          "mech=DIGEST-MD5 backend=sql verdict=unknown_user"));
        CHECK(logged(log, "reason=\"row holds SHA512-CRYPT; DIGEST-MD5 needs plaintext or "
                          "{DIGEST-MD5}\""));
        CHECK_FALSE(logged(log, k_password));
    }

    TEST_CASE(
        "SCRAM: the y gs2 flag is accepted, and a login SASLprep prohibits fails, as it would "
        "in any SCRAM server") {
        Fixture fixture("PLAIN SCRAM-SHA-256");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        CHECK(scram_by_hand(connection, 1, "y,,", login("plain"), k_password) ==
              ok_line(1, login("plain")));
        CHECK(scram_by_hand(connection, 2, "n,,", login("scram256"), k_password) ==
              ok_line(2, login("scram256")));
        CHECK(scram_by_hand(connection, 3, "y,,", login("scram256"), "wrong") ==
              fail_line(3, login("scram256")));
        // libgsasl checks the login with SASLprep: a control character is prohibited there,
        // so the exchange fails before any lookup; PLAIN takes the bytes as they are.
        CHECK(scram_by_hand(connection, 4, "n,,", "bell\x07@example.org", k_password) ==
              "FAIL\t4\t" + std::string(k_failed));
        daemon.stop();
        CHECK(logged(daemon.log(), "SCRAM-SHA-256: a first message libgsasl refuses"));
    }

    TEST_CASE("the penalty counts challenge-response failures per login and per rip=") {
        Fixture fixture("CRAM-MD5 SCRAM-SHA-256", "penalty_initial_delay_ms: 1000\n");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = fixture.connect();
        using Clock = std::chrono::steady_clock;
        const auto timed = [&](std::uint32_t id, const std::string& mechanism,
                               const std::string& user, const std::string& password) {
            const auto started = Clock::now();
            const auto result =
                gsasl_client::authenticate(connection, id, mechanism, user, password);
            CHECK(result.reply.starts_with("FAIL\t"));
            return Clock::now() - started;
        };
        // The first failure is answered at once, the next ones from the same address wait,
        // whichever login and mechanism they use.
        CHECK(timed(1, "CRAM-MD5", login("plain"), "wrong") < 900ms);
        CHECK(timed(2, "SCRAM-SHA-256", login("nosuch"), "wrong") >= 900ms);
        CHECK(timed(3, "CRAM-MD5", login("other"), "wrong") >= 900ms);
        daemon.stop();
        CHECK(logged(daemon.log(),
                     "mech=SCRAM-SHA-256 backend=sql verdict=unknown_user reason=\"no "
                     "such user\""));
        CHECK(logged(daemon.log(), "reply_delay_ms="));
    }

    TEST_CASE("the handshake's MECH lines carry Dovecot's flags") {
        Fixture fixture("PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 DIGEST-MD5");
        Daemon daemon(fixture.dir, fixture.args());
        REQUIRE(daemon.wait_ready());
        auto connection = Connection::unix_socket(fixture.auth_path());
        const auto handshake = connection.read_handshake();
        std::vector<std::string> mechs;
        for (const auto& line : handshake)
            if (line.starts_with("MECH\t"))
                mechs.push_back(line);
        CHECK(mechs == std::vector<std::string>{
                           "MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext",
                           "MECH\tCRAM-MD5\tdictionary\tactive", "MECH\tSCRAM-SHA-1\tmutual-auth",
                           "MECH\tSCRAM-SHA-256\tmutual-auth",
                           "MECH\tDIGEST-MD5\tdictionary\tactive\tmutual-auth"});
    }

    TEST_CASE("a challenge-response mechanism over a chain that cannot look up stops the start") {
        TempDir dir;
        dir.write("shadow", shadow_line("alice"));
        dir.write("saslauthd.conf", "shadow_file: " + (dir / "shadow") + "\ndovecot_listen: " +
                                        (dir / "auth") + "\ndovecot_mechanisms: PLAIN CRAM-MD5\n");
        const auto result = run_command(
            {SASLAUTHD_BIN, "-a", "shadow", "-d", "-m", dir / "run", "-O", dir / "saslauthd.conf"},
            {}, 10s);
        CHECK(result.status != 0);
        CHECK(result.err.find(dir / "saslauthd.conf" + ":3: dovecot_mechanisms: CRAM-MD5 needs a "
                                                       "backend that looks up stored credentials "
                                                       "(sql); -a shadow can only check a "
                                                       "password") != std::string::npos);
    }
}
