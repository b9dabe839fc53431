// The sql backend through the real daemon against real databases: MariaDB servers of the
// test's own (mariadb_fixture.hpp) with a postfixadmin-style `mailbox` table read by a
// SELECT-only account, and a SQLite file made with the sqlite3 CLI. One user per line of
// test/data/password-schemes.txt, plus inactive, NULL, empty, quoted and hostile names.
//
// What MariaDB's default collation (utf8mb4_general_ci, PAD SPACE) does to the postfixadmin
// query `username='%u@%r'`: "ALICE" finds alice's row, and so does realm "example.org "
// (trailing spaces are ignored). Either is a different SASL name for the same mailbox, which
// matters to Postfix's smtpd_sender_login_maps. The fix is in the query, not in the daemon:
// `WHERE BINARY username = '%u@%r'` compares bytes, without case folding or padding. SQLite's
// default BINARY collation has neither problem.
#include "client/client.hpp"
#include "daemon/logging/logging.hpp"
#include "harness.hpp"
#include "mariadb_fixture.hpp"
#include "pam_fixture.hpp"
#include "test/common/test_data.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <doctest/doctest.h>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace harness;
using mariadb_fixture::quote;
using mariadb_fixture::Server;

namespace {

constexpr const char* k_reader_password = "Sasl-reader-pw-7f3e9a";
constexpr const char* k_alice_password = "Alice's horse 9";
constexpr const char* k_bob_password = "Bob's horse 4";
constexpr const char* k_obrien_password = "O'Brien \"Quote\" 2";
constexpr const char* k_wrong_password = "Wrong battery 0";
constexpr const char* k_service = "smtp";
constexpr const char* k_realm = "example.org";

using mariadb_fixture::k_postfixadmin_select;

struct Vector {
    std::string label;
    std::string password;
    std::string stored;
};

// password-schemes.txt: `label<TAB>password<TAB>stored<TAB>tool`, '#' comments.
std::vector<Vector> load_vectors() {
    std::vector<Vector> vectors;
    for (auto& row : test_data::read_tab_separated("password-schemes.txt", 4))
        vectors.push_back({std::move(row[0]), std::move(row[1]), std::move(row[2])});
    return vectors;
}

std::string vector_login(std::size_t index) {
    return std::string("v") + std::to_string(index);
}

using User = mariadb_fixture::MailboxRow;

std::vector<User> make_users(const std::vector<Vector>& vectors) {
    const auto alice = pam_fixture::sha512_hash(k_alice_password);
    std::vector<User> users{
        {"alice", k_realm, "{SHA512-CRYPT}" + alice},
        {"bob", k_realm, pam_fixture::sha512_hash(k_bob_password), false},
        {"nullpw", k_realm, std::nullopt},
        {"emptypw", k_realm, ""},
        {"o'brien", k_realm, pam_fixture::sha512_hash(k_obrien_password)},
        // Two rows for a query that forgets the domain: an ambiguous answer.
        {"carol", k_realm, alice},
        {"carol", "twice.example", alice},
    };
    for (std::size_t i = 0; i < vectors.size(); ++i)
        users.push_back({vector_login(i), k_realm, vectors[i].stored});
    return users;
}

std::string sqlite_setup(const std::vector<User>& users) {
    return "CREATE TABLE mailbox (\n"
           "  username TEXT NOT NULL PRIMARY KEY,\n"
           "  password TEXT NULL,\n"
           "  name TEXT NOT NULL DEFAULT '',\n"
           "  local_part TEXT NOT NULL,\n"
           "  domain TEXT NOT NULL,\n"
           "  active INTEGER NOT NULL DEFAULT 1\n"
           ");\n"
           "CREATE INDEX mailbox_domain ON mailbox (domain);\n" +
           mariadb_fixture::insert_mailbox_rows(users);
}

// The users and vectors of one TEST_CASE.
struct Data {
    std::vector<Vector> vectors = load_vectors();
    std::vector<User> users = make_users(vectors);
};

void start_with(Server& server, const Data& data) {
    server.start();
    server.execute(mariadb_fixture::postfixadmin_setup(data.users, k_reader_password));
}

// The options in a TempDir of its own, so that several daemons can run side by side.
class SqlDaemon {
public:
    explicit SqlDaemon(const std::string& options, std::vector<std::string> extra_args = {})
        : m_daemon(m_dir, args(m_dir, options, std::move(extra_args))) {}
    Daemon& operator*() { return m_daemon; }
    Daemon* operator->() { return &m_daemon; }

private:
    static std::vector<std::string> args(const TempDir& dir, const std::string& options,
                                         std::vector<std::string> extra_args) {
        dir.write("saslauthd.conf", options);
        std::vector<std::string> all{"-a", "sql", "-O", dir / "saslauthd.conf"};
        all.insert(all.end(), extra_args.begin(), extra_args.end());
        return all;
    }
    TempDir m_dir;
    Daemon m_daemon;
};

std::string mysql_options(const std::string& hostnames, const std::string& select,
                          const std::string& extra = {}) {
    return "sql_engine: mysql\n"
           "sql_hostnames: " +
           hostnames +
           "\n"
           "sql_database: postfix\n"
           "sql_user: sasl\n"
           "sql_passwd: " +
           k_reader_password +
           "\n"
           "sql_select: " +
           select +
           "\n"
           "sql_usessl: no\n" +
           extra;
}

std::string tcp(const Server& server) {
    return "127.0.0.1:" + std::to_string(server.port());
}

// Both servers in order, with short timeouts so that a test waits seconds, not minutes.
std::string failover_options(const Server& first, const Server& second,
                             const std::string& retry_interval = "1") {
    return mysql_options(tcp(first) + "," + tcp(second), k_postfixadmin_select,
                         "sql_connect_timeout: 1\n"
                         "sql_read_timeout: 1\n"
                         "sql_retry_interval: " +
                             retry_interval + "\n");
}

// The password of the row `whoami`, which each server of a ServerPair holds with its own.
std::string served_by_password(int server) {
    return std::string("Served by db") + std::to_string(server);
}

// Two servers holding the same data, for a daemon that fails over between them; only the
// password of `whoami` tells them apart.
struct ServerPair {
    const Data data;
    TempDir dir;
    Server first{dir, "db1"};
    Server second{dir, "db2"};
    ServerPair() {
        start_with(first, data);
        start_with(second, data);
        for (auto [server, number] : {std::pair{&first, 1}, std::pair{&second, 2}})
            server->execute("USE postfix;\n" +
                            mariadb_fixture::insert_mailbox_rows(
                                {{"whoami", k_realm, "{PLAIN}" + served_by_password(number)}}));
    }
    std::string options() const { return failover_options(first, second); }
};

// OK or NO; a NO must carry the one failure text, whatever the reason.
bool authenticates(Daemon& daemon, const proto::RequestView& request) {
    const auto reply = client::authenticate(daemon.socket_path(), request);
    if (!reply) {
        FAIL_CHECK(reply.error().message);
        return false;
    }
    if (!reply->ok)
        CHECK(reply->text == "NO authentication failed");
    return reply->ok;
}

bool authenticates(Daemon& daemon, std::string_view login, std::string_view password,
                   std::string_view realm = k_realm) {
    return authenticates(daemon, {login, password, k_service, realm, {}});
}

// True when the worker that took this request asked server 1 or 2 of a ServerPair.
bool served_by(Daemon& daemon, int server) {
    return authenticates(daemon, "whoami", served_by_password(server));
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point then) {
    return std::chrono::duration<double>(Clock::now() - then).count();
}

bool logged_verdict(const std::string& log, std::string_view login, std::string_view verdict) {
    return log.find("login=" + saslauthd::logging::field(login) +
                    " frontend=saslauthd backend=sql verdict=" + std::string(verdict)) !=
           std::string::npos;
}

// Short strings ("x") could show up by chance; every password and hash here is longer.
void check_no_secrets_in(const std::string& log, const std::vector<Vector>& vectors,
                         const std::vector<User>& users = {}) {
    auto absent = [&](const std::string& secret) {
        return secret.size() < 6 || log.find(secret) == std::string::npos;
    };
    CHECK(absent(k_reader_password));
    CHECK(absent(k_alice_password));
    CHECK(absent(k_bob_password));
    CHECK(absent(k_obrien_password));
    CHECK(absent(k_wrong_password));
    for (const auto& vector : vectors) {
        CAPTURE(vector.label);
        CHECK(absent(vector.password));
        CHECK(absent(vector.stored));
    }
    for (const auto& user : users)
        CHECK(absent(user.stored.value_or("")));
}

// The label names the sql_password_scheme a bare stored value needs; "{NAME}" and "auto"
// lines need none.
std::string scheme_of(const Vector& vector) {
    return vector.label.starts_with('{') || vector.label == "auto" ? "" : vector.label;
}

void check_vectors(Daemon& daemon, const std::vector<Vector>& vectors,
                   const std::string& scheme = {}) {
    for (std::size_t i = 0; i < vectors.size(); ++i) {
        if (scheme_of(vectors[i]) != scheme)
            continue;
        CAPTURE(vectors[i].label);
        CAPTURE(vectors[i].password);
        CHECK(authenticates(daemon, vector_login(i), vectors[i].password));
        if (vectors[i].password != k_wrong_password)
            CHECK_FALSE(authenticates(daemon, vector_login(i), k_wrong_password));
    }
}

// One daemon for each sql_password_scheme the vectors name, with `options` plus that line.
void check_bare_vectors(const std::string& options, const std::vector<Vector>& vectors) {
    std::set<std::string> schemes;
    for (const auto& vector : vectors)
        schemes.insert(scheme_of(vector));
    schemes.erase("");
    for (const auto& scheme : schemes) {
        CAPTURE(scheme);
        SqlDaemon daemon(options + "sql_password_scheme: " + scheme + "\n");
        REQUIRE(daemon->wait_ready());
        check_vectors(*daemon, vectors, scheme);
        CHECK(authenticates(*daemon, "alice", k_alice_password)); // "{...}" still wins
        daemon->stop();
        check_no_secrets_in(daemon->log(), vectors);
    }
}

void check_refusals(Daemon& daemon) {
    CHECK(authenticates(daemon, "alice", k_alice_password));
    CHECK(authenticates(daemon, "o'brien", k_obrien_password));
    CHECK_FALSE(authenticates(daemon, "alice", k_wrong_password));
    CHECK_FALSE(authenticates(daemon, "bob", k_bob_password)); // active = 0
    CHECK_FALSE(authenticates(daemon, "nullpw", k_wrong_password));
    CHECK_FALSE(authenticates(daemon, "emptypw", k_wrong_password));
    CHECK_FALSE(authenticates(daemon, "nobody", k_alice_password));
}

// Pasted into the SQL text, the first four would find alice's row (through a comment, or a
// backslash escape in MariaDB) and the sixth every row; the others are the usual suspects: OR,
// LIKE wildcards, a macro expanded twice, a second statement.
const std::vector<std::string> k_hostile_logins{
    "alice'-- ",
    "alice' #",
    "alice'--",
    "alice\\",
    "x' OR '1'='1",
    "x' OR username LIKE '%",
    "%u",
    "%%u",
    "alice%",
    "alice_",
    "x'; DROP TABLE mailbox; --",
};

void check_hostile_logins(Daemon& daemon) {
    for (const auto& login : k_hostile_logins) {
        CAPTURE(login);
        CHECK_FALSE(authenticates(daemon, login, k_alice_password));
    }
}

void check_hostile_logins_logged(const std::string& log) {
    for (const auto& login : k_hostile_logins) {
        CAPTURE(login);
        CHECK(logged_verdict(log, login, "unknown_user"));
    }
}

// The daemon's log lines of requests that took half a second or more: which hosts they met.
void show_slow_requests(const std::string& log) {
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        const auto at = line.rfind(" ms=");
        if (at != std::string::npos && std::strtod(line.c_str() + at + 4, nullptr) >= 500)
            MESSAGE("slow request: " << line);
    }
}

// Issue item 6, with `workers` workers: the first server hangs (SIGSTOP: its kernel still
// accepts connections), then the second too, each for four retry intervals. A worker waits for
// one timeout the first time it meets a hung server (the read timeout on its open connection,
// or the connect timeout), then answers at once, served by the second or failing fast; it
// never waits again while the hang lasts. Afterwards the first serves again within seconds.
void check_hung_servers(int workers) {
    ServerPair servers;
    auto& [data, dir, first, second] = servers;
    // Fast failures come by the thousand: a worker recycled after worker_max_requests starts
    // afresh and would meet each hung server once more.
    SqlDaemon daemon(servers.options() + "penalty: no\nworker_max_requests: 0\n",
                     {"-n", std::to_string(workers)});
    REQUIRE(daemon->wait_ready());
    for (int i = 0; i < 10; ++i)
        CHECK(served_by(*daemon, 1));

    // Both timeouts are 1 s: a request that took 0.9 s or more waited for one. A worker's first
    // request after the second hangs too may meet both servers, so two timeouts.
    constexpr auto k_waited = 900ms;
    struct Tally {
        int requests = 0;
        int waited = 0;
        Clock::duration longest{};
    };
    auto load =
        [&](std::chrono::seconds duration, bool expect_ok, std::chrono::milliseconds at_most) {
            Tally tally;
            const auto begin = Clock::now();
            while (Clock::now() - begin < duration) {
                const auto asked = Clock::now();
                const bool ok = authenticates(*daemon, "alice", k_alice_password);
                const auto took = Clock::now() - asked;
                CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
                CHECK(ok == expect_ok);
                CHECK(took < at_most);
                ++tally.requests;
                tally.waited += took >= k_waited ? 1 : 0;
                tally.longest = std::max(tally.longest, took);
            }
            MESSAGE(tally.requests
                    << " requests, " << tally.waited << " waited for a timeout, longest "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(tally.longest).count()
                    << " ms");
            return tally;
        };

    first.pause();
    const auto first_hung = load(4s, true, 2s);
    CHECK(first_hung.waited >= 1);
    CHECK(first_hung.waited <= workers);
    CHECK(first_hung.requests > 20);

    second.pause();
    const auto both_hung = load(4s, false, 3s);
    CHECK(both_hung.waited >= 1);
    CHECK(both_hung.waited <= workers);
    CHECK(both_hung.requests > 20);
    CHECK(daemon->running());

    first.resume();
    second.resume();
    const auto resumed = Clock::now();
    CHECK(eventually([&] { return served_by(*daemon, 1); }, 10s));
    const double back = seconds_since(resumed);
    MESSAGE("served by the first server " << back << " s after it ran again");
    CHECK(back < 2.5);
    CHECK(eventually(
        [&] {
            for (int i = 0; i < 6; ++i)
                if (!served_by(*daemon, 1))
                    return false;
            return true;
        },
        10s));
    daemon->stop();
    const auto log = daemon->log();
    show_slow_requests(log);
    check_no_secrets_in(log, data.vectors, data.users);
}

bool have_sqlite3() {
    if (access("/usr/bin/sqlite3", X_OK) == 0)
        return true;
    if (in_ci())
        FAIL("the sqlite tests need /usr/bin/sqlite3 (package sqlite3) in CI");
    MESSAGE("skipped: the sqlite tests need /usr/bin/sqlite3 (package sqlite3)");
    return false;
}

} // namespace

TEST_SUITE("integration::sql") {

    TEST_CASE("MariaDB over TCP, postfixadmin's query: every scheme, refusals, hostile names") {
        if (!mariadb_fixture::available())
            return;
        const Data data;
        TempDir dir;
        Server server(dir, "db");
        start_with(server, data);

        SqlDaemon daemon(mysql_options(tcp(server), k_postfixadmin_select));
        REQUIRE(daemon->wait_ready());
        check_vectors(*daemon, data.vectors);
        check_refusals(*daemon);
        check_hostile_logins(*daemon);
        // Without sql_default_realm an empty realm looks up "alice@".
        CHECK_FALSE(authenticates(*daemon, "alice", k_alice_password, ""));
        check_bare_vectors(mysql_options(tcp(server), k_postfixadmin_select), data.vectors);

        // MariaDB's collation: case and trailing spaces of the SASL name (see the top).
        {
            CHECK(authenticates(*daemon, "ALICE", k_alice_password));
            CHECK(authenticates(*daemon, "alice", k_alice_password, "Example.ORG"));
            CHECK(authenticates(*daemon, "alice", k_alice_password, "example.org "));
            CHECK_FALSE(authenticates(*daemon, "alice ", k_alice_password)); // "alice @..."

            SqlDaemon exact(mysql_options(
                tcp(server),
                "SELECT password FROM mailbox WHERE BINARY username = '%u@%r' AND active = '1'"));
            REQUIRE(exact->wait_ready());
            CHECK(authenticates(*exact, "alice", k_alice_password));
            CHECK(authenticates(*exact, "o'brien", k_obrien_password));
            CHECK_FALSE(authenticates(*exact, "ALICE", k_alice_password));
            CHECK_FALSE(authenticates(*exact, "alice", k_alice_password, "Example.ORG"));
            CHECK_FALSE(authenticates(*exact, "alice", k_alice_password, "example.org "));
            exact->stop();
            CHECK(logged_verdict(exact->log(), "ALICE", "unknown_user"));
        }

        // More than one row is refused as ambiguous, even when every row matches.
        {
            SqlDaemon local_part_only(
                mysql_options(tcp(server), "SELECT password FROM mailbox WHERE local_part = '%u'"));
            REQUIRE(local_part_only->wait_ready());
            CHECK(authenticates(*local_part_only, "alice", k_alice_password));
            CHECK_FALSE(authenticates(*local_part_only, "carol", k_alice_password));
            local_part_only->stop();
            const auto log = local_part_only->log();
            CHECK(logged_verdict(log, "carol", "temp_failure"));
            CHECK(log.find("ambiguous") != std::string::npos);
        }

        daemon->stop();
        const auto log = daemon->log();
        CHECK(logged_verdict(log, "alice", "ok"));
        CHECK(logged_verdict(log, "alice", "bad_password"));
        CHECK(logged_verdict(log, "nobody", "unknown_user"));
        check_hostile_logins_logged(log);
        check_no_secrets_in(log, data.vectors, data.users);
    }

    TEST_CASE("MariaDB over its UNIX socket, with sql_default_realm") {
        if (!mariadb_fixture::available())
            return;
        const Data data;
        TempDir dir;
        Server server(dir, "db");
        start_with(server, data);

        SqlDaemon daemon(mysql_options(server.socket(), k_postfixadmin_select,
                                       "sql_default_realm: example.org\n"));
        REQUIRE(daemon->wait_ready());
        check_vectors(*daemon, data.vectors);
        check_refusals(*daemon);
        check_hostile_logins(*daemon);
        CHECK(authenticates(*daemon, "alice", k_alice_password, ""));
        CHECK(authenticates(*daemon, "alice@example.org", k_alice_password, ""));
        CHECK_FALSE(authenticates(*daemon, "alice@other.example", k_alice_password, ""));
        daemon->stop();
        const auto log = daemon->log();
        check_hostile_logins_logged(log);
        check_no_secrets_in(log, data.vectors, data.users);

        // %s and %a are bound like %u; the client address loses its ";port".
        SqlDaemon by_service(mysql_options(
            server.socket(),
            "SELECT password FROM mailbox WHERE username = '%u@%r' AND '%s' IN ('smtp', 'imap') "
            "AND '%a' = '192.0.2.7'"));
        REQUIRE(by_service->wait_ready());
        CHECK(authenticates(*by_service,
                            {"alice", k_alice_password, "imap", k_realm, "192.0.2.7;4321"}));
        CHECK_FALSE(authenticates(*by_service,
                                  {"alice", k_alice_password, "pop3", k_realm, "192.0.2.7;4321"}));
        CHECK_FALSE(authenticates(*by_service,
                                  {"alice", k_alice_password, "smtp", k_realm, "192.0.2.8;4321"}));
        CHECK_FALSE(authenticates(*by_service, {"alice", k_alice_password, "smtp", k_realm, {}}));
    }

    TEST_CASE("MariaDB failover: a second server takes over, and the first one comes back") {
        if (!mariadb_fixture::available())
            return;
        ServerPair servers;
        auto& [data, dir, first, second] = servers;
        SqlDaemon daemon(servers.options());
        REQUIRE(daemon->wait_ready());
        CHECK(authenticates(*daemon, "alice", k_alice_password));

        first.stop();
        for (int i = 0; i < 10; ++i)
            CHECK(authenticates(*daemon, "alice", k_alice_password));

        second.stop();
        const auto asked = Clock::now();
        CHECK_FALSE(authenticates(*daemon, "alice", k_alice_password));
        CHECK(Clock::now() - asked < 2500ms); // refusals cost nothing; slack for the machine
        CHECK(daemon->running());

        second.start();
        CHECK(eventually([&] { return authenticates(*daemon, "alice", k_alice_password); }, 15s));
        for (int i = 0; i < 5; ++i)
            CHECK(authenticates(*daemon, "alice", k_alice_password));

        // The first back and the second gone at once: no worker waits for anything.
        first.start();
        second.stop();
        CHECK(eventually([&] { return authenticates(*daemon, "alice", k_alice_password); }, 15s));

        daemon->stop();
        const auto log = daemon->log();
        CHECK(log.find("verdict=temp_failure") != std::string::npos);
        check_no_secrets_in(log, data.vectors, data.users);
    }

    // Issue item 6: a worker skips a failed host for sql_retry_interval, but not when that
    // leaves it nothing to try: then it tries again once a second.
    TEST_CASE("MariaDB outage: service is back within a second of the server, not after "
              "sql_retry_interval") {
        if (!mariadb_fixture::available())
            return;
        const Data data;
        TempDir dir;
        Server server(dir, "db");
        start_with(server, data);
        SqlDaemon daemon(mysql_options(tcp(server), k_postfixadmin_select,
                                       "sql_connect_timeout: 1\n"
                                       "sql_read_timeout: 1\n"
                                       "sql_retry_interval: 10\n"),
                         {"-n", "3"});
        REQUIRE(daemon->wait_ready());
        for (int i = 0; i < 6; ++i)
            CHECK(authenticates(*daemon, "alice", k_alice_password));

        server.stop();
        // Two seconds of fast failures: every worker that got a request has failed and is
        // inside its ten-second skip window.
        const auto stopped = Clock::now();
        int failures = 0;
        while (seconds_since(stopped) < 2) {
            const auto asked = Clock::now();
            CHECK_FALSE(authenticates(*daemon, "alice", k_alice_password));
            CHECK(Clock::now() - asked < 500ms);
            ++failures;
        }
        CHECK(failures > 10);

        server.start();
        const auto back = Clock::now();
        CHECK(eventually([&] { return authenticates(*daemon, "alice", k_alice_password); }, 8s));
        const double first_success = seconds_since(back);
        MESSAGE("first success " << first_success << " s after the server was back");
        CHECK(first_success < 1.5);
        // Every worker has tried again by a second after the server was back.
        while (seconds_since(back) < 1.5)
            static_cast<void>(authenticates(*daemon, "alice", k_alice_password));
        for (int i = 0; i < 20; ++i)
            CHECK(authenticates(*daemon, "alice", k_alice_password));
        daemon->stop();
        check_no_secrets_in(daemon->log(), data.vectors, data.users);
    }

    // Issue item 6: a worker on the second server moves back to the first once that one
    // answers a probe again, while the second still serves.
    TEST_CASE("MariaDB failback: the daemon returns to the first server when it answers again") {
        if (!mariadb_fixture::available())
            return;
        ServerPair servers;
        auto& [data, dir, first, second] = servers;
        constexpr int k_retry_interval = 2;
        // No penalty: the password of the other server is a wrong password here.
        SqlDaemon daemon(failover_options(first, second, std::to_string(k_retry_interval)) +
                             "penalty: no\n",
                         {"-n", "2"});
        REQUIRE(daemon->wait_ready());
        for (int i = 0; i < 6; ++i)
            CHECK(served_by(*daemon, 1));

        first.stop();
        for (int i = 0; i < 10; ++i)
            CHECK(served_by(*daemon, 2));

        first.start();
        const auto back = Clock::now();
        auto all_on_first = [&] {
            for (int i = 0; i < 8; ++i)
                if (!served_by(*daemon, 1))
                    return false;
            return true;
        };
        CHECK(eventually(all_on_first, 15s));
        const double moved = seconds_since(back);
        MESSAGE("back on the first server " << moved << " s after it was back");
        CHECK(moved < k_retry_interval + 3.0); // a probe per retry interval, and slack

        // Nothing depends on the second any more.
        second.stop();
        for (int i = 0; i < 10; ++i)
            CHECK(served_by(*daemon, 1));
        daemon->stop();
        check_no_secrets_in(daemon->log(), data.vectors, data.users);
    }
    TEST_CASE("MariaDB hung servers, one worker: one timeout per hung server, then fast") {
        if (mariadb_fixture::available())
            check_hung_servers(1);
    }

    TEST_CASE("MariaDB hung servers, two workers: one timeout per worker, then fast") {
        if (mariadb_fixture::available())
            check_hung_servers(2);
    }

    TEST_CASE("SQLite file: every scheme, refusals, hostile names, exact names") {
        if (!have_sqlite3())
            return;
        const Data data;
        TempDir dir;
        const auto database = dir / "mailboxes.sqlite";
        const auto made = run_command({"/usr/bin/sqlite3", database}, sqlite_setup(data.users));
        REQUIRE_MESSAGE(made.status == 0, made.err);

        const std::string options = "sql_engine: sqlite3\nsql_database: " + database +
                                    "\nsql_select: " + k_postfixadmin_select + "\n";
        SqlDaemon daemon(options);
        REQUIRE(daemon->wait_ready());
        check_vectors(*daemon, data.vectors);
        check_bare_vectors(options, data.vectors);
        check_refusals(*daemon);
        check_hostile_logins(*daemon);
        // SQLite compares bytes: no case folding, no padding.
        CHECK_FALSE(authenticates(*daemon, "ALICE", k_alice_password));
        CHECK_FALSE(authenticates(*daemon, "alice", k_alice_password, "example.org "));
        daemon->stop();
        const auto log = daemon->log();
        CHECK(logged_verdict(log, "alice", "ok"));
        CHECK(logged_verdict(log, "nobody", "unknown_user"));
        check_hostile_logins_logged(log);
        check_no_secrets_in(log, data.vectors, data.users);
    }
}
